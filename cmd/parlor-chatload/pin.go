package main

import "github.com/parlorhq/parlor/internal/loadgen"

// pinRun, with -pin, chooses the CPUs of the server child and of this
// process, and pins this process to its own; nil without -pin.
func pinRun(cfg config) (*loadgen.Pins, error) {
	if !cfg.pin {
		return nil, nil
	}
	pins, err := loadgen.ChoosePins()
	if err != nil {
		return nil, err
	}
	if err := loadgen.PinProcess(pins.Gen); err != nil {
		return nil, err
	}
	return &pins, nil
}
