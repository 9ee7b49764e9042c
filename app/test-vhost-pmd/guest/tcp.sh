#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# TCP bulk transfer through our net_vhost, both directions, the device's
# default (offloads on) configuration: the guest sends 32 MiB of random
# data (from its /dev/urandom) to the host, then the host sends 32 MiB of
# random data to the guest (busybox nc both ends). The SHA-256 of what each
# receiver got equals the sender's; testpmd forwarded every packet and its
# counters of net_vhost0 equal the guest's own.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/common.sh"
. "$HERE/lib/guest.sh"

SIZE=$((32 * 1024 * 1024))

vpg_init guest-tcp
vpg_start_testpmd
vpg_tcp_exchange "$SIZE"
vpg_expect_guest_end
vpg_expect_feature MRG_RXBUF 15 1
vpg_expect_tcp_counters "$SIZE"
