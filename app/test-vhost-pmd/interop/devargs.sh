#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Every bad devarg fails the probe of our net_vhost with a message naming
# the key (iface: missing, empty, too long, a regular file, a directory, in a
# missing directory, twice; queues out of range or not decimal; unknown keys;
# each boolean key with a bad value, no value or twice; linear-buffer with
# ext-buffer; keys we do not implement): the process exits non-zero without
# a port, and a regular file given as iface is left alone. Good devargs, as
# controls, give a port and leave no socket file behind.
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

# expect_refused KEY DEVARGS: the probe fails and names KEY.
expect_refused() {
	local key=$1 vdev=$2 log name msg
	ncase=$((ncase + 1))
	name=case$ncase
	vpt_launch "$name" ours "$VPT_VHOST_CORES" "$vdev" "$VPT_PEER" --timeout 5
	vpt_wait_exit "$name" 60
	log=${VPT_LOG[$name]}
	[ "${VPT_RC[$name]}" != 0 ] || vpt_fail "$name: '$vdev' accepted (exit 0)"
	! grep -q '^READY' "$log" || vpt_fail "$name: '$vdev' gave a port"
	# A line that names the key in its own words: not an echo of the
	# devargs, not a path with the file prefix.
	msg=$(grep -viF -e "$vdev" -e "${VPT_PREFIX[$name]}" "$log" |
		grep -iE "(^|[^a-z0-9_])$key([^a-z0-9_]|$)" | head -n 1 || true)
	[ -n "$msg" ] || vpt_fail "$name: no message names '$key' for '$vdev'"
	vpt_ok "'$vdev' refused (exit ${VPT_RC[$name]}): $msg"
}

vpt_init devargs
ncase=0
sock=$(vpt_sock devargs)
regular=$VPT_DIR/regular-file
echo "not a socket" >"$regular"

vpt_start_vhost good "$sock" --hold --timeout 60
vpt_stop good TERM
vpt_expect_rc good 0
# The offload keys with good values give a port too.
vpt_launch good_ol ours "$VPT_VHOST_CORES" "$(vpt_vdev_vhost "$sock" tso=1,legacy-ol-flags=1)" \
	"$VPT_PEER" --hold --timeout 60
vpt_wait_log good_ol '^READY .*driver=net_vhost ' 30
vpt_assert_ours good_ol
vpt_stop good_ol TERM
vpt_expect_rc good_ol 0

# expect_accepted NAME DEVARG: a port comes up with the extra devarg.
expect_accepted() {
	local name=$1 extra=$2
	vpt_launch "$name" ours "$VPT_VHOST_CORES" "$(vpt_vdev_vhost "$sock" "$extra")" \
		"$VPT_PEER" --hold --timeout 60
	vpt_wait_log "$name" '^READY .*driver=net_vhost ' 30
	vpt_stop "$name" TERM
	vpt_expect_rc "$name" 0
	[ ! -e "$sock" ] || vpt_fail "$name: socket $sock left behind"
	vpt_ok "'$extra' accepted, socket removed at exit"
}

long=$VPT_DIR/$(printf 'x%.0s' $(seq 120))

with_q() { vpt_vdev_vhost "$sock" | sed "s/queues=1/queues=$1/"; }

expect_refused iface "net_vhost0,queues=1"
expect_refused queues "$(vpt_vdev_vhost "$sock" | sed 's/queues=1/queues=0/')"
expect_refused queues "$(vpt_vdev_vhost "$sock" | sed 's/queues=1/queues=999/')"
expect_refused bogus_key "$(vpt_vdev_vhost "$sock" bogus_key=1)"
expect_refused tso "$(vpt_vdev_vhost "$sock" tso=2)"
expect_refused legacy-ol-flags "$(vpt_vdev_vhost "$sock" legacy-ol-flags=yes)"
expect_refused iface "net_vhost0,iface=,queues=1"
expect_refused iface "net_vhost0,iface=$long,queues=1"
expect_refused iface "net_vhost0,iface=$regular,queues=1"
expect_refused iface "net_vhost0,iface=$VPT_DIR,queues=1"
expect_refused iface "net_vhost0,iface=$VPT_DIR/no-such-dir/s.sock,queues=1"
expect_refused iface "$(vpt_vdev_vhost "$sock" "iface=$sock")"
for q in 0 999 129 -1 abc 1x 0x2 "" " 1"; do
	expect_refused queues "$(with_q "$q")"
done
expect_refused bogus_key "$(vpt_vdev_vhost "$sock" bogus_key=1)"
expect_refused novalue "$(vpt_vdev_vhost "$sock" novalue)"
expect_refused client "$(vpt_vdev_vhost "$sock" client)"
for key in client linear-buffer ext-buffer tso legacy-ol-flags iommu-support postcopy-support; do
	for bad in 2 yes true -1 "" 01; do
		expect_refused "$key" "$(vpt_vdev_vhost "$sock" "$key=$bad")"
	done
	expect_refused "$key" "$(vpt_vdev_vhost "$sock" "$key=1,$key=1")"
done
expect_refused linear-buffer "$(vpt_vdev_vhost "$sock" linear-buffer=1,ext-buffer=1)"
for key in dequeue-zero-copy; do
	expect_refused "$key" "$(vpt_vdev_vhost "$sock" "$key=1")"
done
vpt_expect_eq "regular file after the probes" "$(cat "$regular" 2>&1)" "not a socket"

for extra in linear-buffer=1 ext-buffer=1 linear-buffer=0,ext-buffer=0 client=0 \
	iommu-support=1 iommu-support=0 postcopy-support=1 postcopy-support=0; do
	ncase=$((ncase + 1))
	expect_accepted "good$ncase" "$extra"
done
