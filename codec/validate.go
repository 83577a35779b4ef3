package codec

import "encoding/binary"

// Structural validation of untrusted msgpack, done before any decoding.
//
// The check walks the bytes with an explicit stack instead of recursion, so
// deeply nested input cannot exhaust the goroutine stack. Every declared
// length (str, bin, ext) and element count (array, map) must fit in the
// bytes that remain: each element takes at least one byte, so a count larger
// than the remaining input is a lie. Decoding validated bytes therefore
// allocates at most in proportion to the input.

// MaxDepth is the deepest container nesting ValidateValue accepts. A frame
// itself is one level; module payloads get the rest.
const MaxDepth = 32

// ValidateValue checks that b starts with exactly one well-formed msgpack
// value nested at most maxDepth deep (values of 0 or above [MaxDepth] mean
// MaxDepth) and returns its length in bytes. Bytes after the value are not
// examined.
func ValidateValue(b []byte, maxDepth int) (int, error) {
	return validateValue(b, maxDepth, true)
}

// validateValue is ValidateValue; allowExt false also rejects ext values
// (see [UnmarshalData] for why).
func validateValue(b []byte, maxDepth int, allowExt bool) (int, error) {
	if maxDepth <= 0 || maxDepth > MaxDepth {
		maxDepth = MaxDepth
	}
	// remaining[d] counts the elements still expected at depth d+1. It is
	// an int: a map32 of 2^31 or more pairs needs more than 32 bits.
	var remaining [MaxDepth]int
	depth := 0
	pos := 0
	for {
		if pos >= len(b) {
			return 0, ErrTruncated
		}
		c := b[pos]
		left := len(b) - pos - 1 // bytes after the type byte
		var size int             // bytes after the type byte for scalars
		count := -1              // element count for containers
		switch {
		case c <= 0x7f || c >= 0xe0: // positive and negative fixint
		case c <= 0x8f: // fixmap
			count = int(c&0x0f) * 2
		case c <= 0x9f: // fixarray
			count = int(c & 0x0f)
		case c <= 0xbf: // fixstr
			size = int(c & 0x1f)
		default:
			if !allowExt && (c >= 0xc7 && c <= 0xc9 || c >= 0xd4 && c <= 0xd8) {
				return 0, errExt
			}
			switch c {
			case 0xc0, 0xc2, 0xc3: // nil, false, true
			case 0xc1:
				return 0, ErrInvalidByte
			case 0xc4, 0xd9: // bin8, str8
				if left < 1 {
					return 0, ErrTruncated
				}
				size = 1 + int(b[pos+1])
			case 0xc5, 0xda: // bin16, str16
				if left < 2 {
					return 0, ErrTruncated
				}
				size = 2 + int(binary.BigEndian.Uint16(b[pos+1:]))
			case 0xc6, 0xdb: // bin32, str32
				if left < 4 {
					return 0, ErrTruncated
				}
				n := binary.BigEndian.Uint32(b[pos+1:])
				if uint64(n) > uint64(left-4) {
					return 0, ErrCountTooLarge
				}
				size = 4 + int(n)
			case 0xc7: // ext8: length, type, data
				if left < 2 {
					return 0, ErrTruncated
				}
				size = 2 + int(b[pos+1])
			case 0xc8: // ext16
				if left < 3 {
					return 0, ErrTruncated
				}
				size = 3 + int(binary.BigEndian.Uint16(b[pos+1:]))
			case 0xc9: // ext32
				if left < 5 {
					return 0, ErrTruncated
				}
				n := binary.BigEndian.Uint32(b[pos+1:])
				if uint64(n) > uint64(left-5) {
					return 0, ErrCountTooLarge
				}
				size = 5 + int(n)
			case 0xca, 0xce, 0xd2: // float32, uint32, int32
				size = 4
			case 0xcb, 0xcf, 0xd3: // float64, uint64, int64
				size = 8
			case 0xcc, 0xd0: // uint8, int8
				size = 1
			case 0xcd, 0xd1: // uint16, int16
				size = 2
			case 0xd4: // fixext1
				size = 2
			case 0xd5: // fixext2
				size = 3
			case 0xd6: // fixext4
				size = 5
			case 0xd7: // fixext8
				size = 9
			case 0xd8: // fixext16
				size = 17
			case 0xdc, 0xde: // array16, map16
				if left < 2 {
					return 0, ErrTruncated
				}
				count = int(binary.BigEndian.Uint16(b[pos+1:]))
				if c == 0xde {
					count *= 2
				}
				pos += 2
				left -= 2
			case 0xdd, 0xdf: // array32, map32
				if left < 4 {
					return 0, ErrTruncated
				}
				n := uint64(binary.BigEndian.Uint32(b[pos+1:]))
				if c == 0xdf {
					n *= 2
				}
				if n > uint64(left-4) {
					return 0, ErrCountTooLarge
				}
				count = int(n)
				pos += 4
				left -= 4
			}
		}
		pos++
		if count > 0 {
			if count > left {
				return 0, ErrCountTooLarge
			}
			if depth >= maxDepth {
				return 0, ErrTooDeep
			}
			remaining[depth] = count
			depth++
			continue
		}
		if size > left {
			return 0, ErrTruncated
		}
		pos += size
		// One value finished: unwind every container it completes.
		for {
			if depth == 0 {
				return pos, nil
			}
			remaining[depth-1]--
			if remaining[depth-1] > 0 {
				break
			}
			depth--
		}
	}
}

// Validate checks that b is exactly one well-formed msgpack value with no
// trailing bytes, nested at most [MaxDepth] deep.
func Validate(b []byte) error {
	return validate(b, true)
}

func validate(b []byte, allowExt bool) error {
	n, err := validateValue(b, MaxDepth, allowExt)
	if err != nil {
		return err
	}
	if n != len(b) {
		return ErrTrailingBytes
	}
	return nil
}

// ValidateMessage checks a whole WebSocket message: one or more well-formed
// values back to back, at most maxFrames of them (0 means no limit), filling
// the message exactly. It returns the number of values.
func ValidateMessage(b []byte, maxFrames int) (int, error) {
	if len(b) == 0 {
		return 0, ErrEmpty
	}
	frames := 0
	for pos := 0; pos < len(b); {
		if maxFrames > 0 && frames == maxFrames {
			return 0, ErrTooManyFrames
		}
		n, err := ValidateValue(b[pos:], MaxDepth)
		if err != nil {
			return 0, err
		}
		pos += n
		frames++
	}
	return frames, nil
}
