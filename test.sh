#!/usr/bin/env bash
# Runs every check the project has: go vet, a gofmt check, the whole test
# suite under the race detector, and a short fuzz run of the codec.
#
#   ./test.sh            everything
#   SHORT=1 ./test.sh    the same with go test -short
#
# It needs only Go (and a C compiler for -race); modules come from the
# module proxy.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

short=()
if [[ "${SHORT:-}" == 1 ]]; then
	short=(-short)
fi

step() { printf '\n== %s\n' "$*"; }

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

step "fuzz codec (FuzzDecode, 20s)"
# go test -fuzz passes silently when no fuzz test matches, so check first.
fuzz_tests="$(go test -list '^FuzzDecode$' ./codec)"
if ! grep -qx FuzzDecode <<<"$fuzz_tests"; then
	echo "codec has no FuzzDecode fuzz test" >&2
	exit 1
fi
go test -run '^$' -fuzz '^FuzzDecode$' -fuzztime 20s ${short[@]+"${short[@]}"} ./codec
