#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The TCP exchange of tcp.sh (32 MiB each way, SHA-256 compared) with every
# offload of the guest's device off, and the ring features that change our
# data path off too: no checksum or segmentation offload either way, no
# mergeable Rx buffers (each frame in one guest buffer chain), no event
# index (flag-based notifications), no indirect descriptors. Our port
# forwards every packet and its counters equal the guest's.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/common.sh"
. "$HERE/lib/guest.sh"

SIZE=$((32 * 1024 * 1024))
VPG_DEV_OPTS=",csum=off,guest_csum=off,gso=off,guest_tso4=off,guest_tso6=off"
VPG_DEV_OPTS+=",guest_ecn=off,guest_ufo=off,host_tso4=off,host_tso6=off,host_ecn=off"
VPG_DEV_OPTS+=",host_ufo=off,mrg_rxbuf=off,event_idx=off,indirect_desc=off"

vpg_init guest-tcp-nooffload
vpg_start_testpmd
vpg_tcp_exchange "$SIZE"
vpg_expect_guest_end
vpg_expect_feature VERSION_1 32 1
vpg_expect_feature MRG_RXBUF 15 0
vpg_expect_feature EVENT_IDX 29 0
vpg_expect_feature INDIRECT_DESC 28 0
vpg_expect_feature CSUM 0 0
vpg_expect_feature GUEST_CSUM 1 0
vpg_expect_tcp_counters "$SIZE"
