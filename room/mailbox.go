package room

// MailboxLen returns how many operations (sends, joins, leaves, Do calls)
// wait in the room's mailbox, out of Config.MailboxSize. It is safe from
// any goroutine; the answer may be stale at once. Metrics use it to show
// rooms falling behind before their sends are refused with ErrBusy.
func (r *Room) MailboxLen() int { return len(r.mailbox) }
