# SPDX-License-Identifier: BSD-3-Clause
# Machine set-up and build, sourced by ./run. Idempotent.

DEBIAN_PKGS="dpdk dpdk-dev libdpdk-dev meson ninja-build pkg-config gcc clang
	libclang-rt-14-dev dpkg-dev xz-utils util-linux iproute2 procps"

need_root() {
	[ "$(id -u)" = 0 ] || { echo "run: must run as root (hugepages, apt, namespaces)" >&2; exit 1; }
}

setup_packages() {
	local missing=() p
	for p in $DEBIAN_PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} = 0 ] && return 0
	need_root
	echo "run: installing ${missing[*]}"
	apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
}

# The driver SDK headers of the installed DPDK, from its Debian source package.
DPDK_SDK=""
setup_dpdk_sdk() {
	local ver upstream dir
	ver=$(dpkg-query -W -f='${Version}' libdpdk-dev)
	upstream=${ver%%-*}
	dir="$TOP/deps/dpdk-src-$ver"
	if [ ! -f "$dir/lib/ethdev/ethdev_driver.h" ]; then
		need_root
		local srcvers
		srcvers=$(apt-cache showsrc dpdk 2>/dev/null || true)
		if ! grep -qxF "Version: $ver" <<<"$srcvers"; then
			cat > /etc/apt/sources.list.d/vhost-pmd-dpdk-src.sources <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
			apt-get update -q >/dev/null
		fi
		local tmp
		mkdir -p "$TOP/deps"
		tmp=$(mktemp -d "$TOP/deps/dl.XXXXXX")
		(cd "$tmp" && apt-get source --download-only -q "dpdk=$ver" >/dev/null 2>&1)
		rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
		tar -xf "$tmp"/dpdk_"$upstream".orig.tar.* -C "$dir.tmp" --strip-components=1
		rm -rf "$tmp" "$dir" && mv "$dir.tmp" "$dir"
	fi
	DPDK_SDK=$dir
}

setup_hugepages() {
	need_root
	local want=1024 have
	have=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)
	[ "$have" -ge "$want" ] || echo "$want" > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
	mkdir -p /dev/hugepages
	mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages
}

setup_build_deps() { setup_packages; setup_dpdk_sdk; }
setup_all() { setup_build_deps; setup_hugepages; }

# build/: the plugin, the library, the test programs.
# build-asan/: the library and its unit tests under ASan+UBSan.
build_all() {
	[ -n "$DPDK_SDK" ] || setup_dpdk_sdk
	local d
	for d in build build-asan; do
		if [ ! -f "$TOP/$d/build.ninja" ]; then
			local extra=()
			[ "$d" = build-asan ] && extra=(-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug)
			meson setup "$TOP/$d" "$TOP" -Ddpdk_sdk="$DPDK_SDK" "${extra[@]}" >/dev/null
		else
			meson configure "$TOP/$d" -Ddpdk_sdk="$DPDK_SDK" >/dev/null
		fi
		ninja -C "$TOP/$d" >/dev/null || { ninja -C "$TOP/$d"; return 1; }
	done
}
