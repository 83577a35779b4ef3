-- The games store's tables. Every statement runs in the store's schema
-- (search_path), in one transaction with the version row.

-- matches is each match's record, and where its log stands. Appends move
-- head under the row's lock, so they are serialized per match and never
-- per table.
CREATE TABLE matches (
	id           text   PRIMARY KEY,
	kind         text   NOT NULL,
	players      text[] NOT NULL,
	creator      text   NOT NULL,
	epoch        text   NOT NULL,
	start        text   NOT NULL,
	tc_base      bigint NOT NULL,            -- nanoseconds
	tc_increment bigint NOT NULL,            -- nanoseconds
	created      bigint NOT NULL,            -- Unix milliseconds
	head         bigint NOT NULL DEFAULT 0,  -- seq of the newest entry, 0: none
	-- write_id is a random id of the Create call that stored the record,
	-- as for entries below.
	write_id     bigint NOT NULL DEFAULT 0
);

-- entries is every match's log: one row per ordered event, seqs 1..head
-- per match without gaps. data and move are msgpack as the module gave
-- them. client_msg_id is bytes, not text: it is the mover's own string,
-- and whatever it holds must not keep a move from being stored.
CREATE TABLE entries (
	match         text   NOT NULL,
	seq           bigint NOT NULL,
	event         text   NOT NULL,
	data          bytea  NOT NULL,
	at            bigint NOT NULL,           -- Unix milliseconds
	move          bytea,
	client_msg_id bytea,
	-- write_id is a random id of the Append call that stored the entry: a
	-- call retried after a lost connection recognises its own entry by it.
	write_id      bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (match, seq)
);

-- finished is each finished match, as games.FinishedGame. moves is the
-- move log, msgpack-encoded ([]games.LoggedMove).
CREATE TABLE finished (
	room         text   PRIMARY KEY,
	kind         text   NOT NULL,
	players      text[] NOT NULL,
	moves        bytea  NOT NULL,
	winner       bigint NOT NULL,
	reason       text   NOT NULL,
	tc_base      bigint NOT NULL,            -- nanoseconds
	tc_increment bigint NOT NULL,            -- nanoseconds
	started      bigint NOT NULL,            -- Unix milliseconds
	ended        bigint NOT NULL             -- Unix milliseconds
);

-- history is each user's finished games: one row per player and game.
-- A page of it is one range of history_order, read from the cursor on:
-- newest first, ties by room id, descending, byte by byte (the "C"
-- collation, which the queries name too), as games.HistoryCursor orders
-- them whatever the database's collation.
CREATE TABLE history (
	user_id text   NOT NULL,
	room    text   NOT NULL,
	ended   bigint NOT NULL,
	PRIMARY KEY (user_id, room)
);
CREATE INDEX history_order ON history (user_id, ended DESC, room COLLATE "C" DESC);
