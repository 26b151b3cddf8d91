#!/usr/bin/env bash
# test/bench/encryption.sh — field encryption against the alternatives a
# DBA has: pgcrypto's encrypt_iv/decrypt_iv and pgp_sym_encrypt/decrypt,
# and a PL/pgSQL trigger doing the same work with pgcrypto.
#
#   sudo test/bench/encryption.sh [ROWS]       (default 1000000 rows)
#
# A benchmark, not a test: it prints figures, ratios and the targets of
# the encryption issue, and never fails because something is slow.
#
# All timings are in the server (clock_timestamp() around EXECUTE), medians
# of alternating runs in the same session (test/bench/compare.sql), with
# parallel query and JIT off:
#   encrypt   INSERT of ROWS (id, ID number) rows into a table whose column
#             is protected, vs the same INSERT computing
#             encrypt_iv(value, key, gen_random_bytes(16), 'aes-cbc/pad:pkcs')
#   decrypt   ci.reveal(tbl, col, value, id) of every row (the keyed form
#             views use) and ci.reveal(row, col) (the whole-row form), vs
#             decrypt_iv() of every row
#   pgp       INSERT computing pgp_sym_encrypt(), and pgp_sym_decrypt(), on
#             1% of the rows, scaled up (OpenPGP's key stretching is slow);
#             and what encryption costs apart from the INSERT on each side
#             (each INSERT minus the same INSERT into an unprotected table)
#   insert    ROWS eight-column customers with three encrypted columns, one
#             searchable (blind index indexed), vs the same INSERT into an
#             unprotected table; vs the unprotected table with a blind-index
#             column of precomputed HMACs and its index (the floor any
#             searchable design pays: a btree of random keys); and vs a
#             PL/pgSQL trigger with pgcrypto (encrypt_iv with a random IV per
#             value, hmac() for the blind index, same index)
#   lookup    1000 blind-index lookups of random customers (per lookup)
#   reencrypt CALL ci.reencrypt() after ci.rotate_key(): all three columns
#             of every row at once, then one column alone, while another
#             session keeps updating random customers (values per second)
set -euo pipefail
export LC_ALL=C.UTF-8 LANG=C.UTF-8

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=test/lib/common.sh
. "$top/test/lib/common.sh"
ci_as_root "$@"

rows=$(ci_bench_rows "${1:-}" 1000000)
reps=3

loadpid=
bench_cleanup() {
	[ -z "$loadpid" ] || kill "$loadpid" 2>/dev/null || true
}
ci_bench_start "$top"
work=$CI_BENCH_WORK
cluster=$CI_BENCH_CLUSTER
bench -f test/synthetic.sql

ci_say "loading $rows synthetic customers"
bench -v rows="$rows" <<'SQL'
\o /dev/null
SET max_parallel_workers_per_gather = 0;
SET jit = off;
CREATE TABLE src AS
	SELECT customer_id::integer AS id, full_name AS name, birth_date, cn_id, mobile,
		   email, address, occupation
	  FROM synthetic.customers(:rows, 42);
VACUUM ANALYZE src;
-- the pgcrypto keys, as a DBA would keep them in a table
CREATE TABLE pgc_key AS SELECT gen_random_bytes(32) AS k, gen_random_bytes(32) AS hk;
-- blind indexes precomputed, for the floor
CREATE TABLE src_bidx AS
	SELECT s.*, hmac(convert_to(cn_id, 'UTF8'), (SELECT hk FROM pgc_key), 'sha256') AS bidx
	  FROM src s;
VACUUM ANALYZE src_bidx;

-- one encrypted column, for the per-value figures
CREATE TABLE ours1 (id integer PRIMARY KEY, v text);
SELECT ci.protect('ours1', 'v', 'cn_id');
CREATE TABLE pgc1 (id integer PRIMARY KEY, v bytea);
CREATE TABLE pgp1 (id integer PRIMARY KEY, v bytea);

-- eight-column customers: three encrypted columns, the ID number searchable
CREATE TABLE plain3 (id integer PRIMARY KEY, name text, birth_date date, id_number text,
					 mobile text, email text, address text, occupation text);
CREATE TABLE floor3 (LIKE plain3 INCLUDING ALL, id_number_bidx bytea);
CREATE INDEX ON floor3 (id_number_bidx);
CREATE TABLE ours3 (LIKE plain3 INCLUDING ALL);
SELECT ci.protect('ours3', 'id_number', 'cn_id', searchable => true);
SELECT ci.protect('ours3', 'mobile', 'cn_mobile');
SELECT ci.protect('ours3', 'email', 'email');
CREATE TABLE trig3 (LIKE plain3 INCLUDING ALL, id_number_bidx bytea);
CREATE INDEX ON trig3 (id_number_bidx);
CREATE FUNCTION trig3_encrypt() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	k bytea;
	hk bytea;
BEGIN
	SELECT pgc_key.k, pgc_key.hk INTO k, hk FROM pgc_key;
	NEW.id_number_bidx := hmac(convert_to(NEW.id_number, 'UTF8'), hk, 'sha256');
	NEW.id_number := encode(encrypt_iv(convert_to(NEW.id_number, 'UTF8'), k,
		gen_random_bytes(16), 'aes-cbc/pad:pkcs'), 'base64');
	NEW.mobile := encode(encrypt_iv(convert_to(NEW.mobile, 'UTF8'), k,
		gen_random_bytes(16), 'aes-cbc/pad:pkcs'), 'base64');
	NEW.email := encode(encrypt_iv(convert_to(NEW.email, 'UTF8'), k,
		gen_random_bytes(16), 'aes-cbc/pad:pkcs'), 'base64');
	RETURN NEW;
END
$$;
CREATE TRIGGER trig3_encrypt BEFORE INSERT OR UPDATE ON trig3
	FOR EACH ROW EXECUTE FUNCTION trig3_encrypt();
SQL

ci_say "timing ($reps alternating runs each, medians)"
version=$(ci_psql -d bench -Atc 'SHOW server_version')
printf '\ncustomer_info encryption benchmark: %s rows, PostgreSQL %s\n' "$rows" "$version"
printf 'in-server timing, median of %s alternating runs; jit = off, max_parallel_workers_per_gather = 0\n\n' "$reps"
bench -v reps="$reps" -v rows="$rows" <<'SQL'
SET max_parallel_workers_per_gather = 0;
SET jit = off;
\i test/bench/compare.sql
\pset footer off

CREATE TEMP TABLE results (n int, operation text, ours_ms float8, baseline text,
						   base_ms float8, target float8, per text);

-- encrypt: ours (trigger seals) vs encrypt_iv with a random IV
INSERT INTO results SELECT 1, 'encrypt (INSERT, 1 column)', r.ours_ms, 'encrypt_iv + random IV',
	r.base_ms, 1.0 / 3, 'value'
  FROM pg_temp.compare(
	'INSERT INTO ours1 SELECT id, cn_id FROM src',
	$q$INSERT INTO pgc1 SELECT id, gen_random_bytes(16) || encrypt_iv(convert_to(cn_id, 'UTF8'),
		(SELECT k FROM pgc_key), gen_random_bytes(16), 'aes-cbc/pad:pkcs') FROM src$q$,
	:reps, 'TRUNCATE ours1', 'TRUNCATE pgc1') r;

-- pgcrypto with the IV kept in front of the ciphertext, as decrypt needs it
TRUNCATE pgc1;
INSERT INTO pgc1 SELECT id, iv || encrypt_iv(convert_to(cn_id, 'UTF8'), (SELECT k FROM pgc_key),
	iv, 'aes-cbc/pad:pkcs') FROM (SELECT id, cn_id, gen_random_bytes(16) AS iv FROM src) s;
TRUNCATE ours1;
INSERT INTO ours1 SELECT id, cn_id FROM src;
VACUUM ANALYZE ours1, pgc1;

INSERT INTO results SELECT 2, 'decrypt (ci.reveal, keyed)', r.ours_ms, 'decrypt_iv', r.base_ms,
	1.0 / 2, 'value'
  FROM pg_temp.compare(
	$q$SELECT count(ci.reveal('ours1', 'v', v, id)) FROM ours1$q$,
	$q$SELECT count(decrypt_iv(substr(v, 17), (SELECT k FROM pgc_key), substr(v, 1, 16),
		'aes-cbc/pad:pkcs')) FROM pgc1$q$,
	:reps) r;
INSERT INTO results SELECT 3, 'decrypt (ci.reveal, whole row)', r.ours_ms, 'decrypt_iv', r.base_ms,
	1.0 / 2, 'value'
  FROM pg_temp.compare(
	$q$SELECT count(ci.reveal(t, 'v')) FROM ours1 t$q$,
	$q$SELECT count(decrypt_iv(substr(v, 17), (SELECT k FROM pgc_key), substr(v, 1, 16),
		'aes-cbc/pad:pkcs')) FROM pgc1$q$,
	:reps) r;

-- OpenPGP is slow by design (key stretching): 1% of the rows, scaled up;
-- both sides INSERT what they encrypt
INSERT INTO results SELECT 4, 'encrypt (INSERT, 1 column)', r.ours_ms, 'INSERT pgp_sym_encrypt',
	r.base_ms * 100, 1.0 / 100, 'value'
  FROM pg_temp.compare(
	'INSERT INTO ours1 SELECT id, cn_id FROM src',
	$q$INSERT INTO pgp1 SELECT id, pgp_sym_encrypt(cn_id, 'passphrase') FROM src
		WHERE id % 100 = 0$q$,
	1, 'TRUNCATE ours1', 'TRUNCATE pgp1') r;
-- what encrypting costs per value, apart from inserting: each INSERT minus
-- the same INSERT into an unprotected table, measured in the same run
CREATE TEMP TABLE plain1 (id integer PRIMARY KEY, v text);
CREATE TEMP TABLE enc_cost AS SELECT r.ours_ms, r.base_ms AS plain_ms
  FROM pg_temp.compare(
	'INSERT INTO ours1 SELECT id, cn_id FROM src',
	'INSERT INTO plain1 SELECT id, cn_id FROM src',
	:reps, 'TRUNCATE ours1', 'TRUNCATE plain1') r;
INSERT INTO results SELECT 5, 'encryption cost (INSERT - plain)', e.ours_ms - e.plain_ms,
	'pgp_sym_encrypt cost (same)', p.base_ms - e.plain_ms, 1.0 / 100, 'value'
  FROM enc_cost e, results p WHERE p.n = 4;
TRUNCATE ours1;
INSERT INTO ours1 SELECT id, cn_id FROM src;
VACUUM ANALYZE ours1;

INSERT INTO results SELECT 6, 'decrypt (ci.reveal, keyed)', r.ours_ms, 'pgp_sym_decrypt',
	r.base_ms * 100, 1.0 / 100, 'value'
  FROM pg_temp.compare(
	$q$SELECT count(ci.reveal('ours1', 'v', v, id)) FROM ours1$q$,
	$q$SELECT count(pgp_sym_decrypt(v, 'passphrase')) FROM pgp1$q$,
	1) r;

-- bulk insert of customers with three encrypted columns
INSERT INTO results SELECT 7, 'INSERT, 3 encrypted + blind index', r.ours_ms,
	'unprotected INSERT', r.base_ms, 3, 'row'
  FROM pg_temp.compare(
	'INSERT INTO ours3 SELECT * FROM src',
	'INSERT INTO plain3 SELECT * FROM src',
	:reps, 'TRUNCATE ours3', 'TRUNCATE plain3') r;
INSERT INTO results SELECT 8, 'INSERT, 3 encrypted + blind index', r.ours_ms,
	'unprotected + blind index', r.base_ms, NULL, 'row'
  FROM pg_temp.compare(
	'INSERT INTO ours3 SELECT * FROM src',
	'INSERT INTO floor3 SELECT * FROM src_bidx',
	:reps, 'TRUNCATE ours3', 'TRUNCATE floor3') r;
INSERT INTO results SELECT 9, 'INSERT, 3 encrypted + blind index', r.ours_ms,
	'PL/pgSQL trigger + pgcrypto', r.base_ms, 1.0 / 2, 'row'
  FROM pg_temp.compare(
	'INSERT INTO ours3 SELECT * FROM src',
	'INSERT INTO trig3 SELECT * FROM src',
	:reps, 'TRUNCATE ours3', 'TRUNCATE trig3') r;

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

-- blind-index lookup among ROWS customers
TRUNCATE ours3;
INSERT INTO ours3 SELECT * FROM src;
VACUUM ANALYZE ours3;
CREATE TEMP TABLE probes AS SELECT cn_id FROM src ORDER BY random() LIMIT 1000;
DO $$
DECLARE
	t0 timestamptz := clock_timestamp();
	found_rows int := 0;
	p record;
	n int;
BEGIN
	FOR p IN SELECT cn_id FROM probes LOOP
		SELECT count(*) INTO n FROM ours3
		 WHERE id_number_bidx = ci.lookup('ours3', 'id_number', p.cn_id);
		found_rows := found_rows + n;
	END LOOP;
	-- total seconds for 1000 lookups = milliseconds per lookup
	RAISE NOTICE 'lookup: % of 1000 random customers found, % ms per lookup (target < 1 ms)',
		found_rows,
		to_char(extract(epoch FROM clock_timestamp() - t0), 'FM990.0000');
END
$$;
SQL

ci_say "re-encryption under a concurrent write load"
# another session keeps updating random customers' mobile numbers, one
# committed transaction a millisecond or so (the key is drawn first, so
# that each update is an index scan)
# (psql does not substitute variables inside dollar quotes: the shell does)
start_load() {
	bench >"$cluster/load.log" 2>&1 <<SQL &
DO \$\$
DECLARE
	k integer;
BEGIN
	LOOP
		k := 1 + (random() * ($rows - 1))::integer;
		UPDATE ours3 SET mobile = '139' || lpad((random() * 99999999)::integer::text, 8, '0')
		 WHERE id = k;
		COMMIT;
		PERFORM pg_sleep(0.001);
	END LOOP;
END
\$\$;
SQL
	loadpid=$!
	sleep 1
}
stop_load() {
	bench -At -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = 'bench' AND query LIKE 'DO %' AND pid <> pg_backend_pid()" >/dev/null
	wait "$loadpid" 2>/dev/null || true
	loadpid=
}
updates() {
	# statistics reach the shared counters within a second of a commit
	bench -At -c "SELECT pg_sleep(1.5); SELECT pg_stat_clear_snapshot();
		SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'ours3'" | tail -1
}
# reencrypt LABEL VALUES CALL-ARGUMENTS
reencrypt() {
	local label=$1 values=$2 args=$3 start end w0 w1 r0 r1
	bench -c "SELECT ci.rotate_key()" >/dev/null
	bench -c "CHECKPOINT" >/dev/null
	w0=$(updates)
	start_load
	start=$(date +%s.%N)
	bench -c "CALL ci.reencrypt($args)" 2>&1 | tail -1
	end=$(date +%s.%N)
	stop_load
	w1=$(updates)
	# the load's updates are those not made by ci.reencrypt (one per row)
	awk -v l="$label" -v v="$values" -v s="$start" -v e="$end" -v w="$((w1 - w0 - rows))" 'BEGIN {
		printf "reencrypt, %s: %d values in %.1f s = %.0f values/s (target >= 100000), with %d concurrent updates meanwhile (%.0f/s)\n",
			l, v, e - s, v / (e - s), w, w / (e - s) }'
}
reencrypt "all three columns, one UPDATE per row" "$((3 * rows))" "'ours3'"
reencrypt "one column (id_number)" "$rows" "'ours3', 'id_number'"
bench -At -c "SELECT key_id, column_name, \"values\" FROM ci.key_usage() WHERE tbl = 'ours3'::regclass ORDER BY 2, 1" |
	sed 's/^/key usage after re-encryption (key|column|values): /'
