#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Multiqueue: a 2-vCPU guest with mq=on and 2 queue pairs on our port
# (queues=2), testpmd io-forwarding each queue pair to a queue of a
# 2-queue net_tap. The guest runs one TCP flow per vCPU and direction,
# each process pinned to its vCPU (virtio_net's XPS maps vCPU i to Tx
# queue i; the host's tap sends a flow back on the queue it came in on):
# 16 MiB per flow, 4 SHA-256 compared; testpmd's per-stream counters show
# both queue pairs carried traffic both ways; nothing lost in forwarding;
# the guest's packet counters equal our port's.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/common.sh"
. "$HERE/lib/guest.sh"

SIZE=$((16 * 1024 * 1024))
VPG_QUEUES=2
VPG_SMP=2
VPG_NETDEV_OPTS=",queues=2"
VPG_DEV_OPTS=",mq=on"
VPG_APPEND="vpt.size=$SIZE"
# mq-iommu.sh: behind QEMU's vIOMMU (vpg_iommu_setup), two vhost devices
# of QEMU (one per queue pair) sending IOTLB messages on one connection.
if [ -n "${MQ_IOMMU:-}" ]; then
	SIZE=$((4 * 1024 * 1024))
	VPG_APPEND="vpt.size=$SIZE"
	vpg_iommu_setup
fi

vpg_init "guest-mq${MQ_IOMMU:+-iommu}"
vpg_start_testpmd
head -c "$SIZE" /dev/urandom >"$VPT_DIR/host-tx.bin"
host_tx_sum=$(sha256sum <"$VPT_DIR/host-tx.bin")
host_tx_sum=${host_tx_sum%% *}
for q in 0 1; do
	vpg_spawn "up$q" ip netns exec "$VPG_NETNS" busybox nc -l -p $((5010 + q)) \
		-e sh -c "exec cat >'$VPT_DIR/host-rx$q.bin'"
	vpg_spawn "down$q" ip netns exec "$VPG_NETNS" busybox nc -l -p $((5020 + q)) \
		-e cat "$VPT_DIR/host-tx.bin"
done
vpg_start_guest mq
vpt_expect_eq "guest queues" "$(vpg_wait_guest 'QUEUES ' 180)" \
	"VPT-GUEST QUEUES rx=2 tx=2 cpus=2"
guest_tx=$(vpg_wait_guest 'SHA guest-tx ' 180)
vpt_expect_eq "guest senders" "$(vpg_wait_guest 'SENT ' 240)" "VPT-GUEST SENT rc=0"
for q in 0 1; do
	vpt_wait_exit "up$q" 60
	vpt_expect_rc "up$q" 0
	sum=$(sha256sum <"$VPT_DIR/host-rx$q.bin")
	vpt_expect_eq "guest -> host flow $q SHA-256" \
		"VPT-GUEST SHA guest-tx ${sum%% *} bytes=$SIZE" "$guest_tx"
done
for q in 0 1; do
	vpt_expect_eq "host -> guest flow $q SHA-256" \
		"$(vpg_wait_guest "SHA guest-rx$q " 240)" "VPT-GUEST SHA guest-rx$q $host_tx_sum"
	vpt_wait_exit "down$q" 30
	vpt_expect_rc "down$q" 0
done
vpg_expect_guest_end
vpg_expect_feature MQ 22 1
[ -z "${MQ_IOMMU:-}" ] || vpg_expect_feature ACCESS_PLATFORM 33 1
vpt_expect_eq "guest attached with 2 queue pairs: vrings enabled" \
	"$(grep -acE 'net_vhost0: (rx|tx) queue [01] enabled' "${VPT_LOG[testpmd]}")" 4
vpg_expect_tcp_counters $((2 * SIZE))
tap=$(vpg_port_other "$VPG_PORT")
for q in 0 1; do
	vpg_expect_min "packets guest -> host on queue pair $q (stream net_vhost0/$q -> tap/$q)" \
		"$(vpg_stream_rx "$VPG_PORT" $q)" 100
	vpg_expect_min "packets host -> guest on queue pair $q (stream tap/$q -> net_vhost0/$q)" \
		"$(vpg_stream_rx "$tap" $q)" 100
done
