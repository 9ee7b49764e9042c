#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Packed virtqueues: the guest's device with packed=on. Our port must
# negotiate VIRTIO_F_RING_PACKED (bit 34) and carry the TCP exchange of
# tcp.sh (32 MiB each way, SHA-256 compared, counters equal the guest's).
# (Without packed rings in the library QEMU falls back to split rings and
# the feature check fails.)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/common.sh"
. "$HERE/lib/guest.sh"

SIZE=$((32 * 1024 * 1024))
VPG_DEV_OPTS=",packed=on"

vpg_init guest-packed
vpg_start_testpmd
vpg_tcp_exchange "$SIZE"
vpg_expect_guest_end
vpg_expect_feature RING_PACKED 34 1
vpg_expect_tcp_counters "$SIZE"
