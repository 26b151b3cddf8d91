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

# Add the suite's results in $log to the totals: tally RC OK_RE FAIL_RE
# [FALLBACK].  A suite that failed (RC != 0) without a failure line counts
# FALLBACK failures (default 1): it died before it could report.
tally() {
	local rc=$1 p f
	p=$(grep -cE "$2" "$log")
	f=$(grep -cE "$3" "$log")
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && failed=$((failed + ${4:-1}))
}

# pg_regress or pg_isolation_regress through the Makefile, with a
# temporary instance in TMPDIR: run_regress TARGET TMPDIR DIFFS
run_regress() {
	local rc
	ci_as_pg make -C "$work" -s "$1" PG_CONFIG="$CI_PG_BIN/pg_config" \
		EXTRA_REGRESS_OPTS="--temp-instance=$work/$2" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	tally "$rc" '^(test | +)?[A-Za-z0-9_]+ +\.\.\. ok' '\.\.\. FAILED|\.\.\. failed'
	[ "$rc" -ne 0 ] && [ -s "$work/$3" ] && { echo "---- $work/$3"; cat "$work/$3"; }
}

ci_say "pg_regress"
run_regress installcheck-regress-only tmp_check regression.diffs

ci_say "pg_isolation_regress"
run_regress installcheck-isolation-only tmp_check_iso output_iso/regression.diffs

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
# A script that dies before its plan reports no "not ok": count the
# scripts prove lists as failed instead.
bad=$(grep -cE '\(Wstat: [0-9]+' "$log")
tally "$rc" '^ok [0-9]+' '^not ok [0-9]+' $((bad > 0 ? bad : 1))
if [ "$rc" -ne 0 ]; then
	for l in "$work"/tap/tmp_check/log/*; do
		[ -f "$l" ] && { echo "---- $l"; tail -n 40 "$l"; }
	done
fi

ci_say "unit tests (test/unit)"
ci_as_pg bash "$work/test/unit/run.sh" >"$log" 2>&1
rc=$?
cat "$log"
tally "$rc" '^ok [0-9]+' '^not ok [0-9]+'

ci_say "fuzz (${FUZZ_SECONDS:-10} s a target)"
ci_as_pg bash "$work/test/fuzz/run.sh" "${FUZZ_SECONDS:-10}" 2>&1 | tee "$log"
tally "${PIPESTATUS[0]}" '^ok ' '^FAILED '

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
