package loadgen

import (
	"errors"
	"fmt"
	"os/exec"
	"strconv"
)

// Pinning a -spawn run (-pin): the server child on one CPU and the load
// generator on another, each with GOMAXPROCS 1, so that neither process's
// goroutines wait in the run queue behind the other's. What is left of
// the latency is the server's own (and the rest of the machine's, which
// the run's other_cores shows).

// PinFlag is the internal flag that tells a -serve child which CPU to pin
// itself to.
const PinFlag = "pin-cpu"

// ErrPinCPUs: -pin needs two CPUs that this process may run on.
var ErrPinCPUs = errors.New("loadgen: -pin needs two CPUs this process may run on")

// Pins are the CPUs of a pinned run: Server for the -spawn child, Gen for
// the load generator.
type Pins struct {
	Server int `json:"server_cpu"`
	Gen    int `json:"gen_cpu"`
}

// ChoosePins returns the first two CPUs this process may run on: the
// server's and the generator's; ErrPinCPUs when there are fewer.
func ChoosePins() (Pins, error) {
	cpus, err := allowedCPUs()
	if err != nil {
		return Pins{}, err
	}
	if len(cpus) < 2 {
		return Pins{}, ErrPinCPUs
	}
	return Pins{Server: cpus[0], Gen: cpus[1]}, nil
}

// PinChild makes cmd, a -serve child not yet started, pin itself to
// p.Server: it adds -pin-cpu to its arguments and GOMAXPROCS=1 to its
// environment.
func (p Pins) PinChild(cmd *exec.Cmd) {
	cmd.Args = append(cmd.Args, "-"+PinFlag, strconv.Itoa(p.Server))
	if cmd.Env == nil {
		cmd.Env = cmd.Environ()
	}
	cmd.Env = append(cmd.Env, "GOMAXPROCS=1")
}

// String is how a report shows the pins.
func (p Pins) String() string {
	return fmt.Sprintf("server_cpu=%d gen_cpu=%d", p.Server, p.Gen)
}

// PinGenerator, for a run with -pin (pin set), chooses the CPUs of the
// -spawn server child and of this process, the generator, and pins this
// process to its own; it returns nil, nil without -pin.
func PinGenerator(pin bool) (*Pins, error) {
	if !pin {
		return nil, nil
	}
	pins, err := ChoosePins()
	if err != nil {
		return nil, err
	}
	if err := PinProcess(pins.Gen); err != nil {
		return nil, err
	}
	return &pins, nil
}
