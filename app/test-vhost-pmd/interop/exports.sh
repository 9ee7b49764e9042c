#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The plugin exports exactly the API of rte_eth_vhost.h (plus its version
# node), nothing of the vhu library, and does not use Debian's librte_vhost.
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

vpt_init exports
header=$VPT_TOP/drivers/net/vhost/rte_eth_vhost.h
so=$VPT_PLUGIN_BUILT
[ "$VPT_REFERENCE" = 1 ] && so=$(vpt_debian_vhost_files | head -n 1)
vpt_say "checking $so"

api=$(grep -oE '\brte_eth_vhost_[a-z_]+ *\(' "$header" | tr -d '( ' | sort -u)
[ -n "$api" ] || vpt_fail "no API found in $header"
syms=$(nm -D --defined-only "$so") || vpt_fail "nm failed on $so"
functions=$(awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' <<<"$syms" | sort -u)
vpt_expect_eq "defined dynamic symbols" "$(tr '\n' ' ' <<<"$functions")" \
	"$(tr '\n' ' ' <<<"$api")"
for f in $api; do	# (names without blanks)
	grep -qE " T $f(@|$)" <<<"$syms" || vpt_fail "$f is not a defined function"
done
vpt_ok "every API function is a defined function"
while read -r node; do
	[ -z "$node" ] || grep -qE "^$node *\{" "$VPT_TOP/drivers/net/vhost/version.map" ||
		vpt_fail "absolute symbol $node is not a version node of version.map"
done < <(awk '$2 == "A" { print $3 }' <<<"$syms")
vpt_ok "absolute symbols are version nodes only"

[ "$VPT_REFERENCE" = 1 ] && exit 0
undef=$(nm -D --undefined-only "$so" | grep -E ' (rte_vhost_|vhu_)' || true)
vpt_expect_eq "undefined rte_vhost_/vhu_ symbols" "$undef" ""
needed=$(readelf -d "$so" | grep NEEDED | grep -F librte_vhost || true)
vpt_expect_eq "NEEDED librte_vhost" "$needed" ""
