# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# Helpers of the guest tests: a Linux guest under QEMU (TCG) whose
# virtio-net device is a vhost-user netdev on OUR net_vhost, in testpmd,
# io-forwarded to a net_tap port whose kernel side is in a private network
# namespace. Source common.sh first, then this, then:
#
#   vpg_init NAME              vpt_init, the guest kernel, a network namespace
#   vpg_start_testpmd          testpmd: net_vhost0 <-> net_tap0, proven ours
#   vpg_start_guest TEST       build the initramfs and boot QEMU on the socket
#   vpg_wait_guest REGEX [SECS]  wait for a console line; prints it
#   vpg_ns CMD...              run CMD in the test's network namespace
#   vpg_spawn NAME CMD...      CMD in the background, bounded, killed on exit
#
# The guest runs the scenario TEST of lib/init itself and prints
# "VPT-GUEST ..." lines on its serial console (the log "guest").

VPG_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VPG_KERNEL_DIR=""
VPG_NETNS=""
VPG_TAP=vptg0
VPG_HOST_IP=10.99.0.1
VPG_GUEST_IP=10.99.0.2
VPG_MAC=52:54:00:76:70:01
# Extra virtio-net-pci properties (e.g. packed=on), from the environment.
VPG_DEVICE_OPTS=${VPG_DEVICE_OPTS:-}
VPG_SOCK=""
VPG_PORT=""	# testpmd's port id of net_vhost0
VPG_MEM=256
VPG_GUEST_LIMIT=${VHOST_PMD_GUEST_LIMIT:-240}	# hard bound of QEMU (s)

# The newest guest kernel that setup fetched (deps/guest/<version>/).
vpg_find_kernel() {
	local d best=""
	for d in "$VPT_TOP"/deps/guest/*/; do
		[ -f "$d/vmlinuz" ] && [ -f "$d/modules/order" ] && best=${d%/}
	done
	[ -n "$best" ] || vpt_fail "no guest kernel in $VPT_TOP/deps/guest (./run setup)"
	VPG_KERNEL_DIR=$best
}

# The EXIT trap: drop the namespace, then vpt_cleanup with the status of
# the script (vpt_cleanup reads it from $? and exits with it).
vpg_cleanup() {
	local rc=$?
	set +e
	[ -z "$VPG_NETNS" ] || ip netns del "$VPG_NETNS" 2>/dev/null
	(exit "$rc")
	vpt_cleanup
}

vpg_init() {
	local tool
	vpt_init "$1"
	for tool in qemu-system-x86_64 busybox ip; do
		command -v "$tool" >/dev/null || vpt_fail "$tool not installed (./run setup)"
	done
	vpg_find_kernel
	VPG_SOCK=$(vpt_sock vhost)
	VPG_NETNS=vpt-$1-$$
	ip netns add "$VPG_NETNS" || vpt_fail "cannot create network namespace $VPG_NETNS"
	trap vpg_cleanup EXIT
	ip -n "$VPG_NETNS" link set lo up
}

vpg_ns() { ip netns exec "$VPG_NETNS" "$@"; }

# testpmd on our net_vhost0 (port VPG_PORT) and net_tap0, io forwarding.
# Both lcores share CPU 0 (the main one sleeps between stats), QEMU gets
# the other CPU.
vpg_start_testpmd() {
	export VPG_NETNS VPG_TAP
	vpt_launch testpmd ours "--lcores 0@0,1@0" "$(vpt_vdev_vhost "$VPG_SOCK")" \
		"$VPG_LIB/testpmd-ns" --forward-mode=io --nb-cores=1 \
		--stats-period 5 --total-num-mbufs=4096
	vpt_wait_log testpmd 'Press enter to exit|io packet forwarding' 30
	vpt_assert_ours testpmd
	VPG_PORT=$(sed -n 's/^net_vhost: net_vhost0: port \([0-9]*\) on .*/\1/p' \
		"${VPT_LOG[testpmd]}" | head -n 1)
	[ -n "$VPG_PORT" ] || vpt_fail "no port id of net_vhost0 in the testpmd log"
	vpg_ns ip link show "$VPG_TAP" >/dev/null 2>&1 ||
		vpt_fail "tap $VPG_TAP is not in namespace $VPG_NETNS"
	vpg_ns ip addr add "$VPG_HOST_IP/24" dev "$VPG_TAP"
	vpg_ns ip link set "$VPG_TAP" up
	vpt_ok "testpmd forwards net_vhost0 <-> net_tap0 ($VPG_TAP $VPG_HOST_IP in $VPG_NETNS)"
}

# The initramfs: busybox, lib/init, the virtio-net modules.
vpg_initramfs() {
	local root=$VPT_DIR/initramfs out=$VPT_DIR/initramfs.cpio
	rm -rf "$root"
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib/modules}
	cp "$(command -v busybox)" "$root/bin/busybox"
	cp "$VPG_LIB/init" "$root/init"
	ln -s busybox "$root/bin/sh"
	chmod 755 "$root/init" "$root/bin/busybox"
	cp "$VPG_KERNEL_DIR"/modules/*.ko "$VPG_KERNEL_DIR/modules/order" "$root/lib/modules/"
	mknod "$root/dev/console" c 5 1
	(cd "$root" && find . | busybox cpio -o -H newc >"$out" 2>/dev/null) ||
		vpt_fail "cannot build the initramfs"
	echo "$out"
}

# The QEMU command line (one argument a line in the log, for the record).
vpg_qemu_cmd() {
	local test=$1 initrd=$2
	# shellcheck disable=SC2054  # commas: QEMU option values
	VPG_QEMU=(qemu-system-x86_64 -name "$VPT_TAG-$VPT_NAME-$$-guest"
		-accel tcg -nodefaults -no-reboot
		-machine pc,memory-backend=mem -cpu max -smp 1 -m "$VPG_MEM"
		-object "memory-backend-memfd,id=mem,size=${VPG_MEM}M,share=on"
		-kernel "$VPG_KERNEL_DIR/vmlinuz" -initrd "$initrd"
		-append "console=ttyS0 quiet panic=-1 vpt.test=$test vpt.ip=$VPG_GUEST_IP vpt.peer=$VPG_HOST_IP"
		-display none -monitor none -serial stdio
		-chardev "socket,id=c0,path=$VPG_SOCK"
		-netdev vhost-user,id=n0,chardev=c0
		-device "virtio-net-pci,netdev=n0,mac=$VPG_MAC,romfile=,vectors=0${VPG_DEVICE_OPTS:+,$VPG_DEVICE_OPTS}")
}

# Boot the guest on scenario TEST; its console is the log "guest".
vpg_start_guest() {
	local test=$1 initrd
	initrd=$(vpg_initramfs)
	vpg_qemu_cmd "$test" "$initrd"
	[ -z "${VPT_PID[guest]:-}" ] || vpt_fail "guest started twice"
	printf '%s\n' "${VPG_QEMU[@]}" >"$VPT_DIR/qemu-cmdline.log"
	vpg_spawn guest "${VPG_QEMU[@]}"
	vpt_say "guest booting (scenario $test)"
}

# Run CMD in the background as NAME (log NAME), bounded, killed on exit.
vpg_spawn() {
	local name=$1
	shift
	VPT_LOG[$name]=$VPT_DIR/$name.log
	timeout -k 5 "$VPG_GUEST_LIMIT" "$@" >"${VPT_LOG[$name]}" 2>&1 </dev/null &
	VPT_PID[$name]=$!
}

# Wait for a console line "VPT-GUEST <REGEX>" and print it.
vpg_wait_guest() {
	local re="^VPT-GUEST $1" secs=${2:-120}
	vpt_wait_log guest "$re" "$secs"
	grep -aE -- "$re" "${VPT_LOG[guest]}" | tail -n 1 | tr -d '\r'
}

# Lines of NAME's log matching REGEX.
vpg_count() { grep -acE -- "$2" "${VPT_LOG[$1]}" || true; }

# The guest powered itself off after its scenario: QEMU exits 0.
# Expect feature bit BIT (VALUE 0 or 1) in what the guest negotiated, as
# testpmd's log of our port says on attach.
vpg_expect_feature() {
	local bit=$1 want=$2 f
	f=$(sed -n 's/.*guest attached (vid [0-9]*, features \(0x[0-9a-f]*\)).*/\1/p' \
		"${VPT_LOG[testpmd]}" | tail -n 1)
	[ -n "$f" ] || vpt_fail "no 'guest attached' line in the testpmd log"
	vpt_expect_eq "negotiated feature bit $bit ($f)" "$(((f >> bit) & 1))" "$want"
}

vpg_expect_guest_end() {
	local end
	end=$(vpg_wait_guest 'END ' 60)
	vpt_expect_eq "guest scenario end" "$end" "VPT-GUEST END ok"
	vpt_wait_exit guest 30
	vpt_expect_rc guest 0
	grep -aq -- '^VPT-GUEST ERROR' "${VPT_LOG[guest]}" &&
		vpt_fail "guest reported $(grep -a '^VPT-GUEST ERROR' "${VPT_LOG[guest]}" | head -n 1)"
	return 0
}
