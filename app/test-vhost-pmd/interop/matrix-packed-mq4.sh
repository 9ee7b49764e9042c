#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The packed-ring interop matrix (matrix-packed.sh) with 4 queue pairs:
# every pair must carry traffic both ways, counters exact queue by queue.
MATRIX_RING=packed MATRIX_QUEUES=4 exec bash "$(dirname "$0")/matrix-split.sh"
