package levellog

import "testing"

func TestNew(t *testing.T) {
	log, err := New("warn")
	if err != nil {
		t.Fatal(err)
	}
	if log.Core().Enabled(-1) || !log.Core().Enabled(1) {
		t.Fatal("a warn logger must drop debug and info and keep warn")
	}
	if off, err := New("off"); err != nil || off.Core().Enabled(2) {
		t.Fatalf("off: %v, enabled %v", err, off.Core().Enabled(2))
	}
	if _, err := New("loud"); err == nil {
		t.Fatal("an unknown level must be refused")
	}
}
