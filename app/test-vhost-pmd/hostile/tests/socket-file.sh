#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The server socket file: created owner-only (0600), so another user cannot
# connect until the documented chmod widens it; never follows or deletes
# what is not our socket at the path (a regular file, a symlink, a dangling
# symlink, another process's live socket: refused with a clear error, left
# as it was); a stale socket is replaced; the file is removed on close, but
# not if something else took its place meanwhile.
set -euo pipefail
# shellcheck source=../../lib/common.sh
. "$(dirname "$0")/../../lib/common.sh"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

vpt_init hostile-socket
chmod 711 "$VPT_DIR"	# let "nobody" reach the socket when allowed

# refused NAME PATH REGEX: the port on PATH does not start, its log says why.
refused() {
	local name=$1 path=$2 re=$3
	vpt_launch "$name" ours "$VPT_VHOST_CORES" "$(vpt_vdev_vhost "$path")" "$VPT_PEER" --timeout 5
	vpt_wait_exit "$name" 60
	[ "${VPT_RC[$name]}" != 0 ] || vpt_fail "$name: started on $path"
	grep -qE -- "$re" "${VPT_LOG[$name]}" || vpt_fail "$name: no /$re/ in its log"
	vpt_ok "$name: refused: $(grep -E -- "$re" "${VPT_LOG[$name]}" | head -n 1)"
}

# 1. A regular file at the path: refused, content untouched.
f=$VPT_DIR/file.sock
echo "precious" >"$f"
refused regular "$f" 'exists and is not a socket'
vpt_expect_eq "regular file content" "$(cat "$f")" precious

# 2. A symlink to a regular file: refused, neither followed nor removed.
target=$VPT_DIR/target
echo "target" >"$target"
ln -s "$target" "$VPT_DIR/link.sock"
refused symlink "$VPT_DIR/link.sock" 'exists and is not a socket'
[ -L "$VPT_DIR/link.sock" ] || vpt_fail "the symlink was removed"
vpt_expect_eq "symlink target content" "$(cat "$target")" target

# 3. A dangling symlink: refused, nothing created where it points.
ln -s "$VPT_DIR/nowhere" "$VPT_DIR/dangling.sock"
refused dangling "$VPT_DIR/dangling.sock" 'exists and is not a socket'
[ ! -e "$VPT_DIR/nowhere" ] || vpt_fail "a file was created through the dangling symlink"
[ -L "$VPT_DIR/dangling.sock" ] || vpt_fail "the dangling symlink was removed"

# 4. Another process's live socket: refused, left in place.
live=$VPT_DIR/live.sock
python3 -c 'import socket,sys,time
s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)
print("listening", flush=True); time.sleep(120)' "$live" >"$VPT_DIR/py.log" 2>&1 &
py=$!
for _ in $(seq 100); do grep -q listening "$VPT_DIR/py.log" && break; sleep 0.1; done
refused live "$live" 'another process is listening'
[ -S "$live" ] || vpt_fail "another process's socket was removed"
kill "$py"; wait "$py" 2>/dev/null || true

# 5. A stale socket (its process gone): replaced. 6. Mode 0600, root's.
stale=$VPT_DIR/stale.sock
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$stale"
[ -S "$stale" ] || vpt_fail "could not make a stale socket"
vpt_start_vhost vhost "$stale" --hold --timeout 200
grep -q 'removing stale socket' "${VPT_LOG[vhost]}" || vpt_fail "no 'removing stale socket' in the log"
vpt_expect_eq "socket mode and owner" "$(stat -c '%a %U' "$stale")" "600 root"

# Another user cannot connect; after the documented chmod it can.
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
if "${nobody[@]}" "$HOSTILE_EVIL" --sock "$stale" --case hold --seconds 1 --no-recover \
	>"$VPT_DIR/nobody1.log" 2>&1; then
	vpt_fail "user nobody connected to a 0600 socket"
fi
vpt_ok "user nobody cannot connect to the 0600 socket"
chmod 666 "$stale"
"${nobody[@]}" "$HOSTILE_EVIL" --sock "$stale" --case hold --seconds 1 --no-recover \
	>"$VPT_DIR/nobody2.log" 2>&1 ||
	{ cat "$VPT_DIR/nobody2.log"; vpt_fail "user nobody cannot connect after chmod 666"; }
grep -q 'net_vhost0: guest attached' "${VPT_LOG[vhost]}" ||
	vpt_fail "no device started for user nobody's frontend"
vpt_ok "after chmod 666, user nobody's frontend starts a device"

# 7. Removed on close.
vpt_stop vhost
vpt_expect_rc vhost 0
[ ! -e "$stale" ] || vpt_fail "the socket file is still there after the port closed"
vpt_ok "socket file removed on close"

# 8. Replaced while the port runs: the replacement survives the close.
repl=$VPT_DIR/repl.sock
vpt_start_vhost vhost2 "$repl" --hold --timeout 200
for _ in $(seq 100); do [ -S "$repl" ] && break; sleep 0.1; done
rm -f "$repl"
echo "someone else's" >"$repl"
vpt_stop vhost2
vpt_expect_rc vhost2 0
vpt_expect_eq "file that replaced our socket" "$(cat "$repl" 2>/dev/null)" "someone else's"
