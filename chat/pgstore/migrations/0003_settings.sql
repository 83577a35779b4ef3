-- Users' own settings per conversation (chat.Settings), and hidden
-- conversations kept out of the inbox index.

-- settings holds each user's settings for a room, whether or not the room
-- has a record or the user is still a member. Zero settings have no row.
CREATE TABLE settings (
	room    text    NOT NULL,
	user_id text    NOT NULL,
	muted   boolean NOT NULL DEFAULT false,
	hidden  boolean NOT NULL DEFAULT false,
	PRIMARY KEY (room, user_id),
	CHECK (muted OR hidden)
);

-- hidden copies settings.hidden into a member's row, so that the inbox
-- index leaves hidden conversations out: a user who hid many of them
-- reads none of them when listing the others.
ALTER TABLE members ADD COLUMN hidden boolean NOT NULL DEFAULT false;
DROP INDEX members_inbox;
CREATE INDEX members_inbox ON members (user_id, updated DESC, room COLLATE "C") WHERE NOT hidden;
