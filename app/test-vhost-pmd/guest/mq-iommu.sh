#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# mq.sh behind QEMU's vIOMMU: 2 queue pairs, 4 MiB per flow, the guest's
# IOMMU in strict mode; QEMU's two vhost devices share the IOTLB of our
# one connection.
MQ_IOMMU=1 exec bash "$(dirname "$0")/mq.sh"
