#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The lifecycle with the roles swapped: our net_vhost0 the client
# (client=1), QEMU the server (-chardev socket,...,server=on,wait=off).
# testpmd starts first and retries; QEMU comes up, the guest's traffic
# flows; QEMU is SIGKILLed (its socket file stays, nobody listens: our
# client keeps retrying) and started again, our client reconnects, traffic
# resumes; QEMU stopped. Events in order, testpmd's fds the same before
# and after.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/common.sh"
. "$HERE/lib/guest.sh"

vpg_init guest-lifecycle-client
VPG_VHOST_ARGS="client=1"
VPG_CHARDEV_OPTS=",server=on,wait=off"
vpg_start_testpmd
fds=$(vpg_fd_count)
vpt_say "testpmd has $fds open fds before any guest"

VPG_GUEST=first vpg_alive_guest
VPG_GUEST=first
vpt_stop first KILL
vpt_say "QEMU SIGKILLed (status ${VPT_RC[first]})"
vpg_wait_disconnects 1
VPG_GUEST=second vpg_alive_guest
VPG_GUEST=second
vpt_stop second
vpg_wait_disconnects 2
# (our client keeps retrying the path; the fds of a failed try are closed)
vpg_expect_fds "testpmd fds after the guests" "$fds"
vpg_expect_no_error
vpt_expect_eq "event order (A attached, L link, Q queue, D detached)" \
	"$(vpg_event_seq)" "ALQQDQQLALQQDQQL"
vpt_stop testpmd
vpt_expect_rc testpmd 0
