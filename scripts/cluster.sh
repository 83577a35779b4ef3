#!/usr/bin/env bash
# Runs Parlor on three nodes on this machine, as one command:
#
#   scripts/cluster.sh                 the proxy on 127.0.0.1:8080
#   PARLOR_CLUSTER_ADDR=127.0.0.1:9000 scripts/cluster.sh
#
# It builds nats-server (github.com/nats-io/nats-server/v2, the version
# cluster/clustertest's go.mod names) with the Go toolchain, the arcade
# and cmd/parlor-proxy; starts a three-server NATS cluster with JetStream
# on free loopback ports, a throwaway PostgreSQL cluster
# (scripts/postgres.sh), three arcade nodes (examples/arcade -nats -node
# -postgres -addr) sharing one server key, and the round-robin proxy in
# front of them, which has no affinity at all. Then it prints the URL and
# waits. Ctrl-C stops everything and removes the temporary folder with all
# the data (PARLOR_CLUSTER_KEEP=1 keeps it).
#
# Everything listens on 127.0.0.1 only: the arcade's demo sign-in has no
# passwords (docs/demo-auth.md). Logs go to the temporary folder, whose
# path it prints. docs/cluster.md ("Running three nodes") says what runs
# where and how to kill parts of it by hand.
#
# It needs Go and PostgreSQL (Debian: apt-get install postgresql; see
# scripts/postgres.sh). Go modules come from the module proxy.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

proxy_addr="${PARLOR_CLUSTER_ADDR:-127.0.0.1:8080}"
nodes=3

say() { echo "cluster.sh: $*" >&2; }
die() {
	say "$*"
	exit 1
}

dir="$(mktemp -d "${TMPDIR:-/tmp}/parlor-cluster.XXXXXX")"
chmod 755 "$dir" # postgres.sh runs the server as another user under root
pids=()
pg_dir=""

# cleanup stops every process it started, the newest first, and removes
# the temporary folder.
cleanup() {
	trap - EXIT INT TERM
	local i
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		kill -TERM "${pids[i]}" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if [[ -n "$pg_dir" ]]; then
		bash scripts/postgres.sh stop "$pg_dir" || true
	fi
	if [[ "${PARLOR_CLUSTER_KEEP:-}" == 1 ]]; then
		say "kept $dir"
	else
		rm -rf "$dir"
	fi
	say "stopped"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port prints a loopback TCP port nobody listens on and that no
# earlier call returned.
taken=" "
free_port() {
	local port
	for _ in $(seq 1 200); do
		# Below the usual ephemeral range (32768 and up), where outgoing
		# connections take their local ports.
		port=$((20000 + RANDOM % 12000))
		[[ "$taken" == *" $port "* ]] && continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			taken+="$port "
			echo "$port"
			return
		fi
	done
	die "no free port found"
}

# wait_http waits until GET url answers 200, or fails after 60 s or as
# soon as the process named what (its log and pid in $dir/logs) exits.
wait_http() {
	local url="$1" what="$2"
	for _ in $(seq 1 600); do
		if curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null; then
			return
		fi
		if ! kill -0 "$(cat "$dir/logs/$what.pid")" 2>/dev/null; then
			tail -n 20 "$dir/logs/$what.log" >&2 || true
			die "$what exited (log: $dir/logs/$what.log)"
		fi
		sleep 0.1
	done
	die "$what not ready after 60s (log: $dir/logs/$what.log)"
}

# start runs a program in the background with its output in
# $dir/logs/NAME.log and remembers its pid.
start() {
	local name="$1"
	shift
	"$@" >"$dir/logs/$name.log" 2>&1 &
	pids+=("$!")
	echo "$!" >"$dir/logs/$name.pid"
}

mkdir -p "$dir/bin" "$dir/logs" "$dir/nats" "$dir/arcade"

say "building nats-server, the arcade and parlor-proxy"
(cd cluster/clustertest && go build -o "$dir/bin/nats-server" github.com/nats-io/nats-server/v2)
go build -o "$dir/bin/arcade" ./examples/arcade
go build -o "$dir/bin/parlor-proxy" ./cmd/parlor-proxy

say "starting NATS: three servers with JetStream"
client_ports=() route_ports=() monitor_ports=()
for i in $(seq 1 "$nodes"); do
	client_ports+=("$(free_port)")
	route_ports+=("$(free_port)")
	monitor_ports+=("$(free_port)")
done
routes=""
nats_urls=""
for i in $(seq 0 $((nodes - 1))); do
	routes+="${routes:+, }nats://127.0.0.1:${route_ports[i]}"
	nats_urls+="${nats_urls:+,}nats://127.0.0.1:${client_ports[i]}"
done
for i in $(seq 0 $((nodes - 1))); do
	name="nats$((i + 1))"
	mkdir -p "$dir/nats/$name"
	cat >"$dir/nats/$name.conf" <<-CONF
		server_name: $name
		listen: 127.0.0.1:${client_ports[i]}
		http: 127.0.0.1:${monitor_ports[i]}
		jetstream {
		  store_dir: "$dir/nats/$name"
		}
		cluster {
		  name: parlor
		  listen: 127.0.0.1:${route_ports[i]}
		  routes: [$routes]
		}
	CONF
	start "$name" "$dir/bin/nats-server" -c "$dir/nats/$name.conf"
done
for i in $(seq 0 $((nodes - 1))); do
	# JetStream is ready once its meta leader is elected.
	wait_http "http://127.0.0.1:${monitor_ports[i]}/healthz" "nats$((i + 1))"
done

say "starting PostgreSQL (scripts/postgres.sh)"
pg_env="$(bash scripts/postgres.sh start "$dir/pg")"
pg_dir="$dir/pg"
dsn="$(sed -n 's/^PARLOR_TEST_POSTGRES=//p' <<<"$pg_env")"

say "starting three arcade nodes"
# One server key for all nodes: the room ids derive from it.
head -c 32 /dev/urandom >"$dir/arcade/secret"
backends=()
for i in $(seq 1 "$nodes"); do
	port="$(free_port)"
	start "node$i" "$dir/bin/arcade" -addr "127.0.0.1:$port" -data "$dir/arcade" \
		-nats "$nats_urls" -node "node$i" -postgres "$dsn"
	# The first node creates the PostgreSQL schemas; the others start
	# once it is ready.
	wait_http "http://127.0.0.1:$port/readyz" "node$i"
	backends+=("127.0.0.1:$port")
done

say "starting the proxy"
start proxy "$dir/bin/parlor-proxy" -addr "$proxy_addr" -backend "$(
	IFS=,
	echo "${backends[*]}"
)"
wait_http "http://$proxy_addr/healthz" proxy

cat >&2 <<-EOF

	Parlor runs on three nodes behind a round-robin proxy:

	    http://$proxy_addr/

	  nodes       ${backends[*]}
	  NATS        $nats_urls
	  PostgreSQL  $dsn
	  logs, pids  $dir/logs

	Press Ctrl-C to stop everything and remove $dir.
EOF
while true; do
	sleep 1
done
