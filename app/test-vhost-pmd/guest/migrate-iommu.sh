#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# migrate.sh behind QEMU's vIOMMU on both sides: the guest's IOMMU in
# strict mode, VIRTIO_F_ACCESS_PLATFORM negotiated on both ports. The
# source's dirty log is kept in guest physical pages while every address
# the guest gives is an IOVA; the destination's IOTLB starts empty.
# vpt-tries: 3
MIGRATE_IOMMU=1 exec bash "$(dirname "$0")/migrate.sh"
