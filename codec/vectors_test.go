package codec_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"testing"

	"github.com/parlorhq/parlor/codec"
)

// vectorFile is the layout of testdata/vectors.json, shared with the
// JavaScript SDK's tests.
type vectorFile struct {
	Protocol    string          `json:"protocol"`
	Description string          `json:"description"`
	MaxFrames   int             `json:"max_frames"`
	Valid       []validVector   `json:"valid"`
	Invalid     []invalidVector `json:"invalid"`
}

type validVector struct {
	Name      string            `json:"name"`
	Note      string            `json:"note"`
	Hex       string            `json:"hex"`
	Canonical *bool             `json:"canonical"`
	Frame     json.RawMessage   `json:"frame"`
	Frames    []json.RawMessage `json:"frames"`
}

type invalidVector struct {
	Name string `json:"name"`
	Note string `json:"note"`
	Hex  string `json:"hex"`
	Code string `json:"code"`
}

// vectorFrame mirrors codec.Frame with the vector file's field names.
type vectorFrame struct {
	Type        string `json:"type"`
	Ref         uint64 `json:"ref"`
	Client      string `json:"client"`
	Session     string `json:"session"`
	User        string `json:"user"`
	HeartbeatMS uint32 `json:"heartbeat_ms"`
	Kind        string `json:"kind"`
	ParamsHex   string `json:"params_hex"`
	Room        string `json:"room"`
	Seq         uint64 `json:"seq"`
	SnapshotHex string `json:"snapshot_hex"`
	Event       string `json:"event"`
	DataHex     string `json:"data_hex"`
	ClientMsgID string `json:"client_msg_id"`
	Code        string `json:"code"`
	Message     string `json:"message"`
	Reason      string `json:"reason"`
	ResumeToken string `json:"resume_token"`
	Resumed     bool   `json:"resumed"`
	Epoch       string `json:"epoch"`
	Since       uint64 `json:"since"`
	Recovered   bool   `json:"recovered"`
	Features    uint64 `json:"features"`
}

// frameFields lists the vector fields each frame type uses, in wire order.
var frameFields = map[codec.Type][]string{
	codec.TypeConnect:   {"type", "ref", "client", "resume_token", "features"},
	codec.TypeConnected: {"type", "ref", "session", "user", "heartbeat_ms", "resume_token", "resumed"},
	codec.TypeJoin:      {"type", "ref", "kind", "params_hex", "epoch", "since"},
	codec.TypeJoined:    {"type", "ref", "room", "seq", "snapshot_hex", "epoch", "recovered"},
	codec.TypeLeave:     {"type", "ref", "room"},
	codec.TypeSend:      {"type", "ref", "room", "event", "data_hex", "client_msg_id"},
	codec.TypeReply:     {"type", "ref", "code", "message", "data_hex"},
	codec.TypeEvent:     {"type", "room", "seq", "event", "data_hex"},
	codec.TypeError:     {"type", "code", "message"},
	codec.TypeLeft:      {"type", "room", "reason"},
}

func typeByName(name string) (codec.Type, bool) {
	for t := codec.TypeConnect; t <= codec.TypeLeft; t++ {
		if t.String() == name {
			return t, true
		}
	}
	return 0, false
}

func loadVectors(tb testing.TB) *vectorFile {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "vectors.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var vf vectorFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&vf); err != nil {
		tb.Fatal(err)
	}
	return &vf
}

func mustHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// toFrame converts a vector frame to a codec.Frame, checking that it names
// exactly the fields its type uses.
func toFrame(tb testing.TB, raw json.RawMessage) codec.Frame {
	tb.Helper()
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		tb.Fatal(err)
	}
	var vf vectorFrame
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&vf); err != nil {
		tb.Fatal(err)
	}
	typ, ok := typeByName(vf.Type)
	if !ok {
		tb.Fatalf("unknown frame type %q", vf.Type)
	}
	got := make([]string, 0, len(keys))
	for k := range keys {
		got = append(got, k)
	}
	want := slices.Clone(frameFields[typ])
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		tb.Fatalf("%s frame has fields %v, want %v", vf.Type, got, want)
	}
	f := codec.Frame{
		Type:        typ,
		Ref:         vf.Ref,
		Client:      vf.Client,
		Features:    vf.Features,
		Session:     vf.Session,
		User:        vf.User,
		HeartbeatMS: vf.HeartbeatMS,
		Kind:        vf.Kind,
		Room:        vf.Room,
		Seq:         vf.Seq,
		Event:       vf.Event,
		ClientMsgID: vf.ClientMsgID,
		Code:        codec.Code(vf.Code),
		Message:     vf.Message,
		Reason:      vf.Reason,
		Token:       vf.ResumeToken,
		Resumed:     vf.Resumed,
		Epoch:       vf.Epoch,
		Recovered:   vf.Recovered,
	}
	if typ == codec.TypeJoin {
		f.Seq = vf.Since // a join's seq travels as "since"
	}
	if _, ok := keys["params_hex"]; ok {
		f.Params = mustHex(tb, vf.ParamsHex)
	}
	if _, ok := keys["snapshot_hex"]; ok {
		f.Snapshot = mustHex(tb, vf.SnapshotHex)
	}
	if _, ok := keys["data_hex"]; ok {
		f.Data = mustHex(tb, vf.DataHex)
	}
	return f
}

// cloneFrame copies a frame's raw fields so it outlives the decoded input.
func cloneFrame(f *codec.Frame) codec.Frame {
	c := *f
	c.Params = bytes.Clone(f.Params)
	c.Snapshot = bytes.Clone(f.Snapshot)
	c.Data = bytes.Clone(f.Data)
	return c
}

// decodeAll decodes msg and returns copies of its frames.
func decodeAll(msg []byte, maxFrames int) ([]codec.Frame, error) {
	var frames []codec.Frame
	err := codec.DecodeMessage(msg, maxFrames, func(f *codec.Frame) error {
		frames = append(frames, cloneFrame(f))
		return nil
	})
	return frames, err
}

func TestVectorsValid(t *testing.T) {
	vf := loadVectors(t)
	if vf.Protocol != "parlor.v1" || vf.MaxFrames != 64 {
		t.Fatalf("vector file header: protocol %q max_frames %d", vf.Protocol, vf.MaxFrames)
	}
	seen := map[codec.Type]bool{}
	for _, v := range vf.Valid {
		t.Run(v.Name, func(t *testing.T) {
			msg := mustHex(t, v.Hex)
			var want []codec.Frame
			switch {
			case v.Frame != nil && v.Frames == nil:
				want = []codec.Frame{toFrame(t, v.Frame)}
			case v.Frame == nil && len(v.Frames) > 0:
				for _, raw := range v.Frames {
					want = append(want, toFrame(t, raw))
				}
			default:
				t.Fatal("a valid vector needs exactly one of frame and frames")
			}
			for _, f := range want {
				seen[f.Type] = true
			}

			got, err := decodeAll(msg, vf.MaxFrames)
			if err != nil {
				t.Fatalf("DecodeMessage: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("decoded\n got %+v\nwant %+v", got, want)
			}
			if len(want) == 1 {
				var f codec.Frame
				if err := codec.DecodeFrame(msg, &f); err != nil {
					t.Fatalf("DecodeFrame: %v", err)
				}
				if !reflect.DeepEqual(f, want[0]) {
					t.Fatalf("DecodeFrame\n got %+v\nwant %+v", f, want[0])
				}
			}

			var enc []byte
			for i := range want {
				enc = codec.AppendFrame(enc, &want[i])
			}
			canonical := v.Canonical == nil || *v.Canonical
			if canonical && !bytes.Equal(enc, msg) {
				t.Fatalf("AppendFrame\n got %x\nwant %s", enc, v.Hex)
			}
			if !canonical {
				if bytes.Equal(enc, msg) {
					t.Fatal(`vector is marked "canonical": false but encodes canonically`)
				}
				// The canonical form must decode to the same frames.
				again, err := decodeAll(enc, vf.MaxFrames)
				if err != nil || !reflect.DeepEqual(again, want) {
					t.Fatalf("re-encoded form: %v\n got %+v\nwant %+v", err, again, want)
				}
			}
		})
	}
	for typ := codec.TypeConnect; typ <= codec.TypeLeft; typ++ {
		if !seen[typ] {
			t.Errorf("no valid vector for frame type %v", typ)
		}
	}
}

func TestVectorsInvalid(t *testing.T) {
	vf := loadVectors(t)
	for _, v := range vf.Invalid {
		t.Run(v.Name, func(t *testing.T) {
			msg := mustHex(t, v.Hex)
			err := codec.DecodeMessage(msg, vf.MaxFrames, func(*codec.Frame) error { return nil })
			if err == nil {
				t.Fatal("DecodeMessage accepted an invalid vector")
			}
			var ce *codec.Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %v (%T) is not a *codec.Error", err, err)
			}
			if got := codec.AsError(err).Code; string(got) != v.Code {
				t.Fatalf("code %q (%v), want %q", got, err, v.Code)
			}
		})
	}
}

// TestVectorsNames keeps vector names unique so that SDK test reports can
// refer to them.
func TestVectorsNames(t *testing.T) {
	vf := loadVectors(t)
	names := map[string]bool{}
	for _, v := range vf.Valid {
		if names[v.Name] {
			t.Errorf("duplicate vector name %q", v.Name)
		}
		names[v.Name] = true
	}
	for _, v := range vf.Invalid {
		if names[v.Name] {
			t.Errorf("duplicate vector name %q", v.Name)
		}
		names[v.Name] = true
	}
}
