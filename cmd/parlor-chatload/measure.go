package main

import (
	"time"

	"github.com/parlorhq/parlor/chat/boltstore"
	"github.com/parlorhq/parlor/internal/loadgen"
	"github.com/parlorhq/parlor/internal/procstat"
)

// measurement is what the measured time cost outside the clients' view.
type measurement struct {
	cpu     procstat.CPU    // the CPU time used in the window
	commits boltstore.Stats // the bbolt store's writes and commits in the window; zero for memory
}

// measureWindow lets the load warm up for -warmup, then opens the window
// for -duration, under a CPU profile if -cpuprofile asks for one.
func measureWindow(cfg config, bolt *boltstore.Store, win *window) (measurement, error) {
	time.Sleep(cfg.warmup)
	cpu0 := procstat.ReadCPU()
	win.start.Store(time.Now().UnixNano())
	commits0 := boltStats(bolt)
	if cfg.cpuProfile != "" {
		stop, err := loadgen.StartCPUProfile(cfg.cpuProfile)
		if err != nil {
			return measurement{}, err
		}
		defer stop()
	}
	time.Sleep(cfg.duration)
	win.end.Store(time.Now().UnixNano())
	commits1 := boltStats(bolt)
	return measurement{
		cpu: procstat.ReadCPU().Sub(cpu0),
		commits: boltstore.Stats{
			Writes:  commits1.Writes - commits0.Writes,
			Commits: commits1.Commits - commits0.Commits,
		},
	}, nil
}

// boltStats reads the store's counters; zero for no store.
func boltStats(bolt *boltstore.Store) boltstore.Stats {
	if bolt == nil {
		return boltstore.Stats{}
	}
	return bolt.Stats()
}
