package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ---- Sessions shared by the nodes of a cluster ----
//
// Behind a load balancer with no affinity, a browser signs in on one node
// and its next request lands on another. So on a cluster every session is
// written to a JetStream KV bucket, and a node looks each request's token
// up there: the bucket is the truth, the node's own store a copy that
// keeps the per-user bookkeeping. A sign-out on one node deletes the key,
// and every node refuses the token from its next request on.
//
// Reads go to the bucket's stream leader (the JetStream API's
// STREAM.MSG.GET), not through the KV's direct gets: a KV bucket lets any
// replica answer a direct get, and a replica that has not applied the
// latest write yet answers from before it. A browser that signs in on one
// node and whose next request (its WebSocket) lands on another would be
// refused with 401 then, and a signed-out cookie could still be taken for
// a moment. The leader has applied every write it acknowledged, so a
// session written (or deleted) on one node is read as such on every node
// from then on.

const (
	// sessionBucket is the KV bucket of the arcade's sessions.
	sessionBucket = "arcade_sessions"
	// sessionOpTimeout bounds each KV request of a session lookup or
	// write.
	sessionOpTimeout = 2 * time.Second
)

// kvSessions is the sessions' KV bucket. The key is the SHA-256 of the
// token, so that the bucket, readable by anyone with NATS access, does
// not hold the tokens themselves; the value is the session without its
// token.
type kvSessions struct {
	nc *nats.Conn
	kv jetstream.KeyValue
}

// kvSession is a session as the bucket stores it.
type kvSession struct {
	ID      string    `json:"id"`
	User    string    `json:"user"`
	CSRF    string    `json:"csrf"`
	Expires time.Time `json:"expires"`
}

// openKVSessions creates or binds to the sessions' bucket. Its keys
// expire ttl after their last write, as the sessions do.
func openKVSessions(ctx context.Context, nc *nats.Conn, ttl time.Duration, replicas int) (*kvSessions, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	var kv jetstream.KeyValue
	// JetStream may still be electing its leaders when the nodes start.
	for {
		kv, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:   sessionBucket,
			History:  1,
			TTL:      ttl,
			Storage:  jetstream.FileStorage,
			Replicas: replicas,
		})
		if err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err != nil {
		return nil, err
	}
	return &kvSessions{nc: nc, kv: kv}, nil
}

// The JetStream API request that reads the last message of a subject from
// a stream's leader, and what a KV bucket writes in its messages.
const (
	msgGetSubject   = "$JS.API.STREAM.MSG.GET.KV_" + sessionBucket
	kvSubjectPrefix = "$KV." + sessionBucket + "."
	kvOpHeader      = "KV-Operation"
	jsNoMessage     = 10037 // JetStream's error code: no message found
)

// msgGetReply is the answer to a STREAM.MSG.GET request.
type msgGetReply struct {
	Error *struct {
		Code        int    `json:"code"`
		ErrCode     int    `json:"err_code"`
		Description string `json:"description"`
	} `json:"error"`
	Message *struct {
		Header []byte `json:"hdrs"`
		Data   []byte `json:"data"`
	} `json:"message"`
}

// read returns the value of key as the bucket's stream leader has it, or
// nil when there is none (never written, deleted, purged or expired).
func (k *kvSessions) read(ctx context.Context, key string) ([]byte, error) {
	req, err := json.Marshal(struct {
		LastBy string `json:"last_by_subj"`
	}{kvSubjectPrefix + key})
	if err != nil {
		return nil, err
	}
	msg, err := k.nc.RequestWithContext(ctx, msgGetSubject, req)
	if err != nil {
		return nil, err
	}
	var r msgGetReply
	if err := json.Unmarshal(msg.Data, &r); err != nil {
		return nil, err
	}
	switch {
	case r.Error != nil && r.Error.ErrCode == jsNoMessage:
		return nil, nil
	case r.Error != nil:
		return nil, fmt.Errorf("arcade: session read: %s (%d)", r.Error.Description, r.Error.ErrCode)
	case r.Message == nil:
		return nil, errors.New("arcade: session read: empty answer")
	}
	if len(r.Message.Header) > 0 {
		h, err := nats.DecodeHeadersMsg(r.Message.Header)
		if err != nil {
			return nil, err
		}
		if op := h.Get(kvOpHeader); op != "" {
			return nil, nil // a delete or purge marker
		}
	}
	return r.Message.Data, nil
}

// sessionKey is the bucket's key of token.
func sessionKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// put implements sessionShare.
func (k *kvSessions) put(ss *session) error {
	b, err := json.Marshal(kvSession{ID: ss.id, User: ss.user, CSRF: ss.csrf, Expires: ss.expires})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), sessionOpTimeout)
	defer cancel()
	_, err = k.kv.Put(ctx, sessionKey(ss.token), b)
	return err
}

// get implements sessionShare.
func (k *kvSessions) get(token string) (*session, error) {
	ctx, cancel := context.WithTimeout(context.Background(), sessionOpTimeout)
	defer cancel()
	b, err := k.read(ctx, sessionKey(token))
	if b == nil || err != nil {
		return nil, err
	}
	var v kvSession
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	return &session{token: token, id: v.ID, user: v.User, csrf: v.CSRF, expires: v.Expires}, nil
}

// delete implements sessionShare.
func (k *kvSessions) delete(token string) error {
	ctx, cancel := context.WithTimeout(context.Background(), sessionOpTimeout)
	defer cancel()
	return k.kv.Delete(ctx, sessionKey(token))
}

// deleteUser implements sessionShare. It reads every session of the
// bucket: sign-out everywhere is rare, and a demo holds few sessions.
func (k *kvSessions) deleteUser(user string) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*sessionOpTimeout)
	defer cancel()
	keys, err := k.kv.ListKeys(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	var failed error // the first session that could not be read or deleted
	for key := range keys.Keys() {
		b, err := k.read(ctx, key)
		if err != nil {
			failed = cmp.Or(failed, err)
			continue
		}
		var v kvSession
		if b == nil || json.Unmarshal(b, &v) != nil || v.User != user {
			continue
		}
		if err := k.kv.Delete(ctx, key); err != nil {
			failed = cmp.Or(failed, err)
			continue
		}
		n++
	}
	return n, failed
}

// lookupShared is lookup on a cluster: the bucket decides whether the
// token is live. When the bucket cannot be read (NATS is down), the
// node's own copy answers.
func (s *sessionStore) lookupShared(token string) (*session, bool) {
	shared, err := s.share.get(token)
	s.mu.Lock()
	defer s.mu.Unlock()
	local, had := s.byToken[token]
	if err != nil {
		if had && s.now().Before(local.expires) {
			return local, true
		}
		return nil, false
	}
	if shared == nil || !s.now().Before(shared.expires) {
		if had {
			s.remove(local)
		}
		return nil, false
	}
	if had {
		return local, true
	}
	s.byToken[token] = shared
	s.byUser[shared.user] = append(s.byUser[shared.user], shared)
	return shared, true
}
