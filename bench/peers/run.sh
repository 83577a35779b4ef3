#!/usr/bin/env bash
# Runs the peers benchmark: Parlor, a bare gws server, centrifuge and
# socket.io, driven by the same generator (gen/) with the same workload.
#
# Each server runs pinned to CPU $SERVER_CPU (Go servers with GOMAXPROCS=1)
# and the generator to CPU $GEN_CPU. The fan-out matrix runs every window
# of $WINDOWS against every server, $REPS times, interleaved: each
# repetition starts the servers afresh in a rotated order. Then each server
# is started afresh $REPS times more for the idle-memory run. The tables
# (median and min–max per cell) are printed and, with every run's JSON,
# written to $OUT.
#
# Settings (environment):
#   QUICK=1      smoke run: 200 clients, 1 s cells, 1,000 idle connections, 1 repetition
#   SERVERS      servers to run                  (parlor gwsraw centrifuge socketio)
#   WINDOWS      broadcasts in flight            (4 16 64)
#   REPS         repetitions of each cell        (3; QUICK: 1)
#   CLIENTS      members of the fan-out room     (1000; QUICK: 200)
#   DURATION     measured time of a cell         (5s; QUICK: 1s)
#   WARMUP       sending before measuring        (1s; QUICK: 500ms)
#   IDLE_CONNS   idle connections, rooms of 10   (10000; QUICK: 1000; 0 skips idle)
#   SERVER_CPU   CPU of the servers              (0)
#   GEN_CPU      CPU of the generator            (1)
#   OUT          results folder                  (results/<UTC time>); a run
#                into the folder of an interrupted run does only what is missing
set -euo pipefail
cd "$(dirname "$0")"

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
	def_reps=1 def_clients=200 def_duration=1s def_warmup=500ms def_idle=1000 def_settle=500ms
else
	def_reps=3 def_clients=1000 def_duration=5s def_warmup=1s def_idle=10000 def_settle=2s
fi
SERVERS=${SERVERS:-parlor gwsraw centrifuge socketio}
WINDOWS=${WINDOWS:-4 16 64}
REPS=${REPS:-$def_reps}
CLIENTS=${CLIENTS:-$def_clients}
DURATION=${DURATION:-$def_duration}
WARMUP=${WARMUP:-$def_warmup}
IDLE_CONNS=${IDLE_CONNS:-$def_idle}
SETTLE=${SETTLE:-$def_settle}
SERVER_CPU=${SERVER_CPU:-0}
GEN_CPU=${GEN_CPU:-1}
OUT=${OUT:-results/$(date -u +%Y%m%dT%H%M%SZ)}
read -r -a servers <<<"$SERVERS"

mkdir -p "$OUT" bin
echo "== build"
go build -o bin/ ./gen ./gwsraw ./parlor ./centrifuge ./table
if [[ " ${servers[*]} " == *" socketio "* ]]; then
	(cd socketio && npm ci --no-audit --no-fund --loglevel=error)
fi
# 10,000 connections need as many descriptors in the server and in the
# generator.
ulimit -n "$(ulimit -Hn)"

server_pid=
# start_server NAME TAG: starts NAME pinned to $SERVER_CPU, logging to
# $OUT/TAG.server.log, and sets server_pid and server_url. The server also
# stops when this script ends: its stdin is a pipe held open only while
# the script runs (and the loop that holds it ends with the server).
start_server() {
	local name=$1 log="$OUT/$2.server.log" cmd
	case $name in
	socketio) cmd=(node socketio/server.js) ;;
	parlor | gwsraw | centrifuge) cmd=(env GOMAXPROCS=1 "bin/$name") ;;
	*) echo "unknown server $name" >&2; exit 2 ;;
	esac
	taskset -c "$SERVER_CPU" "${cmd[@]}" -addr 127.0.0.1:0 >"$log" 2>&1 \
		< <(while kill -0 $$ 2>/dev/null && echo; do sleep 1; done) &
	server_pid=$!
	server_url=
	for _ in $(seq 100); do
		server_url=$(head -n 1 "$log" 2>/dev/null)
		[[ $server_url == ws://* ]] && return 0
		sleep 0.1
	done
	echo "$name did not start; its log:" >&2
	cat "$log" >&2
	exit 1
}

stop_server() {
	[[ -n $server_pid ]] || return 0
	kill "$server_pid" 2>/dev/null || true
	wait "$server_pid" 2>/dev/null || true # (its exit status is of no interest)
	server_pid=
}
trap stop_server EXIT

failures=0
# cell NAME TAG ARGS...: starts NAME afresh and runs the generator against
# it. A run that fails is reported and tried once more on a new server:
# on a shared machine a server can starve long enough to drop connections,
# and the table should say how often that happened rather than stop.
cell() {
	local name=$1 tag=$2 try
	shift 2
	if [[ -s $OUT/$tag.json ]]; then
		return 0 # done by an earlier, interrupted run into the same $OUT
	fi
	for try in 1 2; do
		start_server "$name" "$tag-$try"
		if [[ $tag == idle-* ]]; then
			sleep 1 # let a fresh server reach its resting size
		fi
		if taskset -c "$GEN_CPU" bin/gen -server "$name" -url "$server_url" -pid "$server_pid" \
			-json "$OUT/$tag.json" "$@"; then
			stop_server
			return 0
		fi
		echo "FAILED: $tag (try $try; server log $OUT/$tag-$try.server.log)" >&2
		stop_server
	done
	failures=$((failures + 1))
}

echo "== fan-out: ${servers[*]} × W=$WINDOWS, $REPS repetitions, $CLIENTS clients, $DURATION per cell"
echo "   load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
n=${#servers[@]}
for ((rep = 1; rep <= REPS; rep++)); do
	for ((k = 0; k < n; k++)); do
		name=${servers[$(((k + rep - 1) % n))]}
		for w in $WINDOWS; do
			cell "$name" "fanout-$name-w$w-r$rep" -mode fanout -clients "$CLIENTS" -window "$w" \
				-duration "$DURATION" -warmup "$WARMUP" -settle "$SETTLE"
		done
	done
done

if ((IDLE_CONNS > 0)); then
	echo "== idle memory: $IDLE_CONNS connections in rooms of 10, $REPS repetitions"
	for ((rep = 1; rep <= REPS; rep++)); do
		for ((k = 0; k < n; k++)); do
			name=${servers[$(((k + rep - 1) % n))]}
			cell "$name" "idle-$name-r$rep" -mode idle -idle-conns "$IDLE_CONNS" -room-size 10 -settle "$SETTLE"
		done
	done
fi

echo "   load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== results ($OUT)"
bin/table -dir "$OUT" -json "$OUT/summary.json"
if ((failures > 0)); then
	echo "$failures runs failed" >&2
	exit 1
fi
