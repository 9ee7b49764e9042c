#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The interop matrix (matrix-split.sh) on packed rings: virtio_user
# packed_vq=1 x mergeable Rx buffers x IN_ORDER, 1 queue pair. RING_PACKED
# must be negotiated and every byte echoed.
MATRIX_RING=packed MATRIX_QUEUES=1 exec bash "$(dirname "$0")/matrix-split.sh"
