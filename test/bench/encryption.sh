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
#   decrypt   ci.reveal() of every row vs decrypt_iv() of every row
#   pgp       pgp_sym_encrypt/pgp_sym_decrypt on 1% of the rows, per value
#   insert    ROWS customers with three encrypted columns, one searchable
#             (blind index indexed), vs the same INSERT into an unprotected
#             table, and vs a PL/pgSQL trigger with pgcrypto (encrypt_iv with
#             a random IV per value, hmac() for the blind index, same index)
#   lookup    1000 blind-index lookups of random customers (per lookup)
#   reencrypt CALL ci.reencrypt() of the ID numbers after ci.rotate_key(),
#             while another session keeps updating rows (values per second)
set -euo pipefail
export LC_ALL=C.UTF-8 LANG=C.UTF-8

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=test/lib/common.sh
. "$top/test/lib/common.sh"
ci_as_root "$@"

rows=${1:-1000000}
case $rows in
'' | *[!0-9]* | 0*) ci_die "usage: $0 [ROWS]  (ROWS a positive integer, default 1000000)" ;;
esac
reps=3

ci_install_packages
work=$(ci_stage_tree "$top")
cluster=$(mktemp -d /tmp/customer_info_bench.XXXXXX)
loadpid=
finish() {
	[ -n "$loadpid" ] && kill "$loadpid" 2>/dev/null || true
	ci_cluster_stop
	rm -rf "$cluster" "$work"
}
trap finish EXIT

ci_build_install "$work"
ci_say "starting a throwaway cluster in $cluster"
ci_cluster_start "$cluster"
# a throwaway root key, for this cluster only
key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
echo "customer_info.key_command = 'echo $key'" >>"$cluster/data/postgresql.conf"
ci_as_pg "$CI_PG_BIN/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w restart >/dev/null

bench() { (cd "$work" && ci_psql -q -d bench "$@"); }
ci_psql -q -d postgres -c 'CREATE DATABASE bench'
bench -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION customer_info CASCADE'
bench -f test/synthetic.sql

ci_say "loading $rows synthetic customers"
bench -v rows="$rows" <<'SQL'
\o /dev/null
SET max_parallel_workers_per_gather = 0;
SET jit = off;
CREATE TABLE src AS
	SELECT customer_id::integer AS id, full_name AS name, cn_id, mobile, email
	  FROM synthetic.customers(:rows, 42);
VACUUM ANALYZE src;
-- the pgcrypto keys, as a DBA would keep them in a table
CREATE TABLE pgc_key AS SELECT gen_random_bytes(32) AS k, gen_random_bytes(32) AS hk;

-- one encrypted column, for the per-value figures
CREATE TABLE ours1 (id integer PRIMARY KEY, v text);
SELECT ci.protect('ours1', 'v', 'cn_id');
CREATE TABLE pgc1 (id integer PRIMARY KEY, v bytea);

-- three encrypted columns, the ID number searchable
CREATE TABLE plain3 (id integer PRIMARY KEY, name text, id_number text, mobile text, email text);
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

INSERT INTO results SELECT 2, 'decrypt (ci.reveal)', r.ours_ms, 'decrypt_iv', r.base_ms, 1.0 / 2, 'value'
  FROM pg_temp.compare(
	$q$SELECT count(ci.reveal(t, 'v')) FROM ours1 t$q$,
	$q$SELECT count(decrypt_iv(substr(v, 17), (SELECT k FROM pgc_key), substr(v, 1, 16),
		'aes-cbc/pad:pkcs')) FROM pgc1$q$,
	:reps) r;

-- OpenPGP is slow by design (key stretching): 1% of the rows, scaled up
CREATE TEMP TABLE pgp1 AS SELECT id, pgp_sym_encrypt(cn_id, 'passphrase') AS v
  FROM src WHERE id % 100 = 0;
INSERT INTO results SELECT 3, 'encrypt (INSERT, 1 column)', r.ours_ms, 'pgp_sym_encrypt',
	r.base_ms * 100, 1.0 / 100, 'value'
  FROM pg_temp.compare(
	'INSERT INTO ours1 SELECT id, cn_id FROM src',
	$q$SELECT count(pgp_sym_encrypt(cn_id, 'passphrase')) FROM src WHERE id % 100 = 0$q$,
	1, 'TRUNCATE ours1', NULL) r;
INSERT INTO results SELECT 4, 'decrypt (ci.reveal)', r.ours_ms, 'pgp_sym_decrypt',
	r.base_ms * 100, 1.0 / 100, 'value'
  FROM pg_temp.compare(
	$q$SELECT count(ci.reveal(t, 'v')) FROM ours1 t$q$,
	$q$SELECT count(pgp_sym_decrypt(v, 'passphrase')) FROM pgp1$q$,
	1) r;

-- bulk insert of customers with three encrypted columns
INSERT INTO results SELECT 5, 'INSERT, 3 encrypted + blind index', r.ours_ms,
	'unprotected INSERT', r.base_ms, 3, 'value'
  FROM pg_temp.compare(
	'INSERT INTO ours3 SELECT id, name, cn_id, mobile, email FROM src',
	'INSERT INTO plain3 SELECT id, name, cn_id, mobile, email FROM src',
	:reps, 'TRUNCATE ours3', 'TRUNCATE plain3') r;
INSERT INTO results SELECT 6, 'INSERT, 3 encrypted + blind index', r.ours_ms,
	'PL/pgSQL trigger + pgcrypto', r.base_ms, 1.0 / 2, 'value'
  FROM pg_temp.compare(
	'INSERT INTO ours3 SELECT id, name, cn_id, mobile, email FROM src',
	'INSERT INTO trig3 SELECT id, name, cn_id, mobile, email FROM src',
	:reps, 'TRUNCATE ours3', 'TRUNCATE trig3') r;

SELECT operation,
	   to_char(ours_ms, 'FM9999990.0') AS ours_ms,
	   to_char(1000 * ours_ms / :rows, 'FM990.000') AS ours_us_per_row,
	   baseline,
	   to_char(base_ms, 'FM9999990.0') AS baseline_ms,
	   to_char(1000 * base_ms / :rows, 'FM99990.000') AS base_us_per_row,
	   to_char(ours_ms / base_ms, 'FM990.000') AS ratio,
	   '<= ' || to_char(target, 'FM990.000') AS target,
	   CASE WHEN ours_ms / base_ms <= target THEN 'PASS' ELSE 'MISS' END AS verdict
  FROM results ORDER BY n;

-- blind-index lookup among ROWS customers
TRUNCATE ours3;
INSERT INTO ours3 SELECT id, name, cn_id, mobile, email FROM src;
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
bench -c "SELECT ci.rotate_key()" >/dev/null
# another session keeps updating random customers' mobile numbers, one
# committed transaction a millisecond or so
# (psql does not substitute variables inside dollar quotes: the shell does)
bench >"$cluster/load.log" 2>&1 <<SQL &
DO \$\$
BEGIN
	LOOP
		UPDATE ours3 SET mobile = '139' || lpad((random() * 99999999)::int::text, 8, '0')
		 WHERE id = 1 + (random() * ($rows - 1))::int;
		COMMIT;
		PERFORM pg_sleep(0.001);
	END LOOP;
END
\$\$;
SQL
loadpid=$!
sleep 1
writes0=$(bench -At -c "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'ours3'")
start=$(date +%s.%N)
bench -c "CALL ci.reencrypt('ours3', 'id_number', 10000)" 2>&1 | tail -1
end=$(date +%s.%N)
# stop the load: end its session in the server, then reap the client
bench -At -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	WHERE datname = 'bench' AND query LIKE 'DO %' AND pid <> pg_backend_pid()" >/dev/null
wait "$loadpid" 2>/dev/null || true
loadpid=
# statistics reach the shared counters within a second of a commit
writes1=$(bench -At -c "SELECT pg_sleep(1.5); SELECT pg_stat_clear_snapshot(); SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'ours3'" | tail -1)
bench -At -c "SELECT key_id, \"values\" FROM ci.key_usage() WHERE column_name = 'id_number' AND tbl = 'ours3'::regclass" |
	sed 's/^/key usage after re-encryption (key|values): /'
awk -v r="$rows" -v s="$start" -v e="$end" -v w="$((writes1 - writes0 - rows))" 'BEGIN {
	printf "reencrypt: %d values in %.1f s = %.0f values/s (target >= 100000), with about %d concurrent updates meanwhile\n", r, e - s, r / (e - s), w }'
