#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# 1000 connect / handshake / disconnect cycles of a frontend (evil_fe) on
# port A of a host whose port B passes checked traffic with a virtio_user
# peer all the while; every tenth cycle passes echoed packets too. After:
# the host is alive, port A serves a virtio_user frontend, its fd count is
# exactly where it started, VmRSS is back near it, its rte_malloc heap grew
# by less than 1 MiB (device slots are reused), port B lost nothing.
set -euo pipefail
# shellcheck source=../../lib/common.sh
. "$(dirname "$0")/../../lib/common.sh"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

CYCLES=${VHOST_PMD_HOSTILE_CYCLES:-1000}
PPS=4000

vpt_init hostile-cycles
sa=$(vpt_sock a)
sb=$(vpt_sock b)
hostile_start_traffic "$sa" "$sb" "$PPS"
pid=$(vpt_pid host)
hostile_virtio_check "$sa" before
fd0=$(hostile_fds "$pid")
rss0=$(hostile_rss "$pid")
m0=$(hostile_malloc)
vpt_say "baseline: $fd0 fds, VmRSS $rss0 kB, rte_malloc $m0 bytes"

from=$(vpt_lines host)
"$HOSTILE_EVIL" --sock "$sa" --case cycles --count "$CYCLES" >"$VPT_DIR/evil-cycles.log" 2>&1 ||
	{ cat "$VPT_DIR/evil-cycles.log"; vpt_fail "evil_fe cycles failed"; }
vpt_ok "$(grep -E '^(cycles|CASE)' "$VPT_DIR/evil-cycles.log" | tr '\n' ' ')"
vpt_alive host || vpt_fail "the host process died"
attached=$(tail -n "+$((from + 1))" "${VPT_LOG[host]}" | grep -c 'net_vhost0: guest attached' || true)
[ "$attached" -ge "$CYCLES" ] || vpt_fail "port A attached $attached times, want >= $CYCLES"
vpt_ok "port A attached $attached times"
hostile_fds_back "$pid" "$fd0" "after $CYCLES cycles"
vpt_wait_log host '^PROGRESS' 60 "$from"
hostile_virtio_check "$sa" after
fd1=$(hostile_fds "$pid")
rss1=$(hostile_rss "$pid")
m1=$(hostile_malloc)
vpt_say "after $CYCLES cycles: $fd1 fds (baseline $fd0), VmRSS $rss1 kB (baseline $rss0 kB)"
# Device slots live as long as the library (vhu.h) but free ones are
# reused: a few may be added, never one per connection (38 KB each).
vpt_say "rte_malloc: $m1 bytes (baseline $m0), $((m1 - m0)) more"
hostile_malloc_bounded "$m0" "$m1" "$CYCLES cycles"
vpt_expect_eq "host fds after $CYCLES cycles" "$fd1" "$fd0"
hostile_rss_back "$rss0" "$rss1"

hostile_end_traffic peerb "port B"
