#!/usr/bin/env bash
# test/bench/consent.sh — ci.has_consent() against the SQL function a DBA
# would write, and a consent-filtered masked view against the unfiltered one.
#
#   sudo test/bench/consent.sh [ROWS]       (default 1000000 customers)
#
# A benchmark, not a test: it prints figures, ratios and the targets of
# the consent issue, and never fails because something is slow.
#
# ROWS customers (integer keys), mobile protected (C2, encrypted), the
# customer column declared; half of them (even keys) consent to marketing,
# recorded in the ledger.  All timings are in the server
# (test/bench/compare.sql: medians of alternating runs after a warm-up),
# parallel query and JIT off:
#   has_consent  a scan calling ci.has_consent(id, 'marketing') once per row,
#                minus the same scan without it, per call; against a
#                LANGUAGE sql STABLE function doing SELECT EXISTS (...) on
#                the indexed ci.consent_state, the same way.  Warm (the
#                backend's map loaded) as the medians, and cold (a new
#                session's first scan, loading the map) for the record.
#   view         a full scan of the masked view at level masked by a session
#                whose purpose is marketing (consent-based: half the rows
#                pass) against the same scan with purpose service (rests
#                on contract: no filtering).
set -euo pipefail
export LC_ALL=C.UTF-8 LANG=C.UTF-8

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=test/lib/common.sh
. "$top/test/lib/common.sh"
ci_as_root "$@"

rows=$(ci_bench_rows "${1:-}" 1000000)
reps=5

ci_bench_start "$top"
work=$CI_BENCH_WORK
bench -f test/synthetic.sql

ci_say "loading $rows synthetic customers and $((rows / 2)) consents"
bench -v rows="$rows" <<'SQL'
\o /dev/null
CREATE TABLE customers AS
	SELECT customer_id::bigint AS id, full_name AS name, mobile, address, occupation
	  FROM synthetic.customers(:rows, 42);
ALTER TABLE customers ADD PRIMARY KEY (id);
SELECT ci.protect('customers', 'mobile', 'cn_mobile', 'C2');
SELECT ci.customer_column('customers', 'id');
-- the ledger, as ci.give_consent() writes it, in one statement
INSERT INTO ci.consent_event (customer, purpose, action, channel, notice_version)
	SELECT id::text, 'marketing', 'grant', 'app', 'notice-1' FROM customers WHERE id % 2 = 0;
VACUUM ANALYZE customers;
VACUUM ANALYZE ci.consent_state;
CREATE FUNCTION public.sql_has_consent(customer text, purpose text) RETURNS boolean
	LANGUAGE sql STABLE AS $$
	SELECT EXISTS (SELECT 1 FROM ci.consent_state s
				   WHERE s.purpose = $2 AND s.scope = '' AND s.customer = $1 AND s.granted
					 AND (s.expires_at IS NULL OR s.expires_at > now()))
$$;
CREATE ROLE bench_reader;
GRANT USAGE ON SCHEMA masked TO bench_reader;
GRANT SELECT ON masked.customers TO bench_reader;
GRANT SELECT ON ci.consent_state TO bench_reader;
GRANT SELECT ON customers TO bench_reader;
SQL

ci_say "timing ($reps alternating runs each, medians)"
cold=$(bench -At <<'SQL'
SET max_parallel_workers_per_gather = 0;
SET jit = off;
\i test/bench/compare.sql
\o /dev/null
SELECT pg_temp.run_ms('SELECT count(*) FROM customers');
\o
SELECT pg_temp.run_ms($q$SELECT count(*) FILTER (WHERE ci.has_consent(id, 'marketing')) FROM customers$q$)
	   - pg_temp.run_ms('SELECT count(*) FILTER (WHERE id > 0) FROM customers');
SQL
)
version=$(ci_psql -d bench -Atc 'SHOW server_version')
printf '\ncustomer_info consent benchmark: %s customers (half consenting), PostgreSQL %s\n' "$rows" "$version"
printf 'in-server timing, median of %s alternating runs; jit = off, max_parallel_workers_per_gather = 0\n\n' "$reps"
bench -v reps="$reps" -v rows="$rows" -v cold="$cold" <<'SQL'
SET max_parallel_workers_per_gather = 0;
SET jit = off;
\i test/bench/compare.sql
\pset footer off
CREATE TEMP TABLE results (n int, operation text, ours_ms float8, baseline text,
						   base_ms float8, target float8);
CREATE TEMP TABLE ours AS SELECT * FROM pg_temp.compare(
	$q$SELECT count(*) FILTER (WHERE ci.has_consent(id, 'marketing')) FROM customers$q$,
	$q$SELECT count(*) FILTER (WHERE id > 0) FROM customers$q$, :reps);
CREATE TEMP TABLE theirs AS SELECT * FROM pg_temp.compare(
	$q$SELECT count(*) FILTER (WHERE public.sql_has_consent(id::text, 'marketing')) FROM customers$q$,
	$q$SELECT count(*) FILTER (WHERE id > 0) FROM customers$q$, :reps);
-- the view scans, alternating
CREATE TEMP TABLE view_runs (filtered float8, unfiltered float8);
DO $$
DECLARE
	q text := 'SELECT count(id), count(name), count(mobile), count(address), count(occupation) FROM masked.customers';
	f float8[] := '{}';
	u float8[] := '{}';
BEGIN
	SET LOCAL ROLE bench_reader;
	FOR i IN 0 .. 5 LOOP
		PERFORM set_config('customer_info.purpose', 'marketing', true);
		IF i > 0 THEN f := f || pg_temp.run_ms(q); ELSE PERFORM pg_temp.run_ms(q); END IF;
		PERFORM set_config('customer_info.purpose', 'service', true);
		IF i > 0 THEN u := u || pg_temp.run_ms(q); ELSE PERFORM pg_temp.run_ms(q); END IF;
	END LOOP;
	RESET ROLE;
	INSERT INTO view_runs SELECT * FROM unnest(f, u);
END
$$;
INSERT INTO results
	SELECT 1, 'has_consent per call (warm)', o.ours_ms - o.base_ms,
		   'LANGUAGE sql EXISTS per call', t.ours_ms - t.base_ms, 0.2
	  FROM ours o, theirs t;
INSERT INTO results
	SELECT 2, 'has_consent per call (cold: map loaded)', :cold,
		   'LANGUAGE sql EXISTS per call', t.ours_ms - t.base_ms, NULL
	  FROM theirs t;
INSERT INTO results
	SELECT 3, 'has_consent over the bare scan, per call', o.ours_ms - o.base_ms,
		   '1 us per call', :rows / 1000.0, 1.0
	  FROM ours o;
INSERT INTO results
	SELECT 4, 'masked view scan, purpose marketing (filtered)',
		   (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY filtered) FROM view_runs),
		   'purpose service (unfiltered)',
		   (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY unfiltered) FROM view_runs), 1.3;
SELECT operation,
	   to_char(ours_ms, 'FM9999990.0') AS ours_ms,
	   to_char(1000 * ours_ms / :rows, 'FM990.000') AS ours_us_per_row,
	   baseline,
	   to_char(base_ms, 'FM9999990.0') AS baseline_ms,
	   to_char(1000 * base_ms / :rows, 'FM99990.000') AS base_us_per_row,
	   to_char(ours_ms / base_ms, 'FM990.000') AS ratio,
	   coalesce('<= ' || to_char(target, 'FM990.000'), '-') AS target,
	   CASE WHEN target IS NULL THEN 'info'
			WHEN ours_ms / base_ms <= target THEN 'PASS' ELSE 'MISS' END AS verdict
  FROM results ORDER BY n;
SQL
