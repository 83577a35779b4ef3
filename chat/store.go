package chat

import (
	"cmp"
	"context"
	"slices"
)

// Kinds of log entries. A room's log holds every ordered event of the
// room; an entry's kind is also the name of the event that broadcast it.
const (
	// KindMessage is a message: Text from From.
	KindMessage = "message"
	// KindEdit replaces the text of message Target with Text.
	KindEdit = "edit"
	// KindDelete deletes message Target.
	KindDelete = "delete"
	// KindMembers changes a group: Added and Removed members, the new
	// Admins when they changed, and Name when the group was created or
	// renamed.
	KindMembers = "members"
)

// Message is one entry of a room's log, as stored, broadcast and returned
// by history. Seq, ID and Time are assigned by the server.
type Message struct {
	// Room is the room id. It is not part of the encoded payload: events
	// and history already name their room.
	Room string `msgpack:"-"`
	// Seq is the entry's position in the room's log, from 1, without gaps.
	// It equals the seq of the event that broadcast the entry.
	Seq uint64 `msgpack:"seq"`
	// ID is a server-assigned id, unique across rooms.
	ID string `msgpack:"id"`
	// Kind is KindMessage, KindEdit, KindDelete, KindMembers or
	// KindGame.
	Kind string `msgpack:"kind"`
	// From is the authenticated author.
	From string `msgpack:"from"`
	// Time is when the server stored the entry, in Unix milliseconds.
	Time int64 `msgpack:"ts"`
	// Text is a message's text, or an edit's new text. A deleted message
	// has none.
	Text string `msgpack:"text,omitempty"`
	// ClientMsgID is the id the author's client gave the request, if any.
	ClientMsgID string `msgpack:"client_msg_id,omitempty"`
	// Target is the seq of the message an edit or delete applies to.
	Target uint64 `msgpack:"target,omitempty"`
	// Edited is when a message was last edited, in Unix milliseconds.
	Edited int64 `msgpack:"edited,omitempty"`
	// Deleted marks a deleted message.
	Deleted bool `msgpack:"deleted,omitempty"`
	// Added lists the users a members entry added.
	Added []string `msgpack:"added,omitempty"`
	// Removed lists the users a members entry removed.
	Removed []string `msgpack:"removed,omitempty"`
	// Admins is a group's admin list after a members entry that changed
	// it.
	Admins []string `msgpack:"admins,omitempty"`
	// Name is a group's name, in the members entry that created or
	// renamed it.
	Name string `msgpack:"name,omitempty"`
	// Game is the note of a KindGame entry.
	Game *GameNote `msgpack:"game,omitempty"`
}

// Clone returns a copy of m that shares no slices with it.
func (m Message) Clone() Message {
	m.Added = slices.Clone(m.Added)
	m.Removed = slices.Clone(m.Removed)
	m.Admins = slices.Clone(m.Admins)
	if m.Game != nil {
		g := *m.Game
		m.Game = &g
	}
	return m
}

// RoomInfo is the stored record of a conversation: who is in it.
type RoomInfo struct {
	// ID is the room id.
	ID string `msgpack:"id"`
	// Kind is KindDM or KindGroup.
	Kind string `msgpack:"kind"`
	// Name is a group's name; empty for direct conversations.
	Name string `msgpack:"name,omitempty"`
	// Members lists the members, in the order they joined.
	Members []string `msgpack:"members"`
	// Admins lists a group's admins.
	Admins []string `msgpack:"admins,omitempty"`
	// Created is when the conversation was created, in Unix milliseconds.
	Created int64 `msgpack:"created"`
	// Creator is the user who created a group, who stays its creator
	// after leaving it; empty for direct conversations. Stores count a
	// user's groups by it (Store.GroupsCreated).
	Creator string `msgpack:"creator,omitempty"`
}

// Clone returns a copy of r that shares no slices with it.
func (r RoomInfo) Clone() RoomInfo {
	r.Members = slices.Clone(r.Members)
	r.Admins = slices.Clone(r.Admins)
	return r
}

// HasMember reports whether user is a member.
func (r RoomInfo) HasMember(user string) bool { return slices.Contains(r.Members, user) }

// IsAdmin reports whether user is an admin.
func (r RoomInfo) IsAdmin(user string) bool { return slices.Contains(r.Admins, user) }

// Receipt is a user's read position in a room: they have read every entry
// up to and including Seq.
type Receipt struct {
	// User is the reader.
	User string `msgpack:"user"`
	// Seq is the newest entry the user has read.
	Seq uint64 `msgpack:"seq"`
}

// Write is one atomic change to a room: Store.Append applies all of it or
// none of it.
type Write struct {
	// Entry is the new log entry. Entry.Room names the room, and
	// Entry.Seq must be the log's head + 1.
	Entry Message
	// Room, if set, creates or replaces the room's record. Users in
	// Room.Members gain the room in their conversation lists; users only
	// in the previous record lose it.
	Room *RoomInfo
	// Update, if set, replaces the existing entry with seq Update.Seq in
	// the same room (the message an edit or delete applies to). If there
	// is no such entry, Append fails with ErrNotFound.
	Update *Message
	// Read, if set, moves Read.User's read seq forward to Read.Seq; it
	// never moves backwards.
	Read *Receipt
	// Encoded, if set, is Entry as codec.MarshalData encodes it: the
	// module encodes each entry once, for its broadcast, and a store may
	// keep these bytes rather than encode Entry again. A store must not
	// keep the slice itself past Append: copy it. Nil: stores encode
	// Entry themselves.
	Encoded []byte
}

// LogState is where a room's log stands.
type LogState struct {
	// Head is the seq of the newest entry; 0 if the log is empty.
	Head uint64
	// Last is the newest KindMessage entry in its current state (edited
	// or deleted), or nil if there is none.
	Last *Message
	// Updated is the Time of the newest KindMessage or KindMembers entry;
	// 0 if there is none. Edits and deletes do not move it.
	Updated int64
}

// Conversation is one entry of a user's inbox.
type Conversation struct {
	// Room is the conversation's room id.
	Room string `msgpack:"room"`
	// Kind is KindDM or KindGroup.
	Kind string `msgpack:"kind"`
	// With is the other user of a direct conversation.
	With string `msgpack:"with,omitempty"`
	// Name is a group's name.
	Name string `msgpack:"name,omitempty"`
	// Head is the seq of the room's newest entry.
	Head uint64 `msgpack:"head"`
	// Read is the user's read seq.
	Read uint64 `msgpack:"read"`
	// Unread counts the messages after Read that others wrote and that
	// are not deleted, up to the unread cap.
	Unread int `msgpack:"unread"`
	// Last is the newest message, or nil.
	Last *Message `msgpack:"last,omitempty"`
	// Updated orders the inbox: the LogState's Updated, or the room's
	// creation time if it has no messages, in Unix milliseconds.
	Updated int64 `msgpack:"updated"`
	// Removed is set in an inbox event when the user is no longer a
	// member: clients drop the conversation.
	Removed bool `msgpack:"removed,omitempty"`
	// Muted is the user's Settings.Muted: clients show no unread badge
	// for the conversation, leave it out of totals and make no sound.
	Muted bool `msgpack:"muted,omitempty"`
	// Hidden is set in an inbox event when the user hid the conversation
	// (Settings.Hidden): clients drop it from the list until it comes
	// back in a later event. Stores never list hidden conversations.
	Hidden bool `msgpack:"hidden,omitempty"`
}

// Settings are one user's own settings for one conversation. Only that
// user sees them; they are not part of the room's log.
type Settings struct {
	// Muted: the conversation makes no notification for the user
	// (Stored.Offline leaves them out) and inbox entries carry Muted, so
	// clients show no unread badge. It stays until the user unmutes.
	Muted bool `msgpack:"muted"`
	// Hidden: the conversation is not in the user's conversation list
	// until its next message or members entry, which clears Hidden.
	Hidden bool `msgpack:"hidden"`
}

// Store persists rooms, their logs, read receipts and each user's
// conversation list. Implementations must be safe for concurrent use by
// many rooms. The chat module is each room's only writer: it appends
// entries one at a time and in seq order, so a store needs no locking
// per room beyond what makes each call atomic. Every implementation must
// pass chat/storetest.Run.
type Store interface {
	// Append applies w atomically. If w.Entry.ClientMsgID is set and the
	// room already has an entry from w.Entry.From with that id, Append
	// changes nothing and returns the stored entry with duplicate true.
	// Otherwise it returns ErrSeqConflict unless w.Entry.Seq is the head
	// + 1, and on success returns the entry as stored.
	Append(ctx context.Context, w Write) (stored Message, duplicate bool, err error)
	// Lookup returns the entry that user from wrote with clientMsgID, or
	// ErrNotFound.
	Lookup(ctx context.Context, roomID, from, clientMsgID string) (Message, error)
	// Get returns the entry with seq, in its current state, or
	// ErrNotFound.
	Get(ctx context.Context, roomID string, seq uint64) (Message, error)
	// History returns up to limit entries with a seq below before (0: no
	// bound), the newest ones, in ascending seq order. A limit of zero or
	// less returns none.
	History(ctx context.Context, roomID string, before uint64, limit int) ([]Message, error)
	// Room returns the room's record, or ErrNotFound.
	Room(ctx context.Context, roomID string) (RoomInfo, error)
	// State returns where the room's log stands; an unknown room has the
	// zero LogState.
	State(ctx context.Context, roomID string) (LogState, error)
	// SetRead moves user's read seq forward to seq (never backwards) and
	// returns the resulting read seq.
	SetRead(ctx context.Context, roomID, user string, seq uint64) (uint64, error)
	// Reads returns every stored read seq of the room, by user.
	Reads(ctx context.Context, roomID string) (map[string]uint64, error)
	// Unread counts the entries after user's read seq for which
	// CountsAsUnread is true, stopping at max.
	Unread(ctx context.Context, roomID, user string, max int) (int, error)
	// Conversations returns user's conversations (the rooms whose record
	// lists them as a member, except those they hid: see SetSettings),
	// built with NewConversation, with Muted set from the user's
	// Settings, in SortConversations order, at most limit of them (zero
	// or less: all). Unread counts stop at maxUnread. It is
	// ConversationsBefore from the top of the inbox.
	Conversations(ctx context.Context, user string, limit, maxUnread int) ([]Conversation, error)
	// ConversationsBefore is Conversations for the conversations that
	// come after cursor in SortConversations order: older ones, for the
	// next page of an inbox. The zero InboxCursor is the top of the
	// inbox. Its cost grows with the page, not with the number of the
	// user's conversations: keep each user's conversations indexed by
	// Updated, and count unread entries for the page only.
	ConversationsBefore(ctx context.Context, user string, cursor InboxCursor, limit, maxUnread int) ([]Conversation, error)
	// Trim removes old entries from the logs of the rooms whose kind
	// (RoomInfo.Kind) has a rule in rules; rooms without a record are left
	// alone. It removes the longest run of a log's oldest entries that its
	// rule lets go (see TrimRule) and returns how many entries it removed
	// in all. Seqs do not move: the head stays, and History, Get and
	// Lookup no longer find the removed entries (nor their client message
	// ids). Once a log's newest message is removed, State's Last is nil;
	// Updated, receipts and the inbox stay.
	Trim(ctx context.Context, rules map[string]TrimRule) (removed int, err error)
	// Epoch identifies the stored data: it is the same for as long as the
	// stored logs are (across restarts on the same file or database) and
	// differs for a store that starts empty. Rooms use it as their epoch,
	// so clients resume across restarts without confusing the seqs of a
	// lost log with those of a new one. It is non-empty, at most 64 bytes.
	Epoch() string
	// Close releases the store. It is safe to call more than once; other
	// calls fail with ErrStoreClosed afterwards.
	Close() error
	// GroupsCreated counts the rooms whose record has kind KindGroup and
	// Creator user, whether or not user is still a member: the groups a
	// user created that the store holds. The count follows the records
	// Append writes (a record whose Creator changes moves to the new
	// creator's count).
	GroupsCreated(ctx context.Context, user string) (int, error)
	// SetSettings stores user's settings for the room, replacing any;
	// the zero Settings removes them. It needs no room record or log: a
	// user may set them for a conversation nobody has written to yet.
	// While Hidden is set, Conversations and ConversationsBefore leave
	// the room out of user's list; clearing it puts the room back in its
	// place, if user is a member. An Append that moves the room's Updated
	// (a message or members entry) clears Hidden for every user of the
	// room in the same transaction, and the room is back in their lists.
	// Settings stay when a user leaves a room and are found again if
	// they come back. Conversations fill Conversation.Muted from them.
	SetSettings(ctx context.Context, roomID, user string, s Settings) error
	// Settings returns the room's stored settings (none of them zero),
	// by user.
	Settings(ctx context.Context, roomID string) (map[string]Settings, error)
}

// InboxCursor is a position in a user's inbox: the Updated and Room of
// the last conversation of a page. The zero InboxCursor is the top.
type InboxCursor struct {
	// Updated is the conversation's Updated, in Unix milliseconds.
	Updated int64 `msgpack:"updated"`
	// Room is the conversation's room id.
	Room string `msgpack:"room"`
}

// CursorOf returns the cursor just after c: the next page starts with the
// conversation that follows it.
func CursorOf(c Conversation) InboxCursor { return InboxCursor{Updated: c.Updated, Room: c.Room} }

// IsZero reports whether cur is the top of the inbox.
func (cur InboxCursor) IsZero() bool { return cur.Updated == 0 && cur.Room == "" }

// Precedes reports whether a conversation with this Updated and room id
// comes before cur in SortConversations order, or is at cur: it is not on
// the page after cur. Nothing precedes the zero cursor.
func (cur InboxCursor) Precedes(updated int64, room string) bool {
	if cur.IsZero() {
		return false
	}
	if updated != cur.Updated {
		return updated > cur.Updated
	}
	return room <= cur.Room
}

// TrimRule says which of a room's oldest log entries Store.Trim removes:
// from the oldest on, every entry that is stored before Before or is not
// among the newest Keep, up to the first entry that is neither. Since a
// log's entries are stored in time order, that is every entry that is
// too old or too many.
type TrimRule struct {
	// Before is a time in Unix milliseconds: entries stored (Time) before
	// it go. Zero: no bound by age.
	Before int64
	// Keep is how many of the newest entries stay at most. Zero: no bound
	// by count.
	Keep uint64
}

// Trims reports whether the rule removes an entry with seq and time t from
// a log whose head is head.
func (tr TrimRule) Trims(seq uint64, t int64, head uint64) bool {
	if tr.Keep > 0 && head >= tr.Keep && seq <= head-tr.Keep {
		return true
	}
	return tr.Before != 0 && t < tr.Before
}

// CountsAsUnread reports whether entry m counts towards user's unread
// count: a message, not deleted, written by someone else.
func CountsAsUnread(m Message, user string) bool {
	return m.Kind == KindMessage && !m.Deleted && m.From != user
}

// NewConversation builds user's inbox entry for a room from its record,
// its log state, the user's read seq and unread count. Store
// implementations use it so every store reports the same thing.
func NewConversation(user string, info RoomInfo, st LogState, read uint64, unread int) Conversation {
	c := Conversation{
		Room:    info.ID,
		Kind:    info.Kind,
		Name:    info.Name,
		Head:    st.Head,
		Read:    read,
		Unread:  unread,
		Last:    st.Last,
		Updated: st.Updated,
	}
	if c.Updated == 0 {
		c.Updated = info.Created
	}
	if info.Kind == KindDM {
		for _, m := range info.Members {
			if m != user {
				c.With = m
			}
		}
	}
	return c
}

// SortConversations orders conversations newest first: by Updated,
// descending, then by room id.
func SortConversations(list []Conversation) {
	slices.SortFunc(list, func(a, b Conversation) int {
		if c := cmp.Compare(b.Updated, a.Updated); c != 0 {
			return c
		}
		return cmp.Compare(a.Room, b.Room)
	})
}
