package codec

// MaxInterned bounds the strings one Interner keeps.
const MaxInterned = 16

// Interner hands out the short strings a connection repeats frame after
// frame (the room id and event name of its sends) without allocating a
// new string for each frame. It keeps the first MaxInterned distinct
// values it sees; later ones are allocated every time, so a client that
// sends endless distinct names costs a bounded cache and nothing more.
// The zero value is ready to use. An Interner is not safe for concurrent
// use: a connection's read loop owns one.
type Interner struct {
	m map[string]string
}

// String returns b as a string, the kept one when b was seen before.
func (in *Interner) String(b []byte) string {
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(in.m) < MaxInterned {
		if in.m == nil {
			in.m = make(map[string]string, 4)
		}
		in.m[s] = s
	}
	return s
}

// Len returns how many strings in keeps.
func (in *Interner) Len() int { return len(in.m) }
