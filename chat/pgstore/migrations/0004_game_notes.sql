-- The note of a game entry (chat.KindGame): the msgpack of chat.GameNote,
-- NULL for every other entry.
ALTER TABLE entries ADD COLUMN game bytea;
