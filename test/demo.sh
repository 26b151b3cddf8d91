#!/usr/bin/env bash
# test/demo.sh — the main job: installs what it needs, builds and installs
# customer_info, starts a throwaway PostgreSQL cluster (run by the
# unprivileged postgres user, in a temporary directory, removed at the end),
# loads synthetic customers and shows the policy at work.
#
#   sudo test/demo.sh            run the demo
#   KEEP=1 sudo test/demo.sh     leave the cluster running afterwards
set -euo pipefail
export LC_ALL=C.UTF-8 LANG=C.UTF-8

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=test/lib/common.sh
. "$top/test/lib/common.sh"
ci_as_root "$@"

ci_install_packages
work=$(ci_stage_tree "$top")
ci_build_install "$work"

cluster=$(mktemp -d /tmp/customer_info_demo.XXXXXX)
finish() {
	if [ -n "${KEEP:-}" ]; then
		echo "cluster left running: psql -h $cluster -p 5432 -U postgres bank" >&2
		return
	fi
	ci_cluster_stop
	rm -rf "$cluster" "$work"
}
trap finish EXIT

ci_say "starting a throwaway cluster in $cluster"
ci_cluster_start "$cluster" random-key  # a root key for this cluster only
ci_psql -q -d postgres -c 'CREATE DATABASE bank'
ci_psql -q -d bank -f "$work/test/synthetic.sql"

ci_say "the demo (test/demo.sql)"
# -a echoes each statement before its result; errors are part of the show,
# printed right after the statement that caused them: psql's output is
# unbuffered and its errors go to the same stream.
ci_as_pg stdbuf -o0 -e0 "$CI_PG_BIN/psql" -X -h "$CI_CLUSTER_DIR" -p 5432 -U postgres \
	-d bank -a -v ON_ERROR_STOP=0 -f "$work/test/demo.sql" 2>&1
