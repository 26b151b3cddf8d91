#!/usr/bin/env bash
# test/bench/identifiers.sh — how fast ci.cn_id validates and masks,
# against plain SQL baselines of similar work.
#
#   sudo test/bench/identifiers.sh [ROWS]       (default 1000000 rows)
#
# A benchmark, not a test: it prints figures and ratios and never fails
# because something is slow (it fails only if it cannot run).
#
# It builds and installs customer_info from a staged copy of the tree,
# starts a throwaway cluster (removed at the end), loads ROWS synthetic
# customers (test/synthetic.sql) into
#	t(x text, id ci.cn_id)		the same ID numbers as text and as ci.cn_id
# and times, inside the server (clock_timestamp() around EXECUTE in
# PL/pgSQL, so no client round trips or result transfer count), after one
# warm-up run each, 7 alternating runs of each query and its baseline:
#	validate	SELECT count(x::ci.cn_id) FROM t
#			vs SELECT count(md5(x)) FROM t
#			and a stricter baseline: a regular expression that checks
#			only the shape (no date, region or check character)
#	mask		SELECT count(ci.mask(id)) FROM t
#			vs SELECT count(left(x, 6) || repeat('*', 8) || right(x, 4)) FROM t
#	mask text	SELECT count(ci.mask_cn_id(x)) FROM t
#			vs the same SQL expression
# It reports the medians, their ratio (ours / baseline) and whether the
# target, ratio <= 1, is met.  Parallel query and JIT are off, so that the
# figures measure the functions rather than the planner's choices.
set -euo pipefail
export LC_ALL=C.UTF-8 LANG=C.UTF-8

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=test/lib/common.sh
. "$top/test/lib/common.sh"
ci_as_root "$@"

rows=$(ci_bench_rows "${1:-}" 1000000)

ci_bench_start "$top"
work=$CI_BENCH_WORK
ci_psql -q -d bench -f "$work/test/synthetic.sql"

ci_say "loading $rows synthetic customers"
ci_psql -q -d bench -v rows="$rows" <<'SQL'
SET max_parallel_workers_per_gather = 0;
SET jit = off;
CREATE TABLE t AS
	SELECT cn_id AS x, cn_id::ci.cn_id AS id
	  FROM synthetic.customers(:rows, 42);
VACUUM ANALYZE t;
SQL

ci_say "timing (median of 7 alternating runs after a warm-up)"
version=$(ci_psql -d bench -Atc 'SHOW server_version')
printf '\ncustomer_info identifiers benchmark: %s rows, PostgreSQL %s\n' "$rows" "$version"
printf 'in-server timing, median of 7 alternating runs; jit = off, max_parallel_workers_per_gather = 0\n\n'
(cd "$work" && ci_psql -q -d bench) <<'SQL'
SET max_parallel_workers_per_gather = 0;
SET jit = off;

\i test/bench/compare.sql

CREATE TEMP TABLE cases (n int, operation text, ours text, baseline text, base text);
INSERT INTO cases VALUES
	(1, 'validate: x::ci.cn_id', 'SELECT count(x::ci.cn_id) FROM t',
		'md5(x)', 'SELECT count(md5(x)) FROM t'),
	(1, 'validate: x::ci.cn_id', 'SELECT count(x::ci.cn_id) FROM t',
		'regex shape only', $q$SELECT count(*) FILTER (WHERE x ~ '^[0-9]{17}[0-9X]$') FROM t$q$),
	(2, 'mask: ci.mask(id)', 'SELECT count(ci.mask(id)) FROM t',
		'left||repeat||right', $q$SELECT count(left(x, 6) || repeat('*', 8) || right(x, 4)) FROM t$q$),
	(3, 'mask text: ci.mask_cn_id(x)', 'SELECT count(ci.mask_cn_id(x)) FROM t',
		'left||repeat||right', $q$SELECT count(left(x, 6) || repeat('*', 8) || right(x, 4)) FROM t$q$);

\pset footer off
SELECT c.operation,
	   to_char(r.ours_ms, 'FM999990.0') AS ours_ms,
	   c.baseline,
	   to_char(r.base_ms, 'FM999990.0') AS baseline_ms,
	   to_char(r.ours_ms / r.base_ms, 'FM990.00') AS ratio,
	   CASE WHEN r.ours_ms <= r.base_ms THEN 'PASS target (ratio <= 1)'
			ELSE 'MISS target' END AS verdict
  FROM cases c, LATERAL pg_temp.compare(c.ours, c.base, 7) r
 ORDER BY c.n;
SQL
