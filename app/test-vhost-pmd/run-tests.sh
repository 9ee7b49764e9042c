#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Run every test: each unit case of vhu-unit (build/, then again in
# build-asan/ under ASan+UBSan), each interop script, each hostile-frontend
# script and each guest script (QEMU). One line per test (the tail of its log on failure), then
# "N passed, N failed".
#
# usage: run-tests.sh [WORD...]    only the tests whose name contains a WORD
# Logs: build/test-logs/ (VHOST_PMD_LOGDIR).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
BUILD=${VHOST_PMD_BUILD:-$TOP/build}
ASAN_BUILD=${VHOST_PMD_ASAN_BUILD:-$TOP/build-asan}
LOGDIR=${VHOST_PMD_LOGDIR:-$BUILD/test-logs}
UNIT_TIMEOUT=${VHOST_PMD_UNIT_TIMEOUT:-120}
INTEROP_TIMEOUT=${VHOST_PMD_INTEROP_TIMEOUT:-300}
FUZZ_BUILD=${VHOST_PMD_FUZZ_BUILD:-$TOP/build-fuzz}
FUZZ_SECONDS=${VHOST_PMD_FUZZ_SECONDS:-20}
GUEST_TIMEOUT=${VHOST_PMD_GUEST_TIMEOUT:-300}
HOSTILE_TIMEOUT=${VHOST_PMD_HOSTILE_TIMEOUT:-1200}
export VHOST_PMD_BUILD=$BUILD
export VHOST_PMD_TEST_TAG=${VHOST_PMD_TEST_TAG:-vpt$$}

FILTERS=("$@")
passed=0
failed=0

selected() {
	local w
	[ ${#FILTERS[@]} = 0 ] && return 0
	for w in "${FILTERS[@]}"; do
		[[ $1 == *"$w"* ]] && return 0
	done
	return 1
}

pass() { echo "PASS $1"; passed=$((passed + 1)); }

fail() {
	local name=$1 why=$2 log=$3
	echo "FAIL $name ($why)"
	[ -f "$log" ] && tail -n 20 "$log" | sed 's/^/    | /'
	failed=$((failed + 1))
}

# run_test NAME SECONDS CMD...: one test, bounded, output to its log.
run_test() {
	run_test_tries 1 "$@"
}

# run_test_tries N NAME SECONDS CMD...: run_test, with up to N tries. Only
# for tests whose script says why (vpt-tries, script_tests()); every
# failed try is reported (RETRY) and its log kept as NAME.tryK.log; the
# script keeps its processes' logs of a failed try K apart too
# (VHOST_PMD_TRY, vpt_cleanup()).
run_test_tries() {
	local tries=$1 name=$2 secs=$3 log rc try why
	shift 3
	selected "$name" || return 0
	log=$LOGDIR/${name//\//.}.log
	for ((try = 1; ; try++)); do
		rc=0
		VHOST_PMD_TRY=$try timeout -k 10 "$secs" "$@" >"$log" 2>&1 </dev/null || rc=$?
		case $rc in
		0) pass "$name"; return 0 ;;
		124) why="timed out after ${secs}s" ;;
		*) why="exit $rc" ;;
		esac
		[ "$try" -lt "$tries" ] || break
		echo "RETRY $name (try $try of $tries: $why; log ${log%.log}.try$try.log)"
		tail -n 3 "$log" | sed 's/^/    | /'
		mv "$log" "${log%.log}.try$try.log"
	done
	fail "$name" "$why" "$log"
}

# unit_tests BUILD_DIR LABEL [ENV...]: every case of that vhu-unit.
unit_tests() {
	local dir=$1 label=$2 bin names name
	shift 2
	bin=$dir/app/test-vhost-pmd/unit/vhu-unit
	if [ ! -x "$bin" ]; then
		echo "note: $bin not built, $label tests skipped"
		return 0
	fi
	if ! names=$(timeout 30 env "$@" "$bin" --list 2>"$LOGDIR/$label.list.log" </dev/null) ||
	   [ -z "$names" ]; then
		fail "$label/--list" "no case list" "$LOGDIR/$label.list.log"
		return 0
	fi
	for name in $names; do
		run_test "$label/$name" "$UNIT_TIMEOUT" env "$@" "$bin" "$name"
	done
	# All of them again in one process, one after the other, as a long-lived
	# application sees connections come and go: state one device slot keeps
	# for the next connection shows here (an IOTLB miss of a closed
	# connection once held back the next one's).
	run_test "$label/all-in-one-process" $((UNIT_TIMEOUT * 5)) env "$@" "$bin"
}

# script_tests DIR SECONDS: each script DIR/*.sh (a lib.sh is sourced by
# the others, not run) as test TOP/NAME, TOP the first part of DIR, its
# logs in LOGDIR/TOP/. A script with a line "# vpt-tries: N" gets up to N
# tries (run_test_tries()); it says there why.
script_tests() {
	local dir=$1 secs=$2 script name tries
	for script in "$HERE/$dir"/*.sh; do
		name=$(basename "$script" .sh)
		[ "$name" = lib ] && continue
		tries=$(sed -n 's/^# vpt-tries: \([1-9]\)$/\1/p' "$script")
		run_test_tries "${tries:-1}" "${dir%%/*}/$name" "$secs" \
			env VHOST_PMD_LOGDIR="$LOGDIR/${dir%%/*}" bash "$script"
	done
}

# Each libFuzzer target of build-fuzz/ for FUZZ_SECONDS: its seeds (the
# regression inputs among them) and what it finds in that time must pass.
fuzz_tests() {
	local t
	for t in msg split packed iotlb split-iommu packed-iommu; do
		selected "fuzz/$t" || continue
		if [ ! -x "$FUZZ_BUILD/app/test-vhost-pmd/hostile/fuzz-$t" ]; then
			echo "note: $FUZZ_BUILD not built, fuzz/$t skipped"
			continue
		fi
		run_test "fuzz/$t" $((FUZZ_SECONDS + 180)) env VHOST_PMD_FUZZ_BUILD="$FUZZ_BUILD" \
			VHOST_PMD_FUZZ_LOGDIR="$LOGDIR/fuzz" \
			bash "$HERE/hostile/run-fuzz.sh" "$FUZZ_SECONDS" "$t"
	done
}

# Every script cleans up after itself: check that nothing of this run is
# left (processes, hugepage files), and remove what is.
leftovers() {
	local name=harness/no-leftovers log pids files pid f
	selected "$name" || return 0
	log=$LOGDIR/harness.no-leftovers.log
	# (QEMU of the guest tests: -name TAG-...)
	pids=$(pgrep -f -- "(--file-prefix|-name) $VHOST_PMD_TEST_TAG-" || true)
	files=$(find /dev/hugepages /var/run/dpdk -maxdepth 1 \
		-name "$VHOST_PMD_TEST_TAG-*" 2>/dev/null || true)
	if [ -z "$pids$files" ]; then
		pass "$name"
		return 0
	fi
	{ echo "left behind: processes: ${pids:-none}"; echo "files: ${files:-none}"; } >"$log"
	for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
	while read -r f; do [ -z "$f" ] || rm -rf "$f"; done <<<"$files"
	fail "$name" "processes or hugepage files left" "$log"
}

rm -rf "$LOGDIR"
mkdir -p "$LOGDIR"
unit_tests "$BUILD" unit
unit_tests "$ASAN_BUILD" unit-asan \
	ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}" \
	UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
fuzz_tests
script_tests interop "$INTEROP_TIMEOUT"
# Malicious frontends (evil_fe) against a host process that must survive them.
script_tests hostile/tests "$HOSTILE_TIMEOUT"
# A Linux guest under QEMU (TCG) on our net_vhost.
script_tests guest "$GUEST_TIMEOUT"
leftovers
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
