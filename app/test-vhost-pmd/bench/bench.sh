#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# ./run bench [--quick]: our net_vhost against Debian's DPDK 22.11 net_vhost,
# side by side, measurement only.
#
# Each workload runs on ours and on Debian's in turn (A, B, B, A, A, B,
# ...: the load of this shared machine drifts, interleaving spreads the
# drift over both, and alternating which goes first spreads the first
# run's luck), with the same virtio_user peer. The figure we steer by is the CPU
# cycles per packet of the vhost forwarding core (testpmd
# --record-core-cycles: busy cycles of the polls that moved packets, per
# packet; printed in testpmd's forward statistics when it stops on SIGTERM,
# which it handles by leaving its --stats-period loop and stopping
# forwarding). Mpps comes from the peer testpmd's per-second Rx-pps/Tx-pps
# samples (virtio_user's counters, the same code for both drivers).
#
# Set-up of every run (reused from lib/common.sh: vpt_launch, distinct
# --file-prefix, hugepage files removed at the end of the run):
#   peer   dpdk-testpmd on virtio_user, forwarding lcore on CPU 0
#   vhost  dpdk-testpmd on net_vhost, forwarding lcore on CPU 1,
#          role "ours" (Debian's hidden, our plugin proven mapped:
#          vpt_assert_ours) or "reference" (Debian's proven mapped:
#          vpt_assert_reference)
# For tx the peer listens (server=1) and the vhost side connects
# (client=1), so the vhost port is up as soon as its testpmd starts
# forwarding: txonly then spends no cycles on a port without a peer (they
# would count as busy cycles). rx and pvp count busy cycles only for polls
# that received packets; they use the usual order, vhost server first.
#
# Directions:
#   rx   virtio_user txonly -> vhost rxonly (vhost dequeue)
#   tx   vhost txonly -> virtio_user rxonly (vhost enqueue)
#   pvp  vhost io forwarding; the peer io-forwards too and injects 4
#        bursts per queue once its port runs (testpmd "start tx_first
#        4"): 128 packets per queue circulate for ever, fewer than
#        the 256 entries of a ring, so nothing is dropped, and no generator
#        runs on either side
#
# Placement: on a virtual machine the two vCPUs may sit on near or distant
# physical cores, and the hypervisor moves them (on one machine here the
# CPU 0 <-> 1 round trip switched between ~110 and ~420 ns, and the same
# build's cycles per packet between ~50 and ~100 with it). xcpu-probe
# measures it beside every run (0.5 % of each CPU); the report gives it
# per run and the medians of the runs of the same (near) placement.
#
# Environment: BENCH_SECS (traffic seconds per run), BENCH_ROUNDS,
# BENCH_WORKLOADS (space-separated DIR:RING:MRG:INORDER:SIZE:QUEUES),
# BENCH_NO_PERF=1, BENCH_PERF_WORKLOADS (one per direction), BENCH_DOC=0
# (do not write the doc files), BENCH_VS=PLUGIN.so (development: compare
# with another build of ours, run in the "dpdk" column; implies BENCH_DOC=0
# and no paired runs), BENCH_PAIR_ROUNDS (0: no paired runs), BENCH_PAIR_SECS.
#
# Paired runs (pair_run, vhost_ab.c): besides the separate runs above, each
# workload runs BENCH_PAIR_ROUNDS times with both drivers in one vhost-ab
# process, taking turns on one core in 100 ms slices: every placement and
# load spike falls on both, so each run's ratio compares like with like.
set -euo pipefail
BENCH_SRC=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=app/test-vhost-pmd/lib/common.sh
. "$BENCH_SRC/../lib/common.sh"

QUICK=0
for a in "$@"; do
	case $a in
	--quick) QUICK=1 ;;
	*) echo "usage: bench.sh [--quick]" >&2; exit 2 ;;
	esac
done

if [ "$QUICK" = 1 ]; then
	ROUNDS=${BENCH_ROUNDS:-3}
	SECS=${BENCH_SECS:-2}
	WORKLOADS=${BENCH_WORKLOADS:-"rx:split:0:0:64:1 tx:split:0:0:64:1"}
	PERF=0
	BARE_N=2000000
else
	ROUNDS=${BENCH_ROUNDS:-5}
	SECS=${BENCH_SECS:-3}
	# One factor at a time around split/64B/1 queue, plus packed and
	# 1518-byte combinations; mergeable only where it matters (vhost
	# enqueue: tx and pvp).
	WORKLOADS=${BENCH_WORKLOADS:-"
		rx:split:0:0:64:1 rx:split:0:1:64:1 rx:split:0:0:1518:1
		rx:split:0:0:64:2 rx:packed:0:0:64:1 rx:packed:0:1:64:1
		tx:split:0:0:64:1 tx:split:1:0:64:1 tx:split:1:1:64:1
		tx:split:1:1:1518:1 tx:split:0:0:64:2 tx:packed:0:0:64:1
		tx:packed:1:1:64:1
		pvp:split:0:0:64:1 pvp:split:1:1:1518:1 pvp:packed:1:1:64:1"}
	PERF=$((1 - ${BENCH_NO_PERF:-0}))
	BARE_N=20000000
fi
# Paired runs (vhost-ab): rounds per workload and seconds counted per run.
if [ "$QUICK" = 1 ]; then
	PAIR_ROUNDS=${BENCH_PAIR_ROUNDS:-1}
	PAIR_SECS=${BENCH_PAIR_SECS:-2}
else
	PAIR_ROUNDS=${BENCH_PAIR_ROUNDS:-3}
	PAIR_SECS=${BENCH_PAIR_SECS:-5}
fi
# BENCH_VS puts another build of ours in DPDK's column of the separate runs;
# the paired runs always compare ours with DPDK's: none then.
[ -z "${BENCH_VS:-}" ] || PAIR_ROUNDS=0
PERF_WORKLOADS=${BENCH_PERF_WORKLOADS:-"rx:split:0:0:64:1 tx:split:0:0:64:1 pvp:split:0:0:64:1"}
DOC_MD=$VPT_TOP/doc/guides/nics/vhost-bench.md
DOC_PNG=$VPT_TOP/doc/guides/nics/vhost-bench.png
BARE=$VPT_BUILD/app/test-vhost-pmd/bench/vhost-bare
XCPU=$VPT_BUILD/app/test-vhost-pmd/bench/xcpu-probe
AB=$VPT_BUILD/app/test-vhost-pmd/bench/vhost-ab
HOT=$VPT_BUILD/app/test-vhost-pmd/bench/vhost-hot-ab
AB_PLUGIN=$VPT_BUILD/drivers/net/vhost/librte_net_vhu_ab.so
BIT_MRG=15
BIT_PACKED=34
BIT_IN_ORDER=35

VHOST_PMD_TEST_TAG=${VHOST_PMD_TEST_TAG:-vpb}
# shellcheck disable=SC2034  # read by common.sh
VPT_TAG=$VHOST_PMD_TEST_TAG
export VHOST_PMD_LOGDIR=${VHOST_PMD_LOGDIR:-$VPT_BUILD/bench-logs}
rm -rf "$VHOST_PMD_LOGDIR" && mkdir -p "$VHOST_PMD_LOGDIR"
vpt_init bench
BENCH_DIR=$VPT_DIR
[ -x "$BARE" ] || vpt_fail "$BARE not built (./run build)"
[ -x "$XCPU" ] || vpt_fail "$XCPU not built (./run build)"
[ -x "$HOT" ] || vpt_fail "$HOT not built (./run build)"
[ -x "$AB" ] && [ -f "$AB_PLUGIN" ] || vpt_fail "$AB or $AB_PLUGIN not built (./run build)"

# "rx:split:0:1:64:2" -> "rx split mrg0 io1 64B q2"
wl_label() {
	local d r m i s q
	IFS=: read -r d r m i s q <<<"$1"
	echo "$d $r mrg$m io$i ${s}B q$q"
}

median() { sort -g | awk '{v[NR] = $1} END {
	if (NR == 0) { print "-"; exit }
	print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# The median of the numbers in a space-separated list of per-run figures
# (a run without the figure gave "-": left out).
runs_median() { tr ' ' '\n' <<<"$1" | awk '/^[0-9]/' | median; }

# placement_runs W [far]: the runs of workload W whose vCPUs were near
# (x-CPU round trip under twice the smallest of all runs so far, every
# workload and both drivers: a workload that drew only distant cores has
# no near run), or with far the others:
# "threshold n_ours n_dpdk cyc_ours cyc_dpdk ratio" (medians; - if none).
# Cross-core misses cost in proportion to that round trip, so only runs
# of the same placement compare like with like.
placement_runs() {
	awk -v w="$1" -v far="${2:+1}" '$4 != "fail" && $10 ~ /^[0-9]+$/ {
		if (min == "" || $10 < min) min = $10
		if ($1 == w) { n++; d[n] = $2; c[n] = $4; x[n] = $10 }
	} END {
		if (n == 0) { print "- 0 0 - - -"; exit }
		for (i = 1; i <= n; i++) if ((x[i] >= 2 * min) == (far == 1)) print d[i], c[i]
		print "T", 2 * min
	}' "$BENCH_DIR/raw.txt" | {
		local t=- o="" p="" drv cpp mo md no np
		while read -r drv cpp; do
			case $drv in
			T) t=$cpp ;;
			ours) o+="$cpp " ;;
			dpdk) p+="$cpp " ;;
			esac
		done
		no=$(wc -w <<<"$o") np=$(wc -w <<<"$p")
		mo=$(runs_median "$o")
		md=$(runs_median "$p")
		if [ "$mo" = - ] || [ "$md" = - ]; then
			echo "$t $no $np $mo $md -"
		else
			echo "$t $no $np $mo $md $(awk -v a="$md" -v b="$mo" 'BEGIN { printf "%.2f", a / b }')"
		fi
	}
}

# testpmd's periodic statistics clear the screen: drop the escapes.
plain_log() { sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "${VPT_LOG[$1]}"; }

# tx: the share (%) of the peer's Rx bursts with packets that were full
# (testpmd --record-burst-stats, its 32-packet bursts). 100: every poll of
# the peer that returned packets returned a whole burst. With a high
# refused share too (the vhost side found no guest buffer for most of what
# it offered), the peer's Rx loop, not the vhost side, set the rate. Empty
# polls are not counted: most are those before the vhost side came.
# testpmd rounds to whole percents of all polls and gives the last class
# the rest: 100 is exact, less is approximate. Weighted over the streams.
peer_full_bursts() {
	plain_log peer | sed -n 's/^ *RX-bursts : \([0-9]*\) \[\(.*\)\]$/\1 \2/p' | awk '
	{
		n = $1; $1 = ""
		k = split($0, c, / \+ /)
		for (i = 1; i <= k; i++) {
			split(c[i], f, /% of /)
			if (f[2] == "0 pkts") busy += n * (100 - f[1]) / 100
			if (f[2] == "32 pkts") full += n * f[1] / 100
		}
	}
	END { if (busy > 0) printf "%.0f", 100 * full / busy; else print "-" }'
}

# The ring kind and features the peer negotiated, from its virtio log.
negotiated() {
	local f
	f=$(plain_log peer | sed -n 's/.*features after negotiate = \([0-9a-f]*\).*/\1/p' | tail -n 1)
	[ -n "$f" ] || { echo "? ? ?"; return 0; }
	f=$((16#$f))
	local ring=split
	[ $(((f >> BIT_PACKED) & 1)) = 0 ] || ring=packed
	echo "$ring $(((f >> BIT_MRG) & 1)) $(((f >> BIT_IN_ORDER) & 1))"
}

# In the subshell of one run: its own work dir and a fresh common.sh state
# named NAME, so that vpt_cleanup ends this run only.
run_scope() {
	VPT_DIR=$(mktemp -d "$BENCH_DIR/run.XXXXXX")
	# shellcheck disable=SC2034
	VPT_NAME=$1
	# shellcheck disable=SC2034
	VPT_PID=() VPT_PREFIX=() VPT_LOG=() VPT_RC=()
	trap vpt_cleanup EXIT
	trap 'exit 130' INT TERM HUP
}

#
# bench_run DRIVER WORKLOAD RESULT [PERF_DATA]
# One run in a subshell with its own work dir and clean-up (vpt_cleanup):
# a failed run is recorded as such and the benchmark goes on. Writes
# "cpp mpps ring mrg in_order" to RESULT.
#
bench_launch_peer() {
	vpt_launch peer virtio "-l 0,1 --main-lcore 1 --log-level=pmd.net.virtio.init:debug" \
		"$peer_vdev$1" "$VPT_TESTPMD" "${peer_args[@]}"
}
bench_launch_vhost() {
	vpt_launch vhost "$role" "-l 0,1" "$vhost_vdev$1" "$VPT_TESTPMD" "${vhost_args[@]}"
}
# Wait until NAME listens on $sock.
bench_wait_sock() {
	local i
	for ((i = 0; i < 600; i++)); do
		[ -S "$sock" ] && return 0
		vpt_alive "$1" || vpt_fail "$1 exited before listening"
		sleep 0.1
	done
	vpt_fail "$1 does not listen on $sock"
}

bench_run() {
	local drv=$1 wl=$2 result=$3 perf_data=${4:-}
	(
		local d ring mrg io size q peer_mode vhost_mode role sock i
		local peer_args vhost_args pid cpp pps mode_key from refused full peer_vdev vhost_vdev
		IFS=: read -r d ring mrg io size q <<<"$wl"
		run_scope "bench-$(basename "$result")"
		case $d in
		# mode_key: the peer's rate that counts (virtio_user's
		# counters: the same code for both drivers).
		rx) peer_mode=txonly vhost_mode=rxonly mode_key=Tx ;;
		tx) peer_mode=rxonly vhost_mode=txonly mode_key=Rx ;;
		pvp) peer_mode=io vhost_mode=io mode_key=Rx ;;
		*) vpt_fail "bad direction $d" ;;
		esac
		case $drv in
		ours) role=ours ;;
		dpdk)
			if [ -n "${BENCH_VS:-}" ]; then
				# Development: another build of ours in DPDK's place.
				role=ours
				VPT_PLUGIN=$VPT_DIR/alt/librte_net_vhost.so
				mkdir -m 700 "$VPT_DIR/alt"
				install -m 644 "$BENCH_VS" "$VPT_PLUGIN"
			else
				role=reference
			fi
			;;
		esac
		sock=$VPT_DIR/vhost.sock
		peer_args=(--nb-cores=1 "--rxq=$q" "--txq=$q" "--forward-mode=$peer_mode"
			   --stats-period 1 "--txpkts=$size" --total-num-mbufs=16384)
		vhost_args=(--nb-cores=1 "--rxq=$q" "--txq=$q" "--forward-mode=$vhost_mode"
			    --record-core-cycles --stats-period 1 "--txpkts=$size" --total-num-mbufs=16384)
		peer_vdev="virtio_user0,path=$sock,queues=$q,mrg_rxbuf=$mrg,in_order=$io"
		peer_vdev+=",packed_vq=$([ "$ring" = packed ] && echo 1 || echo 0)"
		vhost_vdev="net_vhost0,iface=$sock,queues=$q"
		[ "$d" != tx ] || peer_args+=(--record-burst-stats)
		if [ "$d" = pvp ]; then
			# The peer injects once its port runs: its Rx ring is
			# filled then, and the vhost side polls its Tx ring.
			echo "start tx_first 4" >"$VPT_DIR/pvp.cmd"
			peer_args+=("--cmdline-file=$VPT_DIR/pvp.cmd")
		fi
		if [ "$d" = tx ]; then
			# The peer listens, the vhost side connects: its port
			# is up when its txonly starts, with no busy cycles
			# spent on a port without a peer.
			bench_launch_peer ",server=1"
			bench_wait_sock peer
			bench_launch_vhost ",client=1"
		else
			# Busy cycles of rxonly and io need packets: the usual
			# order, vhost server first. (A virtio_user server sets
			# its rings up twice, and the packets of pvp's first
			# bursts can be lost in between.)
			bench_launch_vhost ""
			bench_wait_sock vhost
			bench_launch_peer ""
		fi
		vpt_wait_log vhost 'start packet forwarding' 60
		if [ "$role" = ours ]; then vpt_assert_ours vhost; else vpt_assert_reference vhost; fi
		vpt_wait_log peer 'start packet forwarding' 60
		# Traffic flows once a per-second sample is not 0; the samples
		# after that one cover whole seconds of traffic.
		vpt_wait_log peer "^ *$mode_key-pps: *[1-9]" 30
		from=$(plain_log peer | grep -nE "^ *$mode_key-pps: *[1-9]" | head -n 1 | cut -d: -f1)
		if [ -n "$perf_data" ]; then
			pid=$(vpt_pid vhost)
			sleep 1
			perf record -q -g -p "$pid" -o "$perf_data" -- sleep "$SECS" >/dev/null 2>&1 ||
				vpt_fail "perf record failed"
		else
			# The placement of the two vCPUs during the run
			# (xcpu_probe.c): its median round trip.
			"$XCPU" "$SECS" >"$VPT_DIR/xcpu.txt" 2>&1 &
			sleep "$SECS"
			wait $! || true
		fi
		vpt_alive peer || vpt_fail "peer exited during the run"
		# txonly would count busy cycles on a stopped peer: stop the
		# vhost side first. rx and pvp do not: stop both at once.
		[ "$d" = tx ] || kill -TERM "${VPT_PID[peer]}" 2>/dev/null || true
		vpt_stop vhost
		vpt_stop peer
		vpt_expect_rc vhost 0
		cpp=$(plain_log vhost | sed -n 's/.*CPU cycles\/packet=\([0-9.]*\).*/\1/p' | tail -n 1)
		[ -n "$cpp" ] || vpt_fail "no cycles/packet in the vhost log: no traffic?"
		pps=$(plain_log peer | tail -n "+$((from + 1))" |
			sed -n "s/^ *$mode_key-pps: *\([0-9]*\).*/\1/p" | median)
		[ "$pps" != - ] || vpt_fail "no whole-second ${mode_key}-pps sample"
		# Packets the vhost port refused to send (ring full): high
		# when the peer, not the vhost side, limits the rate.
		refused=$(plain_log vhost | grep -A 2 'Accumulated forward statistics' |
			sed -n 's/.*TX-dropped: *\([0-9]*\) *TX-total: *\([0-9]*\).*/\1 \2/p' | tail -n 1 |
			awk '$2 > 0 { printf "%.0f", 100 * $1 / $2; exit } { print "-" }')
		xcpu=$(sed -n 's/.*median_ns=\([0-9]*\).*/\1/p' "$VPT_DIR/xcpu.txt" 2>/dev/null)
		full=-
		[ "$d" != tx ] || full=$(peer_full_bursts)
		echo "$cpp $(awk -v p="$pps" 'BEGIN { printf "%.3f", p / 1e6 }') ${refused:--} $(negotiated) ${xcpu:--} $full" >"$result"
	)
}

#
# pair_run WORKLOAD ROUND RESULT
# One vhost-ab run (vhost_ab.c): our driver (the copy registered as
# net_vhua) and Debian's net_vhost as two ports of one process, polled by
# one loop on CPU 1 in 100 ms slices, each with a virtio_user port of one
# peer testpmd on CPU 0 (port topology loop). Odd rounds put ours on port 0
# (its slices first), even rounds DPDK's. Writes "cpp_all_ours cpp_all_dpdk
# cpp_drv_ours cpp_drv_dpdk mpps_ours mpps_dpdk xcpu" to RESULT.
#
pair_run() {
	local wl=$1 round=$2 result=$3
	(
		local d ring mrg io size q peer_mode ab_mode vo vd po pd pid maps line xcpu xpid sock
		local -a first second peer
		IFS=: read -r d ring mrg io size q <<<"$wl"
		run_scope "pair-$(basename "$result")"
		case $d in
		rx) peer_mode=txonly ab_mode=rx ;;
		tx) peer_mode=rxonly ab_mode=tx ;;
		pvp) peer_mode=io ab_mode=io ;;
		*) vpt_fail "bad direction $d" ;;
		esac
		install -m 644 "$AB_PLUGIN" "$VPT_DIR/librte_net_vhu_ab.so"
		vo="net_vhua0,iface=$VPT_DIR/ours.sock,queues=$q"
		vd="net_vhost1,iface=$VPT_DIR/dpdk.sock,queues=$q"
		po="path=$VPT_DIR/ours.sock,queues=$q,mrg_rxbuf=$mrg,in_order=$io"
		po+=",packed_vq=$([ "$ring" = packed ] && echo 1 || echo 0)"
		pd=${po/ours.sock/dpdk.sock}
		if ((round % 2)); then
			first=("$vo" "virtio_user0,$po") second=("$vd" "virtio_user1,$pd")
		else
			first=("$vd" "virtio_user0,$pd") second=("$vo" "virtio_user1,$po")
		fi
		VPT_EXTRA_EAL=(-d "$VPT_DIR/librte_net_vhu_ab.so" --vdev "${second[0]}")
		vpt_launch vhost reference "-l 1" "${first[0]}" "$AB" --mode "$ab_mode" \
			--secs "$PAIR_SECS" --slice-ms 100 --txpkts "$size" --queues "$q"
		for sock in "$VPT_DIR/ours.sock" "$VPT_DIR/dpdk.sock"; do
			bench_wait_sock vhost
		done
		peer=(--nb-cores=1 --port-topology=loop --stats-period 1 --total-num-mbufs=16384
		      "--forward-mode=$peer_mode" "--rxq=$q" "--txq=$q" "--txpkts=$size")
		if [ "$d" = pvp ]; then
			echo "start tx_first 4" >"$VPT_DIR/pvp.cmd"
			peer+=("--cmdline-file=$VPT_DIR/pvp.cmd")
		fi
		VPT_EXTRA_EAL=(--vdev "${second[1]}")
		vpt_launch peer virtio "-l 0,1 --main-lcore 1" "${first[1]}" "$VPT_TESTPMD" "${peer[@]}"
		VPT_EXTRA_EAL=()
		vpt_wait_log vhost '^LINKS up' 60
		# Both drivers are the ones named: ours from our copy, DPDK's
		# from Debian's plugin directory.
		pid=$(vpt_pid vhost)
		maps=$(cat "/proc/$pid/maps")
		grep -qF "$VPT_DIR/librte_net_vhu_ab.so" <<<"$maps" || vpt_fail "our plugin is not mapped"
		grep -qF "$(vpt_pmd_dir)/librte_net_vhost" <<<"$maps" || vpt_fail "Debian's net_vhost is not mapped"
		grep -q '^READY .*driver=net_vhua name=net_vhua0' "${VPT_LOG[vhost]}" || vpt_fail "no port of ours"
		grep -q '^READY .*driver=net_vhost name=net_vhost1' "${VPT_LOG[vhost]}" || vpt_fail "no port of DPDK's"
		"$XCPU" "$((PAIR_SECS + 1))" >"$VPT_DIR/xcpu.txt" 2>&1 &
		xpid=$!
		vpt_helper "$xpid"
		vpt_wait_exit vhost "$((PAIR_SECS + 30))"
		vpt_expect_rc vhost 0
		wait "$xpid" || true
		vpt_stop peer
		xcpu=$(sed -n 's/.*median_ns=\([0-9]*\).*/\1/p' "$VPT_DIR/xcpu.txt" 2>/dev/null)
		line=$(awk '/^AB / {
				for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
				k = (f["driver"] == "net_vhua") ? "o" : "d"
				all[k] = f["cpp_all"]; drv[k] = f["cpp_drv"]; mpps[k] = f["mpps"]
			} END {
				if (!("o" in all) || !("d" in all) || all["o"] == 0 || all["d"] == 0) exit 1
				print all["o"], all["d"], drv["o"], drv["d"], mpps["o"], mpps["d"]
			}' "${VPT_LOG[vhost]}") || vpt_fail "no AB line for both drivers: no traffic?"
		echo "$line ${xcpu:--}" >"$result"
	)
}

# Machine set-up the benchmark needs beyond ./run's: perf and gnuplot.
bench_packages() {
	local missing=() p
	for p in linux-perf gnuplot-nox; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} = 0 ] && return 0
	echo "bench: installing ${missing[*]}"
	apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >/dev/null
}

bench_packages
START_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
# Before the doc files are rewritten: they would make the tree dirty.
OURS_REV=$(git -C "$VPT_TOP" describe --always --dirty 2>/dev/null || echo '?')
START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
T0=$SECONDS
read -ra WL <<<"$(tr -s ' \t\n' ' ' <<<"$WORKLOADS")"
vpt_say "${#WL[@]} workloads x $ROUNDS rounds x (ours, dpdk), ${SECS}s of traffic per run"

# The bare cost first, while nothing else of ours runs.
"$BARE" -c 1 -p 0 -n "$BARE_N" >"$BENCH_DIR/bare.txt"
bare() { sed -n "s/^BARE setting=$1 op=$2 cycles=\([0-9.]*\)/\1/p" "$BENCH_DIR/bare.txt"; }
TSC_MHZ=$(sed -n 's/^BARE tsc_mhz=//p' "$BENCH_DIR/bare.txt")
# Both libraries in one thread's cache, before any testpmd runs.
VHOST_HOT_ITER=$([ "$QUICK" = 1 ] && echo 1000 || echo 5000) "$HOT" >"$BENCH_DIR/hot.txt" 2>&1 ||
	vpt_fail "vhost-hot-ab failed: $BENCH_DIR/hot.txt"
hot_table() {
	echo "| Case | cyc/pkt ours | cyc/pkt DPDK | DPDK/ours |"
	echo "|------|-------------:|-------------:|----------:|"
	sed -n 's/^HOT \([^ ]*\) ours=\([0-9.]*\) dpdk=\([0-9.]*\) dpdk\/ours=\([0-9.]*\)$/| \1 | \2 | \3 | \4 |/p' \
		"$BENCH_DIR/hot.txt"
}

: >"$BENCH_DIR/pair.txt"
declare -A CPP MPPS REFUSED FULL FEAT FAILS XCPUS
for ((w = 0; w < ${#WL[@]}; w++)); do
	wl=${WL[w]}
	for drv in ours dpdk; do CPP[$drv]="" MPPS[$drv]="" REFUSED[$drv]="" FULL[$drv]="" FAILS[$drv]=0 XCPUS[$drv]=""; done
	for ((r = 1; r <= ROUNDS; r++)); do
		# Odd rounds run ours first, even rounds DPDK's: whatever the
		# first run of a pair gains or loses (two runs of one build
		# came out 1.3x apart, the first ahead) falls on both.
		order="ours dpdk"
		((r % 2)) || order="dpdk ours"
		for drv in $order; do
			res=$BENCH_DIR/w$w-r$r-$drv
			if bench_run "$drv" "$wl" "$res" >"$VHOST_PMD_LOGDIR/w$w-r$r-$drv.out" 2>&1; then
				read -r cpp mpps refused ring mrg io xcpu full <"$res"
				XCPUS[$drv]+=" $xcpu"
				CPP[$drv]+="$cpp "
				REFUSED[$drv]+="$refused "
				FULL[$drv]+="$full "
				MPPS[$drv]+="$mpps "
				FEAT[$w,$drv]="$ring mrg$mrg io$io"
				echo "$w $drv $r $cpp $mpps $refused $ring $mrg $io $xcpu $full" >>"$BENCH_DIR/raw.txt"
			else
				FAILS[$drv]=$((FAILS[$drv] + 1))
				echo "$w $drv $r fail" >>"$BENCH_DIR/raw.txt"
				vpt_say "$(wl_label "$wl") $drv round $r FAILED:"
				tail -n 3 "$VHOST_PMD_LOGDIR/w$w-r$r-$drv.out" | sed 's/^/    /'
			fi
		done
	done
	mo=$(runs_median "${CPP[ours]}")
	md=$(runs_median "${CPP[dpdk]}")
	po=$(runs_median "${MPPS[ours]}")
	pd=$(runs_median "${MPPS[dpdk]}")
	ro=$(runs_median "${REFUSED[ours]}")
	rd=$(runs_median "${REFUSED[dpdk]}")
	fo=$(runs_median "${FULL[ours]}")
	fd=$(runs_median "${FULL[dpdk]}")
	ratio=-
	[ "$mo" = - ] || [ "$md" = - ] || ratio=$(awk -v a="$md" -v b="$mo" 'BEGIN { printf "%.2f", a / b }')
	echo "$w|$wl|${FEAT[$w,ours]:-?}|${FEAT[$w,dpdk]:-?}|$mo|$md|$ratio|$po|$pd|${FAILS[ours]}|${FAILS[dpdk]}|$ro / $rd|$fo / $fd" \
		>>"$BENCH_DIR/table.txt"
	vpt_say "$(wl_label "$wl"): cycles/pkt ours $mo dpdk $md (DPDK/ours $ratio), Mpps ours $po dpdk $pd"
	vpt_say "    CPU 0 <-> 1 round trip (ns) per run: ours${XCPUS[ours]}, dpdk${XCPUS[dpdk]}"
	read -r nt nno nnp nmo nmd nratio <<<"$(placement_runs "$w")"
	vpt_say "    near runs only (round trip < $nt ns): ours $nno, dpdk $nnp: cycles/pkt ours $nmo dpdk $nmd (DPDK/ours $nratio)"
	read -r nt nno nnp nmo nmd nratio <<<"$(placement_runs "$w" far)"
	vpt_say "    far runs only: ours $nno, dpdk $nnp: cycles/pkt ours $nmo dpdk $nmd (DPDK/ours $nratio)"
done

# Paired runs: the ratio of every run, like with like.
pair_median() { # FIELD: median of a column of the paired results of workload $w
	awk -v w="$w" -v f="$1" '$1 == w && $3 != "fail" { print $(f) }' "$BENCH_DIR/pair.txt" | median
}
for ((w = 0; PAIR_ROUNDS > 0 && w < ${#WL[@]}; w++)); do
	wl=${WL[w]}
	for ((r = 1; r <= PAIR_ROUNDS; r++)); do
		res=$BENCH_DIR/p$w-r$r
		if pair_run "$wl" "$r" "$res" >"$VHOST_PMD_LOGDIR/p$w-r$r.out" 2>&1; then
			read -r ao ad do_ dd mo md xcpu <"$res"
			# w round all_ours all_dpdk ratio drv_ours drv_dpdk drv_ratio mpps_o mpps_d xcpu
			awk -v w="$w" -v r="$r" -v ao="$ao" -v ad="$ad" -v do_="$do_" -v dd="$dd" \
				-v mo="$mo" -v md="$md" -v x="$xcpu" 'BEGIN {
				printf "%s %s %s %s %.3f %s %s %.3f %s %s %s\n", w, r, ao, ad, ad / ao,
					do_, dd, dd / do_, mo, md, x }' >>"$BENCH_DIR/pair.txt"
		else
			echo "$w $r fail" >>"$BENCH_DIR/pair.txt"
			vpt_say "$(wl_label "$wl") paired round $r FAILED:"
			tail -n 3 "$VHOST_PMD_LOGDIR/p$w-r$r.out" | sed 's/^/    /'
		fi
	done
	vpt_say "$(wl_label "$wl") paired: cycles/pkt ours $(pair_median 3) dpdk $(pair_median 4), DPDK/ours per run:$(awk -v w="$w" '$1 == w && $3 != "fail" { printf " %s (x-CPU %s ns)", $5, $11 }' "$BENCH_DIR/pair.txt"), median $(pair_median 5)"
done

# perf on ours, one workload per direction.
if [ "$PERF" = 1 ]; then
	for wl in $PERF_WORKLOADS; do
		d=${wl%%:*}
		res=$BENCH_DIR/perf-$d
		if bench_run ours "$wl" "$res" "$res.data" >"$VHOST_PMD_LOGDIR/perf-$d.out" 2>&1; then
			# testpmd and Debian's libraries are stripped: their
			# samples are summed per object.
			perf report -i "$res.data" --stdio --no-children -g none \
				--sort dso,symbol 2>/dev/null | awk '
				$1 ~ /^[0-9.]+%$/ {
					sym = $4
					if (sym ~ /^0x/ || sym == "") sym = "(no symbols)"
					pct[$2 "  " sym] += $1
				}
				END { for (k in pct) printf "%6.2f%%  %s\n", pct[k], k }' |
				sort -rn | awk '$1 + 0 >= 0.8' | head -n 15 >"$res.top" || true
		else
			vpt_say "perf run $d FAILED"; tail -n 3 "$VHOST_PMD_LOGDIR/perf-$d.out" | sed 's/^/    /'
			: >"$res.top"
		fi
	done
fi
ELAPSED=$((SECONDS - T0))
END_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report ----
fmt_row() { # |-separated fields -> aligned table line
	awk -F'|' '{ printf "| %-28s | %-24s | %-24s | %11s | %11s | %11s | %11s | %11s | %11s | %11s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }'
}
ring_note() { # requested ring vs negotiated features
	local want=$1 got=$2
	case $got in
	"$want "*) echo "$got" ;;
	"?") echo "?" ;;
	*) echo "$got (asked $want)" ;;
	esac
}
table() {
	echo "Workload|Negotiated (ours)|Negotiated (DPDK)|cyc/pkt ours|cyc/pkt DPDK|DPDK/ours|Mpps ours|Mpps DPDK|refused %|peer full %" | fmt_row
	echo "|$(printf -- '-%.0s' {1..30})|$(printf -- '-%.0s' {1..26})|$(printf -- '-%.0s' {1..26})$(printf -- "|%s:" "$(printf -- '-%.0s' {1..11})"{,,,,,,})|"
	while IFS='|' read -r w wl fo fd mo md ratio po pd xo xd refused full; do
		local want=${wl#*:}
		want=${want%%:*}
		local note=""
		[ "$xo$xd" = 00 ] || note=" (failed runs: ours $xo, DPDK $xd)"
		echo "$(wl_label "$wl")$note|$(ring_note "$want" "$fo")|$(ring_note "$want" "$fd")|$mo|$md|$ratio|$po|$pd|$refused|$full" | fmt_row
	done <"$BENCH_DIR/table.txt"
}

pair_table() {
	local w n
	echo "| Workload | runs | cyc/pkt ours | cyc/pkt DPDK | DPDK/ours | runs' range | driver calls only | Mpps ours | Mpps DPDK | x-CPU ns per run |"
	echo "|----------|-----:|-------------:|-------------:|----------:|------------:|------------------:|----------:|----------:|-----------------:|"
	for ((w = 0; w < ${#WL[@]}; w++)); do
		n=$(awk -v w="$w" '$1 == w && $3 != "fail"' "$BENCH_DIR/pair.txt" | wc -l)
		if [ "$n" = 0 ]; then
			echo "| $(wl_label "${WL[w]}") | 0 | - | - | - | - | - | - | - | - |"
			continue
		fi
		echo "| $(wl_label "${WL[w]}") | $n | $(pair_median 3) | $(pair_median 4) | $(pair_median 5) |" \
			"$(awk -v w="$w" '$1 == w && $3 != "fail" { if (lo == "" || $5 < lo) lo = $5; if ($5 > hi) hi = $5 }
				END { printf "%s-%s", lo, hi }' "$BENCH_DIR/pair.txt") |" \
			"$(pair_median 8) | $(pair_median 9) | $(pair_median 10) |" \
			"$(awk -v w="$w" '$1 == w && $3 != "fail" { printf "%s%s", (n++ ? " " : ""), $11 }' "$BENCH_DIR/pair.txt") |"
	done
}

bare_of() { # cycles the bare cost of one workload amounts to
	local d r m i s q ring copy
	IFS=: read -r d r m i s q <<<"$1"
	ring=$(bare hot ring)
	copy=$(bare hot "copy$s")
	awk -v r="$ring" -v c="$copy" -v n="$([ "$d" = pvp ] && echo 2 || echo 1)" \
		'BEGIN { printf "%.0f", n * (r + c) }'
}

headroom() {
	echo "| Workload | cyc/pkt ours | bare cost | headroom | bare / ours |"
	echo "|----------|-------------:|----------:|---------:|------------:|"
	while IFS='|' read -r w wl fo fd mo md ratio po pd xo xd refused full; do
		local b
		b=$(bare_of "$wl")
		if [ "$mo" = - ]; then
			echo "| $(wl_label "$wl") | - | $b | - | - |"
		else
			awk -v l="$(wl_label "$wl")" -v o="$mo" -v b="$b" \
				'BEGIN { printf "| %s | %.0f | %s | %.0f | %.0f%% |\n", l, o, b, o - b, 100 * b / o }'
		fi
	done <"$BENCH_DIR/table.txt"
}

echo
echo "Cycles per packet on the vhost forwarding core (median of $ROUNDS rounds), DPDK/ours > 1: ours is faster"
table
if [ "$PAIR_ROUNDS" -gt 0 ]; then
	echo
	echo "Paired runs (vhost-ab: both drivers in one process, 100 ms slices each; medians of $PAIR_ROUNDS runs, DPDK/ours > 1: ours is faster)"
	pair_table
fi
echo
echo "Bare cost (vhost-bare, TSC cycles): in cache: ring $(bare hot ring), copy 64 B $(bare hot copy64), copy 1518 B $(bare hot copy1518); frontend on the other CPU: ring $(bare cross ring), copy 64 B $(bare cross copy64), copy 1518 B $(bare cross copy1518)"
headroom
echo
echo "In one core's cache (vhost-hot-ab: ours and DPDK's librte_vhost, both ends in one thread):"
hot_table
if [ "$PERF" = 1 ]; then
	for d in rx tx pvp; do
		[ -s "$BENCH_DIR/perf-$d.top" ] || continue
		echo
		echo "perf hotspots, ours, $(wl_label "$(tr ' ' '\n' <<<"$PERF_WORKLOADS" | grep "^$d:")"):"
		cat "$BENCH_DIR/perf-$d.top"
	done
fi
vpt_say "done in ${ELAPSED}s"

[ "${BENCH_DOC:-1}" = 1 ] && [ -z "${BENCH_VS:-}" ] || exit 0

# The plot: one bar pair per workload, DPDK/ours, line at 1.
while IFS='|' read -r w wl fo fd mo md ratio rest; do
	pr=$(pair_median 5)
	echo "$w ${ratio/#-/NaN} ${pr/#-/NaN}"
done <"$BENCH_DIR/table.txt" >"$BENCH_DIR/ratio.dat"
while IFS='|' read -r w wl rest; do
	echo "$w \"$(wl_label "$wl")\""
done <"$BENCH_DIR/table.txt" >"$BENCH_DIR/labels.dat"
if [ -s "$BENCH_DIR/ratio.dat" ]; then
	xtics=$(awk '{ l = $0; sub(/^[0-9]+ /, "", l); printf "%s%s %s", (NR > 1 ? ", " : ""), l, $1 }' "$BENCH_DIR/labels.dat")
	gnuplot <<GP || vpt_say "gnuplot failed: no plot"
set terminal pngcairo size 1100,600 font ",9"
set output "$DOC_PNG.tmp"
set title "net\\\\_vhost cycles per packet: DPDK 22.11 / ours (> 1: ours is faster), $START_DATE"
set style fill solid 0.6
set boxwidth 0.35
set yrange [0:*]
set grid ytics
set key top left
set xtics rotate by 45 right ($xtics)
set ylabel "DPDK cycles/packet / our cycles/packet"
plot "$BENCH_DIR/ratio.dat" using (\$1 - 0.18):2 with boxes title "separate runs (median of $ROUNDS rounds)", \\
     "$BENCH_DIR/ratio.dat" using (\$1 + 0.18):3 with boxes title "paired runs, one process (median of $PAIR_ROUNDS)", \\
     1 with lines lw 2 lc rgb "red" title "equal"
GP
fi

{
	echo "# net_vhost benchmark: ours against DPDK 22.11's"
	echo
	echo "Generated by \`./run bench$([ "$QUICK" = 1 ] && echo " --quick")\` (\`app/test-vhost-pmd/bench/bench.sh\`); do not edit by hand."
	echo
	echo "- Date: $START_DATE, ${ELAPSED}s"
	hv=$(lscpu | sed -n 's/^Hypervisor vendor: *//p')
	[ -n "$hv" ] || ! grep -qw hypervisor /proc/cpuinfo || hv="unnamed hypervisor's"
	echo "- Machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs${hv:+ ($hv guest)}, TSC $TSC_MHZ MHz, Linux $(uname -r)"
	echo "- DPDK: Debian $(dpkg-query -W -f='${Version}' dpdk) (testpmd and the reference net_vhost from $(vpt_pmd_dir)); ours: $OURS_REV"
	echo "- Command: \`./run bench$([ "$QUICK" = 1 ] && echo " --quick")\`: $ROUNDS rounds per workload, ours and DPDK's interleaved (odd rounds ours first, even rounds DPDK's), ${SECS}s of traffic per run"
	echo "- Load average at start / end: $START_LOAD / $END_LOAD. The machine has 2 CPUs shared with other"
	echo "  jobs (builds and test suites of other work trees ran at the same time), so absolute rates"
	echo "  swing; cycles per packet of the busy polls and the interleaved medians are the robust figures."
	echo "- Placement of the vCPUs: the CPU 0 <-> CPU 1 round trip of every run is in the raw data"
	echo "  (\`xcpu-probe\`). Where it differs between runs by 2x or more, the vCPUs moved between near and"
	echo "  distant physical cores, and cross-core misses cost in proportion: read \"Same placement"
	echo "  only\" then, not the medians of all rounds."
	echo
	echo "## Method"
	echo
	echo "Every run starts a peer \`dpdk-testpmd\` on \`virtio_user\` (forwarding lcore on CPU 0,"
	echo "\`--single-file-segments\`) and a vhost \`dpdk-testpmd\` on \`net_vhost\` (forwarding lcore on"
	echo "CPU 1, \`--record-core-cycles --stats-period 1\`), each with its own \`--file-prefix\` and"
	echo "\`--total-num-mbufs=16384\`; their hugepage files are removed after the run. For **tx** the"
	echo "peer listens (server=1) and the vhost side connects (client=1), so the vhost port is up"
	echo "when its txonly engine starts and spends no busy cycles on a port without a peer; **rx**"
	echo "and **pvp** count busy cycles only for polls that received packets and use the usual"
	echo "order (vhost server first). The vhost side is ours in"
	echo "a mount namespace where Debian's net_vhost is hidden, proven by \`/proc/PID/maps\`"
	echo "(\`vpt_assert_ours\`), or Debian's, proven the same way (\`vpt_assert_reference\`); the peer"
	echo "is identical for both. The vhost testpmd is stopped with SIGTERM: it then stops forwarding"
	echo "and prints \`CPU cycles/packet\`: the TSC cycles of the polls that moved packets, divided"
	echo "by the packets (received for rxonly and io, sent for txonly). TSC cycles run on while the"
	echo "thread is preempted, so the load of other jobs inflates them; the medians damp that. Mpps"
	echo "is the median of the per-second samples of the peer's port (virtio_user's counters, the"
	echo "same code for both drivers: Tx-pps for rx, Rx-pps for tx and pvp) that follow the first"
	echo "one with traffic. \"refused %\" (ours / DPDK) is the share of the packets"
	echo "the vhost testpmd offered that the port did not take (ring full). In **tx** every burst"
	echo "of txonly counts as busy, so where that share is high the peer, not the vhost side, set"
	echo "the pace, and cycles per packet there measure the whole loop's throughput (with the same"
	echo "peer for both drivers, a driver that hands buffers back to the guest sooner still wins)."
	echo "\"peer full %\" (tx, ours / DPDK) is the share of the peer's Rx bursts with packets that"
	echo "held a whole burst (32; testpmd \`--record-burst-stats\` on the peer). At 100 every poll of"
	echo "the peer that returned packets returned 32. With a high refused share as well (the vhost"
	echo "side found no free guest buffer for most of what it offered), the peer's Rx loop, not the"
	echo "vhost side, set the rate: the vhost side's cycles per packet are then the peer's time per"
	echo "packet. (testpmd gives whole percents of all polls, most of them empty polls before the"
	echo "vhost side came, which are not counted; 100 is exact, less is approximate.)"
	echo
	echo "- **rx**: virtio_user txonly -> vhost rxonly (vhost dequeue)."
	echo "- **tx**: vhost txonly -> virtio_user rxonly (vhost enqueue)."
	echo "- **pvp**: vhost io forwarding, the peer io-forwarding back. The peer injects 4 bursts of"
	echo "  32 per queue once its port runs (\`start tx_first 4\` from \`--cmdline-file\`; its Rx"
	echo "  ring is filled by then; with a virtio_user server, which sets its rings up twice, these"
	echo "  first packets could be lost and the loop stay empty), then 128 packets per queue circulate:"
	echo "  fewer than a ring holds (256), so none is dropped and the loop never drains, and no"
	echo "  packet generator runs on either side. Cycles per packet count one dequeue and one"
	echo "  enqueue."
	echo "- Workload names: direction, ring asked of virtio_user (packed_vq), mrg_rxbuf, in_order,"
	echo "  frame size, queue pairs (one forwarding core on each side for all queues). The"
	echo "  \"Negotiated\" columns are the features the peer's virtio driver logged after"
	echo "  negotiation (\`features after negotiate\`); \"(asked packed)\" means the backend did not"
	echo "  offer packed rings and the run used split ones."
	echo
	echo "## Results"
	echo
	echo "Cycles per packet on the vhost forwarding core, median of $ROUNDS rounds; DPDK/ours > 1 means ours is faster."
	echo
	table
	echo
	echo "![DPDK/ours cycles per packet per workload](vhost-bench.png)"
	echo
	if [ "$PAIR_ROUNDS" -gt 0 ]; then
		echo "## Paired runs: both drivers in one process"
		echo
		echo "Separate runs of the two drivers draw different placements of the two vCPUs (see the"
		echo "x-CPU column of the raw data: the round trip between them changes 4x, and every"
		echo "cross-core miss with it). In a paired run (\`vhost-ab\`,"
		echo "\`app/test-vhost-pmd/bench/vhost_ab.c\`) one process on CPU 1 holds a port of ours (our"
		echo "plugin built a second time, registered as \`net_vhua\`: \`librte_net_vhu_ab.so\`) and a"
		echo "port of Debian's \`net_vhost\`, both proven mapped; one peer \`dpdk-testpmd\` on CPU 0 holds"
		echo "a \`virtio_user\` port for each (the same options as above, \`--port-topology=loop\`). One loop"
		echo "polls one port alone for 100 ms, then the other (the first 10 ms of a slice are not"
		echo "counted: the port finds what piled up while it was idle), so each driver runs as it would"
		echo "alone, and placement changes and load spikes, seconds apart, fall on both alike. It counts"
		echo "per port as testpmd does: TSC cycles of the polls that moved packets (tx: every poll),"
		echo "with the loop's mbuf work (free for rx; allocation and a UDP header for tx), per packet"
		echo "received (tx: sent). \"driver calls only\" counts the cycles inside \`rte_eth_rx_burst\`/"
		echo "\`rte_eth_tx_burst\` only. Odd runs put ours on port 0, even runs DPDK's; ${PAIR_SECS}s counted"
		echo "per run after 1s of warm-up. DPDK/ours is the median of the runs' own ratios."
		echo
		pair_table
		echo
	fi
	echo "## Headroom over the bare cost"
	echo
	echo "\`vhost-bare\` (\`app/test-vhost-pmd/bench/vhost_bare.c\`) times what no vhost dequeue or"
	echo "enqueue can avoid, in TSC cycles per packet, bursts of 32: reading one avail entry and"
	echo "its descriptor and writing one used element (ring), and one \`rte_memcpy\` of the frame"
	echo "(copy). Each figure is the least of 5 runs. All in one thread's cache: ring"
	echo "$(bare hot ring), copy 64 B $(bare hot copy64), copy 1518 B $(bare hot copy1518). With a frontend thread on the other CPU posting"
	echo "and reaping, as in the benchmark (ring cache lines move between the cores; noisy when"
	echo "other jobs run): ring $(bare cross ring), copy 64 B $(bare cross copy64), copy 1518 B $(bare cross copy1518). The bare cost of a"
	echo "workload is the in-cache ring + copy (twice for pvp): a floor; the headroom is what our"
	echo "driver, the mbuf handling, testpmd's engine, cache misses between the cores and"
	echo "preemption by other jobs add on top of it."
	echo
	headroom
	echo
	echo "## In one core's cache: ours against DPDK's librte_vhost"
	echo
	echo "\`vhost-hot-ab\` (\`app/test-vhost-pmd/bench/vhost_hot_ab.c\`) runs our library and the"
	echo "librte_vhost Debian's net_vhost is built on in one process, each with a device of its own"
	echo "and the unit tests' frontend simulator as the guest, in one thread: the guest posts 32"
	echo "buffers, the library takes them in one burst of 64-byte packets (enqueue: into the"
	echo "guest's Rx ring; dequeue: out of its Tx ring, into mbufs), the guest reaps the used ring."
	echo "Only the library's call is timed, in TSC cycles per packet, medians of 9 rounds, the two"
	echo "libraries' rounds interleaved; DPDK/ours is the median of the rounds' own ratios. Nothing"
	echo "crosses cores here, so this is the work per packet alone: what is left of the benchmark"
	echo "above when the two vCPUs are near each other, and where the ring's cache lines cost"
	echo "the least."
	echo
	hot_table
	if [ "$PERF" = 1 ]; then
		echo
		echo "## Hotspots of ours (perf)"
		echo
		echo "\`perf record -g -p <vhost testpmd>\` for ${SECS}s in one workload per direction;"
		echo "\`perf report --no-children --sort dso,symbol\`, self time, entries of 0.8 % and more;"
		echo "testpmd and Debian's DPDK libraries are stripped, so their samples are summed per object"
		echo "(\"(no symbols)\")."
		for d in rx tx pvp; do
			[ -s "$BENCH_DIR/perf-$d.top" ] || continue
			echo
			echo "### $(wl_label "$(tr ' ' '\n' <<<"$PERF_WORKLOADS" | grep "^$d:")")"
			echo
			echo '```'
			cat "$BENCH_DIR/perf-$d.top"
			echo '```'
		done
	fi
	echo
	echo "## Same placement only"
	echo
	echo "The runs of each workload split by the placement of the two vCPUs, medians: **near**, an"
	echo "x-CPU round trip (raw data, below) under twice the smallest of all runs of the benchmark"
	echo "(if every run had the same placement, near holds them all, whether that was near or"
	echo "distant cores), and **far**, the others. Within a group ours and DPDK's compare like with like;"
	echo "the table at the top mixes placements as the rounds drew them, and where one driver drew"
	echo "more near runs than the other its median ratio says more about the draw than the drivers."
	echo
	echo "| Workload | near runs ours / DPDK | cyc/pkt ours | cyc/pkt DPDK | DPDK/ours | far runs ours / DPDK | cyc/pkt ours | cyc/pkt DPDK | DPDK/ours |"
	echo "|----------|----------------------:|-------------:|-------------:|----------:|---------------------:|-------------:|-------------:|----------:|"
	for ((w = 0; w < ${#WL[@]}; w++)); do
		read -r nt nno nnp nmo nmd nratio <<<"$(placement_runs "$w")"
		read -r _ fno fnp fmo fmd fratio <<<"$(placement_runs "$w" far)"
		echo "| $(wl_label "${WL[w]}") | $nno / $nnp | $nmo | $nmd | $nratio | $fno / $fnp | $fmo | $fmd | $fratio |"
	done
	echo
	echo "## Raw data"
	echo
	echo "Cycles per packet and Mpps of every run, by round (odd rounds ran ours first, even rounds DPDK's)."
	echo "x-CPU: the median CPU 0 <-> CPU 1 cache-line round trip during the run (\`xcpu-probe\`,"
	echo "\`app/test-vhost-pmd/bench/xcpu_probe.c\`, ns). On a virtual machine it tells how near the"
	echo "physical cores under the two vCPUs were; every cross-core miss of the run costs in proportion."
	echo
	echo "| Workload | Round | ours cyc/pkt | ours Mpps | ours refused % | ours x-CPU ns | DPDK cyc/pkt | DPDK Mpps | DPDK refused % | DPDK x-CPU ns |"
	echo "|----------|------:|-------------:|----------:|---------------:|--------------:|-------------:|----------:|---------------:|--------------:|"
	for ((w = 0; w < ${#WL[@]}; w++)); do
		for ((r = 1; r <= ROUNDS; r++)); do
			o=$(awk -v w="$w" -v r="$r" '$1 == w && $2 == "ours" && $3 == r { print ($4 == "fail") ? "fail | fail | - | -" : $4 " | " $5 " | " $6 " | " ($10 == "" ? "-" : $10) }' "$BENCH_DIR/raw.txt")
			p=$(awk -v w="$w" -v r="$r" '$1 == w && $2 == "dpdk" && $3 == r { print ($4 == "fail") ? "fail | fail | - | -" : $4 " | " $5 " | " $6 " | " ($10 == "" ? "-" : $10) }' "$BENCH_DIR/raw.txt")
			echo "| $(wl_label "${WL[w]}") | $r | ${o:-- | - | - | -} | ${p:-- | - | - | -} |"
		done
	done
} >"$DOC_MD.tmp"
# Both files appear at once, complete: a reader (or a copy) of the doc
# while the report is written gets the previous run's.
mv "$DOC_MD.tmp" "$DOC_MD"
if [ -s "$DOC_PNG.tmp" ]; then mv "$DOC_PNG.tmp" "$DOC_PNG"; else rm -f "$DOC_PNG.tmp"; fi
vpt_say "wrote $DOC_MD and $DOC_PNG"
