# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Shared by tools/demo.sh and tools/soak.sh (sourced, with BUILD and tmp set).

# start_demo_server ARGS...: start demo-server on a free loopback port with
# ARGS (its output in $tmp/server.out) and wait for it to listen; sets
# server (its pid) and addr (ADDR:PORT); returns 1 when it did not start
start_demo_server() {
	"$BUILD/tools/demo-server" --listen 127.0.0.1:0 --disk-dir "$tmp" "$@" \
		>"$tmp/server.out" 2>&1 &
	server=$!
	for _ in $(seq 50); do grep -q '^listening' "$tmp/server.out" && break; sleep 0.1; done
	addr=$(sed -n 's/^listening //p' "$tmp/server.out")
	[ -n "$addr" ]
}
