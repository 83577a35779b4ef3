package codec_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/parlorhq/parlor/codec"
)

func TestErrorIs(t *testing.T) {
	busy := &codec.Error{Code: codec.CodeUnavailable, Message: "room: busy"}
	closed := &codec.Error{Code: codec.CodeUnavailable, Message: "room: closed"}
	sameText := &codec.Error{Code: codec.CodeUnavailable, Message: "room: busy"}
	forbidden := &codec.Error{Code: codec.CodeForbidden, Message: "not a member"}
	cases := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"a sentinel is itself", busy, busy, true},
		{"two sentinels with one code differ", busy, closed, false},
		{"and the other way round", closed, busy, false},
		{"equal text is not identity", busy, sameText, false},
		{"code-only target matches its code", busy, &codec.Error{Code: codec.CodeUnavailable}, true},
		{"code-only target of another code", busy, &codec.Error{Code: codec.CodeForbidden}, false},
		{"code-only error does not match a sentinel", &codec.Error{Code: codec.CodeUnavailable}, busy, false},
		{"wrapped sentinel is itself", fmt.Errorf("join: %w", busy), busy, true},
		{"wrapped sentinel is not its sibling", fmt.Errorf("join: %w", busy), closed, false},
		{"wrapped error matches a code-only target", fmt.Errorf("join: %w", forbidden), &codec.Error{Code: codec.CodeForbidden}, true},
		{"twice wrapped", fmt.Errorf("b: %w", fmt.Errorf("a: %w", closed)), closed, true},
		{"joined errors", errors.Join(errors.New("x"), closed), closed, true},
		{"joined errors, sibling", errors.Join(errors.New("x"), closed), busy, false},
		{"module code, code-only target", &codec.Error{Code: "not_your_turn", Message: "wait"}, &codec.Error{Code: "not_your_turn"}, true},
		{"plain error target", busy, errors.New("unavailable: room: busy"), false},
		{"package sentinels of one code", codec.ErrTruncated, codec.ErrInvalidByte, false},
	}
	for _, c := range cases {
		if got := errors.Is(c.err, c.target); got != c.want {
			t.Errorf("%s: errors.Is(%v, %v) = %v, want %v", c.name, c.err, c.target, got, c.want)
		}
	}
}
