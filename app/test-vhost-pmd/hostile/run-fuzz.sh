#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Run the library's libFuzzer targets (build-fuzz/, see meson.build here).
#
# usage: run-fuzz.sh SECONDS [TARGET...]   TARGET: msg, split, packed, iotlb,
#                                          split-iommu, packed-iommu (default: all)
#
# Each target starts from its seed corpus (corpus/TARGET/ here) plus what
# earlier runs found (BUILD/fuzz-corpus/TARGET/, where new inputs go) and
# fuzzes for SECONDS. A crash, a failed check, a leak or an input that runs
# over 10 s stops it: the input is saved as BUILD/fuzz-artifacts/TARGET/*
# and the script fails. Replay one input: BUILD/.../fuzz-TARGET FILE
# (VHU_FUZZ_DEBUG=1 for the library's logs and a trace of each burst).
# Prints executions and executions per second of each target. Logs:
# BUILD/fuzz-logs/TARGET.log (VHOST_PMD_FUZZ_LOGDIR).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../../.." && pwd)
BUILD=${VHOST_PMD_FUZZ_BUILD:-$TOP/build-fuzz}
BIN=$BUILD/app/test-vhost-pmd/hostile
LOGDIR=${VHOST_PMD_FUZZ_LOGDIR:-$BUILD/fuzz-logs}

usage() { echo "usage: $0 SECONDS [msg|split|packed|iotlb|split-iommu|packed-iommu...]" >&2; exit 2; }
[ $# -ge 1 ] && [[ $1 =~ ^[1-9][0-9]*$ ]] || usage
secs=$1
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(msg split packed iotlb split-iommu packed-iommu)

failed=0
for t in "${targets[@]}"; do
	bin=$BIN/fuzz-$t
	[ -x "$bin" ] || { echo "run-fuzz: $bin not built (./run build)" >&2; exit 1; }
	[ -d "$HERE/corpus/$t" ] || usage
	work=$BUILD/fuzz-corpus/$t
	art=$BUILD/fuzz-artifacts/$t
	log=$LOGDIR/$t.log
	mkdir -p "$work" "$art" "$LOGDIR"
	rc=0
	# libFuzzer stops itself after SECONDS; timeout is the backstop.
	timeout -k 10 $((secs + 120)) "$bin" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$art/" \
		"$work" "$HERE/corpus/$t" >"$log" 2>&1 </dev/null || rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	if [ "$rc" = 0 ] && [ -n "$runs" ]; then
		echo "fuzz-$t: ${runs} executions in ${secs}s (${rate}/s), no failure"
	else
		echo "fuzz-$t: FAILED (exit $rc), log $log, inputs in $art/:"
		grep -a -E -m 5 'ERROR|FUZZ CHECK|runtime error|Test unit written' "$log" || tail -n 20 "$log"
		failed=1
	fi
done
exit "$failed"
