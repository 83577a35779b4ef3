package pgstore

import (
	"github.com/jackc/pgx/v5"

	"github.com/parlorhq/parlor/games"
)

// entryColumns are the columns of a log entry, in the order scanEntries
// reads them.
const entryColumns = `seq, event, data, at, move, client_msg_id`

// scanEntries appends the entries of rows of entryColumns to out.
func scanEntries(rows pgx.Rows, out []games.Entry) ([]games.Entry, error) {
	defer rows.Close()
	for rows.Next() {
		var e games.Entry
		var data, move, cmid []byte
		if err := rows.Scan(&e.Seq, &e.Event, &data, &e.At, &move, &cmid); err != nil {
			return nil, err
		}
		e.Data, e.Move, e.ClientMsgID = data, move, string(cmid)
		out = append(out, e)
	}
	return out, rows.Err()
}

// orEmpty stores a missing payload as empty bytes: the data column is NOT
// NULL.
func orEmpty(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// orNull stores an empty byte string as NULL.
func orNull(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
