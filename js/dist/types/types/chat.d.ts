/** The chat modules' kinds. */
export declare const ChatKinds: {
    readonly DM: "chat.dm";
    readonly Group: "chat.group";
    readonly Inbox: "chat.inbox";
};
/** DMParams are the join parameters of KindDM. */
export interface DMParams {
    /** With is the other user. */
    with: string;
}
/**
 * GroupParams are the join parameters of KindGroup: either ID, to open an
 * existing group, or Create.
 */
export interface GroupParams {
    /** ID is the group's id (its room id). */
    id?: string;
    /** Create creates a new group, with the joining user as its admin. */
    create?: CreateGroup;
}
/** CreateGroup describes a new group. */
export interface CreateGroup {
    /** Name is the group's name, 1 to Config.MaxGroupName bytes. */
    name: string;
    /** Members are the other users to add; the creator is added first. */
    members: string[] | null;
    /**
     * Nonce, if set (1 to MaxNonceLen, 64, bytes; random for each group),
     * makes the creation idempotent: a join of the same creator with the
     * same nonce opens the group it created instead of creating another.
     * Clients that join their rooms again after a reconnect send the same
     * params, so without a nonce each rejoin of a creating join would
     * create a new group.
     */
    nonce?: string;
}
/** Snapshot is what a member gets when joining a conversation. */
export interface ChatSnapshot {
    /** Kind is KindDM or KindGroup. */
    kind: string;
    /** With is the other user of a direct conversation. */
    with?: string;
    /** Group is a group's record: name, members and admins. */
    group?: ChatRoomInfo;
    /**
     * Messages are the newest Config.HistoryOnJoin log entries, in seq
     * order.
     */
    messages: ChatMessage[] | null;
    /** Head is the room's head seq: the seq of the joined frame. */
    head: number;
    /** More reports whether older entries exist (page with OpHistory). */
    more: boolean;
    /** Reads holds the members' read seqs. */
    reads: Record<string, number> | null;
    /**
     * Online lists the members who have the conversation open, the joiner
     * included.
     */
    online: string[] | null;
    /** Muted is the joiner's Settings.Muted. */
    muted?: boolean;
    /** Hidden is the joiner's Settings.Hidden. */
    hidden?: boolean;
}
/**
 * Message is one entry of a room's log, as stored, broadcast and returned
 * by history. Seq, ID and Time are assigned by the server.
 */
export interface ChatMessage {
    /**
     * Seq is the entry's position in the room's log, from 1, without gaps.
     * It equals the seq of the event that broadcast the entry.
     */
    seq: number;
    /** ID is a server-assigned id, unique across rooms. */
    id: string;
    /**
     * Kind is KindMessage, KindEdit, KindDelete, KindMembers or
     * KindGame.
     */
    kind: string;
    /** From is the authenticated author. */
    from: string;
    /** Time is when the server stored the entry, in Unix milliseconds. */
    ts: number;
    /**
     * Text is a message's text, or an edit's new text. A deleted message
     * has none.
     */
    text?: string;
    /** ClientMsgID is the id the author's client gave the request, if any. */
    client_msg_id?: string;
    /** Target is the seq of the message an edit or delete applies to. */
    target?: number;
    /** Edited is when a message was last edited, in Unix milliseconds. */
    edited?: number;
    /** Deleted marks a deleted message. */
    deleted?: boolean;
    /** Added lists the users a members entry added. */
    added?: string[];
    /** Removed lists the users a members entry removed. */
    removed?: string[];
    /**
     * Admins is a group's admin list after a members entry that changed
     * it.
     */
    admins?: string[];
    /**
     * Name is a group's name, in the members entry that created or
     * renamed it.
     */
    name?: string;
    /** Game is the note of a KindGame entry. */
    game?: ChatGameNote;
}
/**
 * GameNote is the body of a KindGame entry. Every field is checked by
 * AddGameNote: words are 1 to MaxGameWordLen bytes of [a-z A-Z 0-9 _ -],
 * users are the conversation's two users.
 */
export interface ChatGameNote {
    /**
     * Ref is the match's id (its room id); the notes of one challenge
     * share it. 1 to MaxGameRefLen bytes of [a-z A-Z 0-9 _ -].
     */
    ref: string;
    /** Game is the game's name, such as "chess". */
    game: string;
    /**
     * State is GameOffered, GameAccepted, GameDeclined, GameCancelled,
     * GameExpired or GameFinished.
     */
    state: string;
    /** From is the challenger. */
    from: string;
    /**
     * Nonce is the challenge's nonce, with which the other user accepts
     * or declines it. Optional.
     */
    nonce?: string;
    /** BaseMS and IncrementMS are the time control; zero if untimed. */
    base_ms?: number;
    /** IncrementMS is the time control's increment in milliseconds. */
    increment_ms?: number;
    /** By is the user who declined or cancelled. Optional. */
    by?: string;
    /** Winner is the user who won a finished game; empty for a draw. */
    winner?: string;
    /** Reason is how a finished game ended ("checkmate"). Optional. */
    reason?: string;
    /** Ply is the number of moves of a finished game. */
    ply?: number;
}
/** ConversationNotice is the payload of EventNewConversation. */
export interface ConversationNotice {
    /** Room is the conversation's room id. */
    room: string;
    /** Kind is KindDM or KindGroup. */
    kind: string;
    /** From is who wrote first, or added the user to the group. */
    from: string;
    /** Name is a group's name. */
    name?: string;
}
/** RoomInfo is the stored record of a conversation: who is in it. */
export interface ChatRoomInfo {
    /** ID is the room id. */
    id: string;
    /** Kind is KindDM or KindGroup. */
    kind: string;
    /** Name is a group's name; empty for direct conversations. */
    name?: string;
    /** Members lists the members, in the order they joined. */
    members: string[] | null;
    /** Admins lists a group's admins. */
    admins?: string[];
    /** Created is when the conversation was created, in Unix milliseconds. */
    created: number;
    /**
     * Creator is the user who created a group, who stays its creator
     * after leaving it; empty for direct conversations. Stores count a
     * user's groups by it (Store.GroupsCreated).
     */
    creator?: string;
}
/** SendRequest is the payload of OpSend. */
export interface ChatSendRequest {
    /**
     * Text is UTF-8, non-empty after trimming, at most Config.MaxTextLen
     * bytes. It is stored trimmed.
     */
    text: string;
}
/** EditRequest is the payload of OpEdit. */
export interface ChatEditRequest {
    /** Seq is the seq of the message to edit. */
    seq: number;
    /** Text is the new text, under the same rules as SendRequest.Text. */
    text: string;
}
/** DeleteRequest is the payload of OpDelete. */
export interface ChatDeleteRequest {
    /** Seq is the seq of the message to delete. */
    seq: number;
}
/** HistoryRequest is the payload of OpHistory. */
export interface ChatHistoryRequest {
    /**
     * Before bounds the page: entries with a smaller seq. Zero: from the
     * head.
     */
    before: number;
    /**
     * Limit is the most entries wanted. Zero, or more than
     * Config.PageLimit, means Config.PageLimit.
     */
    limit: number;
}
/** HistoryPage is the reply to OpHistory. */
export interface ChatHistoryPage {
    /** Messages are the newest entries below Before, in seq order. */
    messages: ChatMessage[] | null;
    /** More reports whether older entries exist. */
    more: boolean;
}
/** ReadRequest is the payload of OpRead. */
export interface ChatReadRequest {
    /**
     * Seq is the newest seq the user has seen; larger than the head means
     * the head. Receipts never move backwards.
     */
    seq: number;
}
/** ReadReply is the reply to OpRead. */
export interface ChatReadReply {
    /** Seq is the user's read seq now. */
    seq: number;
}
/**
 * TypingRequest is the payload of OpTyping. An empty payload means "I am
 * typing"; clients repeat it while the user types.
 */
export interface ChatTypingRequest {
    /** Stop says the user stopped typing. */
    stop?: boolean;
}
/**
 * MembersRequest is the payload of OpAddMembers, OpRemoveMembers,
 * OpPromote and OpDemote.
 */
export interface ChatMembersRequest {
    /** Members are the users to add, remove, promote or demote. */
    members: string[] | null;
}
/** Info is the reply to OpInfo. */
export interface ChatInfo {
    /** Room is the conversation's record. */
    room: ChatRoomInfo;
    /** Online lists the members who have the conversation open. */
    online: string[] | null;
}
/** ReadEvent is the payload of EventRead. */
export interface ChatReadEvent {
    /** User is the member whose receipt moved. */
    user: string;
    /** Seq is the member's read seq now. */
    seq: number;
}
/** TypingEvent is the payload of EventTyping. */
export interface ChatTypingEvent {
    /** User is who is typing. */
    user: string;
    /** Typing is false when the user stopped or the indicator expired. */
    typing: boolean;
    /**
     * ExpiresIn is how long, in milliseconds, the indicator lasts unless
     * refreshed; 0 with Typing false.
     */
    expires_in?: number;
}
/** PresenceEvent is the payload of EventPresence. */
export interface ChatPresenceEvent {
    /** User is the member who came or went. */
    user: string;
    /**
     * Online is true when the member opened the conversation in a first
     * tab, false when they closed it in their last.
     */
    online: boolean;
}
/**
 * InboxSnapshot is what a user gets when joining their inbox, and the
 * reply to OpRefresh and OpPage.
 */
export interface InboxSnapshot {
    /**
     * Conversations are the newest Config.InboxLimit conversations
     * (for OpPage, those after the request's cursor), newest first.
     */
    conversations: Conversation[] | null;
    /** More reports whether older conversations exist: page with OpPage. */
    more: boolean;
}
/** Conversation is one entry of a user's inbox. */
export interface Conversation {
    /** Room is the conversation's room id. */
    room: string;
    /** Kind is KindDM or KindGroup. */
    kind: string;
    /** With is the other user of a direct conversation. */
    with?: string;
    /** Name is a group's name. */
    name?: string;
    /** Head is the seq of the room's newest entry. */
    head: number;
    /** Read is the user's read seq. */
    read: number;
    /**
     * Unread counts the messages after Read that others wrote and that
     * are not deleted, up to the unread cap.
     */
    unread: number;
    /** Last is the newest message, or nil. */
    last?: ChatMessage;
    /**
     * Updated orders the inbox: the LogState's Updated, or the room's
     * creation time if it has no messages, in Unix milliseconds.
     */
    updated: number;
    /**
     * Removed is set in an inbox event when the user is no longer a
     * member: clients drop the conversation.
     */
    removed?: boolean;
    /**
     * Muted is the user's Settings.Muted: clients show no unread badge
     * for the conversation, leave it out of totals and make no sound.
     */
    muted?: boolean;
    /**
     * Hidden is set in an inbox event when the user hid the conversation
     * (Settings.Hidden): clients drop it from the list until it comes
     * back in a later event. Stores never list hidden conversations.
     */
    hidden?: boolean;
}
/** InboxPageRequest is the payload of OpPage. */
export interface InboxPageRequest {
    /**
     * Before is where the page starts: the updated and room of the last
     * conversation the client holds (see CursorOf). The page holds the
     * conversations after it in inbox order, which are older. Zero: from
     * the top, as OpRefresh.
     */
    before: InboxCursor;
    /**
     * Limit is the most conversations wanted. Zero, or more than
     * Config.InboxLimit, means Config.InboxLimit.
     */
    limit: number;
}
/**
 * InboxCursor is a position in a user's inbox: the Updated and Room of
 * the last conversation of a page. The zero InboxCursor is the top.
 */
export interface InboxCursor {
    /** Updated is the conversation's Updated, in Unix milliseconds. */
    updated: number;
    /** Room is the conversation's room id. */
    room: string;
}
/** The events of a conversation room (chat.dm and chat.group), by name. */
export interface ChatEvents {
    /** A new message (ordered). */
    message: ChatMessage;
    /** An edit of message target (ordered). */
    edit: ChatMessage;
    /** A deletion of message target (ordered). */
    delete: ChatMessage;
    /** A change of a group's members (ordered). */
    members: ChatMessage;
    /** A note the server wrote about a game between the two users of a DM (ordered). */
    game: ChatMessage;
    /** A member's read receipt moved. */
    read: ChatReadEvent;
    /** A member's typing indicator. */
    typing: ChatTypingEvent;
    /** A member opened or closed the conversation. */
    presence: ChatPresenceEvent;
}
/** What a conversation room accepts: each event's request and reply. */
export interface ChatSends {
    /** Send a message. */
    send: {
        request: ChatSendRequest;
        reply: ChatMessage;
    };
    /** Edit one of your messages. */
    edit: {
        request: ChatEditRequest;
        reply: ChatMessage;
    };
    /** Delete one of your messages. */
    delete: {
        request: ChatDeleteRequest;
        reply: ChatMessage;
    };
    /** Page backwards through the log. */
    history: {
        request: ChatHistoryRequest;
        reply: ChatHistoryPage;
    };
    /** Move your read receipt. */
    read: {
        request: ChatReadRequest;
        reply: ChatReadReply;
    };
    /** Start or stop your typing indicator. */
    typing: {
        request: ChatTypingRequest | undefined;
        reply: null;
    };
    /** The conversation's members. */
    info: {
        request: undefined;
        reply: ChatInfo;
    };
    /** Add users to a group (admins only). */
    add_members: {
        request: ChatMembersRequest;
        reply: ChatMessage;
    };
    /** Remove users from a group (admins only). */
    remove_members: {
        request: ChatMembersRequest;
        reply: ChatMessage;
    };
    /** Leave a group. */
    leave_group: {
        request: undefined;
        reply: ChatMessage;
    };
}
/** What the chat modules send on the user channel (Config.Notifier), by event name. */
export interface ChatNotices {
    /** A conversation new to you. */
    "chat.conversation": ConversationNotice;
}
/** The events of a user's inbox room (chat.inbox), by name. */
export interface InboxEvents {
    /** A conversation changed (ordered). */
    inbox: Conversation;
}
/** What an inbox room accepts: each event's request and reply. */
export interface InboxSends {
    /** The newest conversations again. */
    refresh: {
        request: undefined;
        reply: InboxSnapshot;
    };
    /** A page of older conversations. */
    page: {
        request: InboxPageRequest;
        reply: InboxSnapshot;
    };
}
