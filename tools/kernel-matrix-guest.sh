#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Runs inside a kernel-matrix guest (tools/kernel-matrix.sh), started by the
# initramfs's init on the host's root (read-only 9p or virtiofs under a
# tmpfs overlay). Copies the static slatrace and the test helpers to tmpfs
# (9p reads are ~100x slower than the host's), runs `slatrace check` and a
# reduced e2e set, and reports on the serial console in "@@slt" lines the
# host parses:
#   @@slt up SECONDS | kernel RELEASE | check-json {...}
#   @@slt result FAMILY TEST pass|fail|skip | done
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C
echo "@@slt up $(cut -d' ' -f1 /proc/uptime)"
echo "@@slt kernel $(uname -r)"

arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p"; }
HOST_ROOT=$(arg slt_root)
BUILD=$(arg slt_build)
TESTS=$(arg slt_tests | tr ',' ' ')
# family:e2e-file:test: each family's exact counts against an independent
# truth (strace, sysload's own count, the server's, tcpload's), each test
# tracing its own family alone; the target filters by comm and by pid (each
# reads the current task its own way before 5.11); requests' on the path this kernel takes
# (requests.sh) and on its syscall fallback (fallback.sh), and, where it
# has an intermediate path, that one and the fallback on one workload with
# equal counts, classes and statuses, and nginx's sendfile responses seen
# whole on it (skipped where it has none); signals' counts and senders, and
# its max pending time merged over the guest's two CPUs
: "${TESTS:=syscalls:strace_agreement:t_syscall_counts_match_strace \
syscalls:syscalls:t_getppid_count_exact_with_only_the_syscalls_family \
syscalls:syscalls:t_comm_filter_counts_only_that_comm \
syscalls:syscalls:t_pid_filter_excludes_other_processes \
syscalls:syscalls:t_command_followed_after_a_threads_execve \
requests:requests:t_request_count_matches_wrk_and_server \
requests:fallback:t_request_count_matches_wrk_and_server \
requests:fallback:t_intermediate_counts_classes_statuses_equal_the_fallbacks \
requests:fallback:t_intermediate_nginx_sendfile_response_bytes_match_curls \
tcp:tcp:t_refused_and_successful_connects_are_counted_exactly \
tcp:tcp:t_connection_closing_at_the_end_is_reported_with_its_acked_bytes \
tcp:tcp:t_fallback_without_atomics_loads_its_twins_and_counts_as_tcpload \
signals:signals:t_queued_signals_counted_exactly_with_their_sender \
signals:signals:t_max_pending_time_is_the_longest_wait_of_any_cpu}"

mount -t tmpfs -o size=512m tmpfs /tmp
# the kernel's kconfig where its distribution installs it (libbpf reads
# CONFIG_* externs from /boot/config-RELEASE or /proc/config.gz)
cfg=$(arg slt_config)
if [ -n "$cfg" ] && [ ! -e "/boot/config-$(uname -r)" ]; then
	mkdir -p /boot && cp "$cfg" "/boot/config-$(uname -r)"
fi
mount -t tmpfs tmpfs /run
mkdir -p /dev/shm /dev/pts && mount -t tmpfs tmpfs /dev/shm && mount -t devpts devpts /dev/pts
# what udev would make: bash's process substitution needs /dev/fd
ln -sfn /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
ip link set lo up
hostname slatrace-guest

# the hot files to tmpfs, laid out as a tree lib.sh recognises as its root
W=/tmp/slt
t0=$(cut -d' ' -f1 /proc/uptime)
mkdir -p "$W/tests" "$W/$BUILD/tests" "$W/$BUILD/tools"
cp -r "$HOST_ROOT/tests/e2e" "$W/tests/"
cp "$HOST_ROOT/build/static/slatrace" "$W/slatrace"
for f in "$HOST_ROOT/$BUILD"/tests/* "$HOST_ROOT/$BUILD"/tools/*; do
	case $f in *.d | */unit-tests) continue ;; esac
	[ -f "$f" ] && cp "$f" "$W/$BUILD/${f#"$HOST_ROOT/$BUILD/"}"
done
echo "copied the binaries to tmpfs in $(awk -v a="$t0" '{ printf "%.1f", $1 - a }' /proc/uptime)s"

SLT=$W/slatrace
echo "== slatrace check"
"$SLT" check
echo "(check exited $?)"
# MATRIX_VERBOSE: a short verbose trace of each family named, to see why one
# fails to load (the verifier's log ends with the reason)
for fam in $(arg slt_verbose | tr ',' ' '); do
	echo "== slatrace trace -v --$fam"
	timeout -k 5 60 "$SLT" trace -v --"$fam" -- sleep 1 >/tmp/verbose.$fam 2>&1
	echo "(trace exited $?)"
	tail -n 60 /tmp/verbose.$fam
done
echo "@@slt check-json $("$SLT" check --json 2>/dev/null | jq -c . 2>/dev/null || echo null)"

[ "$TESTS" = none ] && TESTS=
names=
for spec in $TESTS; do
	fam=${spec%%:*}
	rest=${spec#*:}
	file=${rest%%:*}
	t=${rest#*:}
	res=$W/results.$fam.$file.$t
	: >"$res"
	# a test of the same name from another file (fallback.sh borrows
	# requests.sh's) is told apart by its file
	name=${t#t_}
	[[ " $names " == *" $name "* ]] && name=$file/$name
	names="${names:-} $name"
	echo "== $fam: $file.sh $t"
	t0=$(cut -d' ' -f1 /proc/uptime)
	E2E_ONLY=$t RESULTS=$res BUILD=$BUILD SLATRACE=$SLT timeout -k 10 600 bash "$W/tests/e2e/$file.sh"
	v=$(awk -v n="${t#t_}" '$2 == n { print $1; exit }' "$res")
	echo "($name: $(awk -v a="$t0" '{ printf "%.0f", $1 - a }' /proc/uptime)s)"
	echo "@@slt result $fam $name ${v:-fail}"
done
# MATRIX_RUN: a script of the host's tree (a benchmark), from its root
run=$(arg slt_run)
if [ -n "$run" ]; then
	echo "== $run"
	(cd "$HOST_ROOT" && BUILD=$BUILD timeout -k 10 1800 bash "$run" 2>&1)
	echo "($run exited $?)"
fi
sync
echo "@@slt done"
