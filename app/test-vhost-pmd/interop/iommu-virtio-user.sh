#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# iommu-support=1 with DPDK's virtio_user, which has no IOMMU: our port
# offers VIRTIO_F_ACCESS_PLATFORM, virtio_user does not take it, and the
# port serves it with plain addresses, as without the devarg: the
# bidirectional exchange of bidirectional.sh, every byte checked, counters
# exact.
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

vpt_init iommu-virtio-user
VPT_VHOST_DEVARGS=iommu-support=1
vpt_transfer both 2000 64,1518,3000 1,3
features=$(sed -n 's/.*features \(0x[0-9a-f]*\), virtio-net header.*/\1/p' \
	"${VPT_LOG[vhost]}" | tail -n 1)
[ -n "$features" ] || vpt_fail "no negotiated features in the vhost log"
(( (features >> 33 & 1) == 0 )) || vpt_fail "virtio_user took ACCESS_PLATFORM ($features)"
vpt_ok "negotiated $features: no ACCESS_PLATFORM (bit 33)"
