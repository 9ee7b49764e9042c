#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# migrate.sh in postcopy mode behind QEMU's vIOMMU on both sides: on the
# destination, our port's rings are IOVAs whose IOTLB starts empty, and
# the guest memory behind them (the buffers, and the IOMMU's own page
# tables that QEMU walks to answer our misses) may not have arrived yet.
# vpt-tries: 3
MIGRATE_IOMMU=1 MIGRATE_POSTCOPY=1 exec bash "$(dirname "$0")/migrate.sh"
