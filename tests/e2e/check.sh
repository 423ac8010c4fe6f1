#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# End-to-end tests of `slatrace check`: what it says about this kernel is
# held against evidence slatrace does not produce (PMUs in sysfs, tracefs
# events, kernel BTF types, bpftool's own probes), and its exit statuses
# against the contract in `slatrace check --help`. Most need root.
. "$(dirname "$0")/lib.sh"

FEATURES="btf tracepoint tp_btf raw_tp uprobe kprobe fentry perf_event ringbuf task_storage sock_tp rdonly_cast sockops_fexit atomics task_pt_regs"

# run_check ARGS...: run check with a time limit; stdout, stderr and the
# exit status land in $TMP/out, $TMP/err and $TMP/rc
run_check() {
	timeout 60 "$SLATRACE" check "$@" >"$TMP/out" 2>"$TMP/err"
	echo $? >"$TMP/rc"
}

rc() { cat "$TMP/rc"; }

tracefs_mounted() {
	awk '$2 == "/sys/kernel/tracing" && $3 == "tracefs" { f = 1 } END { exit !f }' /proc/mounts
}

# bpftool's own verdict on a program or map type: yes, no, or "" (no bpftool)
_bpftool_probe=""
bpftool_says() {
	if [ -z "$_bpftool_probe" ]; then
		_bpftool_probe=$(bpftool feature probe kernel 2>/dev/null) || _bpftool_probe=none
	fi
	[ "$_bpftool_probe" = none ] && return 0
	if grep -q "eBPF $1 $2 is available" <<<"$_bpftool_probe"; then
		echo yes
	elif grep -q "eBPF $1 $2 is NOT available" <<<"$_bpftool_probe"; then
		echo no
	fi
}

# bpftool_loads NAME SEC PROTO: build a minimal program with clang (one
# counter bumped in SEC, a function of PROTO) and have bpftool load it (and
# attach it, when this bpftool can: autoattach); yes, no, or "" when the
# tools for it are missing. The error goes to $TMP/NAME.err.
bpftool_loads() {
	local name=$1 obj=$TMP/$1.bpf.o pin=/sys/fs/bpf/slatrace-e2e-$$-$1 attach=""
	command -v clang >/dev/null && command -v bpftool >/dev/null &&
		[ -r "$ROOT/vmlinux/x86/vmlinux.h" ] && [ "$(uname -m)" = x86_64 ] &&
		awk '$2 == "/sys/fs/bpf" && $3 == "bpf" { f = 1 } END { exit !f }' /proc/mounts || return 0
	cat >"$TMP/$name.bpf.c" <<-EOF
		#include "vmlinux.h"
		#include <bpf/bpf_helpers.h>
		#include <bpf/bpf_tracing.h>
		char LICENSE[] SEC("license") = "GPL";
		__u64 hits = 0;
		SEC("$2")
		int $3
		{
			__sync_fetch_and_add(&hits, 1);
			return 0;
		}
	EOF
	clang -g -O2 --target=bpf -D__TARGET_ARCH_x86 -I"$ROOT/vmlinux/x86" \
		-c "$TMP/$name.bpf.c" -o "$obj" 2>"$TMP/$name.err" || return 0
	bpftool prog help 2>&1 | grep -q autoattach && attach=autoattach
	if bpftool prog load "$obj" "$pin" $attach >"$TMP/$name.err" 2>&1; then
		echo "yes${attach:+ attached}"
	else
		echo no
	fi
	rm -rf "$pin"
}

# fentry: bpftool's own load of a minimal fentry program on the function
# slatrace's probe hooks, beside a tracepoint program built and loaded the
# same way (the control: if that fails, the evidence says nothing). A load
# that fails is a clear no; one that loads but cannot be attached by this
# bpftool (before autoattach, v7.2) is no evidence, unless EXPECT_FENTRY
# says.
fentry_evidence() {
	local ctl fe
	ctl=$(bpftool_loads ctl_tp tp/syscalls/sys_enter_getppid 'on_entry(void *ctx)')
	[ "$ctl" = "yes" ] || [ "$ctl" = "yes attached" ] || { echo "${EXPECT_FENTRY:-}"; return; }
	fe=$(bpftool_loads fentry fentry/do_nanosleep 'BPF_PROG(on_entry)')
	case $fe in
	no | "yes attached") echo "${fe% attached}" ;;
	*) echo "${EXPECT_FENTRY:-}" ;;
	esac
}

# expected FEATURE: yes or no from evidence other than slatrace, or "" when
# there is none to be had here
expected() {
	case $1 in
	btf) [ -r /sys/kernel/btf/vmlinux ] && echo yes || echo no ;;
	# the event slatrace's tp/ program uses, in the tracefs check mounted
	tracepoint)
		[ -e /sys/kernel/tracing/events/syscalls/sys_enter_getppid/id ] && echo yes || echo no
		;;
	# the kernel declares a btf_trace_<tp> type for every BTF tracepoint
	tp_btf)
		if [ ! -r /sys/kernel/btf/vmlinux ]; then
			echo no
		elif command -v bpftool >/dev/null; then
			bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null |
				grep -q "TYPEDEF 'btf_trace_sys_enter'" && echo yes || echo no
		fi
		;;
	raw_tp) bpftool_says program_type raw_tracepoint ;;
	uprobe) [ -e /sys/bus/event_source/devices/uprobe ] && echo yes || echo no ;;
	# libbpf attaches kprobes through the kprobe PMU or tracefs kprobe_events
	kprobe)
		if [ -e /sys/bus/event_source/devices/kprobe ] ||
			[ -e /sys/kernel/tracing/kprobe_events ]; then
			echo yes
		else
			echo no
		fi
		;;
	fentry) fentry_evidence ;;
	perf_event)
		[ -e /proc/sys/kernel/perf_event_paranoid ] || { echo no; return; }
		bpftool_says program_type perf_event
		;;
	ringbuf) bpftool_says map_type ringbuf ;;
	task_storage)
		[ "$(expected tp_btf)" = no ] && { echo no; return; }
		bpftool_says map_type task_storage
		;;
	# both tracepoints declared in the kernel's BTF, and tp_btf works
	sock_tp)
		[ "$(expected tp_btf)" = yes ] || { expected tp_btf; return; }
		bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null |
			grep -cE "TYPEDEF 'btf_trace_sock_(send|recv)_length'" | grep -qx 2 && echo yes || echo no
		;;
	# the kernel declares its kfuncs in BTF
	rdonly_cast)
		[ "$(expected tp_btf)" = yes ] || { expected tp_btf; return; }
		bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null |
			grep -q "FUNC 'bpf_rdonly_cast'" && echo yes || echo no
		;;
	# fentry works, and both functions are in the kernel's BTF (whether a
	# write and a read reach them is left to slatrace's own trigger)
	sockops_fexit)
		[ "$(expected fentry)" = no ] && { echo no; return; }
		[ "$(expected fentry)" = yes ] || return 0
		bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null |
			grep -cE "FUNC 'unix_stream_(send|recv)msg'" | grep -qx 2 && echo yes || echo no
		;;
	# the instructions arrived in one release, 5.12: the kernel's version
	# is the independent word (no bpftool probe asks for them)
	atomics)
		[ "$(expected tp_btf)" = yes ] || { expected tp_btf; return; }
		local v
		v=$(uname -r | awk -F'[.-]' '{ printf "%d", $1 * 1000 + $2 }')
		[ "$v" -ge 5012 ] && echo yes || echo no
		;;
	# bpf_task_pt_regs arrived in 5.15
	task_pt_regs)
		[ "$(expected tp_btf)" = yes ] || { expected tp_btf; return; }
		local w
		w=$(uname -r | awk -F'[.-]' '{ printf "%d", $1 * 1000 + $2 }')
		[ "$w" -ge 5015 ] && echo yes || echo no
		;;
	esac
}

t_check_reports_this_kernel_truthfully() {
	need_root || return
	run_check --json
	[ "$(rc)" = 0 ] || [ "$(rc)" = 1 ] || { fail "check --json exited $(rc): $(head -1 "$TMP/err")"; return; }
	cp "$TMP/out" "$TMP/json"
	run_check
	cp "$TMP/out" "$TMP/plain"
	local f want got row bad="" checked=0
	for f in $FEATURES; do
		got=$(jq -r ".features.$f.ok | if . then \"yes\" else \"no\" end" "$TMP/json")
		# the table says the same as the JSON
		row=$(awk -v f="$f" '$1 == f && ($2 == "yes" || $2 == "no") { print $2; exit }' "$TMP/plain")
		[ "$row" = "$got" ] || bad+=" $f(table '$row', json '$got')"
		want=$(expected "$f")
		[ -n "$want" ] || continue
		checked=$((checked + 1))
		[ "$got" = "$want" ] || bad+=" $f(says $got, evidence $want: $(jq -r ".features.$f.detail" "$TMP/json"))"
		# a "no" always says why
		if [ "$got" = no ] && [ -z "$(jq -r ".features.$f.detail" "$TMP/json")" ]; then
			bad+=" $f(no reason given)"
		fi
	done
	[ -z "$bad" ] || { fail "wrong about:$bad"; return; }
	[ "$checked" -ge 6 ] || { skip "evidence for only $checked features here (bpftool missing?)"; return; }
	pass "$checked features agree with outside evidence"
}

t_check_mounts_tracefs_when_missing() {
	need_root || return
	if tracefs_mounted && ! umount /sys/kernel/tracing 2>"$TMP/umount"; then
		skip "cannot unmount tracefs first: $(cat "$TMP/umount")"
		return
	fi
	tracefs_mounted && { skip "tracefs is still mounted (mounted twice?)"; return; }
	run_check --json
	[ "$(rc)" = 0 ] || [ "$(rc)" = 1 ] || { fail "check exited $(rc): $(head -1 "$TMP/err")"; return; }
	tracefs_mounted || { fail "tracefs is not mounted after check"; return; }
	[ "$(jq -r .features.tracepoint.ok "$TMP/out")" = true ] ||
		{ fail "tracepoint: $(jq -r .features.tracepoint.detail "$TMP/out")"; return; }
	jq -r .features.tracepoint.detail "$TMP/out" | grep -q "tracefs mounted by slatrace" ||
		{ fail "the tracepoint detail does not say slatrace mounted tracefs"; return; }
	# mounted already: check must not claim it again
	run_check --json
	jq -r .features.tracepoint.detail "$TMP/out" | grep -q "mounted by slatrace" &&
		{ fail "second run claims to have mounted tracefs again"; return; }
	pass
}

t_check_json_is_valid() {
	need_root || return
	run_check --json
	jq -e . "$TMP/out" >/dev/null 2>&1 || { fail "stdout is not JSON: $(head -c 200 "$TMP/out")"; return; }
	local f missing=""
	for f in $FEATURES; do
		jq -e ".features.$f | (.ok | type == \"boolean\") and (.probed | type == \"boolean\")
			and (.detail | type == \"string\") and (.what | type == \"string\")" \
			"$TMP/out" >/dev/null || missing+=" $f"
	done
	[ -z "$missing" ] || { fail "missing or malformed features:$missing"; return; }
	jq -e '(.can_run | type == "boolean") and (.btf | type == "boolean")
		and (.kernel.release | length > 0) and (.privileges.ok | type == "boolean")
		and (.families.syscalls.missing | type == "array")
		and (.memlock | has("matters"))' "$TMP/out" >/dev/null ||
		{ fail "a top-level field is missing or of the wrong type"; return; }
	[ "$(jq '.features | length' "$TMP/out")" = "$(wc -w <<<"$FEATURES")" ] ||
		{ fail "features has entries this test does not know: update FEATURES"; return; }
	# exactly one document, nothing else on stdout
	[ "$(jq -s length "$TMP/out")" = 1 ] || { fail "more than one JSON document"; return; }
	pass
}

t_check_exit_status() {
	need_root || return
	run_check
	[ "$(rc)" = 0 ] || { fail "exit $(rc) on a host that runs slatrace: $(cat "$TMP/err")"; return; }
	[ -s "$TMP/err" ] && { fail "stderr not empty: $(head -1 "$TMP/err")"; return; }
	[ "$(tail -1 "$TMP/out")" = "slatrace can run here" ] ||
		{ fail "last line is '$(tail -1 "$TMP/out")'"; return; }
	# the status follows the verdict, in both output forms
	run_check --json
	[ "$(jq -r .can_run "$TMP/out")" = true ] && [ "$(rc)" = 0 ] ||
		{ fail "--json: can_run $(jq -r .can_run "$TMP/out") with exit $(rc)"; return; }
	# a report that cannot be written is a failure, not a silent 0
	timeout 60 "$SLATRACE" check >/dev/full 2>"$TMP/err"
	[ $? = 1 ] || { fail "writing to /dev/full did not exit 1"; return; }
	pass
}

# issue 14: a default family that cannot run here leaves the rest runnable
t_check_can_run_without_a_default_family_it_cannot_host() {
	need_root || return
	SLATRACE_TEST_REFUSE=requests run_check
	[ "$(rc)" = 0 ] || { fail "exit $(rc): $(head -2 "$TMP/err")"; return; }
	grep -q '^slatrace can run here, with: syscalls' "$TMP/out" &&
		grep -q '^  without requests: refused by SLATRACE_TEST_REFUSE' "$TMP/out" ||
		{ fail "verdict: $(tail -2 "$TMP/out" | tr '\n' '|')"; return; }
	grep -q "^warning: the 'requests' probe family cannot run here" "$TMP/err" ||
		{ fail "stderr: $(head -2 "$TMP/err")"; return; }
	SLATRACE_TEST_REFUSE=requests run_check --json
	[ "$(rc)" = 0 ] && jq -e '.can_run and (.families.requests.ok | not) and .families.syscalls.ok' \
		"$TMP/out" >/dev/null || { fail "--json: exit $(rc), can_run $(jq .can_run "$TMP/out")"; return; }
	pass
}

t_check_not_root_exits_1() {
	local -a as_nobody=()
	if [ "$(id -u)" = 0 ]; then
		if command -v setpriv >/dev/null; then
			as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
		elif command -v runuser >/dev/null; then
			as_nobody=(runuser -u nobody --)
		else
			skip "neither setpriv nor runuser to drop root"
			return
		fi
		# nobody must be able to reach the binary
		"${as_nobody[@]}" test -x "$SLATRACE" ||
			{ skip "user nobody cannot execute $SLATRACE"; return; }
	fi
	timeout 60 "${as_nobody[@]}" "$SLATRACE" check >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	[ $rc = 1 ] || { fail "exit $rc, want 1"; return; }
	[ "$(wc -l <"$TMP/err")" = 1 ] || { fail "want a one-line reason, stderr is: $(cat "$TMP/err")"; return; }
	grep -q '^error: .*root' "$TMP/err" || { fail "the reason does not mention root: $(cat "$TMP/err")"; return; }
	# what can be known without root is still reported
	grep -q '^kernel: ' "$TMP/out" || { fail "no kernel line on stdout"; return; }
	grep -q '^privileges: *no' "$TMP/out" || { fail "privileges not reported as missing"; return; }
	pass
}

t_check_unknown_option_exits_2() {
	run_check --no-such-option
	[ "$(rc)" = 2 ] || { fail "exit $(rc), want 2"; return; }
	[ -s "$TMP/out" ] && { fail "stdout not empty"; return; }
	[ "$(wc -l <"$TMP/err")" = 1 ] || { fail "want one line on stderr: $(cat "$TMP/err")"; return; }
	grep -q "^error: unknown option '--no-such-option'" "$TMP/err" ||
		{ fail "stderr: $(cat "$TMP/err")"; return; }
	run_check --json=yes
	[ "$(rc)" = 2 ] || { fail "--json=yes: exit $(rc), want 2"; return; }
	run_check surplus
	[ "$(rc)" = 2 ] || { fail "a stray argument: exit $(rc), want 2"; return; }
	pass
}

run_tests
