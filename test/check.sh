#!/usr/bin/env bash
# test/check.sh — the test command: installs what it needs, builds with
# -Werror, installs, runs every suite and ends with "N passed, N failed".
#
#   sudo test/check.sh              everything
#   FUZZ_SECONDS=60 test/check.sh   longer fuzzing (default 10 s a target)
#   KEEP=1 test/check.sh            keep the staged tree for inspection
#
# Suites, each run as the postgres user from a copy of the tree in /tmp:
#   pg_regress            sql/*.sql against expected/*.out (a test each)
#   pg_isolation_regress  test/isolation/specs/*.spec (a test each)
#   TAP                   test/t/*.pl through prove (an assertion each)
#   unit                  test/unit/run.sh: C tests of src/ without a server
#                         (an assertion each)
#   fuzz                  test/fuzz/run.sh (a target each)
set -uo pipefail
# initdb needs a locale that exists whatever the caller's LANG is.
export LC_ALL=C.UTF-8 LANG=C.UTF-8

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=test/lib/common.sh
. "$top/test/lib/common.sh"
ci_as_root "$@"
set -e
ci_install_packages
work=$(ci_stage_tree "$top")
cleanup() { [ -n "${KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"; }
trap cleanup EXIT
ci_build_install "$work"
set +e

passed=0
failed=0
log=$work/suite.log
# .../lib/pgxs/src/makefiles/pgxs.mk -> .../lib/pgxs
pgxs=$(dirname "$(dirname "$(dirname "$("$CI_PG_BIN/pg_config" --pgxs)")")")

# Count pg_regress / pg_isolation_regress result lines ("name ... ok").
count_regress() {
	local p f
	p=$(grep -cE '^(test | +)?[A-Za-z0-9_]+ +\.\.\. ok' "$log")
	f=$(grep -cE '\.\.\. FAILED|\.\.\. failed' "$log")
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$1" -ne 0 ] && [ "$f" -eq 0 ] && failed=$((failed + 1))
}

show_diffs() {
	local d
	for d in "$work/regression.diffs" "$work/output_iso/regression.diffs"; do
		[ -s "$d" ] && { echo "---- $d"; cat "$d"; }
	done
}

ci_say "pg_regress"
ci_as_pg make -C "$work" -s installcheck-regress-only PG_CONFIG="$CI_PG_BIN/pg_config" \
	EXTRA_REGRESS_OPTS="--temp-instance=$work/tmp_check" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
count_regress "$rc"
[ "$rc" -ne 0 ] && show_diffs

ci_say "pg_isolation_regress"
ci_as_pg make -C "$work" -s installcheck-isolation-only PG_CONFIG="$CI_PG_BIN/pg_config" \
	EXTRA_REGRESS_OPTS="--temp-instance=$work/tmp_check_iso" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
count_regress "$rc"
[ "$rc" -ne 0 ] && show_diffs

ci_say "TAP (prove)"
rm -rf "$work/tap"
ci_as_pg mkdir -p "$work/tap"
(
	cd "$work" &&
	ci_as_pg env PATH="$CI_PG_BIN:$PATH" TESTDIR="$work/tap" \
		PG_REGRESS="$pgxs/src/test/regress/pg_regress" \
		prove -v -I "$pgxs/src/test/perl" test/t/*.pl
) >"$log" 2>&1
rc=$?
cat "$log"
p=$(grep -cE '^ok [0-9]+' "$log")
f=$(grep -cE '^not ok [0-9]+' "$log")
# A script that dies before its plan reports no "not ok": count the
# scripts prove lists as failed instead.
bad=$(grep -cE '\(Wstat: [0-9]+' "$log")
passed=$((passed + p))
failed=$((failed + f))
[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && failed=$((failed + (bad > 0 ? bad : 1)))
if [ "$rc" -ne 0 ]; then
	for l in "$work"/tap/tmp_check/log/*; do
		[ -f "$l" ] && { echo "---- $l"; tail -n 40 "$l"; }
	done
fi

ci_say "unit tests (test/unit)"
ci_as_pg bash "$work/test/unit/run.sh" >"$log" 2>&1
rc=$?
cat "$log"
p=$(grep -cE '^ok [0-9]+' "$log")
f=$(grep -cE '^not ok [0-9]+' "$log")
passed=$((passed + p))
failed=$((failed + f))
[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && failed=$((failed + 1))

ci_say "fuzz (${FUZZ_SECONDS:-10} s a target)"
ci_as_pg bash "$work/test/fuzz/run.sh" "${FUZZ_SECONDS:-10}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
p=$(grep -cE '^ok ' "$log")
f=$(grep -cE '^FAILED ' "$log")
passed=$((passed + p))
failed=$((failed + f))
[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && failed=$((failed + 1))

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
