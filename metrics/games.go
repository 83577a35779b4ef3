package metrics

import "github.com/parlorhq/parlor/games"

// Moved implements games.Observer.
func (m *Metrics) Moved(kind string) { m.moves.WithLabelValues(kindLabel(kind)).Inc() }

// Finished implements games.Observer. The result label is "draw" when no
// seat won, "win" otherwise; the reason is the game's own word
// ("checkmate", "timeout", "aborted", ...).
func (m *Metrics) Finished(kind string, r games.Result) {
	result := "win"
	if r.Winner < 0 {
		result = "draw"
	}
	m.finished.WithLabelValues(kindLabel(kind), result, r.Reason).Inc()
}
