package main

import "encoding/binary"

// The read loops look at two fields of every delivered chat message, its
// author and its text (which starts with the stamp). scanMessage finds
// them in the encoded entry, a msgpack map, without decoding the rest:
// no reflection and no allocation per delivery, where a full decode into
// chat.Message cost the clients about a tenth of their CPU.

// scanDepth bounds the nesting scanMessage skips over.
const scanDepth = 8

// scanMessage returns the "from" and "text" fields of data, an encoded
// chat.Message; ok is false when data is not a map of such fields. The
// slices alias data.
func scanMessage(data []byte) (from, text []byte, ok bool) {
	n, p, ok := mapLen(data, 0)
	if !ok {
		return nil, nil, false
	}
	for range n {
		var key []byte
		if key, p, ok = str(data, p); !ok {
			return nil, nil, false
		}
		switch string(key) {
		case "from":
			from, p, ok = str(data, p)
		case "text":
			text, p, ok = str(data, p)
		default:
			p, ok = skip(data, p, scanDepth)
		}
		if !ok {
			return nil, nil, false
		}
	}
	return from, text, true
}

// mapLen reads a map header at p.
func mapLen(b []byte, p int) (n, next int, ok bool) {
	if p >= len(b) {
		return 0, 0, false
	}
	switch c := b[p]; {
	case c&0xf0 == 0x80:
		return int(c & 0x0f), p + 1, true
	case c == 0xde && p+3 <= len(b):
		return int(binary.BigEndian.Uint16(b[p+1:])), p + 3, true
	case c == 0xdf && p+5 <= len(b):
		return int(binary.BigEndian.Uint32(b[p+1:])), p + 5, true
	}
	return 0, 0, false
}

// str reads a string at p.
func str(b []byte, p int) (s []byte, next int, ok bool) {
	if p >= len(b) {
		return nil, 0, false
	}
	var n int
	switch c := b[p]; {
	case c&0xe0 == 0xa0:
		n, p = int(c&0x1f), p+1
	case c == 0xd9 && p+2 <= len(b):
		n, p = int(b[p+1]), p+2
	case c == 0xda && p+3 <= len(b):
		n, p = int(binary.BigEndian.Uint16(b[p+1:])), p+3
	case c == 0xdb && p+5 <= len(b):
		n, p = int(binary.BigEndian.Uint32(b[p+1:])), p+5
	default:
		return nil, 0, false
	}
	if n > len(b)-p {
		return nil, 0, false
	}
	return b[p : p+n], p + n, true
}

// skip steps over the value at p, nested at most depth deep.
func skip(b []byte, p, depth int) (next int, ok bool) {
	if p >= len(b) || depth == 0 {
		return 0, false
	}
	c := b[p]
	var size, items int // bytes after the header; values that follow
	hdr := 1
	switch {
	case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
	case c&0xf0 == 0x80:
		items = 2 * int(c&0x0f)
	case c&0xf0 == 0x90:
		items = int(c & 0x0f)
	case c&0xe0 == 0xa0:
		size = int(c & 0x1f)
	case c == 0xcc || c == 0xd0:
		size = 1
	case c == 0xcd || c == 0xd1:
		size = 2
	case c == 0xca || c == 0xce || c == 0xd2:
		size = 4
	case c == 0xcb || c == 0xcf || c == 0xd3:
		size = 8
	case c == 0xd4, c == 0xd5, c == 0xd6, c == 0xd7, c == 0xd8:
		size = 1 + 1<<(c-0xd4) // fixext: type and 1 to 16 bytes
	case c == 0xc4 || c == 0xd9 || c == 0xc7:
		if p+2 > len(b) {
			return 0, false
		}
		hdr, size = 2, int(b[p+1])
		if c == 0xc7 {
			size++ // the ext type
		}
	case c == 0xc5 || c == 0xda || c == 0xc8 || c == 0xdc || c == 0xde:
		if p+3 > len(b) {
			return 0, false
		}
		hdr = 3
		n := int(binary.BigEndian.Uint16(b[p+1:]))
		switch c {
		case 0xdc:
			items = n
		case 0xde:
			items = 2 * n
		case 0xc8:
			size = n + 1
		default:
			size = n
		}
	case c == 0xc6 || c == 0xdb || c == 0xc9 || c == 0xdd || c == 0xdf:
		if p+5 > len(b) {
			return 0, false
		}
		hdr = 5
		n := int(binary.BigEndian.Uint32(b[p+1:]))
		switch c {
		case 0xdd:
			items = n
		case 0xdf:
			items = 2 * n
		case 0xc9:
			size = n + 1
		default:
			size = n
		}
	default:
		return 0, false
	}
	p += hdr
	if size > len(b)-p || items > len(b)-p {
		return 0, false
	}
	p += size
	for range items {
		if p, ok = skip(b, p, depth-1); !ok {
			return 0, false
		}
	}
	return p, true
}
