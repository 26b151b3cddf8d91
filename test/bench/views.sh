#!/usr/bin/env bash
# test/bench/views.sh — reading a masked view against reading its table,
# and decrypting in a view against pgcrypto's decrypt_iv.
#
#   sudo test/bench/views.sh [ROWS]       (default 1000000 rows)
#
# A benchmark, not a test: it prints figures, ratios and the targets of
# the masking issue, and never fails because something is slow.
#
# ROWS eight-column synthetic customers, four columns protected, two of
# them encrypted (ID number C3 and searchable, mobile C2) and two stored in
# clear (birth date and name, C2).  All timings are in the
# server (test/bench/compare.sql: clock_timestamp() around EXECUTE,
# medians of alternating runs after a warm-up), parallel query and JIT
# off, as a role that may read the table and whose level is:
#   masked  a full scan of the view (every column counted, so that every
#           column is computed) against the same scan of the table
#   clear   (C2 granted; C3 stays masked in a view) the same scan of the
#           view, for the record; and the decryption per value: a scan of
#           the view counting the (encrypted) mobile numbers minus the same
#           scan counting addresses (stored in clear: the same heap scan,
#           no decryption), against decrypt_iv's per value: a scan of a
#           pgcrypto table with decrypt_iv() minus the same scan without
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

ci_say "loading $rows synthetic customers"
bench -v rows="$rows" <<'SQL'
\o /dev/null
SET max_parallel_workers_per_gather = 0;
SET jit = off;
CREATE TABLE customers AS
	SELECT customer_id::integer AS id, full_name AS name, birth_date, cn_id AS id_number,
		   mobile, email, address, occupation
	  FROM synthetic.customers(:rows, 42);
ALTER TABLE customers ADD PRIMARY KEY (id);
SELECT ci.protect('customers', 'id_number', 'cn_id', 'C3', searchable => true);
SELECT ci.protect('customers', 'mobile', 'cn_mobile', 'C2');
SELECT ci.protect('customers', 'birth_date', 'birth_date', 'C2', encrypted => false);
SELECT ci.protect('customers', 'name', 'name', 'C2', encrypted => false);
VACUUM ANALYZE customers;
-- pgcrypto's way, with the IV in front of each ciphertext
CREATE TABLE pgc_key AS SELECT gen_random_bytes(32) AS k;
CREATE TABLE pgc AS
	SELECT id, iv || encrypt_iv(convert_to(mobile, 'UTF8'), (SELECT k FROM pgc_key), iv,
								'aes-cbc/pad:pkcs') AS v
	  FROM (SELECT customer_id::integer AS id, mobile, gen_random_bytes(16) AS iv
			  FROM synthetic.customers(:rows, 42)) s;
VACUUM ANALYZE pgc;
CREATE ROLE bench_masked;
CREATE ROLE bench_clear;
GRANT SELECT ON customers, pgc, pgc_key TO bench_masked, bench_clear;
GRANT USAGE ON SCHEMA masked TO bench_masked, bench_clear;
GRANT SELECT ON masked.customers TO bench_masked, bench_clear;
SELECT ci.grant_level('bench_clear', 'clear', 'C2');
SQL

ci_say "timing ($reps alternating runs each, medians)"
version=$(ci_psql -d bench -Atc 'SHOW server_version')
printf '\ncustomer_info masked-view benchmark: %s rows, PostgreSQL %s\n' "$rows" "$version"
printf 'in-server timing, median of %s alternating runs; jit = off, max_parallel_workers_per_gather = 0\n\n' "$reps"
bench -v reps="$reps" -v rows="$rows" <<'SQL'
SET max_parallel_workers_per_gather = 0;
SET jit = off;
\i test/bench/compare.sql
\pset footer off
CREATE TEMP TABLE results (n int, operation text, ours_ms float8, baseline text,
						   base_ms float8, target float8);
-- every column counted: each is computed
\set scan_view 'SELECT count(id), count(name), count(birth_date), count(id_number), count(mobile), count(email), count(address), count(occupation) FROM masked.customers'
\set scan_table 'SELECT count(id), count(name), count(birth_date), count(id_number), count(mobile), count(email), count(address), count(occupation) FROM customers'
SET ROLE bench_masked;
CREATE TEMP TABLE masked_scan AS
	SELECT * FROM pg_temp.compare(:'scan_view', :'scan_table', :reps);
RESET ROLE;
SET ROLE bench_clear;
CREATE TEMP TABLE clear_scan AS
	SELECT * FROM pg_temp.compare(:'scan_view', :'scan_table', :reps);
CREATE TEMP TABLE clear_one AS
	SELECT * FROM pg_temp.compare('SELECT count(mobile) FROM masked.customers',
								  'SELECT count(address) FROM masked.customers', :reps);
CREATE TEMP TABLE pgc_scan AS
	SELECT * FROM pg_temp.compare(
		$q$SELECT count(decrypt_iv(substr(v, 17), (SELECT k FROM pgc_key), substr(v, 1, 16),
			'aes-cbc/pad:pkcs')) FROM pgc$q$,
		$q$SELECT count(substr(v, 17)), count(substr(v, 1, 16)) FROM pgc$q$,
		:reps);
RESET ROLE;
INSERT INTO results
	SELECT 1, 'scan of the view, level masked', m.ours_ms, 'scan of the table', m.base_ms, 1.5
	  FROM masked_scan m;
INSERT INTO results
	SELECT 2, 'scan of the view, level clear', c.ours_ms, 'scan of the table', c.base_ms, NULL
	  FROM clear_scan c;
-- per decrypted value: the mobile numbers, one a row
INSERT INTO results
	SELECT 3, 'decryption per value in the view', c.ours_ms - c.base_ms,
		   'decrypt_iv per value', p.ours_ms - p.base_ms, 0.5
	  FROM clear_one c, pgc_scan p;
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
