#!/usr/bin/env bash
# test/check.sh — the test command: installs what it needs, builds with
# -Werror, installs, runs every suite and ends with
# "N passed, N failed" (and ", N skipped" when something was skipped).
#
#   sudo test/check.sh              everything
#   FUZZ_SECONDS=60 test/check.sh   longer fuzzing (default 10 s a target)
#   KEEP=1 test/check.sh            keep the staged tree for inspection
#
# Suites, each run as the postgres user from a copy of the tree in /tmp:
#   pg_regress            sql/*.sql against expected/*.out (a test each),
#                         then each file alone in a fresh instance (a test
#                         each), then every file again with the server's
#                         clock moved by libfaketime to dates that break
#                         naive date arithmetic (a test per file and date)
#   pg_isolation_regress  test/isolation/specs/*.spec (a test each)
#   TAP                   test/t/*.pl through prove (an assertion each)
#   unit                  test/unit/run.sh: C tests of src/ without a server
#                         (an assertion each)
#   fuzz                  test/fuzz/run.sh (a target each)
#
# Every suite is counted against what it declares: the Makefile's REGRESS
# and ISOLATION lists, the number of tests each TAP script declares
# (done_testing(N)), the fuzz targets in test/fuzz.  A test that should
# have run and did not counts as failed; a TAP test or script that skips
# counts as skipped.
set -uo pipefail
# initdb needs a locale that exists whatever the caller's LANG is.
export LC_ALL=C.UTF-8 LANG=C.UTF-8

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=test/lib/common.sh
. "$top/test/lib/common.sh"
ci_as_root "$@"
set -e
ci_install_packages faketime
work=$(ci_stage_tree "$top")
cleanup() { [ -n "${KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"; }
trap cleanup EXIT
ci_build_install "$work"
set +e

passed=0
failed=0
skipped=0
log=$work/suite.log
# .../lib/pgxs/src/makefiles/pgxs.mk -> .../lib/pgxs
pgxs=$(dirname "$(dirname "$(dirname "$("$CI_PG_BIN/pg_config" --pgxs)")")")

# A make variable of the tree's Makefile (REGRESS, ISOLATION).
make_list() { make -s -C "$work" --no-print-directory "print-$1" PG_CONFIG="$CI_PG_BIN/pg_config"; }
regress_tests=$(make_list REGRESS)
isolation_tests=$(make_list ISOLATION)
n_regress=$(wc -w <<<"$regress_tests")
n_isolation=$(wc -w <<<"$isolation_tests")

# Add the results in $log to the totals:
#   tally WHAT DECLARED RC OK_RE FAIL_RE [SKIP_RE]
# DECLARED tests should have reported; those that did not (a suite that
# died, or ran less than it declares) count as failed.
tally() {
	local what=$1 declared=$2 rc=$3 p f s=0 missing
	f=$(grep -cE "$5" "$log")
	if [ -n "${6:-}" ]; then
		s=$(grep -cE "$6" "$log")
		p=$(grep -E "$4" "$log" | grep -cvE "$6")
	else
		p=$(grep -cE "$4" "$log")
	fi
	missing=$((declared - p - f - s))
	if [ "$missing" -gt 0 ]; then
		echo "!! $what: $missing of $declared declared tests did not report"
		f=$((f + missing))
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "!! $what: exit code $rc without a failed test"
		f=$((f + 1))
	fi
	echo "-- $what: $p passed, $f failed, $s skipped (declared $declared)"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
}

REGRESS_OK='^(test | +)?[A-Za-z0-9_]+ +\.\.\. ok'
REGRESS_FAIL='\.\.\. FAILED|\.\.\. failed'

# pg_regress or pg_isolation_regress through the Makefile, with a fresh
# temporary instance: run_regress WHAT DECLARED TARGET TMPDIR DIFFS [VAR=VALUE...]
# (the environment of the call, e.g. a faked clock, goes to the server too)
run_regress() {
	local what=$1 declared=$2 target=$3 tmp=$4 diffs=$5 rc
	shift 5
	rm -rf "${work:?}/$tmp"
	ci_as_pg env "${clock_env[@]}" make -C "$work" -s "$target" PG_CONFIG="$CI_PG_BIN/pg_config" \
		EXTRA_REGRESS_OPTS="--temp-instance=$work/$tmp" "$@" >"$log" 2>&1
	rc=$?
	if [ -n "${QUIET_OK:-}" ] && [ "$rc" -eq 0 ]; then
		grep -E "$REGRESS_OK" "$log" | sed "s/^/[$what] /"
	else
		sed "s/^/[$what] /" "$log"
	fi
	tally "$what" "$declared" "$rc" "$REGRESS_OK" "$REGRESS_FAIL"
	[ "$rc" -ne 0 ] && [ -s "$work/$diffs" ] && { echo "---- $work/$diffs"; cat "$work/$diffs"; }
	return 0
}
clock_env=()

ci_say "pg_regress"
run_regress pg_regress "$n_regress" installcheck-regress-only tmp_check regression.diffs

ci_say "pg_isolation_regress"
run_regress isolation "$n_isolation" installcheck-isolation-only tmp_check_iso \
	output_iso/regression.diffs

# Each pg_regress file alone, in an instance of its own: no file may
# depend on another having run before it.
ci_say "pg_regress, each file alone"
for t in $regress_tests; do
	QUIET_OK=1 run_regress "alone $t" 1 installcheck-regress-only tmp_check regression.diffs \
		REGRESS="$t"
done

# Every pg_regress file again, with the server's clock moved by libfaketime
# (a relative offset: the "@date" form would restart the clock in every new
# process) to dates that break naive date arithmetic: a 31st, 28 February of
# a non-leap year, 29 February of a leap year, the last working days before
# the National Day holiday, 31 December, and one date in the past.
ci_say "pg_regress under shifted clocks"
libfaketime=$(dpkg -L libfaketime 2>/dev/null | grep -m1 '/libfaketime\.so\.1$')
today=$(date -u +%F)
for d in 2027-01-31 2027-02-28 2028-02-29 2027-09-29 2027-09-30 2026-12-31 2026-09-30; do
	days=$((($(date -ud "$d" +%s) - $(date -ud "$today" +%s)) / 86400))
	[ "$days" -ge 0 ] && offset="+${days}d" || offset="${days}d"
	clock_env=(FAKETIME="$offset" FAKETIME_DONT_FAKE_MONOTONIC=1 LD_PRELOAD="$libfaketime")
	QUIET_OK=1 run_regress "clock $d" "$n_regress" installcheck-regress-only tmp_check \
		regression.diffs
done
clock_env=()

ci_say "TAP (prove)"
rm -rf "$work/tap"
ci_as_pg mkdir -p "$work/tap"
# Each script declares how many tests it runs (done_testing(N) or
# plan tests => N), so that one that runs less fails; prove checks it.
n_tap=0
for t in "$work"/test/t/*.pl; do
	n=$(grep -oE 'done_testing\([0-9]+\)|tests => [0-9]+' "$t" | grep -oE '[0-9]+' | head -n 1)
	if [ -z "$n" ]; then
		echo "!! ${t#"$work"/} declares no number of tests (done_testing(N))"
		failed=$((failed + 1))
	else
		n_tap=$((n_tap + n))
	fi
done
(
	cd "$work" &&
	ci_as_pg env PATH="$CI_PG_BIN:$PATH" TESTDIR="$work/tap" \
		PG_REGRESS="$pgxs/src/test/regress/pg_regress" \
		prove -v -I "$pgxs/src/test/perl" test/t/*.pl
) 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# A script that skips as a whole (plan skip_all) counts its declared tests
# as skipped; a test skipped inside a script prints "ok N # skip".
for t in $(grep -oE '^test/t/[^ ]+\.pl \.+ skipped' "$log" | cut -d' ' -f1); do
	n=$(grep -oE 'done_testing\([0-9]+\)|tests => [0-9]+' "$work/$t" | grep -oE '[0-9]+' | head -n 1)
	for ((i = 0; i < ${n:-1}; i++)); do echo "script skipped: $t"; done >>"$log"
done
tally TAP "$n_tap" "$rc" '^ok [0-9]+' '^not ok [0-9]+' \
	'^ok [0-9]+ # skip|^script skipped: '
if [ "$rc" -ne 0 ]; then
	for l in "$work"/tap/tmp_check/log/*; do
		[ -f "$l" ] && { echo "---- $l"; tail -n 40 "$l"; }
	done
fi

ci_say "unit tests (test/unit)"
ci_as_pg bash "$work/test/unit/run.sh" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# each unit test program prints its plan ("1..N") in its source
tally unit "$(cat "$work"/test/unit/*.c | grep -oE '"1\.\.[0-9]+' | cut -c5- |
	awk '{ n += $1 } END { print n + 0 }')" "$rc" '^ok [0-9]+' '^not ok [0-9]+'

ci_say "fuzz (${FUZZ_SECONDS:-10} s a target)"
ci_as_pg bash "$work/test/fuzz/run.sh" "${FUZZ_SECONDS:-10}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
tally fuzz "$(find "$work/test/fuzz" -maxdepth 1 -name 'fuzz_*.c' | wc -l)" "$rc" \
	'^ok ' '^FAILED '

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
