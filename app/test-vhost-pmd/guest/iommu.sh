#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A Linux guest whose virtio-net device sits behind QEMU's Intel vIOMMU
# (q35, intel-iommu, iommu_platform=on) on our net_vhost with
# iommu-support=1: VIRTIO_F_ACCESS_PLATFORM is negotiated, every ring and
# buffer address is an I/O virtual address, translated through IOTLB
# updates we ask for with misses. The guest's IOMMU runs in strict mode
# (iommu.strict=1, group type DMA): each buffer is mapped at a new address
# and unmapped (invalidated) after use, so nearly every packet costs a miss,
# an update and an invalidation. The TCP exchange of tcp.sh (2 MiB each
# way, SHA-256 compared) passes, the guest's vIOMMU reports no DMA fault,
# and our port's counters equal the guest's own. Before misses were
# deduplicated per address, a second miss for a buffer already used and
# unmapped made the guest's vIOMMU log DMA faults.
# With IOMMU_ATS=1 (iommu-ats.sh) the device sits behind a PCIe root port
# with ATS, and the guest's IOMMU runs in its default lazy mode (group type
# DMA-FQ): IOVAs are freed in batches, and QEMU turns the guest's domain
# flushes into invalidations of the whole space (rings included), after
# which everything is asked for again. (Without ATS, QEMU 7.2 does not
# pass those flushes on: a backend would keep stale translations. Hence
# strict mode there.)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/common.sh"
. "$HERE/lib/guest.sh"

SIZE=$((2 * 1024 * 1024))
if [ -n "${IOMMU_ATS:-}" ]; then
	vpg_iommu_setup ats=1
	DOMAIN=DMA-FQ
else
	vpg_iommu_setup
	DOMAIN=DMA
fi

vpg_init "guest-iommu${IOMMU_ATS:+-ats}"
vpg_start_testpmd
vpg_tcp_exchange "$SIZE" iommu
vpt_expect_eq "guest IOMMU domain" "$(vpg_wait_guest 'IOMMU group=' 5 | sed 's/.* type=//')" \
	"$DOMAIN"
vpt_expect_eq "guest DMA faults" "$(vpg_wait_guest 'IOMMU faults=' 60)" "VPT-GUEST IOMMU faults=0"
vpg_expect_guest_end
vpg_expect_feature ACCESS_PLATFORM 33 1
vpg_expect_tcp_counters "$SIZE"
