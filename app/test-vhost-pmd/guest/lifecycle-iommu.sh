#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# lifecycle.sh behind QEMU's vIOMMU (strict mode, no interrupt remapping):
# a guest reboot, a killed QEMU, a restarted one, each new driver reusing
# the previous one's IOVAs.
LIFECYCLE_IOMMU=1 exec bash "$(dirname "$0")/lifecycle.sh"
