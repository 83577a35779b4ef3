// Package levellog builds the JSON logger of the test servers that are
// run as processes (internal/faultserver, the cluster test node), from a
// level named on their command line.
package levellog

import "go.uber.org/zap"

// New returns a JSON logger to stderr at level ("debug", "info", "warn",
// "error"), unsampled, or no logger at all for "off".
func New(level string) (*zap.Logger, error) {
	if level == "off" {
		return zap.NewNop(), nil
	}
	lvl, err := zap.ParseAtomicLevel(level)
	if err != nil {
		return nil, err
	}
	cfg := zap.NewProductionConfig()
	cfg.Level = lvl
	cfg.Sampling = nil
	return cfg.Build()
}
