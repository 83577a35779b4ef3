#!/usr/bin/env bash
# Installs what Parlor's tests need besides Go, from Debian's packages:
# Node.js and npm (the browser SDK's checks), Chromium (the arcade's
# real-browser tests), PostgreSQL (the tests of chat/pgstore) and nginx
# (examples/arcade's TestBehindNginx, which starts its own nginx process
# with the configuration of docs/deploy.md; the package's service is not
# used) and Prometheus (examples/arcade's TestPrometheusScrapesArcade, which
# starts its own prometheus and runs promtool). test.sh runs it first;
# .ci/run through test.sh.
#
#   scripts/deps.sh          install what is missing (as root, with apt-get),
#                            or, without root or apt-get, list what is
#                            missing and how to install it
#   scripts/deps.sh --check  only list what is missing; exit 1 if anything is
#
# Nothing is downloaded outside the system's package manager. Set
# PARLOR_NO_INSTALL=1 to make test.sh skip this step.
set -euo pipefail

check_only=0
if [[ "${1:-}" == --check ]]; then
	check_only=1
fi

missing=()

have_chromium() {
	if [[ -n "${CHROMIUM_PATH:-}" ]]; then
		command -v "$CHROMIUM_PATH" >/dev/null
		return
	fi
	[[ -x /usr/bin/chromium ]] || command -v chromium >/dev/null ||
		command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null
}

have_postgres() {
	compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null
}

command -v npm >/dev/null || missing+=(nodejs npm)
have_chromium || missing+=(chromium)
have_postgres || missing+=(postgresql)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
{ command -v prometheus >/dev/null && command -v promtool >/dev/null; } || missing+=(prometheus)

if [[ ${#missing[@]} == 0 ]]; then
	echo "deps.sh: everything the tests need is installed"
	exit 0
fi
if [[ "$check_only" == 1 ]]; then
	echo "deps.sh: missing Debian packages: ${missing[*]}"
	exit 1
fi
if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
	echo "deps.sh: missing: ${missing[*]}"
	echo "deps.sh: install them (Debian: sudo apt-get install ${missing[*]}); the tests that need them skip meanwhile"
	exit 0
fi
echo "deps.sh: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
