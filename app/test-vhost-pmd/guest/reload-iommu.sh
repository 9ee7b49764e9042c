#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# reload.sh behind QEMU's vIOMMU, the guest's IOMMU in strict mode: after
# rmmod/insmod virtio_net the new driver's buffers reuse the old IOVAs,
# while QEMU passed no invalidation on to the stopped device.
RELOAD_IOMMU=1 exec bash "$(dirname "$0")/reload.sh"
