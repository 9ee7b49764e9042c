#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The virtio_net reload of reload.sh with the guest's device on packed rings
# (QEMU packed=on): the rings stop (GET_VRING_BASE) and start again
# (SET_VRING_BASE with the wrap counters), traffic resumes;
# VIRTIO_F_RING_PACKED must be negotiated.
VPG_DEV_OPTS=,packed=on VPG_WANT_PACKED=1 exec bash "$(dirname "$0")/reload.sh"
