#!/usr/bin/env bash
# test/bench/audit.sh — the C audit trigger against no trigger and against
# the common PL/pgSQL audit trigger, and sealing and verifying the chain.
#
#   sudo test/bench/audit.sh [ROWS] [SECONDS]
#                              (defaults 1000000 rows, 10 s per pgbench run)
#
# A benchmark, not a test: it prints figures, ratios and the targets of the
# audit issue, and never fails because something is slow.
#
# Baseline: a PL/pgSQL trigger inserting to_jsonb(OLD) and to_jsonb(NEW)
# into a log table, as the widely used audit-trigger script does.
#   pgbench   single-row UPDATEs on 100,000 rows, 4 clients, 2 threads,
#             synchronous_commit = off, runs of SECONDS for no trigger, the
#             PL/pgSQL trigger and ci.audit, alternating, 5 rounds; the
#             median of each round's ratio to no trigger
#             (target: ci.audit keeps >= 85% of the no-trigger tps)
#   bulk      INSERT of ROWS rows into an empty table with each (targets:
#             >= 3x faster than PL/pgSQL, <= 5x no trigger); and the floor:
#             inserting the log rows ci.audit wrote into a table like the
#             log (same indexes) without any trigger
#   seal      ci.audit_seal() over the ROWS log rows of the bulk insert, then
#             ci.audit_verify() of those ROWS links (targets: < 10 s each)
set -euo pipefail
export LC_ALL=C.UTF-8 LANG=C.UTF-8

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=test/lib/common.sh
. "$top/test/lib/common.sh"
ci_as_root "$@"

rows=$(ci_bench_rows "${1:-}" 1000000)
secs=${2:-10}
case $secs in
'' | *[!0-9]* | 0*) ci_die "usage: $0 [ROWS] [SECONDS]  (positive integers)" ;;
esac

ci_bench_start "$top"
cluster=$CI_BENCH_CLUSTER

ci_say "preparing"
bench <<'SQL'
\o /dev/null
CREATE TABLE plpgsql_log (id bigserial PRIMARY KEY, tbl text, op text, at timestamptz DEFAULT now(),
						  who text DEFAULT session_user, old_row jsonb, new_row jsonb);
CREATE FUNCTION plpgsql_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO plpgsql_log (tbl, op, old_row, new_row)
	VALUES (TG_TABLE_NAME, TG_OP,
			CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END,
			CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
	RETURN NULL;
END $$;
CREATE TABLE acct_none (id int PRIMARY KEY, owner text, branch text, balance numeric);
CREATE TABLE acct_plpgsql (LIKE acct_none INCLUDING ALL);
CREATE TABLE acct_ours (LIKE acct_none INCLUDING ALL);
INSERT INTO acct_none SELECT g, 'owner ' || g, 'branch ' || g % 50, 1000 FROM generate_series(1, 100000) g;
INSERT INTO acct_plpgsql SELECT * FROM acct_none;
INSERT INTO acct_ours SELECT * FROM acct_none;
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON acct_plpgsql
	FOR EACH ROW EXECUTE FUNCTION plpgsql_audit();
SELECT ci.audit('acct_ours');
VACUUM ANALYZE;
SQL

for t in none plpgsql ours; do
	printf '\\set id random(1, 100000)\nUPDATE acct_%s SET balance = balance + 1 WHERE id = :id;\n' "$t" \
		>"$cluster/update_$t.sql"
done
chown "$CI_PG_USER:" "$cluster"/update_*.sql
tps() {
	ci_as_pg env PGOPTIONS='-c synchronous_commit=off' "$CI_PG_BIN/pgbench" -h "$cluster" \
		-p 5432 -U postgres -n -c 4 -j 2 -T "$secs" -f "$cluster/update_$1.sql" bench 2>&1 |
		awk '/^tps = / { print $3 }'
}
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

ci_say "pgbench ($secs s runs, alternating)"
declare -A runs r
ratios_ours=
ratios_plpgsql=
for _ in 1 2 3 4 5; do
	for t in none plpgsql ours; do
		r[$t]=$(tps "$t")
		runs[$t]="${runs[$t]:-} ${r[$t]}"
	done
	ratios_ours="$ratios_ours $(awk -v a="${r[ours]}" -v b="${r[none]}" 'BEGIN { print a / b }')"
	ratios_plpgsql="$ratios_plpgsql $(awk -v a="${r[plpgsql]}" -v b="${r[none]}" 'BEGIN { print a / b }')"
done
m_none=$(printf '%s\n' ${runs[none]} | median)
m_plpgsql=$(printf '%s\n' ${runs[plpgsql]} | median)
m_ours=$(printf '%s\n' ${runs[ours]} | median)
r_ours=$(printf '%s\n' $ratios_ours | median)
r_plpgsql=$(printf '%s\n' $ratios_plpgsql | median)

ci_say "bulk INSERT of $rows rows, sealing and verifying"
bulk=$(bench -At -v rows="$rows" <<'SQL'
\o /dev/null
CREATE FUNCTION pg_temp.ms(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN EXECUTE q; RETURN 1000 * extract(epoch FROM clock_timestamp() - t0); END $$;
CREATE TABLE bulk_none (id int PRIMARY KEY, owner text, branch text, balance numeric);
CREATE TABLE bulk_plpgsql (LIKE bulk_none INCLUDING ALL);
CREATE TABLE bulk_ours (LIKE bulk_none INCLUDING ALL);
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON bulk_plpgsql
	FOR EACH ROW EXECUTE FUNCTION plpgsql_audit();
SELECT ci.audit('bulk_ours');
SELECT ci.audit_seal();
SELECT coalesce(max(chain_seq), 0) AS sealed_before FROM ci.audit_chain \gset
-- the floor: a table like the log (same columns and indexes), to store
-- the rows ci.audit writes without any trigger
CREATE TABLE log_copy (LIKE ci.audit_log INCLUDING INDEXES);
CHECKPOINT;
\o
SELECT pg_temp.ms(format('INSERT INTO bulk_none SELECT g, ''owner '' || g, ''branch '' || g %% 50, 1000 FROM generate_series(1, %s) g', :rows));
SELECT pg_temp.ms(format('INSERT INTO bulk_plpgsql SELECT g, ''owner '' || g, ''branch '' || g %% 50, 1000 FROM generate_series(1, %s) g', :rows));
SELECT pg_temp.ms(format('INSERT INTO bulk_ours SELECT g, ''owner '' || g, ''branch '' || g %% 50, 1000 FROM generate_series(1, %s) g', :rows));
\o /dev/null
CREATE TEMP TABLE staged AS SELECT * FROM ci.audit_log WHERE relid = 'bulk_ours'::regclass;
CHECKPOINT;
\o
SELECT pg_temp.ms('INSERT INTO log_copy SELECT * FROM staged');
SELECT pg_temp.ms('SELECT ci.audit_seal()');
SELECT pg_temp.ms(format('SELECT ci.audit_verify(%s, %s)', :sealed_before + 1, :sealed_before + :rows));
SELECT ok::text || ' ' || checked FROM ci.audit_verify(:sealed_before + 1, :sealed_before + :rows);
SQL
)
read -r b_none b_plpgsql b_ours b_floor seal_ms verify_ms _ <<<"$(echo "$bulk" | tr '\n' ' ')" || true
verified=$(echo "$bulk" | tail -1)

version=$(ci_psql -d bench -Atc 'SHOW server_version')
printf '\ncustomer_info audit benchmark: PostgreSQL %s\n\n' "$version"
printf 'pgbench single-row UPDATEs, 4 clients, synchronous_commit = off, %s s runs, alternating\n' "$secs"
printf '  no trigger  tps:%s  (median %s)\n' "${runs[none]}" "$m_none"
printf '  PL/pgSQL    tps:%s  (median %s)\n' "${runs[plpgsql]}" "$m_plpgsql"
printf '  ci.audit    tps:%s  (median %s)\n' "${runs[ours]}" "$m_ours"
awk -v o="$r_ours" -v p="$r_plpgsql" 'BEGIN {
	printf "  ci.audit keeps %.3f of the no-trigger tps (median of the rounds'"'"' ratios; target >= 0.85): %s; PL/pgSQL keeps %.3f\n",
		o, (o >= 0.85) ? "PASS" : "MISS", p
}'
printf '\nbulk INSERT of %s rows: no trigger %.0f ms, PL/pgSQL %.0f ms, ci.audit %.0f ms\n' \
	"$rows" "$b_none" "$b_plpgsql" "$b_ours"
awk -v n="$b_none" -v p="$b_plpgsql" -v o="$b_ours" -v f="$b_floor" 'BEGIN {
	printf "  ci.audit %.2fx faster than PL/pgSQL (target >= 3): %s; %.2fx the time without trigger (target <= 5): %s\n",
		p / o, (p / o >= 3) ? "PASS" : "MISS", o / n, (o / n <= 5) ? "PASS" : "MISS"
	printf "  floor: storing the same log rows without any trigger takes %.0f ms, so no trigger + floor = %.0f ms;\n", f, n + f
	printf "  ci.audit is %.2fx that floor; 3x faster than PL/pgSQL would be %.0f ms (%.2fx the floor)\n",
		o / (n + f), p / 3, (p / 3) / (n + f)
}'
printf '\nseal %s rows: %.0f ms (target < 10000): %s\n' "$rows" "$seal_ms" \
	"$(awk -v s="$seal_ms" 'BEGIN { print ((s < 10000) ? "PASS" : "MISS") }')"
printf 'verify those %s links: %.0f ms (target < 10000): %s; result: %s\n' "$rows" "$verify_ms" \
	"$(awk -v s="$verify_ms" 'BEGIN { print ((s < 10000) ? "PASS" : "MISS") }')" "$verified"
