-- Group creators, for counting a user's groups, and an inbox index in
-- byte order, for paging.

-- creator is the user who created a group (chat.RoomInfo.Creator); empty
-- for direct conversations and for groups whose creator is not known.
ALTER TABLE rooms ADD COLUMN creator text NOT NULL DEFAULT '';

-- Groups stored before this column existed get the author of their first
-- log entry, the members entry that created them, while the log still
-- holds it.
UPDATE rooms r SET creator = e.from_user
	FROM entries e
	WHERE r.kind = 'chat.group' AND e.room = r.id AND e.seq = 1 AND e.kind = 'members';

-- A user's groups, counted from the index alone.
CREATE INDEX rooms_creator ON rooms (creator) WHERE kind = 'chat.group' AND creator <> '';

-- Inbox pages continue after a (updated, room) cursor, and room ids must
-- compare as the chat module compares them: byte by byte, whatever the
-- database's collation. The index orders its room column in the "C"
-- collation, which queries name too.
DROP INDEX members_inbox;
CREATE INDEX members_inbox ON members (user_id, updated DESC, room COLLATE "C");
