#!/usr/bin/env bash
# Starts and stops a throwaway PostgreSQL cluster for Parlor's tests: a
# temporary folder, a server on a free loopback port with a random
# password, and one database. Developers run it by hand; .ci/run runs it
# around the test suite.
#
#   scripts/postgres.sh start [DIR]  create a cluster in DIR (default: a new
#                                    temporary folder), start it and print
#                                    PARLOR_TEST_POSTGRES=<dsn> and
#                                    PARLOR_PG_DIR=<dir>; the same lines go
#                                    to DIR/env
#   scripts/postgres.sh stop DIR     stop the server and remove DIR
#   scripts/postgres.sh down DIR     stop the server, keep the cluster
#   scripts/postgres.sh up DIR       start it again, on the same port
#
# For example:
#
#   export $(scripts/postgres.sh start)
#   go test -race -count=1 ./chat/pgstore/
#   scripts/postgres.sh stop "$PARLOR_PG_DIR"
#
# It needs Debian's postgresql package (apt-get install postgresql), whose
# programs live in /usr/lib/postgresql/<version>/bin, or initdb and pg_ctl
# on PATH (PG_BIN names their folder explicitly). PostgreSQL refuses to
# run as root, so as root the script runs the server as the system user
# $PARLOR_PG_USER (default parlorpg), creating it if needed.
# Messages go to stderr; only the variables go to stdout.
set -euo pipefail
umask 077

pg_user="${PARLOR_PG_USER:-parlorpg}"
db_name=parlor_test
db_role=parlor

die() {
	echo "postgres.sh: $*" >&2
	exit 1
}

usage() {
	sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
	exit 2
}

# find_bin sets bin to the folder holding initdb and pg_ctl: $PG_BIN, the
# newest /usr/lib/postgresql/<version>/bin, or the one on PATH.
find_bin() {
	if [[ -n "${PG_BIN:-}" ]]; then
		bin="$PG_BIN"
	else
		bin="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
		if [[ -z "$bin" ]] && command -v pg_ctl >/dev/null; then
			bin="$(dirname "$(command -v pg_ctl)")"
		fi
	fi
	[[ -n "$bin" && -x "$bin/initdb" && -x "$bin/pg_ctl" ]] ||
		die "initdb and pg_ctl not found: install PostgreSQL (Debian: apt-get install postgresql) or set PG_BIN"
}

# as_owner runs a command as the cluster's owner: the current user, or
# $pg_user when running as root.
as_owner() {
	if [[ "$(id -u)" == 0 ]]; then
		runuser -u "$pg_user" -- "$@"
	else
		"$@"
	fi
}

# ensure_user creates the system user the server runs as under root.
ensure_user() {
	if [[ "$(id -u)" == 0 ]] && ! id -u "$pg_user" >/dev/null 2>&1; then
		useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$pg_user"
	fi
}

# free_port prints a loopback TCP port nobody listens on.
free_port() {
	local port
	for _ in $(seq 1 100); do
		port=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return
		fi
	done
	die "no free port found"
}

# check_dir fails unless $1 holds a cluster made by start.
check_dir() {
	[[ -n "${1:-}" ]] || usage
	[[ -f "$1/env" && -d "$1/data" ]] || die "$1 holds no cluster made by postgres.sh start"
}

server_start() {
	local dir="$1"
	as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >&2 ||
		{
			tail -n 20 "$dir/server.log" >&2 || true
			return 1
		}
}

server_stop() {
	local dir="$1"
	if as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >&2
	fi
}

cmd_start() {
	local dir="${1:-}"
	find_bin
	ensure_user
	if [[ -z "$dir" ]]; then
		dir="$(mktemp -d "${TMPDIR:-/tmp}/parlor-pg.XXXXXX")"
	else
		mkdir -p "$dir"
		[[ -z "$(ls -A "$dir")" ]] || die "$dir is not empty"
	fi
	dir="$(cd "$dir" && pwd)"
	local password
	password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
	printf "%s\n" "$password" >"$dir/password"
	if [[ "$(id -u)" == 0 ]]; then
		chown -R "$pg_user" "$dir"
		as_owner test -w "$dir" || die "$pg_user cannot write to $dir (are its parent folders open to it?)"
	fi
	as_owner "$bin/initdb" -D "$dir/data" -U "$db_role" --pwfile="$dir/password" \
		--auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		{
			cat "$dir/initdb.log" >&2
			die "initdb failed"
		}
	local port started=0
	for _ in 1 2 3 4 5; do
		port="$(free_port)"
		cat >>"$dir/data/postgresql.conf" <<-CONF
			port = $port
			listen_addresses = '127.0.0.1'
			unix_socket_directories = ''
		CONF
		if server_start "$dir"; then
			started=1
			break
		fi
	done
	[[ "$started" == 1 ]] || die "the server did not start (see $dir/server.log)"
	as_owner env PGPASSWORD="$password" "$bin/createdb" -h 127.0.0.1 -p "$port" -U "$db_role" "$db_name"
	local dsn="postgres://$db_role:$password@127.0.0.1:$port/$db_name?sslmode=disable"
	printf 'PARLOR_TEST_POSTGRES=%s\nPARLOR_PG_DIR=%s\n' "$dsn" "$dir" | tee "$dir/env"
	echo "postgres.sh: PostgreSQL $("$bin/pg_ctl" --version | awk '{print $3}') on 127.0.0.1:$port, cluster in $dir" >&2
}

cmd_stop() {
	check_dir "${1:-}"
	find_bin
	server_stop "$1"
	rm -rf "$1"
}

cmd_down() {
	check_dir "${1:-}"
	find_bin
	server_stop "$1"
}

cmd_up() {
	check_dir "${1:-}"
	find_bin
	server_start "$1"
}

case "${1:-}" in
start) cmd_start "${2:-}" ;;
stop) cmd_stop "${2:-}" ;;
down) cmd_down "${2:-}" ;;
up) cmd_up "${2:-}" ;;
*) usage ;;
esac
