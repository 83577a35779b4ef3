// Package chat is Parlor's chat module: direct messages, group rooms,
// durable history, read receipts, typing indicators, presence and a live
// per-user inbox, as three room modules on the room engine.
//
//   - "chat.dm" (KindDM): a direct conversation between two users. The client
//     joins with {with: otherUser}; the room id is the keyed hash of the two
//     users, and Config.CanMessage decides who may talk to whom.
//   - "chat.group" (KindGroup): a group conversation, created with
//     {create: {name, members}} (the creator is its admin) and opened with
//     {id}. Admins add, remove, promote and demote members and rename the
//     group; a group always keeps an admin.
//   - "chat.inbox" (KindInbox): one room per user whose snapshot lists the
//     user's conversations, newest first, with the last message and the
//     unread count, and which receives an "inbox" event whenever one of them
//     changes. A user may mute a conversation or hide it from their inbox
//     until its next message (Settings).
//
// A direct conversation may also hold game notes (KindGame) that the host
// writes with Chat.AddGameNote: a challenge between its two users, its
// outcome and the game's result. With Config.Notifier, users hear of
// conversations new to them on their user channel.
//
// Every message is written to a Store before it is broadcast and before the
// sender's ack: an acked message is durable. The room's seq continues the
// stored log across restarts, so history paged by seq lines up with live
// events. MemoryStore (this package) is for tests; package
// chat/boltstore is the embedded, durable default; a host may implement
// Store on its own database and check it with chat/storetest.
//
// A host wires it in three lines:
//
//	st, err := boltstore.Open("chat.db", boltstore.Options{})
//	c := chat.New(chat.Config{Store: st, CanMessage: policy})
//	err = c.Register(eng) // eng is the *engine.Engine
//
// docs/chat.md describes every event and payload.
package chat
