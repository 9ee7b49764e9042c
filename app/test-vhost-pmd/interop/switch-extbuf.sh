#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# switch.sh with ext-buffer=1 on the guests' ports: their 9000-byte frames
# come in one external buffer, which rte_vlan_insert() may not write into;
# the switch must tag a copy for the uplink instead of dropping them.
set -euo pipefail
SWITCH_TEST_NAME=switch-extbuf SWITCH_GUEST_DEVARGS=ext-buffer=1 \
	exec bash "$(dirname "$0")/switch.sh"
