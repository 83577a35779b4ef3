#!/usr/bin/env bash
# Runs every check the project has: go vet, a gofmt check, the whole Go test
# suite under the race detector (and those of the separate modules
# examples/custommodule, cluster/clustertest and the real-process cluster
# fault tests of internal/clusterfault), short fuzz runs of the codec and of the
# engine over WebSockets, and the browser SDK's type check, tests and
# committed-bundle check.
#
#   ./test.sh                      everything
#   SHORT=1 ./test.sh              the same with go test -short
#   PARLOR_FUZZTIME=10m ./test.sh  fuzz each target for 10 minutes instead
#                                  of 20s (any go test -fuzztime value)
#
# It needs Go (and a C compiler for -race). First it runs scripts/deps.sh,
# which installs what else the tests need from Debian's packages (Node.js
# and npm, Chromium, PostgreSQL, nginx, Prometheus) when run as root with apt-get, and
# otherwise lists what is missing; PARLOR_NO_INSTALL=1 skips that step. Go
# modules come from the module proxy and npm packages from the npm registry.
#
# The real-browser tests of examples/arcade (TestBrowser*) run in the go test
# step and need Chromium (Debian: apt-get install chromium; or set
# CHROMIUM_PATH). Without it they skip, and a note at the end says so; with
# PARLOR_REQUIRE_BROWSER=1 (CI) a missing browser fails them instead.
# PARLOR_SCREENSHOTS names the folder for their screenshots. Their
# accessibility audit needs axe-core from npm, which this script installs
# (npm ci in examples/arcade/testdata/axe) before the go test step.
#
# The tests of chat/pgstore and the cluster fault tests of
# internal/clusterfault need a PostgreSQL server: PARLOR_TEST_POSTGRES
# names its DSN. When it is not set and PostgreSQL is installed, this script
# starts a throwaway cluster with scripts/postgres.sh and removes it at the
# end. To keep one across runs:
#
#   export $(scripts/postgres.sh start)
#   ./test.sh
#   scripts/postgres.sh stop "$PARLOR_PG_DIR"
#
# Without a server they skip, and a note at the end says so; in CI
# (CI=true) they fail instead.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

short=()
if [[ "${SHORT:-}" == 1 ]]; then
	short=(-short)
fi

step() { printf '\n== %s\n' "$*"; }

# have_chromium looks for the browser the way the browser tests do.
have_chromium() {
	if [[ -n "${CHROMIUM_PATH:-}" ]]; then
		command -v "$CHROMIUM_PATH" >/dev/null
		return
	fi
	[[ -x /usr/bin/chromium ]] || command -v chromium >/dev/null ||
		command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null
}

if [[ "${PARLOR_NO_INSTALL:-}" != 1 ]]; then
	step "dependencies (scripts/deps.sh)"
	bash scripts/deps.sh
fi

# A throwaway PostgreSQL cluster for the tests of chat/pgstore, unless one
# is named already or PostgreSQL is not installed.
if [[ -z "${PARLOR_TEST_POSTGRES:-}" ]] &&
	{ compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null; }; then
	step "PostgreSQL (scripts/postgres.sh start)"
	pg_env="$(bash scripts/postgres.sh start)"
	PARLOR_PG_DIR="$(sed -n 's/^PARLOR_PG_DIR=//p' <<<"$pg_env")"
	trap 'bash scripts/postgres.sh stop "$PARLOR_PG_DIR" || true' EXIT
	PARLOR_TEST_POSTGRES="$(sed -n 's/^PARLOR_TEST_POSTGRES=//p' <<<"$pg_env")"
	export PARLOR_TEST_POSTGRES
fi

step "go vet"
go vet ./...

step "gofmt"
unformatted="$(gofmt -l .)"
if [[ -n "$unformatted" ]]; then
	echo "these files need gofmt -w:" >&2
	echo "$unformatted" >&2
	exit 1
fi

# axe-core, pinned in examples/arcade/testdata/axe/package.json, for the
# arcade's accessibility audit (TestBrowserAccessibility). Without it the
# audit skips, except in CI, where it fails.
if command -v npm >/dev/null; then
	step "axe-core for the accessibility audit (npm ci in examples/arcade/testdata/axe)"
	(cd examples/arcade/testdata/axe && npm ci --no-audit --no-fund)
fi

step "go test -race"
go test -race -count=1 -timeout 20m ${short[@]+"${short[@]}"} ./...

# examples/custommodule is a module of its own (its go.mod points back here
# with a replace): it proves that a game written outside this module can
# be tested with the public kit, parlortest. ./... above does not enter it.
step "examples/custommodule (separate module): go vet, go test -race"
(
	cd examples/custommodule
	go vet ./...
	go test -race -count=1 ${short[@]+"${short[@]}"} ./...
)

# cluster/clustertest is a module of its own so that nats-server stays out
# of what a library user downloads (its go.mod points back here with a
# replace). Its tests start real nats-servers in-process on loopback: a
# single server with JetStream and a three-server JetStream cluster.
step "cluster/clustertest (separate module, in-process nats-server): go vet, go test -race"
(
	cd cluster/clustertest
	go vet ./...
	go test -race -count=1 ${short[@]+"${short[@]}"} ./...
)

# internal/clusterfault is a module of its own for the same reason. Its
# tests run real processes on loopback: three Parlor nodes, three
# nats-servers with JetStream (built with go build from its go.mod), the
# round-robin proxy and the arcade, against the PostgreSQL server of
# PARLOR_TEST_POSTGRES, and kill, stop and restart them. -v shows the
# failover times they measure. Without PostgreSQL they skip (in CI they
# fail).
step "internal/clusterfault (separate module, real-process cluster fault tests): go vet, go test -race"
(
	cd internal/clusterfault
	go vet ./...
	go test -race -count=1 -v -timeout 20m ${short[@]+"${short[@]}"} ./...
)

fuzztime="${PARLOR_FUZZTIME:-20s}"

# fuzz runs one fuzz target of a package for $fuzztime. go test -fuzz
# passes silently when no fuzz test matches, so it checks first. New
# inputs are minimized for at most 2s each, so that minimizing does not
# eat a short run (the engine target finds many: its coverage includes
# the server's goroutines).
fuzz() {
	local target="$1" pkg="$2"
	step "fuzz $pkg ($target, $fuzztime)"
	local listed
	listed="$(go test -list "^$target\$" "$pkg")"
	if ! grep -qx "$target" <<<"$listed"; then
		echo "$pkg has no $target fuzz test" >&2
		exit 1
	fi
	# Go's fuzzing coordinator (go1.26) can report its own -fuzztime
	# deadline as a failure, "context deadline exceeded", when a worker is
	# mid-input as time runs out (go.dev/issue/75804, fixed in go1.27). A
	# real failure writes its input to testdata/fuzz/$target, so a run
	# that fails with that message and writes no input is that race.
	local corpus="$pkg/testdata/fuzz/$target" before after out rc=0
	before="$(ls "$corpus" 2>/dev/null | sort)"
	out="$(mktemp)"
	go test -run '^$' -fuzz "^$target\$" -fuzztime "$fuzztime" -fuzzminimizetime 2s ${short[@]+"${short[@]}"} "$pkg" 2>&1 | tee "$out" || rc=$?
	after="$(ls "$corpus" 2>/dev/null | sort)"
	if ((rc != 0)); then
		if [[ "$before" == "$after" ]] && grep -q '^    context deadline exceeded$' "$out" &&
			! grep -q -e '--- FAIL: .*' -e 'panic:' <(grep -v "^--- FAIL: $target " "$out"); then
			echo "fuzz $target: Go's coordinator reported its own deadline (go.dev/issue/75804); no failing input was found or written"
		else
			rm -f "$out"
			exit "$rc"
		fi
	fi
	rm -f "$out"
}
fuzz FuzzDecode ./codec
fuzz FuzzEngineFrames ./engine

step "browser SDK (js/): npm ci, type check, bundle check, tests"
if ! command -v npm >/dev/null; then
	echo "npm is required for the browser SDK checks (install Node.js 20+)" >&2
	exit 1
fi
(
	cd js
	npm ci --no-audit --no-fund
	npm run check
	npm run verify-bundle
	npm test
)

if [[ -z "${PARLOR_TEST_POSTGRES:-}" ]]; then
	step "note: the PostgreSQL tests were skipped"
	echo "PARLOR_TEST_POSTGRES is not set, so the tests of chat/pgstore and the"
	echo "cluster fault tests (internal/clusterfault) were skipped. To run"
	echo "them, install PostgreSQL (Debian/Ubuntu: sudo apt-get install"
	echo "postgresql) and run ./test.sh again."
fi

if [[ "${PARLOR_REQUIRE_BROWSER:-}" != 1 ]] && ! have_chromium; then
	step "note: the browser tests were skipped"
	echo "No Chromium was found, so the real-browser tests of examples/arcade"
	echo "(TestBrowser*) were skipped. To run them, install Chromium"
	echo "(Debian/Ubuntu: sudo apt-get install chromium) or point CHROMIUM_PATH"
	echo "at a Chromium or Chrome binary, then run ./test.sh again."
fi
