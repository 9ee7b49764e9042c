#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# 32 ports in one host process, each with a frontend: port 0 passes checked
# traffic with a virtio_user peer; ports 1-8 pass echoed traffic with
# evil_fe (every byte checked); port 9's guest never empties its Rx ring;
# ports 10-31 hold a started device. Port 9's drops are counted exactly
# (oerrors) and harm no one: every other port's traffic is intact and
# drop-free.
set -euo pipefail
# shellcheck source=../../lib/common.sh
. "$(dirname "$0")/../../lib/common.sh"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

PORTS=32
TRAFFIC_SECS=20
PPS=4000
N=$((PPS * 1500))

vpt_init hostile-ports32
VPT_EXTRA_EAL=()
for i in $(seq 1 $((PORTS - 1))); do
	VPT_EXTRA_EAL+=(--vdev "net_vhost$i,iface=$(vpt_sock p$i),queues=1")
done
vpt_launch host ours "$VPT_VHOST_CORES" "$(vpt_vdev_vhost "$(vpt_sock p0)")" "$VPT_PEER" \
	--port net_vhost0 --echo-others --hold --timeout 1000 --stats \
	--tx "$N" --rx "$N" --pps "$PPS" --progress 400 --tx-gate "$VPT_DIR/peer0-started"
VPT_EXTRA_EAL=()
vpt_wait_log host '^READY .*name=net_vhost0 ' 60
vpt_assert_ours host
others=$(grep -c '^OTHER-READY' "${VPT_LOG[host]}")
vpt_expect_eq "ports started besides port 0" "$others" $((PORTS - 1))
vpt_start_virtio peer0 "$(vpt_sock p0)" --echo --hold --timeout 1000
# virtio_user's dev_start discards what its Rx ring holds: send once it
# has started (READY), or the first packets are lost before it looks.
touch "$VPT_DIR/peer0-started"
vpt_wait_log host '^PROGRESS' 60
pid=$(vpt_pid host)

declare -A EPID=()
for i in $(seq 10 $((PORTS - 1))); do
	"$HOSTILE_EVIL" --sock "$(vpt_sock p$i)" --case hold --seconds 400 --no-recover \
		>"$VPT_DIR/evil-p$i.log" 2>&1 &
	EPID[$i]=$!
	vpt_helper "$!"
done
for i in $(seq 10 $((PORTS - 1))); do
	end=$((SECONDS + 60))
	until grep -q '^HOLDING' "$VPT_DIR/evil-p$i.log"; do
		kill -0 "${EPID[$i]}" 2>/dev/null || vpt_fail "evil_fe hold on port $i exited"
		[ "$SECONDS" -lt "$end" ] || vpt_fail "port $i: no device within 60 s"
		sleep 0.2
	done
done
vpt_ok "ports 10-$((PORTS - 1)) hold a started device"
from=$(vpt_lines host)
for i in $(seq 1 8); do
	"$HOSTILE_EVIL" --sock "$(vpt_sock p$i)" --case traffic --seconds "$TRAFFIC_SECS" \
		--no-recover >"$VPT_DIR/evil-p$i.log" 2>&1 &
	EPID[$i]=$!
	vpt_helper "$!"
done
"$HOSTILE_EVIL" --sock "$(vpt_sock p9)" --case rx-full --no-recover >"$VPT_DIR/evil-p9.log" 2>&1 &
EPID[9]=$!
vpt_helper "$!"
for i in $(seq 1 9); do
	rc=0
	wait "${EPID[$i]}" || rc=$?
	[ "$rc" = 0 ] || { cat "$VPT_DIR/evil-p$i.log"; vpt_fail "evil_fe on port $i: exit $rc"; }
	vpt_ok "port $i: $(grep -E '^(traffic|rx-full):' "$VPT_DIR/evil-p$i.log")"
done
vpt_wait_log host '^PROGRESS' 60 "$from"
vpt_alive host || vpt_fail "the host process died"

# Counters of every other port: drops only on port 9, each one counted.
from=$(vpt_lines host)
kill -USR1 "$pid"
vpt_wait_log host '^OTHERS-END' 30 "$from"
while read -r line; do
	name=$(sed -n 's/.* name=\([^ ]*\).*/\1/p' <<<"$line")
	ipk=$(sed -n 's/.* ipackets=\([0-9]*\).*/\1/p' <<<"$line")
	drop=$(sed -n 's/.* dropped=\([0-9]*\).*/\1/p' <<<"$line")
	oerr=$(sed -n 's/.* oerrors=\([0-9]*\).*/\1/p' <<<"$line")
	[ "$drop" = "$oerr" ] || vpt_fail "$name: $drop dropped, oerrors $oerr"
	case $name in
	net_vhost9)
		[ "$drop" -gt 0 ] || vpt_fail "$name: its guest never emptied Rx, yet no drop"
		vpt_ok "$name (Rx never emptied): $ipk received, $drop dropped = oerrors" ;;
	net_vhost[1-8])
		[ "$drop" = 0 ] || vpt_fail "$name: $drop drops"
		[ "$ipk" -gt 0 ] || vpt_fail "$name: no traffic" ;;
	*)
		[ "$drop" = 0 ] || vpt_fail "$name: $drop drops" ;;
	esac
done < <(tail -n "+$((from + 1))" "${VPT_LOG[host]}" | grep '^OTHER port=')
vpt_ok "ports 1-8 passed traffic without a drop, port 9's drops all counted"
vpt_say "host: $(hostile_fds "$pid") fds, VmRSS $(hostile_rss "$pid") kB with $PORTS ports"

for i in $(seq 10 $((PORTS - 1))); do kill "${EPID[$i]}" 2>/dev/null || true; done
for i in $(seq 10 $((PORTS - 1))); do wait "${EPID[$i]}" 2>/dev/null || true; done
kill -USR2 "$pid"
vpt_wait_log host '^DONE' 120
vpt_stop host
vpt_stop peer0
vpt_expect_rc host 0
sent=$(vpt_kv host TX sent)
vpt_expect_eq "port 0 RX ok/bad/dup/missing" \
	"$(vpt_kv host RX ok)/$(vpt_kv host RX bad)/$(vpt_kv host RX dup)/$(vpt_kv host RX missing)" \
	"$sent/0/0/0"
