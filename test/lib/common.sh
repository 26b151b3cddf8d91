# test/lib/common.sh — shared by test/demo.sh, test/check.sh and test/bench.
#
# Sourced, not run.  Provides: ci_as_root, ci_install_packages,
# ci_stage_tree, ci_build_install, ci_as_pg, ci_cluster_start,
# ci_cluster_stop, ci_psql.
#
# Clusters are run by the unprivileged "postgres" user (initdb and postgres
# refuse to run as root) from a copy of the tree under /tmp that it owns,
# because the checkout may sit where that user cannot read.

CI_PG_MAJOR=${CI_PG_MAJOR:-15}
CI_PG_BIN=/usr/lib/postgresql/$CI_PG_MAJOR/bin
CI_PG_USER=${CI_PG_USER:-postgres}
CI_PACKAGES="postgresql-$CI_PG_MAJOR postgresql-client-$CI_PG_MAJOR \
postgresql-server-dev-$CI_PG_MAJOR libipc-run-perl libssl-dev make gcc \
clang clang-14 libclang-rt-14-dev llvm-14 perl gnupg"

ci_say() { printf '== %s\n' "$*" >&2; }
ci_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Re-run the calling script as root (through sudo) when needed.
ci_as_root() {
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || ci_die "run this as root, or install sudo"
		exec sudo -E "$0" "$@"
	fi
}

# Install whatever Debian packages are missing; apt-get update only if so.
ci_install_packages() {
	local missing="" p
	for p in $CI_PACKAGES "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	ci_say "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 || ci_die "apt-get update failed"
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >&2 ||
		ci_die "apt-get install failed:$missing"
}

ci_as_pg() { runuser -u "$CI_PG_USER" -- "$@"; }

# Copy the source tree (without build or test outputs) to a new directory
# under /tmp owned by the postgres user; print its path.
ci_stage_tree() {
	local src=$1 dst
	dst=$(mktemp -d /tmp/customer_info.XXXXXX)
	tar -C "$src" --exclude=.git --exclude='*.o' --exclude='*.so' \
		--exclude='*.bc' --exclude=results --exclude=tmp_check \
		--exclude=tmp_check_iso --exclude=output_iso --exclude=log \
		--exclude=regression.diffs --exclude=regression.out \
		--exclude=test/fuzz/bin -cf - . | tar -C "$dst" -xf -
	chown -R "$CI_PG_USER:" "$dst"
	chmod 755 "$dst"
	echo "$dst"
}

# Build (as the postgres user, with -Werror) in a staged tree, install as root.
ci_build_install() {
	local dir=$1
	ci_say "building in $dir"
	ci_as_pg make -C "$dir" -s clean >/dev/null
	ci_as_pg make -C "$dir" -s WERROR=1 PG_CONFIG="$CI_PG_BIN/pg_config" >&2 ||
		ci_die "build failed"
	make -C "$dir" -s install PG_CONFIG="$CI_PG_BIN/pg_config" >&2 ||
		ci_die "make install failed"
}

# Start a throwaway cluster in $1 (created, owned by postgres) that
# preloads the library; it listens only on a Unix socket in $1.  With
# "random-key" as $2 it gets a root key of its own, from the operating
# system's random source (a real installation takes it from a key manager
# through customer_info.key_command).
ci_cluster_start() {
	local dir=$1 key
	mkdir -p "$dir"
	chown "$CI_PG_USER:" "$dir"
	ci_as_pg "$CI_PG_BIN/initdb" -D "$dir/data" -A trust -E UTF8 \
		--locale=C.UTF-8 -U postgres >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; ci_die "initdb failed"; }
	cat >>"$dir/data/postgresql.conf" <<-CONF
		shared_preload_libraries = 'customer_info'
		listen_addresses = ''
		unix_socket_directories = '$dir'
		port = 5432
		fsync = off
	CONF
	if [ "${2:-}" = random-key ]; then
		key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
		echo "customer_info.key_command = 'echo $key'" >>"$dir/data/postgresql.conf"
	fi
	ci_as_pg "$CI_PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null ||
		{ cat "$dir/server.log" >&2; ci_die "server did not start"; }
	CI_CLUSTER_DIR=$dir
}

ci_cluster_stop() {
	[ -n "${CI_CLUSTER_DIR:-}" ] || return 0
	ci_as_pg "$CI_PG_BIN/pg_ctl" -D "$CI_CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
	CI_CLUSTER_DIR=
}

# psql against the running throwaway cluster, as the postgres user.
ci_psql() {
	ci_as_pg "$CI_PG_BIN/psql" -X -h "$CI_CLUSTER_DIR" -p 5432 -U postgres \
		-v ON_ERROR_STOP=1 "$@"
}

# Benchmarks (test/bench/*.sh).
#
# ci_bench_rows ARG DEFAULT: the ROWS argument (DEFAULT if empty), which
# must be a positive integer.
ci_bench_rows() {
	local rows=${1:-$2}
	case $rows in
	'' | *[!0-9]* | 0*) ci_die "usage: $0 [ROWS]  (ROWS a positive integer, default $2)" ;;
	esac
	echo "$rows"
}

# ci_bench_start TOP: build and install from a staged copy of TOP, start a
# throwaway cluster with a root key of its own, and create database
# "bench" with the extension.  Everything goes when the script exits
# (after bench_cleanup, if the script defines it).  Sets CI_BENCH_WORK (the
# staged tree) and CI_BENCH_CLUSTER (the cluster's directory).
ci_bench_start() {
	ci_install_packages
	CI_BENCH_WORK=$(ci_stage_tree "$1")
	CI_BENCH_CLUSTER=$(mktemp -d /tmp/customer_info_bench.XXXXXX)
	trap ci_bench_finish EXIT
	ci_build_install "$CI_BENCH_WORK"
	ci_say "starting a throwaway cluster in $CI_BENCH_CLUSTER"
	ci_cluster_start "$CI_BENCH_CLUSTER" random-key
	ci_psql -q -d postgres -c 'CREATE DATABASE bench'
	bench -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION customer_info CASCADE'
}

ci_bench_finish() {
	if declare -F bench_cleanup >/dev/null; then bench_cleanup || true; fi
	ci_cluster_stop
	rm -rf "$CI_BENCH_CLUSTER" "$CI_BENCH_WORK"
}

# bench [psql arguments]: psql on database bench, from the staged tree.
bench() { (cd "$CI_BENCH_WORK" && ci_psql -q -d bench "$@"); }
