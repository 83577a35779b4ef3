package games

// Observer is told what matches do, for metrics. Set it with
// Config.Observer. Its methods run on room goroutines, many at once: they
// must be safe for concurrent use, fast and non-blocking, and must not
// call back into the match.
type Observer interface {
	// Moved: a move was applied in a match of kind.
	Moved(kind string)
	// Finished: a match of kind that had started ended with result,
	// "aborted" included; it runs just before Config.OnFinished.
	Finished(kind string, result Result)
}
