# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Sourced by tests/e2e/lib.sh and the benchmarks: what both need.

# nginx_conf FILE DIR PORT [DIRECTIVE...]: write FILE, an nginx.conf for one
# worker on 127.0.0.1:PORT serving DIR/www, with its pid, error log and
# temporary files under DIR; each DIRECTIVE ("access_log off",
# "keepalive_requests 1000") goes in its http block
nginx_conf() {
	local file=$1 d=$2 port=$3 x
	shift 3
	{
		printf 'worker_processes 1;\nmaster_process on;\ndaemon off;\nuser root;\n'
		printf 'pid %s/nginx.pid;\nerror_log %s/error.log warn;\n' "$d" "$d"
		printf 'events { worker_connections 1024; }\nhttp {\n\tsendfile on;\n'
		for x in "$@"; do printf '\t%s;\n' "$x"; done
		for x in body proxy fastcgi uwsgi scgi; do
			printf '\t%s_temp_path %s/tmp/%s;\n' "${x/body/client_body}" "$d" "$x"
		done
		printf '\tserver {\n\t\tlisten 127.0.0.1:%s;\n\t\troot %s/www;\n\t}\n}\n' "$port" "$d"
	} >"$file"
}

# wait_for FILE PATTERN SECONDS: until FILE has a line matching PATTERN (0),
# or SECONDS have passed (1)
wait_for() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
