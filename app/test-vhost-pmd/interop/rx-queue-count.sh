#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# rte_eth_rx_queue_count() on our net_vhost: virtio_user sends 200 packets
# (they fit its 256-entry Tx ring) while our side does not poll; once the
# sender is done, our queue count says 200, then every packet arrives intact.
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

N=200
vpt_init rx-queue-count
sock=$(vpt_sock rqc)
gate=$VPT_DIR/gate
vpt_start_vhost vhost "$sock" --rx "$N" --rx-gate "$gate" --stats --hold --timeout 120
vpt_start_virtio virtio "$sock" --tx "$N" --wait-link --stats --hold --timeout 120
vpt_wait_log virtio '^DONE' 60
touch "$gate"
vpt_wait_log vhost '^DONE' 60
vpt_expect_eq "rx_queue_count before the first burst" \
	"$(grep '^RXCOUNT q=0 ' "${VPT_LOG[vhost]}" | sed 's/.* n=//')" "$N"
vpt_stop vhost
vpt_stop virtio
vpt_expect_rc vhost 0
vpt_expect_rc virtio 0
vpt_expect_port vhost 0 0 "$N" "$((N * 64))"
