#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# iommu.sh with the device behind a PCIe root port with ATS and the guest's
# IOMMU in lazy mode: whole-space invalidations, rings asked for again.
IOMMU_ATS=1 exec bash "$(dirname "$0")/iommu.sh"
