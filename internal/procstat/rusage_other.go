//go:build !unix

package procstat

import "time"

// selfCPU returns 0: this system has no getrusage.
func selfCPU() time.Duration { return 0 }
