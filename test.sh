#!/usr/bin/env bash
# Runs every check the project has: go vet, a gofmt check, the whole Go test
# suite under the race detector, short fuzz runs of the codec and of the
# engine over WebSockets, and the browser SDK's type check, tests and
# committed-bundle check.
#
#   ./test.sh                      everything
#   SHORT=1 ./test.sh              the same with go test -short
#   PARLOR_FUZZTIME=10m ./test.sh  fuzz each target for 10 minutes instead
#                                  of 20s (any go test -fuzztime value)
#
# It needs Go (and a C compiler for -race) and Node.js 20+ with npm; Go
# modules come from the module proxy and npm packages from the npm registry.
#
# The real-browser tests of examples/arcade (TestBrowser*) run in the go test
# step and need Chromium (Debian: apt-get install chromium; or set
# CHROMIUM_PATH). Without it they skip, and a note at the end says so; with
# PARLOR_REQUIRE_BROWSER=1 (CI) a missing browser fails them instead.
# PARLOR_SCREENSHOTS names the folder for their screenshots.
#
# The tests of chat/pgstore need a PostgreSQL server: PARLOR_TEST_POSTGRES
# names its DSN, and scripts/postgres.sh starts a throwaway one and prints
# it (Debian: apt-get install postgresql first):
#
#   export $(scripts/postgres.sh start)
#   ./test.sh
#   scripts/postgres.sh stop "$PARLOR_PG_DIR"
#
# Without PARLOR_TEST_POSTGRES they skip, and a note at the end says so; in
# CI (CI=true) they fail instead.
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

step "go vet"
go vet ./...

step "gofmt"
unformatted="$(gofmt -l .)"
if [[ -n "$unformatted" ]]; then
	echo "these files need gofmt -w:" >&2
	echo "$unformatted" >&2
	exit 1
fi

step "go test -race"
go test -race -count=1 -timeout 20m ${short[@]+"${short[@]}"} ./...

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
	go test -run '^$' -fuzz "^$target\$" -fuzztime "$fuzztime" -fuzzminimizetime 2s ${short[@]+"${short[@]}"} "$pkg"
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
	echo "PARLOR_TEST_POSTGRES is not set, so the tests of chat/pgstore were"
	echo "skipped. To run them, install PostgreSQL (Debian/Ubuntu: sudo apt-get"
	echo "install postgresql), then: export \$(scripts/postgres.sh start)"
fi

if [[ "${PARLOR_REQUIRE_BROWSER:-}" != 1 ]] && ! have_chromium; then
	step "note: the browser tests were skipped"
	echo "No Chromium was found, so the real-browser tests of examples/arcade"
	echo "(TestBrowser*) were skipped. To run them, install Chromium"
	echo "(Debian/Ubuntu: sudo apt-get install chromium) or point CHROMIUM_PATH"
	echo "at a Chromium or Chrome binary, then run ./test.sh again."
fi
