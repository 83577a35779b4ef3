package chat

// Module kinds: the kind a client names in its join.
const (
	// KindDM is the direct-conversation module.
	KindDM = "chat.dm"
	// KindGroup is the group-conversation module.
	KindGroup = "chat.group"
	// KindInbox is the per-user inbox module.
	KindInbox = "chat.inbox"
)

// Events a client sends to a conversation room (the send frame's event).
const (
	// OpSend sends a message: SendRequest, replied with the stored
	// Message. The send frame's client_msg_id makes it idempotent.
	OpSend = "send"
	// OpEdit edits one of the user's messages: EditRequest, replied with
	// the stored KindEdit entry.
	OpEdit = "edit"
	// OpDelete deletes one of the user's messages: DeleteRequest, replied
	// with the stored KindDelete entry.
	OpDelete = "delete"
	// OpHistory pages backwards: HistoryRequest, replied with HistoryPage.
	OpHistory = "history"
	// OpRead moves the user's read receipt: ReadRequest, replied with
	// ReadReply.
	OpRead = "read"
	// OpTyping starts or stops the user's typing indicator: TypingRequest,
	// replied with nil.
	OpTyping = "typing"
	// OpInfo returns the conversation's members: replied with Info.
	OpInfo = "info"
	// OpAddMembers adds users to a group (admins only): MembersRequest,
	// replied with the stored KindMembers entry.
	OpAddMembers = "add_members"
	// OpRemoveMembers removes users from a group (admins only):
	// MembersRequest, replied with the stored KindMembers entry.
	OpRemoveMembers = "remove_members"
	// OpLeaveGroup removes the user from a group: no payload, replied
	// with the stored KindMembers entry.
	OpLeaveGroup = "leave_group"
	// OpPromote makes members of a group admins (admins only):
	// MembersRequest, replied with the stored KindMembers entry, whose
	// Admins is the new admin list.
	OpPromote = "promote"
	// OpDemote takes admin rights from admins of a group (admins only;
	// the group keeps at least one admin): MembersRequest, replied with
	// the stored KindMembers entry, whose Admins is the new admin list.
	OpDemote = "demote"
	// OpRename renames a group (admins only): RenameRequest, replied with
	// the stored KindMembers entry, whose Name is the new name.
	OpRename = "rename"
	// OpMute mutes or unmutes the conversation for the user:
	// MuteRequest, replied with the user's Settings.
	OpMute = "mute"
	// OpHide hides the conversation from the user's inbox until its next
	// message, or shows it again: HideRequest, replied with the user's
	// Settings.
	OpHide = "hide"
	// OpRefresh, sent to an inbox, returns the conversations again:
	// replied with InboxSnapshot.
	OpRefresh = "refresh"
)

// Events the server sends. The ordered ones (seq > 0) are the log entry
// kinds: KindMessage, KindEdit, KindDelete and KindMembers, each with a
// Message payload. The others are ephemeral (seq 0).
const (
	// EventRead is a member's new read receipt: ReadEvent.
	EventRead = "read"
	// EventTyping is a member's typing indicator: TypingEvent.
	EventTyping = "typing"
	// EventPresence is a member opening (first tab) or closing (last tab)
	// the conversation: PresenceEvent.
	EventPresence = "presence"
	// EventInbox, in an inbox room, is a changed conversation:
	// Conversation. It is ordered within the inbox room.
	EventInbox = "inbox"
)

// DMParams are the join parameters of KindDM.
type DMParams struct {
	// With is the other user.
	With string `msgpack:"with"`
}

// GroupParams are the join parameters of KindGroup: either ID, to open an
// existing group, or Create.
type GroupParams struct {
	// ID is the group's id (its room id).
	ID string `msgpack:"id,omitempty"`
	// Create creates a new group, with the joining user as its admin.
	Create *CreateGroup `msgpack:"create,omitempty"`
}

// CreateGroup describes a new group.
type CreateGroup struct {
	// Name is the group's name, 1 to Config.MaxGroupName bytes.
	Name string `msgpack:"name"`
	// Members are the other users to add; the creator is added first.
	Members []string `msgpack:"members"`
	// Nonce, if set (1 to MaxNonceLen, 64, bytes; random for each group),
	// makes the creation idempotent: a join of the same creator with the
	// same nonce opens the group it created instead of creating another.
	// Clients that join their rooms again after a reconnect send the same
	// params, so without a nonce each rejoin of a creating join would
	// create a new group.
	Nonce string `msgpack:"nonce,omitempty"`
}

// MaxNonceLen bounds CreateGroup.Nonce, in bytes.
const MaxNonceLen = 64

// Snapshot is what a member gets when joining a conversation.
type Snapshot struct {
	// Kind is KindDM or KindGroup.
	Kind string `msgpack:"kind"`
	// With is the other user of a direct conversation.
	With string `msgpack:"with,omitempty"`
	// Group is a group's record: name, members and admins.
	Group *RoomInfo `msgpack:"group,omitempty"`
	// Messages are the newest Config.HistoryOnJoin log entries, in seq
	// order.
	Messages []Message `msgpack:"messages"`
	// Head is the room's head seq: the seq of the joined frame.
	Head uint64 `msgpack:"head"`
	// More reports whether older entries exist (page with OpHistory).
	More bool `msgpack:"more"`
	// Reads holds the members' read seqs.
	Reads map[string]uint64 `msgpack:"reads"`
	// Online lists the members who have the conversation open, the joiner
	// included.
	Online []string `msgpack:"online"`
	// Muted is the joiner's Settings.Muted.
	Muted bool `msgpack:"muted,omitempty"`
	// Hidden is the joiner's Settings.Hidden.
	Hidden bool `msgpack:"hidden,omitempty"`
}

// SendRequest is the payload of OpSend.
type SendRequest struct {
	// Text is UTF-8, non-empty after trimming, at most Config.MaxTextLen
	// bytes. It is stored trimmed.
	Text string `msgpack:"text"`
}

// EditRequest is the payload of OpEdit.
type EditRequest struct {
	// Seq is the seq of the message to edit.
	Seq uint64 `msgpack:"seq"`
	// Text is the new text, under the same rules as SendRequest.Text.
	Text string `msgpack:"text"`
}

// DeleteRequest is the payload of OpDelete.
type DeleteRequest struct {
	// Seq is the seq of the message to delete.
	Seq uint64 `msgpack:"seq"`
}

// HistoryRequest is the payload of OpHistory.
type HistoryRequest struct {
	// Before bounds the page: entries with a smaller seq. Zero: from the
	// head.
	Before uint64 `msgpack:"before"`
	// Limit is the most entries wanted. Zero, or more than
	// Config.PageLimit, means Config.PageLimit.
	Limit int `msgpack:"limit"`
}

// HistoryPage is the reply to OpHistory.
type HistoryPage struct {
	// Messages are the newest entries below Before, in seq order.
	Messages []Message `msgpack:"messages"`
	// More reports whether older entries exist.
	More bool `msgpack:"more"`
}

// ReadRequest is the payload of OpRead.
type ReadRequest struct {
	// Seq is the newest seq the user has seen; larger than the head means
	// the head. Receipts never move backwards.
	Seq uint64 `msgpack:"seq"`
}

// ReadReply is the reply to OpRead.
type ReadReply struct {
	// Seq is the user's read seq now.
	Seq uint64 `msgpack:"seq"`
}

// TypingRequest is the payload of OpTyping. An empty payload means "I am
// typing"; clients repeat it while the user types.
type TypingRequest struct {
	// Stop says the user stopped typing.
	Stop bool `msgpack:"stop,omitempty"`
}

// MembersRequest is the payload of OpAddMembers, OpRemoveMembers,
// OpPromote and OpDemote.
type MembersRequest struct {
	// Members are the users to add, remove, promote or demote.
	Members []string `msgpack:"members"`
}

// RenameRequest is the payload of OpRename.
type RenameRequest struct {
	// Name is the group's new name, under the rules of CreateGroup.Name.
	// It is stored trimmed.
	Name string `msgpack:"name"`
}

// MuteRequest is the payload of OpMute.
type MuteRequest struct {
	// Muted mutes the conversation; false unmutes it.
	Muted bool `msgpack:"muted"`
}

// HideRequest is the payload of OpHide.
type HideRequest struct {
	// Hidden hides the conversation; false shows it again.
	Hidden bool `msgpack:"hidden"`
}

// Info is the reply to OpInfo.
type Info struct {
	// Room is the conversation's record.
	Room RoomInfo `msgpack:"room"`
	// Online lists the members who have the conversation open.
	Online []string `msgpack:"online"`
}

// ReadEvent is the payload of EventRead.
type ReadEvent struct {
	// User is the member whose receipt moved.
	User string `msgpack:"user"`
	// Seq is the member's read seq now.
	Seq uint64 `msgpack:"seq"`
}

// TypingEvent is the payload of EventTyping.
type TypingEvent struct {
	// User is who is typing.
	User string `msgpack:"user"`
	// Typing is false when the user stopped or the indicator expired.
	Typing bool `msgpack:"typing"`
	// ExpiresIn is how long, in milliseconds, the indicator lasts unless
	// refreshed; 0 with Typing false.
	ExpiresIn int64 `msgpack:"expires_in,omitempty"`
}

// PresenceEvent is the payload of EventPresence.
type PresenceEvent struct {
	// User is the member who came or went.
	User string `msgpack:"user"`
	// Online is true when the member opened the conversation in a first
	// tab, false when they closed it in their last.
	Online bool `msgpack:"online"`
}

// InboxSnapshot is what a user gets when joining their inbox, and the
// reply to OpRefresh and OpPage.
type InboxSnapshot struct {
	// Conversations are the newest Config.InboxLimit conversations
	// (for OpPage, those after the request's cursor), newest first.
	Conversations []Conversation `msgpack:"conversations"`
	// More reports whether older conversations exist: page with OpPage.
	More bool `msgpack:"more"`
}
