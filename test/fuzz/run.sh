#!/bin/bash
#
# test/fuzz/run.sh [SECONDS_PER_TARGET]
#
# Build the libFuzzer targets of test/fuzz with AddressSanitizer and
# UndefinedBehaviorSanitizer, fuzz each for SECONDS_PER_TARGET seconds
# (default 10) from a small seed corpus, then run each binary once more over
# everything its corpus holds.  Prints "ok <target>" or "FAILED <target>"
# per target and exits non-zero if any failed.
#
# Binaries, logs and crash inputs go to test/fuzz/bin (gitignored); the
# corpora live in a temporary directory that is removed on exit.  Set CC to
# use a clang other than the one on PATH.

set -euo pipefail

seconds=${1:-10}
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
	echo "usage: $0 [SECONDS_PER_TARGET]" >&2
	exit 2
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fuzzdir=$root/test/fuzz
bindir=$fuzzdir/bin
cc=${CC:-$(command -v clang || command -v clang-14 || echo clang)}
cflags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
		-I "$root/src")
# the PostgreSQL-free parser layer of ident_parse.h is src/parse_*.c
ident_srcs=("$root"/src/parse_*.c)
targets=(fuzz_cn_id fuzz_uscc fuzz_cn_mobile fuzz_bank_card fuzz_masks fuzz_envelope)

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

mkdir -p "$bindir"
work=$(mktemp -d "${TMPDIR:-/tmp}/ci_fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

# seed DIR STRING...: one corpus file per string (printf escapes allowed)
seed()
{
	local dir=$1 i=0 s
	shift
	mkdir -p "$dir"
	for s in "$@"; do
		printf "$s" > "$dir/seed$i"
		i=$((i + 1))
	done
}

seed "$work/corpus/fuzz_cn_id" \
	'11010519491231002X' '11010519491231002x' '110105491231002' \
	' 11010519491231002X\n' '810000199001011230' \
	'110105194912310021' '11010519490229002X' '990105194912310028' \
	'1101051949123100'
seed "$work/corpus/fuzz_uscc" \
	'91350100M000100Y43' '91110000600037341L' '91110108551385082q' \
	'91350100M000100Y44' '91350100M000100X43' '9135010OM000100Y43' \
	'91350100M000100Y4'
seed "$work/corpus/fuzz_cn_mobile" \
	'13800138000' '+86 138-0013-8000' '008613800138000' '8613800138000' \
	'12800138000' '+1 415 555 0100' '138--0013-8000' '1380013800'
seed "$work/corpus/fuzz_bank_card" \
	'4111111111111111' '6222 0200 0000 0000 000' '378282246310005' \
	'30569309025904' '4111111111111112' '6222 0200 0000 0000 00x' \
	'41111111111' '62220200000000000000'
# first byte: head 1, tail 1, no limit on stars (see fuzz_masks.c); the
# last three once made the masks copy control bytes out of invalid UTF-8
seed "$work/corpus/fuzz_masks" \
	'\x09张三' '\x09欧阳娜娜' '\x09a@b.com' '\x09广东省深圳市南山区科技园' \
	'\x52北京市朝阳区' '\x09John Smith' '\x09221B Baker St, London, UK' \
	'\x09@example.com' '\x5213800138000' '\x09\xe4\xb8' '\x09\xff\x01abc' \
	'\x6d\xe1\x01' '\x09\xf0abcdefgh' '\x09\xe1\x01\x02x@b'

seed "$work/corpus/fuzz_envelope" \
	'AQEAAAABDfeAmnK2cX+UnoXN1N2Hi/IZT6LTN5OCGOK5QrsU5YIpMDZw88dC5F5ccZWplg==' \
	'AQIAAAACU/RMn9Wj00ykGE2mfv5B0BogNiCa6qFWU3zceT/AZS5jvJvT2hHMBGTkvNosXA==' \
	'QUJD' 'QQ==' 'QUI=' '====' 'A===' '\x01\x01\x00\x00\x00\x01'

# build TARGET LOG: compile one target into $bindir
build()
{
	local target=$1 log=$2 srcs

	if [ "$target" = fuzz_masks ]; then
		srcs=("$root/src/mask_core.c")
	elif [ "$target" = fuzz_envelope ]; then
		srcs=("$root/src/envelope.c" -lcrypto -lpthread)
	else
		srcs=("${ident_srcs[@]}")
	fi
	"$cc" "${cflags[@]}" -o "$bindir/$target" \
		"$fuzzdir/$target.c" "${srcs[@]}" >> "$log" 2>&1
}

# run_target TARGET: build, fuzz, then replay the corpus; log in $bindir
run_target()
{
	local target=$1 log=$bindir/$1.log corpus=$work/corpus/$1
	local opts=(-timeout=5 -rss_limit_mb=2048
				-artifact_prefix="$bindir/$target-")

	: > "$log"
	build "$target" "$log" || return 1
	"$bindir/$target" "${opts[@]}" -max_total_time="$seconds" \
		"$corpus" >> "$log" 2>&1 || return 1
	"$bindir/$target" "${opts[@]}" -runs=0 "$corpus" >> "$log" 2>&1 || return 1
}

failed=0
for target in "${targets[@]}"; do
	if run_target "$target"; then
		echo "ok $target"
	else
		echo "FAILED $target"
		# the log without libFuzzer's progress lines ("#1234 NEW ...")
		grep -v '^#[0-9]' "$bindir/$target.log" | tail -n 30 | sed 's/^/    /'
		failed=1
	fi
done
exit $failed
