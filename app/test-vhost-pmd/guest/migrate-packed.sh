#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The live migration of migrate.sh with the guest's device on packed rings
# (QEMU packed=on): the dirty log covers the descriptor rings, the
# destination resumes from the wrap counters GET_VRING_BASE gave;
# VIRTIO_F_RING_PACKED must be negotiated.
VPG_DEV_OPTS=,packed=on VPG_WANT_PACKED=1 exec bash "$(dirname "$0")/migrate.sh"
