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

# The guest tests (app/test-vhost-pmd/guest/): QEMU, busybox and the kernel of
# Debian's linux-image-amd64 with its virtio-net modules, in deps/guest/.
GUEST_PKGS="qemu-system-x86 busybox-static ethtool"
GUEST_MODULES="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev
	virtio_pci failover net_failover virtio_net"
setup_guest() {
	local missing=() p img kver dir tmp m ko
	for p in $GUEST_PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} != 0 ]; then
		need_root
		echo "run: installing ${missing[*]}"
		apt-get update -q >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			"${missing[@]}" >/dev/null
	fi
	img=$(apt-cache depends linux-image-amd64 2>/dev/null |
	      sed -n 's/^ *Depends: \(linux-image-[0-9].*\)/\1/p' | head -n 1)
	if [ -z "$img" ]; then
		# Offline: any kernel fetched before will do.
		compgen -G "$TOP/deps/guest/*/vmlinuz" >/dev/null && return 0
		echo "run: cannot resolve linux-image-amd64" >&2
		return 1
	fi
	kver=${img#linux-image-}
	setup_kernel_headers "$kver"
	dir=$TOP/deps/guest/$kver
	[ -f "$dir/vmlinuz" ] && return 0
	echo "run: fetching the guest kernel $img"
	mkdir -p "$TOP/deps/guest"
	tmp=$(mktemp -d "$TOP/deps/guest/dl.XXXXXX")
	(cd "$tmp" && { apt-get download -q "$img" >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null && apt-get download -q "$img" >/dev/null 2>&1; }; }) ||
		{ rm -rf "$tmp"; echo "run: cannot download $img" >&2; return 1; }
	dpkg-deb -x "$tmp"/*.deb "$tmp/x"
	rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/modules"
	cp "$tmp/x/boot/vmlinuz-$kver" "$dir.tmp/vmlinuz"
	for m in $GUEST_MODULES; do
		ko=$(find "$tmp/x/lib/modules/$kver" -name "$m.ko*" | head -n 1)
		[ -n "$ko" ] || { rm -rf "$tmp"; echo "run: $img has no $m module" >&2; return 1; }
		case $ko in
		*.xz) xz -dc "$ko" >"$dir.tmp/modules/$m.ko" ;;
		*.zst) zstd -qdc "$ko" >"$dir.tmp/modules/$m.ko" ;;
		*) cp "$ko" "$dir.tmp/modules/$m.ko" ;;
		esac
	done
	echo "$GUEST_MODULES" | tr -s ' \t\n' '\n' | sed '/^$/d' >"$dir.tmp/modules/order"
	rm -rf "$tmp" "$dir" && mv "$dir.tmp" "$dir"
}

# The guest kernel's build tree (Debian's linux-headers-KVER): kmod/ is built
# against it, and the guest tests load what it builds.
setup_kernel_headers() {
	local pkg=linux-headers-$1
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' && return 0
	need_root
	echo "run: installing $pkg"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$pkg" \
		>/dev/null 2>&1 || {
		apt-get update -q >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$pkg" >/dev/null
	}
}

# The build tree of the newest guest kernel in deps/guest/, if installed.
guest_kernel_dir() {
	local d best=""
	for d in "$TOP"/deps/guest/*/; do
		[ -f "$d/vmlinuz" ] && best=$(basename "$d")
	done
	[ -n "$best" ] && [ -f "/lib/modules/$best/build/Makefile" ] &&
		echo "/lib/modules/$best/build"
	return 0
}

setup_build_deps() { setup_packages; setup_dpdk_sdk; }
setup_all() { setup_build_deps; setup_hugepages; setup_guest; }

# build/: the plugin, the library, the test programs.
# build-asan/: the library and its unit tests under ASan+UBSan.
build_all() {
	[ -n "$DPDK_SDK" ] || setup_dpdk_sdk
	local d kdir
	kdir=$(guest_kernel_dir)
	for d in build build-asan; do
		local extra=()
		if [ "$d" = build-asan ]; then
			extra=(-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug)
		else
			extra=(-Dkernel_dir="$kdir")
		fi
		if [ ! -f "$TOP/$d/build.ninja" ]; then
			meson setup "$TOP/$d" "$TOP" -Ddpdk_sdk="$DPDK_SDK" "${extra[@]}" >/dev/null
		else
			[ "$d" = build-asan ] && extra=()
			# (a build directory older than an option: meson
			# configure does not know it until a reconfigure)
			meson configure "$TOP/$d" -Ddpdk_sdk="$DPDK_SDK" "${extra[@]}" >/dev/null 2>&1 ||
				meson setup --reconfigure "$TOP/$d" "$TOP" -Ddpdk_sdk="$DPDK_SDK" \
					"${extra[@]}" >/dev/null
		fi
		ninja -C "$TOP/$d" >/dev/null || { ninja -C "$TOP/$d"; return 1; }
	done
	build_fuzz
}

# build-fuzz/: the library and its libFuzzer targets (app/test-vhost-pmd/
# hostile/), clang with ASan+UBSan; libFuzzer is in libclang-rt-14-dev.
build_fuzz() {
	[ -n "$DPDK_SDK" ] || setup_dpdk_sdk
	local d=$TOP/build-fuzz
	if [ ! -f "$d/build.ninja" ]; then
		CC=clang meson setup "$d" "$TOP" -Ddpdk_sdk="$DPDK_SDK" -Dfuzz=true \
			-Db_sanitize=address,undefined -Db_lundef=false \
			-Dbuildtype=debugoptimized >/dev/null
	else
		meson configure "$d" -Ddpdk_sdk="$DPDK_SDK" >/dev/null
	fi
	ninja -C "$d" >/dev/null || { ninja -C "$d"; return 1; }
}
