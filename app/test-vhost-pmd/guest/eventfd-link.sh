#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# kmod/eventfd_link, the legacy vhost-cuse helper, in a Linux guest: the
# module built by meson against the guest kernel's headers loads there, its
# device node appears (root only), eventfd-link-test passes every check
# below, and the module unloads afterwards (no reference left on it). The
# host's kernel takes no modules, so the guest is where it can run.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/common.sh"
. "$HERE/lib/guest.sh"

KO=$VPT_BUILD/kmod/eventfd_link/eventfd_link.ko
TEST_BIN=$VPT_BUILD/app/test-vhost-pmd/kmod/eventfd-link-test
# What eventfd-link-test checks (kmod/eventfd_link/eventfd_link.h):
# EVENTFD_COPY2 from another process and from itself, the legacy
# EVENTFD_COPY, each refusal with its errno, ptrace's permission rule,
# EVENTFD_COPY racing a thread that replaces and closes the same fd, and no
# fd or file reference left behind.
CHECKS="copy2-from-parent copy2-self-no-cloexec copy-legacy-replaces-fd
	copy2-no-such-pid copy2-fd-not-open copy2-not-an-eventfd copy2-bad-flags
	copy2-nonblock-of-blocking-eventfd copy-legacy-source-not-open
	copy-legacy-not-an-eventfd copy2-bad-pointer unknown-ioctl
	nobody-from-root-refused same-user-needs-dumpable root-from-nobody
	no-file-leaked copy-legacy-race no-fd-left-open"

vpg_init eventfd-link
[ -f "$KO" ] || vpt_fail "$KO not built (./run build: needs the guest kernel's headers)"
[ -x "$TEST_BIN" ] || vpt_fail "$TEST_BIN not built (./run build)"
VPG_NO_NET=1
VPG_SMP=2	# copy-legacy-race: two threads on two vCPUs
VPG_FILES=("$KO:lib/modules/eventfd_link.ko" "$TEST_BIN:bin/eventfd-link-test")
vpg_start_guest eventfd-link
vpg_wait_guest 'BOOTED' 120
vpt_expect_eq "device node" "$(vpg_wait_guest 'KMOD device ' 60)" "VPT-GUEST KMOD device crw-------"
vpt_expect_eq "test program" "$(vpg_wait_guest 'KMOD exit ' 120)" "VPT-GUEST KMOD exit 0"
out=$(tr -d '\r' <"${VPT_LOG[$VPG_GUEST]}" | sed -n 's/^VPT-GUEST KMOD //p')
n=0
for c in $CHECKS; do
	grep -qx "ok $c" <<<"$out" ||
		vpt_fail "check $c: $(grep "^FAIL $c" <<<"$out" || echo 'not run')"
	n=$((n + 1))
done
vpt_ok "all $n checks passed"
vpt_expect_eq "summary" "$(grep -E '^[0-9]+ passed' <<<"$out")" "$n passed, 0 failed"
vpg_wait_guest 'KMOD unloaded' 30 >/dev/null
vpt_ok "module unloaded"
vpg_expect_guest_end
