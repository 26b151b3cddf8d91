#!/usr/bin/env bash
# test/bench/read_audit.sh — what recording clear reads costs: pgbench point
# lookups through a masked view with the read audit on against the same
# lookups with it off.
#
#   sudo test/bench/read_audit.sh [ROWS] [SECONDS]
#                                  (defaults 100000 rows, 10 s per run)
#
# A benchmark, not a test: it prints figures, the ratio and the target of
# the masking issue (the audit costs at most 20% of the throughput), and
# never fails because something is slow.
#
# ROWS synthetic customers, mobile (C2, encrypted) and name (C2, stored in
# clear) protected.  Two roles hold the level clear on C2 and differ only
# in customer_info.read_audit (off for one, set by ALTER ROLE).  Each
# pgbench transaction reads one customer's mobile number by primary key
# through the masked view (pgbench -S style): one clear C2 value, so with
# the audit on one record per transaction, inserted by the read-audit
# worker.  pgbench: 4 clients, 2 threads, simple protocol, runs of SECONDS
# alternating off/on, 5 each after a warm-up.  The verdict is on the median
# of the five on/off latency ratios of adjacent runs (a machine whose speed
# drifts moves both runs of a pair alike); the medians of latency and
# throughput are printed beside it.  At the end, the records
# written are counted against the reads made.
set -euo pipefail
export LC_ALL=C.UTF-8 LANG=C.UTF-8

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=test/lib/common.sh
. "$top/test/lib/common.sh"
ci_as_root "$@"

rows=$(ci_bench_rows "${1:-}" 100000)
secs=${2:-10}
case $secs in
'' | *[!0-9]* | 0*) ci_die "usage: $0 [ROWS] [SECONDS]  (positive integers)" ;;
esac
reps=5

ci_bench_start "$top"
work=$CI_BENCH_WORK
cluster=$CI_BENCH_CLUSTER
bench -f test/synthetic.sql

ci_say "loading $rows synthetic customers"
bench -v rows="$rows" <<'SQL'
\o /dev/null
CREATE TABLE customers AS
	SELECT customer_id::integer AS id, full_name AS name, mobile, address
	  FROM synthetic.customers(:rows, 42);
ALTER TABLE customers ADD PRIMARY KEY (id);
SELECT ci.protect('customers', 'mobile', 'cn_mobile', 'C2');
SELECT ci.protect('customers', 'name', 'name', 'C2', encrypted => false);
VACUUM ANALYZE customers;
CREATE ROLE bench_audited LOGIN;
CREATE ROLE bench_unaudited LOGIN;
ALTER ROLE bench_unaudited SET customer_info.read_audit = off;
GRANT USAGE ON SCHEMA masked TO bench_audited, bench_unaudited;
GRANT SELECT ON masked.customers TO bench_audited, bench_unaudited;
SELECT ci.grant_level('bench_audited', 'clear', 'C2');
SELECT ci.grant_level('bench_unaudited', 'clear', 'C2');
SQL

script=$cluster/lookup.sql
cat >"$script" <<SQL
\set id random(1, $rows)
SELECT mobile FROM masked.customers WHERE id = :id;
SQL
chown "$CI_PG_USER:" "$script"

# one pgbench run as a role: "tps latency_ms transactions"
run() {
	ci_as_pg "$CI_PG_BIN/pgbench" -h "$cluster" -p 5432 -U "$1" -n -c 4 -j 2 \
		-T "$2" -f "$script" bench 2>&1 |
		awk '/^number of transactions actually processed/ { split($0, a, ": "); split(a[2], b, "/"); n = b[1] }
			 /^latency average = / { l = $4 }
			 /^tps = / { t = $3 }
			 END { if (t == "" || l == "") exit 1; print t, l, n }'
}
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

ci_say "warm-up"
run bench_unaudited 3 >/dev/null
run bench_audited 3 >/dev/null
bench -c 'SELECT ci.read_audit_wait(60000)' >/dev/null
before=$(bench -Atc "SELECT coalesce(sum(row_count), 0) FROM ci.read_audit WHERE role_name = 'bench_audited'")

ci_say "timing ($reps alternating runs of $secs s each)"
off=() on=() loff=() lon=() reads=0
for _ in $(seq "$reps"); do
	read -r tps lat _ < <(run bench_unaudited "$secs")
	off+=("$tps") loff+=("$lat")
	read -r tps lat n < <(run bench_audited "$secs")
	on+=("$tps") lon+=("$lat")
	reads=$((reads + n))
done
bench -c 'SELECT ci.read_audit_wait(600000)' >/dev/null
recorded=$(bench -Atc "SELECT coalesce(sum(row_count), 0) - $before FROM ci.read_audit WHERE role_name = 'bench_audited'")
unaudited=$(bench -Atc "SELECT count(*) FROM ci.read_audit WHERE role_name = 'bench_unaudited'")

m_off=$(printf '%s\n' "${off[@]}" | median)
m_on=$(printf '%s\n' "${on[@]}" | median)
ml_off=$(printf '%s\n' "${loff[@]}" | median)
ml_on=$(printf '%s\n' "${lon[@]}" | median)
version=$(ci_psql -d bench -Atc 'SHOW server_version')
printf '\ncustomer_info read-audit benchmark: %s rows, PostgreSQL %s\n' "$rows" "$version"
printf 'pgbench point lookups through the masked view (one clear C2 value each), 4 clients, 2 threads, %s s runs\n\n' "$secs"
printf 'read audit off  latency ms: %s   (median %s); tps: %s (median %s)\n' "${loff[*]}" "$ml_off" "${off[*]}" "$m_off"
printf 'read audit on   latency ms: %s   (median %s); tps: %s (median %s)\n' "${lon[*]}" "$ml_on" "${on[*]}" "$m_on"
m_ratio=$(for i in "${!lon[@]}"; do awk -v a="${lon[$i]}" -v b="${loff[$i]}" 'BEGIN { print a / b }'; done | median)
awk -v on="$ml_on" -v off="$ml_off" -v ton="$m_on" -v toff="$m_off" -v r="$m_ratio" 'BEGIN {
	printf "\nmedian latency %.3f ms on vs %.3f ms off; throughput on %.3f of off\n", on, off, ton / toff
	printf "latency added by the read audit (median of the ratios of the pairs): +%.1f%% (target <= +20%%): %s\n",
		100 * (r - 1), r - 1 <= 0.20 ? "PASS" : "MISS"
}'
printf 'clear values read with the audit on: %s; recorded in ci.read_audit: %s (%s)\n' \
	"$reads" "$recorded" "$([ "$reads" = "$recorded" ] && echo complete || echo MISMATCH)"
printf 'records of the role with the audit off: %s\n' "$unaudited"
