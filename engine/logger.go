package engine

import (
	"os"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// defaultLogger is the engine's logger when Config.Logger is nil: warnings
// and errors only, as JSON lines on standard error, named "parlor". A host
// that configures no logging still sees what it must act on, such as a
// missing Config.Secret or a panic in a module, and nothing else.
func defaultLogger() *zap.Logger {
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	core := zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.Lock(os.Stderr), zapcore.WarnLevel)
	return zap.New(core).Named("parlor")
}
