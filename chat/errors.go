package chat

import (
	"errors"

	"github.com/parlorhq/parlor/codec"
)

// Errors a Store returns. Implementations must return them (or wrap them)
// so that the module and the contract tests can tell the cases apart.
var (
	// ErrNotFound: the room record or log entry does not exist.
	ErrNotFound = errors.New("chat: not found")
	// ErrSeqConflict: an appended entry's seq is not the log's head + 1,
	// so another writer has appended to the same room.
	ErrSeqConflict = errors.New("chat: seq conflict")
	// ErrStoreClosed: the store has been closed.
	ErrStoreClosed = errors.New("chat: store closed")
)

// Errors clients see. They are *codec.Error values with stable codes; the
// message says what was wrong, never what was written.
var (
	// ErrEmptyText: the text is empty or only white space.
	ErrEmptyText = &codec.Error{Code: codec.CodeBadRequest, Message: "chat: text is empty"}
	// ErrInvalidText: the text is not valid UTF-8, or holds a NUL byte.
	ErrInvalidText = &codec.Error{Code: codec.CodeBadRequest, Message: "chat: text is not valid UTF-8 without NUL bytes"}
	// ErrSelf: a user tried to open a direct conversation with themselves.
	ErrSelf = &codec.Error{Code: codec.CodeBadRequest, Message: "chat: cannot message yourself"}
	// ErrNotAllowed: Config.CanMessage refused the conversation.
	ErrNotAllowed = &codec.Error{Code: codec.CodeForbidden, Message: "chat: not allowed to message this user"}
	// ErrNotMember: the user is not a member of the conversation.
	ErrNotMember = &codec.Error{Code: codec.CodeForbidden, Message: "chat: not a member of this conversation"}
	// ErrNotAdmin: only a group's admins may do this.
	ErrNotAdmin = &codec.Error{Code: codec.CodeForbidden, Message: "chat: only group admins may do this"}
	// ErrNotGroupMember: a user a group change names is not a member of
	// the group.
	ErrNotGroupMember = &codec.Error{Code: codec.CodeNotFound, Message: "chat: not a member of the group"}
	// ErrLastAdmin: the change would leave the group without an admin.
	// A group always keeps one: promote another member first.
	ErrLastAdmin = &codec.Error{Code: codec.CodeConflict, Message: "chat: a group keeps at least one admin, promote another member first"}
	// ErrNotYours: users may edit and delete only their own messages.
	ErrNotYours = &codec.Error{Code: codec.CodeForbidden, Message: "chat: not your message"}
	// ErrModerated: Config.Moderate rejected the text without a code of
	// its own.
	ErrModerated = &codec.Error{Code: codec.CodeForbidden, Message: "chat: rejected by moderation"}
	// ErrGroupNotFound: there is no group with this id.
	ErrGroupNotFound = &codec.Error{Code: codec.CodeNotFound, Message: "chat: no such group"}
	// ErrMessageNotFound: there is no message with this seq in the room,
	// or it was deleted.
	ErrMessageNotFound = &codec.Error{Code: codec.CodeNotFound, Message: "chat: no such message"}
	// ErrGroupFull: the group would exceed Config.MaxGroupMembers.
	ErrGroupFull = &codec.Error{Code: codec.CodeTooMany, Message: "chat: group is full"}
	// ErrTooManyGroups: the user has created Config.MaxGroupsPerUser
	// groups already.
	ErrTooManyGroups = &codec.Error{Code: codec.CodeLimitExceeded, Message: "chat: you have created as many groups as allowed (MaxGroupsPerUser)"}
	// ErrDailyBytes: the write would take the user past
	// Config.DailyBytesPerUser bytes of text today (UTC).
	ErrDailyBytes = &codec.Error{Code: codec.CodeLimitExceeded, Message: "chat: daily text quota (DailyBytesPerUser) reached; it resets at 00:00 UTC"}
	// ErrRateLimited: the user sent more than Config.MessageRate allows.
	ErrRateLimited = &codec.Error{Code: codec.CodeRateLimited, Message: "chat: too many messages, slow down"}
	// ErrMoved: the store's log moved under the room (another writer);
	// the room closes and clients should join again.
	ErrMoved = &codec.Error{Code: codec.CodeUnavailable, Message: "chat: conversation moved, join again"}
	// ErrTimeout: the request's store and hook calls took longer than
	// Config.OpTimeout. A write may or may not have been stored: retry it
	// with the same client message id (see docs/chat.md, "Timeouts").
	ErrTimeout = &codec.Error{Code: codec.CodeUnavailable, Message: "chat: timed out, retry with the same client message id"}
)
