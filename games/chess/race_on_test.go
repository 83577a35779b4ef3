//go:build race

package chess

// raceEnabled is true when the race detector is on.
const raceEnabled = true
