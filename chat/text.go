package chat

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/parlorhq/parlor/codec"
)

// checkText validates a message text and returns it trimmed: valid UTF-8
// without NUL bytes (which no store needs to hold, and PostgreSQL cannot),
// not blank (blank), at most Config.MaxTextLen bytes.
func (c *Chat) checkText(s string) (string, error) {
	if !validText(s) {
		return "", ErrInvalidText
	}
	s = strings.TrimSpace(s)
	if blank(s) {
		return "", ErrEmptyText
	}
	if len(s) > c.cfg.MaxTextLen {
		return "", codec.Errorf(codec.CodeTooLarge, "chat: text exceeds %d bytes", c.cfg.MaxTextLen)
	}
	return s, nil
}

// validText reports whether s is valid UTF-8 without NUL bytes: the rule
// for every text chat stores.
func validText(s string) bool {
	return utf8.ValidString(s) && !strings.Contains(s, "\x00")
}

// checkUser validates a user id named in a payload: 1 to codec.MaxIDLen
// bytes of UTF-8 without NUL bytes.
func checkUser(u string) error {
	if u == "" || len(u) > codec.MaxIDLen || !validText(u) {
		return codec.Errorf(codec.CodeBadRequest, "chat: user ids must be 1 to %d bytes of UTF-8", codec.MaxIDLen)
	}
	return nil
}

// checkUsers validates a list of user ids and returns it without
// duplicates or the users in skip, in order.
func checkUsers(list []string, skip func(string) bool) ([]string, error) {
	out := make([]string, 0, len(list))
	seen := make(map[string]bool, len(list))
	for _, u := range list {
		if err := checkUser(u); err != nil {
			return nil, err
		}
		if seen[u] || skip(u) {
			continue
		}
		seen[u] = true
		out = append(out, u)
	}
	return out, nil
}

// isGroupID reports whether s has the form of a group id: 32 lower-case
// hex digits.
func isGroupID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// blank reports whether s shows nothing: it is empty, or holds only white
// space, format characters (zero-width spaces and joiners, the byte order
// mark, bidirectional controls) and the fillers that display as blanks
// (the Braille blank, the Hangul fillers).
func blank(s string) bool {
	for _, r := range s {
		switch {
		case unicode.IsSpace(r), unicode.Is(unicode.Cf, r):
		case r == '\u2800', r == '\u3164', r == '\u115f', r == '\u1160', r == '\uffa0':
		default:
			return false
		}
	}
	return true
}
