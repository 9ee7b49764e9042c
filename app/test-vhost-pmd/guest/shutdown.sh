#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# testpmd stopped (SIGTERM) while the guest sends (a steady ping): testpmd
# exits 0 and removes its socket file (no stale socket left), QEMU and the
# guest stay alive (its console keeps counting pings, now unanswered).
# QEMU's chardev has reconnect=1: a new testpmd on the same path gets the
# guest back, its link comes up and the pings are answered again.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/common.sh"
. "$HERE/lib/guest.sh"

VPG_CHARDEV_OPTS=",reconnect=1"

vpg_init guest-shutdown
vpg_start_testpmd
vpg_alive_guest
vpt_stop testpmd
vpt_expect_rc testpmd 0
[ ! -e "$VPG_SOCK" ] || vpt_fail "socket file $VPG_SOCK left behind"
vpt_ok "testpmd removed its socket file"
from=$(vpg_guest_lines)
line=$(vpg_wait_guest 'ALIVE [0-9]+ received=0' 60 "$from")
n=${line#VPT-GUEST ALIVE }
n=${n%% *}
vpg_wait_guest "ALIVE $((n + 3)) received=0" 60 "$from" >/dev/null
vpt_alive guest || vpt_fail "QEMU exited after testpmd stopped"
vpt_ok "QEMU and the guest are alive after testpmd stopped (ALIVE $((n + 3)))"

# A new testpmd on the same socket: QEMU reconnects, traffic resumes.
cp "${VPT_LOG[testpmd]}" "$VPT_DIR/testpmd-first.log"
unset 'VPT_PID[testpmd]' 'VPT_RC[testpmd]'
vpg_ns ip addr flush dev "$VPG_TAP" 2>/dev/null || true
vpg_start_testpmd
from=$(vpg_guest_lines)
vpt_wait_log testpmd 'net_vhost0: guest attached' 60
vpg_wait_guest 'ALIVE [0-9]+ received=1' 60 "$from" >/dev/null
vpt_ok "QEMU reconnected to the new testpmd, the pings are answered again"
vpt_stop guest
vpg_expect_no_error
vpg_wait_disconnects 1
vpt_stop testpmd
vpt_expect_rc testpmd 0
