#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# No frontend can harm the host process. One vhost-peer process on our
# net_vhost with two ports: port A (net_vhost0) faces evil_fe, which plays
# every case of `evil_fe --list` one at a time; port B (net_vhost1) passes
# numbered packets to a virtio_user peer that echoes them, the whole time,
# every byte checked. After each case: the host is alive, port B's traffic
# went on, its fd count is back to where it started, and port A serves a
# good virtio_user frontend (every byte checked). At the end: port B lost
# nothing, port A's drops (its guest never emptied its Rx ring) are counted
# exactly in oerrors, memory (VmRSS) is back near where it started and the
# rte_malloc heap grew by less than 1 MiB.
#
# VHOST_PMD_HOSTILE_CASES="a b"   only these cases
# VHOST_PMD_HOSTILE_VIRTIO_EVERY=N   the virtio_user check after every Nth case
set -euo pipefail
# shellcheck source=../../lib/common.sh
. "$(dirname "$0")/../../lib/common.sh"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

EVERY=${VHOST_PMD_HOSTILE_VIRTIO_EVERY:-1}
PPS=4000

vpt_init hostile-evil
sa=$(vpt_sock a)
sb=$(vpt_sock b)
hostile_start_traffic "$sa" "$sb" "$PPS"
pid=$(vpt_pid host)
fd0=$(hostile_fds "$pid")
rss0=$(hostile_rss "$pid")
m0=$(hostile_malloc)
vpt_say "baseline: $fd0 fds, VmRSS $rss0 kB, rte_malloc $m0 bytes"

# Port A serves virtio_user before any abuse too.
hostile_virtio_check "$sa" 0

cases=${VHOST_PMD_HOSTILE_CASES:-$("$HOSTILE_EVIL" --list)}
n=0
for c in $cases; do
	n=$((n + 1))
	from=$(vpt_lines host)
	log=$VPT_DIR/evil-$c.log
	rc=0
	timeout -k 5 180 "$HOSTILE_EVIL" --sock "$sa" --case "$c" >"$log" 2>&1 || rc=$?
	if [ "$rc" != 0 ]; then
		cat "$log"
		vpt_fail "case $c: evil_fe exit $rc"
	fi
	vpt_alive host || vpt_fail "case $c: the host process died"
	hostile_fds_back "$pid" "$fd0" "case $c"
	# Port B's traffic went on through the case.
	vpt_wait_log host '^PROGRESS' 60 "$from"
	grep -q '^BAD' "${VPT_LOG[host]}" && vpt_fail "case $c: a bad packet on port B"
	[ $((n % EVERY)) = 0 ] && hostile_virtio_check "$sa" "$n"
	vpt_ok "case $c: $(grep -E '^(CASE|[a-z-]+:)' "$log" | tr '\n' ' ')"
done
vpt_say "$n cases played"

# Port A's drops: what vhost-peer could not echo is what the PMD counted.
kill -USR1 "$pid"
vpt_wait_log host '^OTHERS-END' 30 "$from"
line=$(grep '^OTHER port=' "${VPT_LOG[host]}" | tail -n 1)
vpt_say "port A: $line"
dropped=$(sed -n 's/.* dropped=\([0-9]*\).*/\1/p' <<<"$line")
oerrors=$(sed -n 's/.* oerrors=\([0-9]*\).*/\1/p' <<<"$line")
vpt_expect_eq "port A oerrors (drops counted)" "$oerrors" "$dropped"
if [[ " $cases " == *" rx-full "* ]]; then
	[ "$dropped" -gt 0 ] || vpt_fail "rx-full played but port A dropped nothing"
fi

fd1=$(hostile_fds "$pid")
rss1=$(hostile_rss "$pid")
m1=$(hostile_malloc)
vpt_say "after $n cases: $fd1 fds (baseline $fd0), VmRSS $rss1 kB (baseline $rss0 kB), rte_malloc $m1 bytes (baseline $m0)"
hostile_rss_back "$rss0" "$rss1"
hostile_malloc_bounded "$m0" "$m1" "$n cases"

# End port B's traffic: everything sent must come back intact.
hostile_end_traffic peerb "port B"
vpt_say "port B: $hostile_sent packets each way during the cases, every byte checked"
