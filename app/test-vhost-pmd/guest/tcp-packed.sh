#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The TCP bulk transfer of tcp.sh (32 MiB each way, SHA-256 compared) with
# the guest's virtio-net device on packed rings (QEMU packed=on): Linux's
# packed virtqueue driver against our packed.c; VIRTIO_F_RING_PACKED must be
# negotiated.
VPG_DEVICE_OPTS=packed=on VPG_WANT_PACKED=1 exec bash "$(dirname "$0")/tcp.sh"
