package natsbroker

import (
	"time"

	"go.uber.org/zap"
)

// Defaults for [Config].
const (
	// DefaultSubjectPrefix is the subject prefix of room topics: a topic
	// "abc" travels on "parlor.room.abc".
	DefaultSubjectPrefix = "parlor.room"
	// DefaultFlushTimeout bounds the round trip Subscribe makes so that the
	// server knows of a new subscription before Subscribe returns.
	DefaultFlushTimeout = 2 * time.Second
)

// Config tunes a [Broker].
type Config struct {
	// SubjectPrefix is put before each topic's subject token, with a dot.
	// Every node of a cluster must use the same. Empty means
	// DefaultSubjectPrefix.
	SubjectPrefix string
	// FlushTimeout bounds the server round trip of a Subscribe that opens
	// a topic. Zero means DefaultFlushTimeout.
	FlushTimeout time.Duration
	// Logger receives subscription failures. Nil means no logging.
	Logger *zap.Logger
}

func (c Config) withDefaults() Config {
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = DefaultSubjectPrefix
	}
	if c.FlushTimeout <= 0 {
		c.FlushTimeout = DefaultFlushTimeout
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}
