#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# vhost-switch's options: each bad value, unknown option or impossible
# port set is refused at start with a message that names it (exit status
# 1, no READY); the largest VLAN base that fits is accepted.
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

vpt_init switch-options

# switch_try NAME PORTS ARGS...: vhost-switch on PORTS net_vhost ports.
switch_try() {
	local name=$1 ports=$2 socks=() i
	shift 2
	for ((i = 0; i < ports; i++)); do
		socks+=("$(vpt_sock "$name$i")")
	done
	vpt_launch_switch "$name" "${socks[@]}" -- "$@"
}

# refused NAME PORTS MESSAGE ARGS...: exit status 1 and a line MESSAGE
# (fixed string) from the switch, which never got READY.
refused() {
	local name=$1 ports=$2 msg=$3
	shift 3
	switch_try "$name" "$ports" "$@"
	vpt_wait_exit "$name" 30
	vpt_expect_rc "$name" 1
	grep -qxF -- "$msg" "${VPT_LOG[$name]}" ||
		vpt_fail "$name: no line '$msg' in ${VPT_LOG[$name]}"
	! grep -q '^READY' "${VPT_LOG[$name]}" || vpt_fail "$name: READY after a refusal"
	vpt_ok "$* refused: $msg"
}

refused vlan0 1 "vhost-switch: bad value for --vlan-base: 0" --vlan-base 0
refused vlan4096 1 "vhost-switch: bad value for --vlan-base: 4096" --vlan-base 4096
refused vlaneq 1 "vhost-switch: bad value for --vlan-base: 0" --vlan-base=0
refused vlanword 1 "vhost-switch: bad value for --vlan-base: x12" --vlan-base x12
refused vlanover 2 "vhost-switch: port net_vhost1: VLAN 4096 is over 4095 (--vlan-base)" \
	--vlan-base 4095
refused retryneg 1 "vhost-switch: bad value for --retry-us: -1" --retry-us -1
refused retrybig 1 "vhost-switch: bad value for --retry-us: 10000001" --retry-us 10000001
refused nouplink 1 "vhost-switch: --uplink net_vhost7: no such port" --uplink net_vhost7
refused extra 1 "vhost-switch: unexpected argument stray" stray
refused unknown 1 "  --uplink NAME     the port (device name) that leads to the network" --bogus

# The largest base for two ports: 4094 and 4095.
switch_try fits 2 --vlan-base 4094
vpt_wait_log fits '^READY ports=2 ' 30
vpt_stop fits
vpt_expect_rc fits 0
vpt_ok "--vlan-base 4094 with two ports accepted"
