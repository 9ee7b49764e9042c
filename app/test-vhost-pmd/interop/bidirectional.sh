#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Interop with DPDK's virtio_user in a second process: both ports send
# and receive at once.
# Frames of 64, 1518, 3000 and 9000 bytes, each in 1 and in 3 (or more)
# segments; every byte checked by the receiver, counters exact on both ports.
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

vpt_init bidirectional
vpt_transfer both 4000 64,1518,3000,9000 1,3
