#!/bin/bash
#
# test/unit/run.sh — builds and runs the C unit tests of test/unit (plain
# C against src/, no server).  Each prints TAP; prove runs them.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bindir=$root/test/unit/bin
mkdir -p "$bindir"
cc=${CC:-gcc}

"$cc" -O2 -Wall -Wextra -Werror -I "$root/src" -o "$bindir/nonce_unique" \
	"$root/test/unit/nonce_unique.c" "$root/src/envelope.c" -lcrypto -lpthread

prove -v --exec '' "$bindir"/*
