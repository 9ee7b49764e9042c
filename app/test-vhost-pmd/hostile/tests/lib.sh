# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# Helpers of the hostile/ tests (after lib/common.sh).

HOSTILE_EVIL=$VPT_BUILD/app/test-vhost-pmd/hostile/evil_fe
[ -x "$HOSTILE_EVIL" ] || vpt_fail "$HOSTILE_EVIL not built (./run build)"

# hostile_start_host SOCK_A SOCK_B [PEER ARGS]: vhost-peer named "host" on
# our net_vhost0 (SOCK_A, echoes) and net_vhost1 (SOCK_B, driven).
hostile_start_host() {
	local sa=$1 sb=$2
	shift 2
	VPT_EXTRA_EAL=(--vdev "net_vhost1,iface=$sb,queues=1")
	vpt_launch host ours "$VPT_VHOST_CORES" "$(vpt_vdev_vhost "$sa")" "$VPT_PEER" \
		--port net_vhost1 --echo-others --hold --timeout 1000 "$@"
	VPT_EXTRA_EAL=()
	vpt_wait_log host '^READY .*name=net_vhost1 ' 30
	vpt_assert_ours host
}

hostile_fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }
hostile_rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }

# The fd count of PID comes back to WANT (the control thread closes a
# dropped connection asynchronously: wait, bounded).
hostile_fds_back() {
	local pid=$1 want=$2 what=$3 i got
	for i in $(seq 100); do
		got=$(hostile_fds "$pid")
		[ "$got" = "$want" ] && return 0
		sleep 0.1
	done
	ls -l "/proc/$pid/fd" >&2
	vpt_fail "$what: the host has $got fds, $want before"
}

# VmRSS back near the baseline: mappings of guest memory are unmapped,
# nothing grows per case. (Heap pages freed to malloc may stay resident.)
hostile_rss_back() {
	local rss0=$1 rss1=$2 slack=${3:-8192}
	[ "$rss1" -le $((rss0 + slack)) ] ||
		vpt_fail "VmRSS grew from $rss0 kB to $rss1 kB (more than $slack kB)"
	vpt_ok "VmRSS $rss1 kB, baseline $rss0 kB (slack $slack kB)"
}

# Counter FIELD of the host's echo port NAME, dumped now (SIGUSR1).
hostile_other() {
	local name=$1 field=$2 from pid
	pid=$(vpt_pid host)
	from=$(vpt_lines host)
	kill -USR1 "$pid"
	vpt_wait_log host '^OTHERS-END' 30 "$from"
	tail -n "+$((from + 1))" "${VPT_LOG[host]}" | grep "^OTHER port=.* name=$name " |
		tail -n 1 | sed -n "s/.* $field=\([0-9]*\).*/\1/p"
}

# A good virtio_user on SOCK (port net_vhost0 of the host): 1000 packets
# through the host's echo, every byte checked; each one comes back intact
# or was dropped by the host for want of room in the guest's Rx ring and
# counted (the machine is shared: a starved guest may not refill in time).
hostile_virtio_check() {
	local sock=$1 tag=$2 name=goodfe$2 d0 d1 ok
	d0=$(hostile_other net_vhost0 dropped)
	vpt_start_virtio "$name" "$sock" --tx 1000 --rx 1000 --pps 1000 --wait-link \
		--timeout 30 --linger 500 --stats
	vpt_wait_exit "$name" 90
	d1=$(hostile_other net_vhost0 dropped)
	ok=$(vpt_kv "$name" RX ok)
	vpt_expect_eq "virtio_user on port A after case $tag: TX sent, RX bad/dup" \
		"$(vpt_kv "$name" TX sent) $(vpt_kv "$name" RX bad)/$(vpt_kv "$name" RX dup)" \
		"1000 0/0" >/dev/null
	vpt_expect_eq "virtio_user on port A after case $tag: received + dropped by the host" \
		"$((ok + d1 - d0))" 1000 >/dev/null
	[ "$ok" -gt 0 ] || vpt_fail "virtio_user on port A after case $tag: nothing came back"
	[ "$ok" = 1000 ] || vpt_say "virtio_user check $tag: $((d1 - d0)) echoes dropped (counted)"
}

# rte_malloc bytes allocated in the host now (from its SIGUSR1 dump).
hostile_malloc() {
	local from pid
	pid=$(vpt_pid host)
	from=$(vpt_lines host)
	kill -USR1 "$pid"
	vpt_wait_log host '^OTHERS-END' 30 "$from"
	tail -n "+$((from + 1))" "${VPT_LOG[host]}" | grep '^MALLOC ' | tail -n 1 |
		sed -n 's/.* heap_alloc=\([0-9]*\).*/\1/p'
}

# hostile_malloc_bounded M0 M1 WHAT: the host's rte_malloc heap (bytes
# M0 before, M1 after WHAT) grew by less than 1 MiB.
hostile_malloc_bounded() {
	local m0=$1 m1=$2 what=$3
	[ $((m1 - m0)) -lt $((1 << 20)) ] ||
		vpt_fail "rte_malloc grew by $((m1 - m0)) bytes over $what"
	vpt_ok "rte_malloc grew by $((m1 - m0)) bytes over $what (< 1 MiB)"
}

# hostile_end_traffic PEER LABEL: end the host's checked traffic with PEER
# (SIGUSR2), stop both: the host exits 0 and every packet it sent came
# back intact, once. Leaves that count in hostile_sent.
hostile_end_traffic() {
	local peer=$1 label=$2
	kill -USR2 "$(vpt_pid host)"
	vpt_wait_log host '^DONE' 120
	vpt_stop host
	vpt_stop "$peer"
	vpt_expect_rc host 0
	hostile_sent=$(vpt_kv host TX sent)
	vpt_expect_eq "$label RX ok/bad/dup/missing" \
		"$(vpt_kv host RX ok)/$(vpt_kv host RX bad)/$(vpt_kv host RX dup)/$(vpt_kv host RX missing)" \
		"$hostile_sent/0/0/0"
}

# hostile_start_traffic SOCK_A SOCK_B PPS: the host (hostile_start_host)
# sending checked traffic at PPS packets/s on port B, more than a test can
# last (hostile_end_traffic ends it), echoed by a virtio_user "peerb";
# returns once it flows. (--tx-gate: virtio_user's dev_start discards what
# its Rx ring holds, so the host sends once peerb's port has started.)
hostile_start_traffic() {
	local sa=$1 sb=$2 pps=$3 n=$(($3 * 1500)) gate=$VPT_DIR/peerb-started
	hostile_start_host "$sa" "$sb" --tx "$n" --rx "$n" --pps "$pps" --progress 400 --stats \
		--tx-gate "$gate"
	vpt_start_virtio peerb "$sb" --echo --hold --timeout 1000
	touch "$gate"
	vpt_wait_log host '^PROGRESS' 60
}
