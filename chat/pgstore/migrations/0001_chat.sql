-- The chat store's tables. Every statement runs in the store's schema
-- (search_path), in one transaction with the version row.

-- store holds the store's own settings: the epoch.
CREATE TABLE store (
	key   text PRIMARY KEY,
	value text NOT NULL
);

-- logs is where each room's log stands: one row per room that has
-- entries. Appends lock it (the head check), so they are serialized per
-- room and never per table.
CREATE TABLE logs (
	room     text PRIMARY KEY,
	head     bigint NOT NULL,            -- seq of the newest entry
	last_msg bigint NOT NULL DEFAULT 0,  -- seq of the newest message entry, 0: none
	updated  bigint NOT NULL DEFAULT 0   -- time of the newest message or members entry
);

-- entries is every room's log: one row per entry, in seq order per room.
CREATE TABLE entries (
	room          text    NOT NULL,
	seq           bigint  NOT NULL,
	id            text    NOT NULL,
	kind          text    NOT NULL,
	from_user     text    NOT NULL,
	time          bigint  NOT NULL,
	text          text    NOT NULL DEFAULT '',
	client_msg_id text    NOT NULL DEFAULT '',
	target        bigint  NOT NULL DEFAULT 0,
	edited        bigint  NOT NULL DEFAULT 0,
	deleted       boolean NOT NULL DEFAULT false,
	added         text[],
	removed       text[],
	admins        text[],
	name          text    NOT NULL DEFAULT '',
	-- write_id is a random id of the Append call that stored the entry: a
	-- call retried after a lost connection recognises its own entry by it.
	write_id      bigint  NOT NULL DEFAULT 0,
	PRIMARY KEY (room, seq)
);

-- A client message id names one entry per author and room: a resend finds
-- it, and two writers racing with one id cannot both store it.
CREATE UNIQUE INDEX entries_client_msg_id ON entries (room, from_user, client_msg_id)
	WHERE client_msg_id <> '';

-- rooms is each conversation's record: who is in it.
CREATE TABLE rooms (
	id      text PRIMARY KEY,
	kind    text   NOT NULL,
	name    text   NOT NULL DEFAULT '',
	members text[] NOT NULL,
	admins  text[],
	created bigint NOT NULL
);

-- members is each user's conversation list. updated is the room's inbox
-- order key (the log's updated time, or the room's creation time), kept
-- here so that an inbox is one index range read in order.
CREATE TABLE members (
	user_id text   NOT NULL,
	room    text   NOT NULL,
	updated bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (user_id, room)
);
CREATE INDEX members_inbox ON members (user_id, updated DESC, room);
CREATE INDEX members_room ON members (room);

-- reads is each user's read seq per room.
CREATE TABLE reads (
	room    text   NOT NULL,
	user_id text   NOT NULL,
	seq     bigint NOT NULL,
	PRIMARY KEY (room, user_id)
);
