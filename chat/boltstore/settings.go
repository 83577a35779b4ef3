package boltstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/parlorhq/parlor/chat"
	bolt "go.etcd.io/bbolt"
)

// bucketSettings holds users' own settings per conversation:
// room ‖ user -> one byte of flags. Zero settings have no key.
var bucketSettings = []byte("settings")

// Flags of a settings value.
const (
	flagMuted  = 1 << 0
	flagHidden = 1 << 1
)

func encodeSettings(st chat.Settings) byte {
	var b byte
	if st.Muted {
		b |= flagMuted
	}
	if st.Hidden {
		b |= flagHidden
	}
	return b
}

func decodeSettings(v []byte) chat.Settings {
	if len(v) != 1 {
		return chat.Settings{}
	}
	return chat.Settings{Muted: v[0]&flagMuted != 0, Hidden: v[0]&flagHidden != 0}
}

func getSettings(tx *bolt.Tx, room, user string) chat.Settings {
	return decodeSettings(tx.Bucket(bucketSettings).Get(readKey(room, user)))
}

func putSettings(tx *bolt.Tx, room, user string, st chat.Settings) error {
	b := tx.Bucket(bucketSettings)
	if st == (chat.Settings{}) {
		return b.Delete(readKey(room, user))
	}
	return b.Put(readKey(room, user), []byte{encodeSettings(st)})
}

// SetSettings implements chat.Store. Hiding deletes the room's key in the
// user's inbox index; showing puts it back.
func (s *Store) SetSettings(ctx context.Context, roomID, user string, st chat.Settings) error {
	o := &op{kind: opSettings, room: roomID, user: user, settings: st}
	if err := checkKeys(roomID, user); err != nil {
		return err
	}
	r := s.newRequest(o)
	o.keys[0] = s.roomKey(roomID)
	o.all = true // the inbox index
	return s.write(ctx, r)
}

// applySettings sets user's settings in room in tx.
func applySettings(tx *bolt.Tx, roomID, user string, st chat.Settings) error {
	was := getSettings(tx, roomID, user).Hidden
	if err := putSettings(tx, roomID, user, st); err != nil {
		return err
	}
	if was == st.Hidden {
		return nil
	}
	info, err := getRoom(tx, roomID)
	if err != nil || !info.HasMember(user) {
		return nil // no record: nothing is listed
	}
	k := inboxKey(user, indexTime(getMeta(tx, roomID), &info), roomID)
	if st.Hidden {
		return tx.Bucket(bucketInbox).Delete(k)
	}
	return tx.Bucket(bucketInbox).Put(k, nil)
}

// Settings implements chat.Store.
func (s *Store) Settings(ctx context.Context, roomID string) (map[string]chat.Settings, error) {
	out := make(map[string]chat.Settings)
	err := s.viewRoom(ctx, roomID, func(tx *bolt.Tx) error {
		prefix := key(nil, roomID)
		c := tx.Bucket(bucketSettings).Cursor()
		for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
			user, ok := part(k[len(prefix):])
			if !ok {
				return fmt.Errorf("boltstore: bad settings key in room %s", roomID)
			}
			out[user] = decodeSettings(v)
		}
		return nil
	})
	return out, err
}

// unhide clears Hidden for every user of room, after an append that moved
// its Updated, and puts the room back in the inboxes of those who are
// members of info, at indexed, the time of its index keys. A nil info is
// read from the file if anyone hid the room (none there: no inbox).
func unhide(tx *bolt.Tx, room string, info *chat.RoomInfo, indexed int64) error {
	var hidden []string
	prefix := key(nil, room)
	c := tx.Bucket(bucketSettings).Cursor()
	for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
		if decodeSettings(v).Hidden {
			user, ok := part(k[len(prefix):])
			if !ok {
				return fmt.Errorf("boltstore: bad settings key in room %s", room)
			}
			hidden = append(hidden, user)
		}
	}
	if info == nil && len(hidden) > 0 {
		stored, err := getRoom(tx, room)
		if err != nil && !errors.Is(err, chat.ErrNotFound) {
			return err
		}
		if err == nil {
			info = &stored
		}
	}
	for _, u := range hidden {
		st := getSettings(tx, room, u)
		st.Hidden = false
		if err := putSettings(tx, room, u, st); err != nil {
			return err
		}
		if info != nil && info.HasMember(u) {
			if err := tx.Bucket(bucketInbox).Put(inboxKey(u, indexed, room), nil); err != nil {
				return err
			}
		}
	}
	return nil
}
