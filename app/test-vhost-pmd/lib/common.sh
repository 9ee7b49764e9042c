# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# Shared helpers of the interop tests and the demo. Source it, then:
#
#   vpt_init NAME                  private work dir under /run, cleanup trap
#   vpt_start_vhost NAME SOCK ARGS     vhost-peer on OUR net_vhost, proven ours
#   vpt_start_virtio NAME SOCK ARGS    vhost-peer on a virtio_user port
#   vpt_launch NAME ROLE CORES VDEV PROG ARGS   any DPDK app (testpmd...)
#   vpt_wait_log NAME REGEX [SECS] [FROM]   wait for a line in NAME's log
#   vpt_stop NAME [SIG]            signal it, wait (bounded), record its status
#   vpt_expect_rc / vpt_expect_eq / vpt_kv   assertions and log fields
#
# Our net_vhost vs Debian's: processes of ROLE "ours" run in a private mount
# namespace where Debian's librte_net_vhost (in the EAL plugin directory) is
# covered by /dev/null, so EAL skips it (not a regular file) and cannot load
# it, and our plugin is loaded with -d from a root-owned directory under /run
# (EAL refuses -d plugins below a world-writable directory such as /tmp).
# vpt_assert_ours then reads /proc/PID/maps: ours mapped, Debian's not.
#
# Environment:
#   VHOST_PMD_REFERENCE=1   drive Debian's net_vhost instead (no hiding, no -d)
#   VHOST_PMD_BUILD=DIR     build dir with the plugin and vhost-peer (build/)
#   VHOST_PMD_TEST_TAG=STR  start of every --file-prefix (default vpt)
#   VHOST_PMD_LOGDIR=DIR    keep a copy of every process log there, in
#                           DIR/NAME/, or DIR/NAME.tryK/ for a failed try K
#                           (VHOST_PMD_TRY=K, set by run-tests.sh): a retry
#                           that passes does not overwrite them
#   VHOST_PMD_KEEP=1        keep the work dir

VPT_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
VPT_BUILD=${VHOST_PMD_BUILD:-$VPT_TOP/build}
VPT_PEER=$VPT_BUILD/app/test-vhost-pmd/peer/vhost-peer
VPT_SWITCH=$VPT_BUILD/app/test-vhost-pmd/switch/vhost-switch
VPT_PLUGIN_BUILT=$VPT_BUILD/drivers/librte_net_vhost.so
VPT_REFERENCE=${VHOST_PMD_REFERENCE:-0}
VPT_TAG=${VHOST_PMD_TEST_TAG:-vpt}
VPT_RUN_ROOT=/run/vhost-pmd-test
# shellcheck disable=SC2034  # used by demo.sh
VPT_TESTPMD=${VHOST_PMD_TESTPMD:-dpdk-testpmd}
VPT_MEM=${VHOST_PMD_MEM:-128}
VPT_PROC_LIMIT=${VHOST_PMD_PROC_LIMIT:-300}	# hard bound of every process (s)
VPT_VHOST_CORES="-l 0"
VPT_VIRTIO_CORES="-l 1"

VPT_NAME=""
VPT_DIR=""
VPT_PLUGIN=""
VPT_WRAP=()
VPT_EXTRA_EAL=()	# more EAL arguments for the next vpt_launch (e.g. --vdev)
VPT_VHOST_DEVARGS=""	# more devargs of vpt_start_vhost's port (e.g. iommu-support=1)
VPT_FAIL_MSG=""
declare -gA VPT_PID=() VPT_PREFIX=() VPT_LOG=() VPT_RC=()
VPT_HELPERS=()		# other background processes of the test (vpt_helper)

vpt_say() { echo "$VPT_NAME: $*"; }

# vpt_helper PID: a background process the script started itself (not by
# vpt_launch); vpt_cleanup kills it if it is still running at exit.
vpt_helper() { VPT_HELPERS+=("$1"); }

vpt_fail() {
	VPT_FAIL_MSG="$VPT_NAME: FAIL: $*"
	echo "$VPT_FAIL_MSG" >&2
	exit 1
}
vpt_ok() { echo "$VPT_NAME: ok: $*"; }

# The directory EAL loads plugins from (…/dpdk/pmds-<abi>).
vpt_pmd_dir() {
	local d
	for d in "$(pkg-config --variable=libdir libdpdk 2>/dev/null)"/dpdk/pmds-* \
		 /usr/lib/x86_64-linux-gnu/dpdk/pmds-*; do
		[ -d "$d" ] && { echo "$d"; return 0; }
	done
	return 1
}

# Debian's net_vhost files (real files, symlinks resolved), one a line.
vpt_debian_vhost_files() {
	local f
	for f in "$(vpt_pmd_dir)"/librte_net_vhost.so*; do
		[ -e "$f" ] && readlink -f "$f"
	done | sort -u
}

vpt_init() {
	VPT_NAME=$1
	[ "$(id -u)" = 0 ] || vpt_fail "must run as root"
	mkdir -p "$VPT_RUN_ROOT"
	chmod 755 "$VPT_RUN_ROOT"
	VPT_DIR=$(mktemp -d "$VPT_RUN_ROOT/$VPT_NAME.XXXXXX")
	trap vpt_cleanup EXIT
	trap 'exit 130' INT TERM HUP
	if [ "$VPT_REFERENCE" = 1 ]; then
		vpt_say "REFERENCE mode: driving Debian's net_vhost"
		return 0
	fi
	[ -f "$VPT_PLUGIN_BUILT" ] || vpt_fail "$VPT_PLUGIN_BUILT not built (./run build)"
	VPT_PLUGIN=$VPT_DIR/librte_net_vhost.so
	install -m 644 "$VPT_PLUGIN_BUILT" "$VPT_PLUGIN"
}

vpt_sock() { echo "$VPT_DIR/$1.sock"; }
vpt_vdev_vhost() { echo "net_vhost0,iface=$1,queues=1${2:+,$2}"; }
vpt_vdev_virtio() { echo "virtio_user0,path=$1,queues=1${2:+,$2}"; }

# A private mount namespace where Debian's net_vhost files are /dev/null.
# shellcheck disable=SC2016
VPT_NS_SCRIPT='while [ "$1" != -- ]; do mount --bind /dev/null "$1" || exit 125; shift; done; shift; exec "$@"'

# Set VPT_WRAP: the command prefix that makes ROLE "ours" see only ours.
vpt_set_ours_wrap() {
	local hide=()
	VPT_WRAP=()
	[ "$VPT_REFERENCE" = 1 ] && return 0
	mapfile -t hide < <(vpt_debian_vhost_files)
	[ ${#hide[@]} -gt 0 ] || return 0
	VPT_WRAP=(unshare -m --propagation private bash -c "$VPT_NS_SCRIPT"
		  vpt-ns "${hide[@]}" --)
}

#
# vpt_launch NAME ROLE "CORE ARGS" VDEV PROG [APP ARGS...]
# Start PROG <EAL args> -- APP ARGS in the background, output to NAME's log.
# ROLE: ours (our net_vhost, hidden Debian one, -d plugin), virtio (a
# virtio_user port: --single-file-segments), reference (Debian's net_vhost
# next to "ours" in the same script: vpt_assert_reference), plain. Bounded by
# VPT_PROC_LIMIT; killed and cleaned up on exit.
#
vpt_launch() {
	local name=$1 role=$2 cores=$3 vdev=$4 prog=$5
	shift 5
	local prefix="$VPT_TAG-$VPT_NAME-$$-$name" log="$VPT_DIR/$name.log"
	local eal=() core_args=()

	read -ra core_args <<<"$cores"
	eal=("${core_args[@]}" --file-prefix "$prefix" -m "$VPT_MEM" --no-pci
	     --no-telemetry --vdev "$vdev" "${VPT_EXTRA_EAL[@]}")
	VPT_WRAP=()
	case $role in
	ours)
		vpt_set_ours_wrap
		[ -z "$VPT_PLUGIN" ] || eal+=(-d "$VPT_PLUGIN")
		;;
	virtio) eal+=(--single-file-segments) ;;
	reference) ;;	# Debian's net_vhost, from EAL's plugin directory
	plain) ;;
	*) vpt_fail "vpt_launch: unknown role $role" ;;
	esac
	[ -z "${VPT_PID[$name]:-}" ] || vpt_fail "vpt_launch: $name started twice"
	command -v "$prog" >/dev/null || vpt_fail "$prog not found (./run build)"
	VPT_PREFIX[$name]=$prefix
	VPT_LOG[$name]=$log
	: >"$log"
	# Line-buffered: testpmd's printf()s would sit in a full stdio buffer
	# (its log is a file) while a script waits for them.
	timeout -k 5 "$VPT_PROC_LIMIT" "${VPT_WRAP[@]}" stdbuf -oL -eL "$prog" "${eal[@]}" -- "$@" \
		>"$log" 2>&1 </dev/null &
	VPT_PID[$name]=$!
}

# PID of the DPDK process itself (the child of its timeout wrapper).
vpt_pid() {
	local t=${VPT_PID[$1]} i
	for i in $(seq 50); do
		pgrep -P "$t" && return 0
		kill -0 "$t" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

vpt_alive() { kill -0 "${VPT_PID[$1]}" 2>/dev/null; }
vpt_lines() { wc -l <"${VPT_LOG[$1]}"; }

# Wait until a line of NAME's log after line FROM matches REGEX.
vpt_wait_log() {
	local name=$1 re=$2 secs=${3:-30} from=${4:-0}
	local log=${VPT_LOG[$name]} end=$((SECONDS + secs))

	# (grep reads a process substitution: in a pipeline, tail's SIGPIPE
	# when grep -q stops early would fail it under pipefail on long logs)
	while :; do
		grep -qE -- "$re" < <(tail -n "+$((from + 1))" "$log") && return 0
		# VPT_WAIT_ABORT=REGEX: a line that means the wait is over.
		[ -z "${VPT_WAIT_ABORT:-}" ] ||
			! grep -qaE -- "$VPT_WAIT_ABORT" < <(tail -n "+$((from + 1))" "$log") ||
			vpt_fail "$name: $(grep -aE -m 1 -- "$VPT_WAIT_ABORT" < <(tail -n "+$((from + 1))" "$log") |
				tr -d '\r') (waiting for /$re/)"
		if ! vpt_alive "$name"; then
			grep -qE -- "$re" < <(tail -n "+$((from + 1))" "$log") && return 0
			vpt_fail "$name exited before printing /$re/"
		fi
		[ "$SECONDS" -lt "$end" ] || vpt_fail "no /$re/ from $name within ${secs}s"
		sleep 0.1
	done
}

# Wait (at most SECS) for NAME to exit; its status goes to VPT_RC[NAME].
vpt_wait_exit() {
	local name=$1 secs=${2:-30} t=${VPT_PID[$1]} end rc=0

	end=$((SECONDS + secs))
	while vpt_alive "$name" && [ "$SECONDS" -lt "$end" ]; do
		sleep 0.1
	done
	if vpt_alive "$name"; then
		vpt_say "$name did not exit within ${secs}s: killing it"
		pkill -KILL -P "$t" 2>/dev/null || true
		kill -KILL "$t" 2>/dev/null || true
	fi
	# (braces: no "Killed" job notice from bash for a SIGKILLed process)
	{ wait "$t"; } 2>/dev/null || rc=$?
	VPT_RC[$name]=$rc
}

# Signal NAME (default TERM: a clean stop) and wait for it.
vpt_stop() {
	local name=$1 sig=${2:-TERM} pid rc=0
	if [ "$sig" = KILL ]; then
		# Wait at once: then bash does not print a "Killed" notice.
		if pid=$(vpt_pid "$name") && kill -KILL "$pid" 2>/dev/null; then
			{ wait "${VPT_PID[$name]}"; } 2>/dev/null || rc=$?
			VPT_RC[$name]=$rc
			return 0
		fi
	elif pid=$(vpt_pid "$name"); then
		# The process itself: a signal to its timeout wrapper would also
		# arm the wrapper's SIGKILL 5 s later (-k), too soon on a loaded
		# machine for testpmd's orderly shutdown.
		kill "-$sig" "$pid" 2>/dev/null || true
	else
		kill "-$sig" "${VPT_PID[$name]}" 2>/dev/null || true
	fi
	vpt_wait_exit "$name" 30
}

vpt_expect_rc() {
	local name=$1 want=$2 got=${VPT_RC[$1]:-running}
	[ "$got" = "$want" ] || vpt_fail "$name exited with $got, want $want"
	vpt_ok "$name exit status $want"
}

vpt_expect_eq() {
	local what=$1 got=$2 want=$3
	[ "$got" = "$want" ] || vpt_fail "$what: got '$got', want '$want'"
	vpt_ok "$what = $want"
}

# Value of KEY on the last line of NAME's log starting with TAG
# (e.g. vpt_kv rx STATS ipackets).
vpt_kv() {
	local name=$1 tag=$2 key=$3
	grep -E "^$tag( |$)" "${VPT_LOG[$name]}" | tail -n 1 |
		sed -n "s/.* $key=\([^ ]*\).*/\1/p"
}

# Sum of the sizes of N packets whose sizes cycle through the list CSV.
vpt_sum_sizes() {
	local n=$1 csv=$2 list s sum=0 full i
	IFS=, read -ra list <<<"$csv"
	full=$((n / ${#list[@]}))
	for s in "${list[@]}"; do sum=$((sum + full * s)); done
	for ((i = 0; i < n % ${#list[@]}; i++)); do sum=$((sum + list[i])); done
	echo "$sum"
}

# Prove that NAME drives our net_vhost: ours mapped, Debian's not.
vpt_assert_ours() {
	local name=$1 pid maps mine debian
	pid=$(vpt_pid "$name") || vpt_fail "$name is not running"
	maps=$(cat "/proc/$pid/maps") || vpt_fail "cannot read /proc/$pid/maps"
	debian=$(grep -F "$(vpt_pmd_dir)/librte_net_vhost" <<<"$maps" || true)
	if [ "$VPT_REFERENCE" = 1 ]; then
		[ -n "$debian" ] || vpt_fail "reference: Debian's net_vhost is not mapped in $name"
		vpt_ok "$name (pid $pid) drives Debian's net_vhost (reference mode)"
		return 0
	fi
	mine=$(grep -F "$VPT_PLUGIN" <<<"$maps" || true)
	[ -n "$mine" ] || vpt_fail "our plugin $VPT_PLUGIN is not mapped in $name"
	[ -z "$debian" ] || vpt_fail "Debian's net_vhost is mapped in $name"
	if grep -F librte_net_vhost <<<"$maps" | grep -qvF "$VPT_PLUGIN"; then
		vpt_fail "another librte_net_vhost is mapped in $name"
	fi
	vpt_ok "$name (pid $pid) drives our net_vhost ($VPT_PLUGIN), Debian's is not mapped"
}

# Prove that NAME (launched with ROLE reference) drives Debian's net_vhost:
# Debian's mapped, our plugin not.
vpt_assert_reference() {
	local name=$1 pid maps
	pid=$(vpt_pid "$name") || vpt_fail "$name is not running"
	maps=$(cat "/proc/$pid/maps") || vpt_fail "cannot read /proc/$pid/maps"
	grep -qF "$(vpt_pmd_dir)/librte_net_vhost" <<<"$maps" ||
		vpt_fail "Debian's net_vhost is not mapped in $name"
	if [ -n "$VPT_PLUGIN" ] && grep -qF "$VPT_PLUGIN" <<<"$maps"; then
		vpt_fail "our plugin is mapped in $name"
	fi
	vpt_ok "$name (pid $pid) drives Debian's net_vhost, ours is not mapped"
}

# Launch vhost-peer on our net_vhost at SOCK (with VPT_VHOST_DEVARGS);
# wait until its port runs.
vpt_start_vhost() {
	local name=$1 sock=$2
	shift 2
	vpt_launch "$name" ours "$VPT_VHOST_CORES" "$(vpt_vdev_vhost "$sock" "$VPT_VHOST_DEVARGS")" \
		"$VPT_PEER" "$@"
	vpt_wait_log "$name" '^READY .*driver=net_vhost ' 30
	vpt_assert_ours "$name"
}

# Launch vhost-peer on a virtio_user port connected to SOCK.
vpt_start_virtio() {
	local name=$1 sock=$2
	shift 2
	vpt_launch "$name" virtio "$VPT_VIRTIO_CORES" "$(vpt_vdev_virtio "$sock")" \
		"$VPT_PEER" "$@"
	vpt_wait_log "$name" '^READY .*driver=net_virtio_user ' 30
}

# vpt_finish NAME...: wait until each peer printed DONE (it then holds
# its port, --hold), stop them all, and expect each to exit with status 0.
vpt_finish() {
	local name
	for name; do vpt_wait_log "$name" '^DONE' 120; done
	for name; do vpt_stop "$name"; done
	for name; do vpt_expect_rc "$name" 0; done
}

vpt_dump_logs() {
	local name
	for name in "${!VPT_LOG[@]}"; do
		echo "----- $name: last lines of ${VPT_LOG[$name]}"
		tail -n 25 "${VPT_LOG[$name]}" 2>/dev/null || true
	done
}

vpt_cleanup() {
	local rc=$? name pid
	trap - EXIT INT TERM HUP
	for pid in "${VPT_HELPERS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${VPT_HELPERS[@]}"; do wait "$pid" 2>/dev/null || true; done
	for name in "${!VPT_PID[@]}"; do
		if [ -z "${VPT_RC[$name]:-}" ]; then
			kill -TERM "${VPT_PID[$name]}" 2>/dev/null || true
			vpt_wait_exit "$name" 10 >/dev/null
		fi
	done
	for name in "${!VPT_PREFIX[@]}"; do
		rm -f /dev/hugepages/"${VPT_PREFIX[$name]}"*
		rm -rf /var/run/dpdk/"${VPT_PREFIX[$name]}"
	done
	if [ -n "${VHOST_PMD_LOGDIR:-}" ] && [ -n "$VPT_DIR" ]; then
		local keep=$VHOST_PMD_LOGDIR/$VPT_NAME
		[ "$rc" = 0 ] || [ -z "${VHOST_PMD_TRY:-}" ] || keep+=.try$VHOST_PMD_TRY
		mkdir -p "$keep"
		cp "$VPT_DIR"/*.log "$keep/" 2>/dev/null || true
		[ "$rc" = 0 ] || echo "$VPT_NAME: process logs in $keep"
	fi
	if [ "$rc" != 0 ]; then
		vpt_dump_logs
		# The reason last, where a reader of the tail looks.
		echo "${VPT_FAIL_MSG:-$VPT_NAME: FAIL: exit status $rc}"
	fi
	if [ "${VHOST_PMD_KEEP:-0}" = 1 ]; then
		echo "$VPT_NAME: work dir kept: $VPT_DIR"
	elif [ -n "$VPT_DIR" ]; then
		rm -rf "$VPT_DIR"
	fi
	exit "$rc"
}

# NAME's peer received exactly N numbered packets, each once and intact.
vpt_expect_rx_intact() {
	local name=$1 n=$2
	vpt_expect_eq "$name RX ok/bad/dup/missing" \
		"$(vpt_kv "$name" RX ok)/$(vpt_kv "$name" RX bad)/$(vpt_kv "$name" RX dup)/$(vpt_kv "$name" RX missing)" \
		"$n/0/0/0"
}

# Exact counters and receive report of NAME's port.
vpt_expect_port() {
	local name=$1 tx_n=$2 tx_bytes=$3 rx_n=$4 rx_bytes=$5
	vpt_expect_rx_intact "$name" "$rx_n"
	vpt_expect_eq "$name TX sent" "$(vpt_kv "$name" TX sent)" "$tx_n"
	vpt_expect_eq "$name stats opackets/obytes" \
		"$(vpt_kv "$name" STATS opackets)/$(vpt_kv "$name" STATS obytes)" \
		"$tx_n/$tx_bytes"
	vpt_expect_eq "$name stats ipackets/ibytes" \
		"$(vpt_kv "$name" STATS ipackets)/$(vpt_kv "$name" STATS ibytes)" \
		"$rx_n/$rx_bytes"
}

#
# vpt_transfer DIRECTION N SIZES SEGS
# N numbered packets (sizes and segment counts cycled from the lists) from
# our net_vhost to virtio_user (DIRECTION vhost), the other way (virtio), or
# both ways at once (both). Each receiver checks every byte; the counters of
# both ports must be exact.
#
vpt_transfer() {
	local dir=$1 n=$2 sizes=$3 segs=$4 sock bytes
	local tx=(--tx "$n" --sizes "$sizes" --segs "$segs" --wait-link)
	local rx=(--rx "$n" --sizes "$sizes")
	local common=(--hold --stats --timeout 120)
	local vh=() vi=()

	# Our side sends only once virtio_user's port has started: its
	# dev_start drops whatever its Rx ring already holds.
	local gate="$VPT_DIR/$dir.tx-gate"

	case $dir in
	vhost) vh=("${tx[@]}" --tx-gate "$gate"); vi=("${rx[@]}") ;;
	virtio) vh=("${rx[@]}"); vi=("${tx[@]}") ;;
	both) vh=("${tx[@]}" --rx "$n" --tx-gate "$gate"); vi=("${tx[@]}" --rx "$n") ;;
	*) vpt_fail "vpt_transfer: bad direction $dir" ;;
	esac
	sock=$(vpt_sock "$dir")
	bytes=$(vpt_sum_sizes "$n" "$sizes")
	vpt_say "$n packets ($bytes bytes) of sizes $sizes in $segs segments, direction: $dir"
	vpt_start_vhost vhost "$sock" "${common[@]}" "${vh[@]}"
	vpt_start_virtio virtio "$sock" "${common[@]}" "${vi[@]}"
	touch "$gate"
	vpt_finish vhost virtio
	case $dir in
	vhost)
		vpt_expect_port vhost "$n" "$bytes" 0 0
		vpt_expect_port virtio 0 0 "$n" "$bytes"
		;;
	virtio)
		vpt_expect_port vhost 0 0 "$n" "$bytes"
		vpt_expect_port virtio "$n" "$bytes" 0 0
		;;
	both)
		vpt_expect_port vhost "$n" "$bytes" "$n" "$bytes"
		vpt_expect_port virtio "$n" "$bytes" "$n" "$bytes"
		;;
	esac
}

#
# vpt_launch_switch NAME SOCK... -- ARGS: vhost-switch (app/test-vhost-pmd/
# switch) as NAME, on our net_vhost0, net_vhost1, ... one per SOCK (which
# may end in more devargs: "PATH,ext-buffer=1"), with ARGS. Does not wait.
#
vpt_launch_switch() {
	local name=$1 socks=() i
	shift
	while [ "$1" != -- ]; do socks+=("$1"); shift; done
	shift
	VPT_EXTRA_EAL=()
	for ((i = 1; i < ${#socks[@]}; i++)); do
		VPT_EXTRA_EAL+=(--vdev "net_vhost$i,iface=${socks[i]},queues=1")
	done
	vpt_launch "$name" ours "$VPT_VHOST_CORES" "net_vhost0,iface=${socks[0]},queues=1" \
		"$VPT_SWITCH" "$@"
	VPT_EXTRA_EAL=()
}

#
# vpt_start_switch SOCK... -- ARGS: vpt_launch_switch as "switch"; waits
# until it runs and proves the ports ours.
#
vpt_start_switch() {
	local nsocks=0 a
	for a in "$@"; do
		[ "$a" = -- ] && break
		nsocks=$((nsocks + 1))
	done
	vpt_launch_switch switch "$@"
	vpt_wait_log switch "^READY ports=$nsocks " 30
	vpt_assert_ours switch
}

# Wait until the switch saw the links of its first N ports come up (after
# line FROM of its log).
vpt_switch_links_up() {
	local n=$1 from=${2:-0} i
	for ((i = 0; i < n; i++)); do
		vpt_wait_log switch "^LINK port=net_vhost$i up$" 30 "$from"
	done
}

# Stop the switch: a clean exit, every mbuf back in its pool.
vpt_stop_switch() {
	vpt_stop switch
	vpt_expect_rc switch 0
	vpt_expect_eq "switch mbufs out after closing its ports" "$(vpt_kv switch MBUFS in_use)" 0
}

# vpt_expect_switch_port PORT "role=.. rx=.. ...": the switch's final PORT line.
vpt_expect_switch_port() {
	local port=$1 want=$2
	vpt_expect_eq "switch counters of $port" \
		"$(grep "^PORT name=$port " "${VPT_LOG[switch]}" | tail -n 1)" "PORT name=$port $want"
}
