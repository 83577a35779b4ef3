-- nonce is the nonce of the join that created the match
-- (games.MatchInfo.Nonce); empty for matches stored before it was kept.
ALTER TABLE matches ADD COLUMN nonce text NOT NULL DEFAULT '';

-- matches_waiting finds the challenges whose players have not all
-- joined (games.Store.Waiting): the matches with an empty log, by kind
-- and creation time.
CREATE INDEX matches_waiting ON matches (kind, created, id) WHERE head = 0;
