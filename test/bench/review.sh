#!/usr/bin/env bash
# test/bench/review.sh — the review sweep over a large customer table, and
# the top of an assignee's queue.
#
#   sudo test/bench/review.sh [ROWS]       (default 1000000 customers)
#
# A benchmark, not a test: it prints figures and the targets of the review
# issue, and never fails because something is slow.
#
# ROWS customers with risk levels (high/medium/low), onboarding dates
# spread over their review interval (so about 1 in 30 falls due in a
# week), ID documents expiring over ten years, birthdays; attached with an
# ID-expiry and a birth-date column.  Timed in the server:
#   sweep          the first sweep of the day (periodic reviews due within a
#                  week, IDs expiring within 30 days or expired, birthdays and
#                  anniversaries within a week, escalations), with its counts
#   second sweep   the same day again (target: under 1 s, nothing created)
#   top 100        an assignee's 100 earliest open tasks (10 assignees), from
#                  the queue view, median of 20 (target: under 20 ms)
set -euo pipefail
export LC_ALL=C.UTF-8 LANG=C.UTF-8

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=test/lib/common.sh
. "$top/test/lib/common.sh"
ci_as_root "$@"

rows=$(ci_bench_rows "${1:-}" 1000000)

ci_bench_start "$top"
work=$CI_BENCH_WORK

ci_say "loading and attaching $rows customers"
attach_ms=$(bench -At -v rows="$rows" <<'SQL'
\o /dev/null
SELECT setseed(0.42);
CREATE TABLE customers AS
	SELECT g AS id, 'customer ' || g AS name, l.level AS risk,
		   CURRENT_DATE - (random() * extract(epoch FROM l.iv) / 86400)::int AS onboarded,
		   CURRENT_DATE - 365 + (random() * 3650)::int AS id_expiry,
		   DATE '1950-01-01' + (random() * 20000)::int AS birth,
		   (random() * 100000)::numeric(12, 2) AS balance
	  FROM generate_series(1, :rows) g,
		   LATERAL (SELECT (ARRAY['high', 'medium', 'low'])[1 + g % 3] AS level,
						   (ARRAY[interval '6 months', interval '12 months', interval '24 months'])[1 + g % 3] AS iv) l;
ALTER TABLE customers ADD PRIMARY KEY (id);
VACUUM ANALYZE customers;
\o
SELECT extract(epoch FROM clock_timestamp() - now()) * 1000 FROM
	(SELECT ci.attach_review('customers', 'id', 'risk', 'onboarded', '{name}',
							 id_expiry_col => 'id_expiry', birth_col => 'birth')) s;
SQL
)
bench -c 'VACUUM ANALYZE ci.review_schedule' >/dev/null

ci_say "sweeping"
version=$(ci_psql -d bench -Atc 'SHOW server_version')
printf '\ncustomer_info review benchmark: %s customers, PostgreSQL %s\n\n' "$rows" "$version"
printf 'attach_review (schedule of every customer): %.0f ms\n' "$attach_ms"
bench <<'SQL'
\pset footer off
CREATE FUNCTION pg_temp.timed(q text, OUT ms float8, OUT result text) LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
	EXECUTE q INTO result;
	ms := 1000 * extract(epoch FROM clock_timestamp() - t0);
END $$;
CREATE TEMP TABLE results AS
	SELECT 1 AS n, 'first sweep of the day' AS operation, * FROM pg_temp.timed('SELECT ci.review_sweep()::text');
INSERT INTO results
	SELECT 2, 'second sweep, same day', * FROM pg_temp.timed('SELECT ci.review_sweep()::text');
-- ten reviewers share the queue
DO $$ BEGIN
	FOR i IN 0 .. 9 LOOP
		EXECUTE format('CREATE ROLE bench_reviewer_%s', i);
	END LOOP;
END $$;
UPDATE ci.review_task SET assignee = 'bench_reviewer_' || (task_id % 10) WHERE status = 'open';
VACUUM ANALYZE ci.review_task;
CREATE TEMP TABLE top_runs AS
	SELECT (pg_temp.timed($q$SELECT count(*)::text FROM (SELECT task_id FROM ci.review_queue
		WHERE assignee = 'bench_reviewer_3' ORDER BY due_on, task_id LIMIT 100) s$q$)).ms
	  FROM generate_series(1, 20);
INSERT INTO results
	SELECT 3, 'top 100 open tasks of an assignee (median of 20)',
		   percentile_disc(0.5) WITHIN GROUP (ORDER BY ms), NULL FROM top_runs;
SELECT operation, to_char(ms, 'FM999990.0') AS ms,
	   CASE n WHEN 1 THEN '< 15000' WHEN 2 THEN '< 1000' ELSE '< 20' END AS target,
	   CASE WHEN ms < CASE n WHEN 1 THEN 15000 WHEN 2 THEN 1000 ELSE 20 END
			THEN 'PASS' ELSE 'MISS' END AS verdict,
	   coalesce(result, '') AS counts
  FROM results ORDER BY n;
SELECT count(*) AS open_tasks FROM ci.review_task WHERE status = 'open';
EXPLAIN (COSTS OFF) SELECT task_id FROM ci.review_queue
 WHERE assignee = 'bench_reviewer_3' ORDER BY due_on, task_id LIMIT 100;
SQL
