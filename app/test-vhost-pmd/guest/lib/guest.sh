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
#   vpg_tcp_exchange SIZE      SIZE bytes guest -> host and host -> guest, SHA-256
#   vpg_expect_fwd A B         testpmd's io forwarding A <-> B lost nothing
#
# The guest runs the scenario TEST of lib/init itself and prints
# "VPT-GUEST ..." lines on its serial console (the log "$VPG_GUEST",
# default "guest").
#
# Knobs, set before the call that uses them:
#   VPG_QUEUES         queue pairs of net_vhost0 (and testpmd's --rxq/--txq)
#   VPG_VHOST_ARGS     more devargs of net_vhost0 (e.g. client=1)
#   VPG_EXTRA_VDEV     one more testpmd --vdev (e.g. a second net_vhost)
#   VPG_TAP            the tap's name; empty: no net_tap0 port
#   VPG_VETH           instead of the tap: net_af_packet0 on this end of a
#                      veth pair, the host's address on its peer ${VPG_VETH}p
#                      (net_tap in DPDK 22.11 refuses frames above 1522 bytes)
#   VPG_HOST_MTU       MTU of the host's interface (tap or veth pair)
#   VPG_TESTPMD_ARGS   more testpmd arguments (array)
#   VPG_FWD_MODE       testpmd's forwarding mode (default io)
#   VPG_MONITOR        QEMU's HMP monitor on the pipes \$VPG_MONITOR.in/.out
#                      (vpg_hmp); empty: none
#   VPG_QEMU_EXTRA     more QEMU arguments (array, e.g. -incoming ...)
#   VPG_DEV_OPTS       more virtio-net-pci properties (",mrg_rxbuf=off")
#   VPG_MACHINE        QEMU's machine type (default pc; q35 for a vIOMMU)
#   VPG_PRE_DEV        QEMU arguments before the network device (array, e.g.
#                      -device intel-iommu,...: QEMU wants it first)
#   VPG_NETDEV_OPTS    more vhost-user netdev options (",queues=2")
#   VPG_CHARDEV_OPTS   more socket chardev options (",server=on,wait=off")
#   VPG_SMP            vCPUs;  VPG_REBOOT=1: a guest reboot resets, QEMU stays
#   VPG_APPEND         more kernel command line (vpt.size=..., vpt.mtu=...)
#   VPG_GUEST          name (log) of the guest that vpg_start_guest boots and
#                      vpg_wait_guest reads
#   VPG_NO_NET=1       no virtio-net device (and no vhost-user socket)
#   VPG_FILES          more files of the initramfs (array of SRC:DEST, DEST
#                      relative to its root)

VPG_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VPG_KERNEL_DIR=""
VPG_NETNS=""
VPG_TAP=vptg0
VPG_HOST_IP=10.99.0.1
VPG_GUEST_IP=10.99.0.2
VPG_MAC=52:54:00:76:70:01
# Extra virtio-net-pci properties (e.g. packed=on), from the environment.
VPG_SOCK=""
VPG_PORT=""	# testpmd's port id of net_vhost0
VPG_MEM=256
VPG_QUEUES=1
VPG_VHOST_ARGS=""
VPG_EXTRA_VDEV=""
VPG_VETH=""
VPG_HOST_MTU=1500
VPG_HOST_IF=""	# the interface with the host's address
VPG_TESTPMD_ARGS=()
VPG_FWD_MODE=io
VPG_MONITOR=""
VPG_QEMU_EXTRA=()
VPG_DEV_OPTS=${VPG_DEV_OPTS:-}
VPG_MACHINE=pc
VPG_PRE_DEV=()
VPG_IOMMU_RETRY=0	# set by vpg_iommu_setup
VPG_NETDEV_OPTS=""
VPG_CHARDEV_OPTS=""
VPG_SMP=1
VPG_REBOOT=0
VPG_APPEND=""
VPG_GUEST=guest
VPG_NO_NET=0
VPG_FILES=()
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

# A counter of the namespace's /proc/net/snmp: vpg_ns_snmp Ip ReasmReqds.
vpg_ns_snmp() {
	vpg_ns awk -v t="$1:" -v k="$2" '
		$1 == t && !n { for (i = 2; i <= NF; i++) h[i] = $i; n = 1; next }
		$1 == t && n { for (i = 2; i <= NF; i++) if (h[i] == k) print $i }' /proc/net/snmp
}

# testpmd on our net_vhost0 (port VPG_PORT) and net_tap0 (or net_af_packet0
# on a veth pair), io forwarding.
# Both lcores share CPU 0 (the main one sleeps between stats), QEMU gets
# the other CPU.
vpg_start_testpmd() {
	local vdev="net_vhost0,iface=$VPG_SOCK,queues=$VPG_QUEUES${VPG_VHOST_ARGS:+,$VPG_VHOST_ARGS}"
	VPG_HOST_IF=$VPG_TAP
	if [ -n "$VPG_VETH" ]; then
		VPG_TAP=""
		VPG_HOST_IF=${VPG_VETH}p
		vpg_ns ip link add "$VPG_VETH" mtu "$VPG_HOST_MTU" type veth \
			peer name "$VPG_HOST_IF" mtu "$VPG_HOST_MTU" ||
			vpt_fail "cannot create veth pair $VPG_VETH"
		vpg_ns sysctl -qw "net.ipv6.conf.$VPG_VETH.disable_ipv6=1"
		# The kernel checksums what it sends: a veth leaves TCP/UDP
		# checksums to the receiver (CHECKSUM_PARTIAL), and what
		# af_packet captures would reach the guest unchecksummed.
		vpg_ns ethtool -K "$VPG_HOST_IF" tx off >/dev/null ||
			vpt_fail "cannot turn off checksum offload of $VPG_HOST_IF"
		vpg_ns ip link set "$VPG_VETH" up
		# (blocksz a multiple of framesz: net_af_packet places frame i
		# at i * framesz, the kernel at block and offset)
		VPG_EXTRA_VDEV="net_af_packet0,iface=$VPG_VETH,framesz=10240,blocksz=20480,framecnt=512"
	fi
	export VPG_NETNS VPG_TAP VPG_EXTRA_VDEV
	if [ "$VPG_IOMMU_RETRY" = 1 ]; then
		printf '%s\n' "set fwd $VPG_FWD_MODE retry" "set burst tx delay 1000 retry 200" \
			>"$VPT_DIR/testpmd-retry"
		VPG_TESTPMD_ARGS+=(--cmdline-file="$VPT_DIR/testpmd-retry")
	fi
	vpt_launch testpmd ours "--lcores 0@0,1@0" "$vdev" \
		"$VPG_LIB/testpmd-ns" --forward-mode="$VPG_FWD_MODE" --nb-cores=1 \
		--rxq="$VPG_QUEUES" --txq="$VPG_QUEUES" \
		--stats-period 5 --total-num-mbufs=8192 "${VPG_TESTPMD_ARGS[@]}"
	vpt_wait_log testpmd "Press enter to exit|^$VPG_FWD_MODE packet forwarding( with retry)? - ports=" 30
	vpt_assert_ours testpmd
	VPG_PORT=$(vpg_port net_vhost0)
	[ -n "$VPG_HOST_IF" ] || return 0
	vpg_ns ip link show "$VPG_HOST_IF" >/dev/null 2>&1 ||
		vpt_fail "$VPG_HOST_IF is not in namespace $VPG_NETNS"
	# No IPv6: nothing but the test's own traffic on the wire.
	vpg_ns sysctl -qw "net.ipv6.conf.$VPG_HOST_IF.disable_ipv6=1"
	vpg_ns ip link set "$VPG_HOST_IF" mtu "$VPG_HOST_MTU"
	vpg_ns ip addr add "$VPG_HOST_IP/24" dev "$VPG_HOST_IF"
	vpg_ns ip link set "$VPG_HOST_IF" up
	vpt_ok "testpmd forwards net_vhost0 <-> ${VPG_TAP:+net_tap0 ($VPG_TAP)}${VPG_VETH:+net_af_packet0 ($VPG_VETH)}, $VPG_HOST_IF $VPG_HOST_IP in $VPG_NETNS"
}

# testpmd's port id of our net_vhost port NAME.
vpg_port() {
	local id
	id=$(sed -n "s/^net_vhost: $1: port \([0-9]*\) on .*/\1/p" \
		"${VPT_LOG[testpmd]}" | head -n 1)
	# (Debian's net_vhost, VHOST_PMD_REFERENCE=1, does not log it: the
	# vdevs are probed in order, net_tap0 or net_af_packet0 first)
	[ -n "$id" ] || [ "$VPT_REFERENCE" != 1 ] || id=$((${1#net_vhost} + 1))
	[ -n "$id" ] || vpt_fail "no port id of $1 in the testpmd log"
	echo "$id"
}

# PID of testpmd and the number of its open file descriptors.
vpg_fd_count() {
	local pid
	pid=$(vpt_pid testpmd) || vpt_fail "testpmd is not running"
	find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l
}

# testpmd's open fds come back to WANT (within 10 s: the control thread
# closes a dead connection's fds just after it logs the disconnection).
vpg_expect_fds() {
	local what=$1 want=$2 end=$((SECONDS + 10)) got
	while got=$(vpg_fd_count) && [ "$got" != "$want" ] && [ "$SECONDS" -lt "$end" ]; do
		sleep 0.2
	done
	vpt_expect_eq "$what" "$got" "$want"
}

# The initramfs: busybox, lib/init, the virtio-net modules, VPG_FILES.
vpg_initramfs() {
	# (one per guest: another QEMU may be reading its own)
	local root=$VPT_DIR/initramfs-$VPG_GUEST out=$VPT_DIR/initramfs-$VPG_GUEST.cpio f
	rm -rf "$root"
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib/modules}
	cp "$(command -v busybox)" "$root/bin/busybox"
	cp "$VPG_LIB/init" "$root/init"
	ln -s busybox "$root/bin/sh"
	chmod 755 "$root/init" "$root/bin/busybox"
	cp "$VPG_KERNEL_DIR"/modules/*.ko "$VPG_KERNEL_DIR/modules/order" "$root/lib/modules/"
	for f in "${VPG_FILES[@]}"; do
		cp "${f%%:*}" "$root/${f#*:}" || vpt_fail "initramfs: cannot copy ${f%%:*}"
	done
	mknod "$root/dev/console" c 5 1
	(cd "$root" && find . | busybox cpio -o -H newc >"$out" 2>/dev/null) ||
		vpt_fail "cannot build the initramfs"
	echo "$out"
}

# The QEMU command line (one argument a line in the log, for the record).
vpg_qemu_cmd() {
	local test=$1 initrd=$2 reboot=(-no-reboot) monitor=(-monitor none) net=()
	[ "$VPG_REBOOT" = 1 ] && reboot=()
	# shellcheck disable=SC2054  # commas: QEMU option values
	[ "$VPG_NO_NET" = 1 ] || net=(
		-chardev "socket,id=c0,path=$VPG_SOCK$VPG_CHARDEV_OPTS"
		-netdev "vhost-user,id=n0,chardev=c0$VPG_NETDEV_OPTS"
		-device "virtio-net-pci,netdev=n0,mac=$VPG_MAC,romfile=,vectors=0$VPG_DEV_OPTS")
	[ -z "$VPG_MONITOR" ] ||
		monitor=(-chardev "pipe,id=mon0,path=$VPG_MONITOR" -mon chardev=mon0,mode=readline)
	# shellcheck disable=SC2054  # commas: QEMU option values
	VPG_QEMU=(qemu-system-x86_64 -name "$VPT_TAG-$VPT_NAME-$$-$VPG_GUEST"
		-accel tcg -nodefaults "${reboot[@]}"
		-machine "$VPG_MACHINE,memory-backend=mem" -cpu max -smp "$VPG_SMP" -m "$VPG_MEM"
		-object "memory-backend-memfd,id=mem,size=${VPG_MEM}M,share=on"
		-kernel "$VPG_KERNEL_DIR/vmlinuz" -initrd "$initrd"
		-append "console=ttyS0 quiet panic=-1 vpt.test=$test vpt.ip=$VPG_GUEST_IP vpt.peer=$VPG_HOST_IP $VPG_APPEND"
		-display none "${monitor[@]}" -serial stdio "${VPG_PRE_DEV[@]}" "${net[@]}"
		"${VPG_QEMU_EXTRA[@]}")
}

# The HMP monitor pipes of VPG_MONITOR (QEMU opens both read-write: no
# open blocks), with a reader that appends QEMU's output to its log.
vpg_monitor_make() {
	local name=$1
	mkfifo "$VPG_MONITOR.in" "$VPG_MONITOR.out" || vpt_fail "mkfifo $VPG_MONITOR"
	vpg_spawn "$name" cat "$VPG_MONITOR.out"
}

# vpg_hmp MONITOR CMD: one HMP command on a monitor of vpg_monitor_make.
vpg_hmp() {
	printf '%s\n' "$2" >"$1.in" || vpt_fail "HMP $2: cannot write $1.in"
}

# Boot the guest on scenario TEST; its console is the log "guest".
vpg_start_guest() {
	local test=$1 initrd
	initrd=$(vpg_initramfs)
	vpg_qemu_cmd "$test" "$initrd"
	[ -z "${VPT_PID[$VPG_GUEST]:-}" ] || vpt_fail "$VPG_GUEST started twice"
	printf '%s\n' "${VPG_QEMU[@]}" >"$VPT_DIR/qemu-cmdline-$VPG_GUEST.log"
	vpg_spawn "$VPG_GUEST" "${VPG_QEMU[@]}"
	vpt_say "$VPG_GUEST booting (scenario $test)"
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
	local re="^VPT-GUEST $1" secs=${2:-120} from=${3:-0}
	# A guest kernel that panicked prints nothing more: say so at once.
	VPT_WAIT_ABORT='Kernel panic - ' vpt_wait_log "$VPG_GUEST" "$re" "$secs" "$from"
	tail -n "+$((from + 1))" "${VPT_LOG[$VPG_GUEST]}" | grep -aE -- "$re" |
		tail -n 1 | tr -d '\r'
}

# Lines of NAME's log matching REGEX.
vpg_count() { grep -acE -- "$2" "${VPT_LOG[$1]}" || true; }

# The guest powered itself off after its scenario: QEMU exits 0.
vpg_expect_guest_end() {
	local end
	end=$(vpg_wait_guest 'END ' 60)
	vpt_expect_eq "guest scenario end" "$end" "VPT-GUEST END ok"
	vpt_wait_exit "$VPG_GUEST" 30
	vpt_expect_rc "$VPG_GUEST" 0
	vpg_expect_no_error
}

# The guest reported no error.
vpg_expect_no_error() {
	local log=${VPT_LOG[$VPG_GUEST]}
	grep -aq -- '^VPT-GUEST ERROR' "$log" &&
		vpt_fail "$VPG_GUEST reported $(grep -a '^VPT-GUEST ERROR' "$log" | head -n 1)"
	return 0
}

# The features the guest's device acked, as logged by our backend (in the
# log NAME, default testpmd) when the device became ready (the last time):
# a hex number.
vpg_features() {
	grep -aoE 'device [0-9]+ ready, features 0x[0-9a-f]+' "${VPT_LOG[${1:-testpmd}]}" |
		tail -n 1 | sed 's/.*features //'
}

# vpg_expect_feature NAME BIT 0|1 [LOG]: that virtio feature bit was (not)
# acked.
vpg_expect_feature() {
	local f
	f=$(vpg_features "${4:-testpmd}")
	[ -n "$f" ] || vpt_fail "no negotiated features in the testpmd log"
	vpt_expect_eq "feature $1 (bit $2) negotiated ($f)" $(((f >> $2) & 1)) "$3"
}

# Value of FIELD (RX-packets, RX-dropped, TX-packets, TX-dropped) of PORT
# in testpmd's final "Forward statistics" (printed when it stops).
vpg_fwd() {
	awk -v port="$1" -v field="$2:" '
		/Forward statistics for port/ { on = ($(NF - 1) == port) ; next }
		on && /-packets:/ { for (i = 1; i < NF; i++) if ($i == field) { print $(i + 1); exit } }
	' "${VPT_LOG[testpmd]}"
}

# Packets of the io forwarding stream RX PORT/QUEUE -> TX port/queue
# (testpmd prints per-stream blocks when it has more streams than ports).
vpg_stream_rx() {
	grep -aA1 -E "Forward Stats for RX Port= *$1/Queue= *$2 " "${VPT_LOG[testpmd]}" |
		sed -n 's/.*RX-packets: *\([0-9]*\).*/\1/p' | tail -n 1
}

# testpmd (stopped) forwarded A <-> B and lost nothing: each packet one port
# received went out of the other, sent or refused by its tx_burst. testpmd's
# TX-dropped of a port is the packets tx_burst refused plus the port's
# oerrors; our net_vhost counts the packets it refuses (the guest's ring
# full) in oerrors too (as DPDK's net_vhost does), so on our ports each
# refused packet is in TX-dropped twice: exactly, or our oerrors are wrong.
vpg_expect_fwd() {
	local a=$1 b=$2
	vpg_expect_fwd_dir "$a" "$b"
	vpg_expect_fwd_dir "$b" "$a"
}

vpg_expect_fwd_dir() {
	local from=$1 to=$2 drop
	drop=$(vpg_fwd "$to" TX-dropped)
	if grep -aqE "^net_vhost: net_vhost[0-9]+: port $to on " "${VPT_LOG[testpmd]}"; then
		vpt_expect_eq "port $to (ours) TX-dropped counts refused packets twice: even" \
			$((drop % 2)) 0
		drop=$((drop / 2))
	fi
	vpt_expect_eq "port $from RX-packets = port $to TX-packets + refused" \
		"$(vpg_fwd "$from" RX-packets)" $(($(vpg_fwd "$to" TX-packets) + drop))
}

# vpg_expect_min WHAT GOT MIN
vpg_expect_min() {
	[ -n "$2" ] && [ "$2" -ge "$3" ] || vpt_fail "$1: got '$2', want >= $3"
	vpt_ok "$1 = $2 (>= $3)"
}

# The guest's own counters ("COUNTERS tx=N rx=N" at the end of its
# scenario) equal our port's: every packet the guest sent was received by
# net_vhost0, every packet it sent the guest arrived. testpmd is stopped.
vpg_expect_guest_counters() {
	local line
	line=$(vpg_wait_guest 'COUNTERS ' 60)
	vpt_expect_eq "guest counters = net_vhost0 RX-packets / TX-packets" "$line" \
		"VPT-GUEST COUNTERS tx=$(vpg_fwd "$VPG_PORT" RX-packets) rx=$(vpg_fwd "$VPG_PORT" TX-packets)"
}

#
# vpg_tcp_exchange SIZE [TEST]: the guest (scenario TEST, default tcp, that
# ends with tcp_test of lib/init; vpt.size=SIZE) sends SIZE
# random bytes to the host, then the host sends SIZE random bytes to the
# guest (busybox nc both ends). The SHA-256 of what each receiver got
# equals the sender's. Starts the guest itself.
#
vpg_tcp_exchange() {
	local size=$1 test=${2:-tcp} host_tx_sum host_rx_sum guest_tx rc=0
	head -c "$size" /dev/urandom >"$VPT_DIR/host-tx.bin"
	host_tx_sum=$(sha256sum <"$VPT_DIR/host-tx.bin")
	host_tx_sum=${host_tx_sum%% *}

	# Guest -> host: the listener is up before the guest boots.
	vpg_spawn listener ip netns exec "$VPG_NETNS" busybox nc -l -p 5001 \
		-e sh -c "exec cat >'$VPT_DIR/host-rx.bin'"
	VPG_APPEND="$VPG_APPEND vpt.size=$size" vpg_start_guest "$test"
	guest_tx=$(vpg_wait_guest 'SHA guest-tx ' 180)
	vpt_say "$guest_tx"
	vpt_expect_eq "guest sender" "$(vpg_wait_guest 'SENT ' 180)" "VPT-GUEST SENT rc=0"
	vpt_wait_exit listener 60
	vpt_expect_rc listener 0
	vpt_expect_eq "bytes the host received" "$(stat -c %s "$VPT_DIR/host-rx.bin")" "$size"
	host_rx_sum=$(sha256sum <"$VPT_DIR/host-rx.bin")
	vpt_expect_eq "guest -> host SHA-256" \
		"VPT-GUEST SHA guest-tx ${host_rx_sum%% *} bytes=$size" "$guest_tx"

	# Host -> guest.
	vpg_wait_guest 'LISTEN 5002' 60 >/dev/null
	timeout -k 5 180 ip netns exec "$VPG_NETNS" busybox nc "$VPG_GUEST_IP" 5002 \
		<"$VPT_DIR/host-tx.bin" || rc=$?
	vpt_expect_eq "host sender exit status" "$rc" 0
	vpt_expect_eq "host -> guest SHA-256" "$(vpg_wait_guest 'SHA guest-rx ' 180)" \
		"VPT-GUEST SHA guest-rx $host_tx_sum"
}

# After vpg_tcp_exchange SIZE and the guest's end: stop testpmd, then its
# counters: nothing lost in the forwarding, the guest's own packet counts
# equal net_vhost0's, and at least SIZE / 1448 (a full TCP segment at MTU
# 1500) packets each way went through our port.
# The guest's device behind QEMU's Intel vIOMMU (q35, intel-iommu before
# the NIC, iommu_platform=on), our port with iommu-support=1, the guest's
# IOMMU on in strict mode (each buffer mapped and unmapped: a miss, an
# update and an invalidation per packet); ats=1: behind a PCIe root port
# with ATS, the guest in its default lazy mode; intremap=off: no interrupt
# remapping (a guest that reboots: under TCG the second boot of 6.1 panics
# with "timer doesn't work through Interrupt-remapped IO-APIC"). testpmd
# retries its Tx bursts: a miss keeps the packet with the caller. Before
# vpg_init.
vpg_iommu_setup() {
	local ats=0 intremap=on a
	for a; do
		case $a in
		ats=1) ats=1 ;;
		intremap=off) intremap=off ;;
		*) vpt_fail "vpg_iommu_setup: bad argument $a" ;;
		esac
	done
	VPG_VHOST_ARGS+="${VPG_VHOST_ARGS:+,}iommu-support=1"
	VPG_MACHINE=q35
	# intremap needs no split irqchip under TCG.
	VPG_PRE_DEV=(-device "intel-iommu,intremap=$intremap,device-iotlb=on")
	if [ "$ats" = 1 ]; then
		VPG_PRE_DEV+=(-device pcie-root-port,id=rp0,chassis=1,slot=1)
		VPG_DEV_OPTS+=",bus=rp0,iommu_platform=on,ats=on"
		VPG_APPEND+=" intel_iommu=on"
	else
		# On the root bus only a modern device offers iommu_platform.
		VPG_DEV_OPTS+=",disable-legacy=on,iommu_platform=on"
		VPG_APPEND+=" intel_iommu=on iommu.strict=1"
	fi
	VPG_IOMMU_RETRY=1
}

# vpg_expect_tcp_counters SIZE [MSS]: testpmd stopped cleanly; our port
# carried at least SIZE / MSS packets each way, every one forwarded (none
# lost between the ports); the guest's counters equal our port's.
# With testpmd's retry (vpg_iommu_setup), a packet our port refused and
# testpmd sent again is in our oerrors (as in DPDK's net_vhost) without
# being dropped: the forwarding balance cannot be told from TX-dropped
# then, and is not checked.
vpg_expect_tcp_counters() {
	local size=$1 min=$(($1 / ${2:-1448})) tap
	vpt_stop testpmd
	vpt_expect_rc testpmd 0
	tap=$(vpg_port_other "$VPG_PORT")
	[ "$VPG_IOMMU_RETRY" = 1 ] || vpg_expect_fwd "$VPG_PORT" "$tap"
	vpg_expect_min "net_vhost0 RX-packets (guest -> host)" "$(vpg_fwd "$VPG_PORT" RX-packets)" "$min"
	vpg_expect_min "net_vhost0 TX-packets (host -> guest)" "$(vpg_fwd "$VPG_PORT" TX-packets)" "$min"
	vpg_expect_guest_counters
}

# The other one of testpmd's two ports (0 and 1).
vpg_port_other() { echo $((1 - $1)); }

# The attach/detach, link (LSC) and queue-state events of testpmd's log, in
# order, one letter each: A attached, D detached (our PMD's log), L link
# state change event, Q queue state event (testpmd's event printer).
vpg_event_seq() {
	grep -aoE "net_vhost0: guest (attached|detached)|^Port $VPG_PORT: (link state change|queue state) event" \
		"${VPT_LOG[testpmd]}" |
		sed -e 's/.*attached/A/' -e 's/.*detached/D/' -e 's/.*link state.*/L/' \
		    -e 's/.*queue state.*/Q/' | paste -sd ''
}

# Wait until testpmd's log shows the Nth disconnection of a frontend.
vpg_wait_disconnects() {
	local n=$1 end=$((SECONDS + ${2:-60}))
	while [ "$(vpg_count testpmd 'frontend disconnected')" -lt "$n" ]; do
		[ "$SECONDS" -lt "$end" ] || vpt_fail "testpmd saw no disconnection #$n"
		vpt_alive testpmd || vpt_fail "testpmd exited"
		sleep 0.2
	done
}

# Lines in the log of the current guest (for vpg_wait_guest ... FROM).
vpg_guest_lines() { vpt_lines "$VPG_GUEST"; }

# One life of a guest that stays up (scenario alive): boot, then its
# steady pings are answered. Leaves it running.
vpg_alive_guest() {
	local ping
	vpg_start_guest alive
	ping=$(vpg_wait_guest 'PING boot ' 240)
	vpt_say "$VPG_GUEST: $ping"
	vpg_wait_guest 'ALIVE [0-9]+ received=1' 60 >/dev/null
	vpt_ok "$VPG_GUEST: traffic flows"
}
