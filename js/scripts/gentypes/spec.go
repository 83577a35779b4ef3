package main

import (
	"fmt"
	"reflect"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/chess"
	"github.com/parlorhq/parlor/games/tictactoe"
)

// files lists what is generated. Event names and kinds come from the Go
// constants, payload types from the Go structs.
func files() []file {
	return []file{chatFile(), gamesFile(), userFile()}
}

func d[T any](ts string) decl { return decl{ts: ts, t: reflect.TypeFor[T]()} }

func q(s string) string { return fmt.Sprintf("%q", s) }

func chatFile() file {
	msg := "ChatMessage"
	return file{
		name:   "chat.ts",
		header: "// The payloads of the chat modules (package chat): join params, snapshots,\n// events and the requests and replies of sends.\n",
		consts: []member{
			{name: "ChatKinds", doc: "The chat modules' kinds.", ts: fmt.Sprintf("{ DM: %s, Group: %s, Inbox: %s } as const", q(chat.KindDM), q(chat.KindGroup), q(chat.KindInbox))},
		},
		decls: []decl{
			d[chat.DMParams]("DMParams"),
			d[chat.GroupParams]("GroupParams"),
			d[chat.CreateGroup]("CreateGroup"),
			d[chat.Snapshot]("ChatSnapshot"),
			d[chat.Message](msg),
			d[chat.GameNote]("ChatGameNote"),
			d[chat.ConversationNotice]("ConversationNotice"),
			d[chat.RoomInfo]("ChatRoomInfo"),
			d[chat.SendRequest]("ChatSendRequest"),
			d[chat.EditRequest]("ChatEditRequest"),
			d[chat.DeleteRequest]("ChatDeleteRequest"),
			d[chat.HistoryRequest]("ChatHistoryRequest"),
			d[chat.HistoryPage]("ChatHistoryPage"),
			d[chat.ReadRequest]("ChatReadRequest"),
			d[chat.ReadReply]("ChatReadReply"),
			d[chat.TypingRequest]("ChatTypingRequest"),
			d[chat.MembersRequest]("ChatMembersRequest"),
			d[chat.Info]("ChatInfo"),
			d[chat.ReadEvent]("ChatReadEvent"),
			d[chat.TypingEvent]("ChatTypingEvent"),
			d[chat.PresenceEvent]("ChatPresenceEvent"),
			d[chat.InboxSnapshot]("InboxSnapshot"),
			d[chat.Conversation]("Conversation"),
			d[chat.InboxPageRequest]("InboxPageRequest"),
			d[chat.InboxCursor]("InboxCursor"),
		},
		maps: []tsMap{
			{name: "ChatEvents", doc: "The events of a conversation room (chat.dm and chat.group), by name.", members: []member{
				{chat.KindMessage, "A new message (ordered).", msg},
				{chat.KindEdit, "An edit of message target (ordered).", msg},
				{chat.KindDelete, "A deletion of message target (ordered).", msg},
				{chat.KindMembers, "A change of a group's members (ordered).", msg},
				{chat.KindGame, "A note the server wrote about a game between the two users of a DM (ordered).", msg},
				{chat.EventRead, "A member's read receipt moved.", "ChatReadEvent"},
				{chat.EventTyping, "A member's typing indicator.", "ChatTypingEvent"},
				{chat.EventPresence, "A member opened or closed the conversation.", "ChatPresenceEvent"},
			}},
			{name: "ChatSends", doc: "What a conversation room accepts: each event's request and reply.", members: []member{
				{chat.OpSend, "Send a message.", reqReply("ChatSendRequest", msg)},
				{chat.OpEdit, "Edit one of your messages.", reqReply("ChatEditRequest", msg)},
				{chat.OpDelete, "Delete one of your messages.", reqReply("ChatDeleteRequest", msg)},
				{chat.OpHistory, "Page backwards through the log.", reqReply("ChatHistoryRequest", "ChatHistoryPage")},
				{chat.OpRead, "Move your read receipt.", reqReply("ChatReadRequest", "ChatReadReply")},
				{chat.OpTyping, "Start or stop your typing indicator.", reqReply("ChatTypingRequest | undefined", "null")},
				{chat.OpInfo, "The conversation's members.", reqReply("undefined", "ChatInfo")},
				{chat.OpAddMembers, "Add users to a group (admins only).", reqReply("ChatMembersRequest", msg)},
				{chat.OpRemoveMembers, "Remove users from a group (admins only).", reqReply("ChatMembersRequest", msg)},
				{chat.OpLeaveGroup, "Leave a group.", reqReply("undefined", msg)},
			}},
			{name: "ChatNotices", doc: "What the chat modules send on the user channel (Config.Notifier), by event name.", members: []member{
				{chat.EventNewConversation, "A conversation new to you.", "ConversationNotice"},
			}},
			{name: "InboxEvents", doc: "The events of a user's inbox room (chat.inbox), by name.", members: []member{
				{chat.EventInbox, "A conversation changed (ordered).", "Conversation"},
			}},
			{name: "InboxSends", doc: "What an inbox room accepts: each event's request and reply.", members: []member{
				{chat.OpRefresh, "The newest conversations again.", reqReply("undefined", "InboxSnapshot")},
				{chat.OpPage, "A page of older conversations.", reqReply("InboxPageRequest", "InboxSnapshot")},
			}},
		},
	}
}

func gamesFile() file {
	view := map[string]string{"View": "V"}
	move := map[string]string{"Move": "M"}
	return file{
		name:   "games.ts",
		header: "// The payloads of the game modules (package games, games/tictactoe and\n// games/chess): join params, snapshots, events and the requests and replies\n// of sends. V is a game's view and M its move.\n",
		consts: []member{
			{name: "GameKinds", doc: "The kinds of the built-in games' modules.", ts: fmt.Sprintf("{ TicTacToe: %s, Chess: %s } as const",
				q(games.KindPrefix+tictactoe.Game{}.Name()), q(games.KindPrefix+chess.Game{}.Name()))},
			{name: "MatchStatus", doc: "Match statuses in MatchSnapshot.status.", ts: fmt.Sprintf("{ Waiting: %s, Playing: %s, Over: %s } as const",
				q(games.StatusWaiting), q(games.StatusPlaying), q(games.StatusOver))},
			{name: "GameCodes", doc: "Error codes of the game modules, beyond the protocol's.", ts: fmt.Sprintf("{ NotYourTurn: %s, IllegalMove: %s, GameOver: %s, NotPlayer: %s } as const",
				q(string(games.CodeNotYourTurn)), q(string(games.CodeIllegalMove)), q(string(games.CodeGameOver)), q(string(games.CodeNotPlayer)))},
		},
		decls: []decl{
			d[games.JoinParams]("MatchParams"),
			{ts: "MatchSnapshot", t: reflect.TypeFor[games.Snapshot](), raw: view},
			d[games.QueueSnapshot]("QueueSnapshot"),
			d[games.Result]("MatchResult"),
			d[games.Started]("Started"),
			{ts: "Moved", t: reflect.TypeFor[games.Moved](), raw: move},
			{ts: "StateUpdate", t: reflect.TypeFor[games.StateUpdate](), raw: view},
			d[games.GameOver]("GameOver"),
			d[games.SeatEvent]("SeatEvent"),
			d[games.Presence]("SeatPresence"),
			d[games.Rematch]("Rematch"),
			d[games.Matched]("Matched"),
			d[games.MoveReply]("MoveReply"),
			d[games.LogRequest]("LogRequest"),
			{ts: "LogReply", t: reflect.TypeFor[games.LogReply](), raw: nil},
			{ts: "LoggedMove", t: reflect.TypeFor[games.LoggedMove](), raw: move},
			d[tictactoe.Move]("TicTacToeMove"),
			d[tictactoe.View]("TicTacToeView"),
			d[chess.Move]("ChessMove"),
			d[chess.View]("ChessView"),
			d[chess.Played]("ChessPlayed"),
			d[games.ChallengeNotice]("ChallengeNotice"),
			d[games.YourTurn]("YourTurn"),
		},
		maps: []tsMap{
			{name: "MatchEvents", params: "<V = unknown, M = unknown>", doc: "The events of a match room, by name.", members: []member{
				{games.EventStarted, "Every seat has joined and the clocks run.", "Started"},
				{games.EventMoved, "A move was applied.", "Moved<M>"},
				{games.EventState, "The position after a move, as this member may see it.", "StateUpdate<V>"},
				{games.EventGameOver, "The match ended.", "GameOver"},
				{games.EventDrawOffered, "A seat offered a draw.", "SeatEvent"},
				{games.EventDrawDeclined, "A seat declined the pending draw offer.", "SeatEvent"},
				{games.EventPlayerLeft, "A player's last connection left; the seat is held for grace_ms.", "SeatPresence"},
				{games.EventPlayerBack, "A player came back within the grace period.", "SeatPresence"},
				{games.EventRematchOffered, "A seat asked for a rematch.", "SeatEvent"},
				{games.EventRematchReady, "Every seat asked for a rematch: the join params of the new match.", "Rematch"},
				{games.EventMatched, "The quick-match queue paired this player: the join params of the match (seq 0).", "Matched"},
			}},
			{name: "MatchSends", params: "<M = unknown>", doc: "What a match room accepts: each event's request and reply.", members: []member{
				{games.EventMove, "Play a move; ply, if given, must equal the moves played so far.", reqReply("M & { ply?: number }", "MoveReply")},
				{games.EventResign, "Resign the match.", reqReply("undefined", "null")},
				{games.EventOfferDraw, "Offer a draw, or accept the opponent's offer.", reqReply("undefined", "null")},
				{games.EventAcceptDraw, "Accept the pending draw offer.", reqReply("undefined", "null")},
				{games.EventDeclineDraw, "Decline the pending draw offer.", reqReply("undefined", "null")},
				{games.EventRematch, "Ask for a rematch once the match is over.", reqReply("undefined", "Rematch | null")},
				{games.EventLog, "The move log from ply from on.", reqReply("LogRequest", "LogReply<M>")},
				{games.EventCancel, "Withdraw your challenge while the match waits for players.", reqReply("undefined", "null")},
			}},
			{name: "GameNotices", doc: "What the game modules send on the user channel (Config.Notifier), by event name.", members: []member{
				{games.EventChallenge, "A challenge changed state.", "ChallengeNotice"},
				{games.EventYourTurn, "Your turn in a match you have no connection in.", "YourTurn"},
			}},
		},
	}
}

func reqReply(req, reply string) string {
	return "{ request: " + req + "; reply: " + reply + " }"
}

func userFile() file {
	return file{
		name:   "user.ts",
		header: "// The payloads of the user channel (package engine): presence statuses and\n// the requests and replies of watches.\n",
		consts: []member{
			{name: "UserKind", doc: "The kind of the user channel, joined without params.", ts: q(engine.UserKind)},
			{name: "PresenceStates", doc: "The statuses a watched user can have.", ts: fmt.Sprintf("{ Online: %s, Away: %s, Offline: %s } as const",
				q(string(engine.StatusOnline)), q(string(engine.StatusAway)), q(string(engine.StatusOffline)))},
		},
		decls: []decl{
			{ts: "PresenceState", t: reflect.TypeFor[engine.Status](), alias: fmt.Sprintf("%s | %s | %s",
				q(string(engine.StatusOnline)), q(string(engine.StatusAway)), q(string(engine.StatusOffline)))},
			d[engine.Presence]("PresenceTuple"),
			d[engine.PresenceUsers]("PresenceUsers"),
			d[engine.PresenceStatuses]("PresenceStatuses"),
			d[engine.PresenceHide]("PresenceHide"),
		},
		maps: []tsMap{
			{name: "UserEvents", doc: "The events of the user channel the server defines; notifications come under their senders' names.", members: []member{
				{engine.EventPresence, "A watched user's status changed (seq 0, never replayed).", "PresenceTuple"},
			}},
			{name: "UserSends", doc: "What the user channel accepts: each event's request and reply.", members: []member{
				{engine.EventPresenceWatch, "Watch users; the reply holds their statuses, in the order asked.", reqReply("PresenceUsers", "PresenceStatuses")},
				{engine.EventPresenceUnwatch, "Stop watching users.", reqReply("PresenceUsers", "null")},
				{engine.EventPresenceHide, "Hide your status from every watcher, or show it again.", reqReply("PresenceHide", "null")},
			}},
		},
	}
}
