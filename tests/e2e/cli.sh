#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# End-to-end tests of the command line's contract, on the real binary: every
# mistake gets exactly one line on stderr naming it, the documented exit
# status, nothing on stdout and no file left behind; --help lists every
# option the parser knows. Most need no root; the ones that reach the
# kernel (a PID lookup, a real run) do.
. "$(dirname "$0")/lib.sh"

# cli ARGS...: run slatrace in a fresh, empty working directory $TMP/cwd;
# stdout, stderr and the exit status land in $TMP/out, $TMP/err and $rc
rc=0
cli() {
	rm -rf "$TMP/cwd" && mkdir "$TMP/cwd"
	rc=0
	(cd "$TMP/cwd" && timeout 60 "$SLATRACE" "$@") >"$TMP/out" 2>"$TMP/err" </dev/null || rc=$?
}

# refused CODE WORD: after cli, the run was refused with exit CODE, exactly
# one "error: " line on stderr that contains WORD, an empty stdout and an
# empty working directory. Prints what is wrong and returns 1 otherwise.
refused() {
	local n
	n=$(wc -l <"$TMP/err")
	if [ "$rc" != "$1" ]; then
		echo "exit $rc, want $1; stderr: $(head -c 300 "$TMP/err")"
	elif [ -s "$TMP/out" ]; then
		echo "stdout not empty: $(head -c 200 "$TMP/out")"
	elif [ "$n" != 1 ]; then
		echo "$n lines on stderr, want 1: $(head -c 400 "$TMP/err")"
	elif ! grep -q '^error: ' "$TMP/err"; then
		echo "stderr is not an 'error: ' line: $(cat "$TMP/err")"
	elif ! grep -qF -- "$2" "$TMP/err"; then
		echo "stderr does not name '$2': $(cat "$TMP/err")"
	elif [ -n "$(ls -A "$TMP/cwd")" ]; then
		echo "left files behind: $(ls -A "$TMP/cwd" | tr '\n' ' ')"
	else
		return 0
	fi
	return 1
}

# each_refused CODE @@ WORD ARGS... [@@ WORD ARGS...]: every case refused;
# the first word after each @@ is what stderr must name
each_refused() {
	local code=$1 why word
	local -a args=()
	shift
	[ "$1" = @@ ] && shift
	while [ $# -gt 0 ]; do
		word=$1
		shift
		args=()
		while [ $# -gt 0 ] && [ "$1" != @@ ]; do
			args+=("$1")
			shift
		done
		[ $# -gt 0 ] && shift
		cli "${args[@]}"
		why=$(refused "$code" "$word") || { fail "slatrace ${args[*]}: $why"; return 1; }
	done
	return 0
}

have_binary() {
	[ -x "$SLATRACE" ] && return 0
	skip "$SLATRACE is not built"
	return 1
}

# the options of `trace`, long and short, as the parser's table lists them
trace_long_options() {
	grep -oE '\{ *\{ *"[a-z][a-z-]*", *(no|required|optional)_argument' "$ROOT/user/cmd/trace.c" |
		sed 's/[^"]*"\([^"]*\)".*/\1/'
	# one flag per probe family, from the probe table
	sed -n 's/^[[:space:]]*\.name = "\([a-z-]*\)",.*/\1/p' "$ROOT"/user/probes/*.c
	# and each family's own options, from its struct probe_opt table
	grep -ohE '^[[:space:]]*\{ *"[a-z][a-z-]*", *(no|required|optional)_argument, *("|NULL)' \
		"$ROOT"/user/probes/*.c | sed 's/[^"]*"\([^"]*\)".*/\1/'
}
trace_short_options() {
	grep -oE "_argument, *NULL, *[^}]*\} *, *'[a-zA-Z]' *," "$ROOT/user/cmd/trace.c" |
		sed "s/.*'\(.\)'.*/\1/"
}

t_unknown_command_exits_2() {
	have_binary || return
	each_refused 2 @@ "'bogus'" bogus @@ "'traec'" traec @@ "'Trace'" Trace \
		@@ "'--bogus'" --bogus && pass
}

t_unknown_option_to_trace_exits_2() {
	have_binary || return
	each_refused 2 @@ "'--bogus'" trace --bogus -- true \
		@@ "'-x'" trace -x -- true \
		@@ "'-x'" trace -vx -- true \
		@@ "'--bogus'" trace --json r.json --bogus -- true && pass
}

# an unknown option is unknown whatever follows it, and wherever it sits in
# a cluster of short options; the message must not blame another option
t_unknown_option_is_named_whatever_surrounds_it() {
	have_binary || return
	each_refused 2 @@ "unknown option '--bogus" trace --bogus=1 -- true \
		@@ "unknown option '-x'" trace -xv -- true \
		@@ "unknown option '-x'" trace --json=r.json -xv -- true && pass
}

# getopt_long reports a value given to a flag as '?' with optopt set to the
# flag's val ('v'): the message must name what was typed, not '-v'
t_option_given_a_value_it_takes_none_exits_2() {
	have_binary || return
	each_refused 2 @@ "--verbose" trace --verbose=1 -- true \
		@@ "--help" trace --help=yes && pass
}

t_option_missing_its_value_exits_2() {
	have_binary || return
	each_refused 2 @@ "'-d'" trace -d \
		@@ "'--duration'" trace --duration \
		@@ "'--json'" trace --json \
		@@ "'-p'" trace -p \
		@@ "'-i'" trace -i \
		@@ "'--top'" trace --top \
		@@ "'--cgroup'" trace --cgroup \
		@@ "'-c'" trace -c && pass
}

t_malformed_duration_exits_2() {
	have_binary || return
	each_refused 2 @@ "'10x'" trace -d 10x -- true \
		@@ "'-5s'" trace -d -5s -- true \
		@@ "''" trace -d '' -- true \
		@@ "'0'" trace -d 0 -- true \
		@@ "'1e3s'" trace -d 1e3s -- true \
		@@ "'10 s'" trace -d '10 s' -- true \
		@@ "'inf'" trace --duration=inf -- true \
		@@ "'99999999999h'" trace -d 99999999999h -- true \
		@@ "'10x'" trace --json r.json -d 10x -- true && pass
}

t_malformed_interval_exits_2() {
	have_binary || return
	each_refused 2 @@ "'1x'" trace -i 1x -- true \
		@@ "''" trace -i '' -- true \
		@@ "'-1s'" trace -i -1s -- true \
		@@ "'1ms'" trace -i 1ms -- true \
		@@ "'0'" trace --interval 0 -- true && pass
}

t_invalid_pid_list_exits_2() {
	have_binary || return
	each_refused 2 @@ "''" trace -p '' \
		@@ "','" trace -p , \
		@@ "'1,,2'" trace -p 1,,2 \
		@@ "'1,'" trace -p 1, \
		@@ "'0'" trace -p 0 \
		@@ "'abc'" trace -p abc \
		@@ "'1 2'" trace -p '1 2' \
		@@ "'-1'" trace -p -1 \
		@@ "'99999999999'" trace --pid 99999999999 \
		@@ "'1,,2'" trace --json r.json -p 1,,2 && pass
}

# a bare number where a command goes is probably a PID without -p
t_bare_number_suggests_pid_exits_2() {
	have_binary || return
	each_refused 2 @@ "-p 1234" trace 1234 && pass
}

t_nonexistent_pid_exits_2() {
	have_binary || return
	need_root || return
	each_refused 2 @@ "4194000" trace -p 4194000 \
		@@ "4194000" trace -p 1,4194000 -d 1s \
		@@ "4194000" trace --json r.json -p 4194000 && pass
}

t_two_targets_at_once_exit_2() {
	have_binary || return
	each_refused 2 @@ "one target" trace -p 1 -c init \
		@@ "one target" trace -p 1 -- true \
		@@ "one target" trace -c init --cgroup /sys/fs/cgroup \
		@@ "one target" trace --json r.json -p 1 -- true && pass
}

# a family's option on a run that does not trace that family would be
# ignored without a word: refused, naming the family to add
t_option_of_a_family_not_traced_exits_2() {
	have_binary || return
	each_refused 2 @@ "--capture-query is an option of the requests family, which this run does not trace (add --requests)" \
		trace --syscalls --capture-query -- true \
		@@ "--port is an option of the requests family" trace --tcp --port 80 -- true && pass
}

t_unwritable_json_path_exits_2_and_creates_nothing() {
	have_binary || return
	[ -e /nonexistent ] && { skip "/nonexistent exists on this host"; return; }
	each_refused 2 @@ "/nonexistent/dir/r.json" trace --json /nonexistent/dir/r.json -- true \
		@@ "/proc/x" trace --json /proc/x -- true \
		@@ "/dev/null/r.json" trace --json /dev/null/r.json -- true || return
	[ -e /nonexistent ] && { fail "/nonexistent was created"; return; }
	ls /proc/x* >/dev/null 2>&1 && { fail "a file was left in /proc"; return; }
	pass
}

# the path check runs before tracing: a directory can never be replaced by
# the report, so it must be refused up front, not after the whole run
t_json_path_that_is_a_directory_exits_2_before_tracing() {
	have_binary || return
	mkdir -p "$TMP/adir"
	each_refused 2 @@ "$TMP/adir" trace -d 200ms --json "$TMP/adir" -- true || return
	[ -z "$(ls -A "$TMP/adir")" ] || { fail "files left in the directory"; return; }
	compgen -G "$TMP/adir.tmp*" >/dev/null && { fail "a temp file was left beside it"; return; }
	pass
}

t_not_root_exits_1_naming_root() {
	have_binary || return
	local -a as_nobody=()
	if [ "$(id -u)" = 0 ]; then
		command -v setpriv >/dev/null || { skip "no setpriv to drop root"; return; }
		as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
		"${as_nobody[@]}" test -x "$SLATRACE" ||
			{ skip "user nobody cannot execute $SLATRACE"; return; }
	fi
	# a JSON path nobody can write to is checked first, so give one it can
	chmod 711 "$TMP"
	mkdir -p "$TMP/nobody" && chmod 1777 "$TMP/nobody"
	local args why
	for args in "trace -d 200ms -- true" "trace -p 1" \
		"trace -d 200ms --json $TMP/nobody/r.json -- true"; do
		rm -rf "$TMP/cwd" && mkdir "$TMP/cwd" && chmod 1777 "$TMP/cwd"
		rc=0
		# shellcheck disable=SC2086
		(cd "$TMP/cwd" && timeout 60 "${as_nobody[@]}" "$SLATRACE" $args) \
			>"$TMP/out" 2>"$TMP/err" </dev/null || rc=$?
		why=$(refused 1 root) || { fail "as nobody, slatrace $args: $why"; return; }
		[ -z "$(ls -A "$TMP/nobody")" ] ||
			{ fail "as nobody, slatrace $args: left $(ls -A "$TMP/nobody")"; return; }
	done
	# what needs no privileges still works without them
	rc=0
	timeout 60 "${as_nobody[@]}" "$SLATRACE" trace --help >"$TMP/out" 2>"$TMP/err" || rc=$?
	[ "$rc" = 0 ] && [ -s "$TMP/out" ] && [ ! -s "$TMP/err" ] ||
		{ fail "as nobody, trace --help: exit $rc, $(head -1 "$TMP/err")"; return; }
	pass
}

t_help_lists_every_command() {
	have_binary || return
	local c missing="" cmds args
	cmds=$(grep -oE '\{ *"[a-z][a-z-]*", *cmd_' "$ROOT/user/cmd/main.c" | sed 's/[^"]*"\([^"]*\)".*/\1/')
	[ -n "$cmds" ] || { fail "found no command table in user/cmd/main.c"; return; }
	for args in --help -h help; do
		cli $args
		[ "$rc" = 0 ] || { fail "slatrace $args: exit $rc"; return; }
		[ -s "$TMP/err" ] && { fail "slatrace $args: stderr $(head -1 "$TMP/err")"; return; }
		for c in $cmds; do
			grep -qE "^  $c " "$TMP/out" || missing+=" $c"
		done
		grep -qF -- --version "$TMP/out" || missing+=" --version"
		[ -z "$missing" ] || { fail "slatrace $args does not list:$missing"; return; }
	done
	# no command at all: the usage, on stderr, and exit 2
	cli
	[ "$rc" = 2 ] && [ ! -s "$TMP/out" ] && grep -q '^usage: ' "$TMP/err" ||
		{ fail "bare slatrace: exit $rc, stdout $(wc -c <"$TMP/out") bytes"; return; }
	pass
}

t_trace_help_lists_every_option_in_the_table() {
	have_binary || return
	local o missing="" n=0 args
	for args in "trace --help" "trace -h" "help trace"; do
		# shellcheck disable=SC2086
		cli $args
		[ "$rc" = 0 ] || { fail "slatrace $args: exit $rc"; return; }
		[ -s "$TMP/err" ] && { fail "slatrace $args: stderr $(head -1 "$TMP/err")"; return; }
		grep -q '^usage: slatrace trace' "$TMP/out" || { fail "slatrace $args: no usage line"; return; }
		n=0
		for o in $(trace_long_options); do
			n=$((n + 1))
			grep -qE -- "(^|[ ,])--$o( |$)" "$TMP/out" || missing+=" --$o"
		done
		for o in $(trace_short_options); do
			grep -qE -- "^  -$o, --" "$TMP/out" || missing+=" -$o"
		done
		[ -z "$missing" ] || { fail "slatrace $args does not list:$missing"; return; }
	done
	[ "$n" -ge 10 ] || { fail "found only $n options in user/cmd/trace.c: did its table move?"; return; }
	pass "$n options"
}

t_help_after_other_options_still_exits_0() {
	have_binary || return
	local why
	cli trace -d 1s --help
	[ "$rc" = 0 ] && grep -q '^usage: slatrace trace' "$TMP/out" && [ ! -s "$TMP/err" ] ||
		{ fail "exit $rc, stderr $(head -1 "$TMP/err")"; return; }
	cli help bogus
	why=$(refused 2 "'bogus'") || { fail "slatrace help bogus: $why"; return; }
	pass
}

t_version_prints_one_line() {
	have_binary || return
	local args
	for args in --version -V; do
		cli $args
		[ "$rc" = 0 ] || { fail "slatrace $args: exit $rc"; return; }
		[ -s "$TMP/err" ] && { fail "slatrace $args: stderr $(cat "$TMP/err")"; return; }
		[ "$(wc -l <"$TMP/out")" = 1 ] && grep -qE '^slatrace [0-9]+\.[0-9]+\.[0-9]+$' "$TMP/out" ||
			{ fail "slatrace $args printed: $(head -c 200 "$TMP/out")"; return; }
	done
	# the report carries the same version (needs root to make a report)
	if [ "$(id -u)" = 0 ]; then
		timeout 30 "$SLATRACE" trace --syscalls --json "$TMP/v.json" -- true >/dev/null 2>&1
		[ "$(jq -r .tool.version "$TMP/v.json" 2>/dev/null)" = "$(awk '{print $2}' "$TMP/out")" ] ||
			{ fail "the JSON report's tool.version differs from --version"; return; }
	fi
	pass "$(cat "$TMP/out")"
}

# a duration or interval near 2^64 ns must not wrap around the clock: a
# run that ends at once (or reports every interval in a tight loop) is
# neither what was asked nor an error
t_huge_duration_and_interval_do_not_wrap() {
	have_binary || return
	need_root || return
	local victim
	sleep 60 &
	victim=$!
	_bg+=("$victim")
	rc=0
	timeout 2 "$SLATRACE" trace -p "$victim" -d 18446744073709551615ns \
		>"$TMP/out" 2>"$TMP/err" </dev/null || rc=$?
	if [ "$rc" != 124 ] && ! refused 2 18446744073709551615ns >/dev/null; then
		bail "-d 18446744073709551615ns: exit $rc after $(grep -c . "$TMP/out") lines, want it to run on (or a usage error)"
		return
	fi
	rc=0
	timeout 10 "$SLATRACE" trace -p "$victim" -d 1s -i 18446744073709551615ns \
		>"$TMP/out" 2>"$TMP/err" </dev/null || rc=$?
	kill_bg
	if [ "$rc" = 0 ] && grep -q '^--- interval' "$TMP/out"; then
		fail "-i 18446744073709551615ns printed $(grep -c '^--- interval' "$TMP/out") interval reports in 1s"
		return
	fi
	[ "$rc" = 0 ] || refused 2 18446744073709551615ns >/dev/null ||
		{ fail "-i 18446744073709551615ns: exit $rc: $(head -1 "$TMP/err")"; return; }
	pass
}

# a command that cannot be started: one line that names it
t_missing_command_is_named() {
	have_binary || return
	need_root || return
	each_refused 1 @@ "/nonexistent/cmd" trace -- /nonexistent/cmd \
		@@ "/nonexistent/cmd" trace --json r.json -- /nonexistent/cmd && pass
}

# a command that is not on PATH: refused before anything is traced (so
# before the privilege check too), in the one voice, naming the command
t_command_not_on_path_is_refused_before_tracing() {
	have_binary || return
	local name="no-such-command-$$" why
	mkdir -p "$TMP/bin" && printf '#!/bin/sh\n' >"$TMP/bin/$name-noexec" && chmod 644 "$TMP/bin/$name-noexec"
	cli trace -- "$name"
	why=$(refused 1 "cannot run '$name': No such file or directory") || { fail "$why"; return; }
	PATH="$TMP/bin:$PATH" cli trace -- "$name-noexec"
	why=$(refused 1 "cannot run '$name-noexec': Permission denied") || { fail "$why"; return; }
	if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
		chmod 711 "$TMP"
		rm -rf "$TMP/cwd" && mkdir "$TMP/cwd" && chmod 1777 "$TMP/cwd"
		rc=0
		(cd "$TMP/cwd" && timeout 60 setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$SLATRACE" trace -- "$name") >"$TMP/out" 2>"$TMP/err" </dev/null || rc=$?
		why=$(refused 1 "cannot run '$name'") || { fail "as nobody: $why"; return; }
	fi
	pass
}

# a kernel thread makes no syscalls and serves no requests: tracing one is
# allowed (its tcp work may show) but warned about; a user process is not
t_kernel_thread_pid_is_warned_about() {
	have_binary || return
	need_root || return
	local k="" p flags victim
	for p in 2 $(ls /proc | grep -E '^[0-9]+$'); do
		flags=$(awk '{ sub(/^.*\) /, ""); print $7 }' "/proc/$p/stat" 2>/dev/null) || continue
		[ -n "$flags" ] && (((flags & 0x200000) != 0)) && { k=$p; break; }
	done
	[ -n "$k" ] || { skip "no kernel thread visible in /proc (a PID namespace?)"; return; }
	rc=0
	timeout 60 "$SLATRACE" trace -p "$k" -d 300ms >"$TMP/out" 2>"$TMP/err" </dev/null || rc=$?
	[ "$rc" = 0 ] || { fail "-p $k: exit $rc: $(head -3 "$TMP/err")"; return; }
	[ "$(grep -c '^warning: ' "$TMP/err")" = 1 ] &&
		grep -qE "^warning: PID $k \(.*\) is a kernel thread" "$TMP/err" ||
		{ fail "-p $k (a kernel thread): stderr $(head -c 400 "$TMP/err")"; return; }
	sleep 60 &
	victim=$!
	_bg+=("$victim")
	rc=0
	timeout 60 "$SLATRACE" trace -p "$victim" -d 300ms >"$TMP/out" 2>"$TMP/err" </dev/null || rc=$?
	kill_bg
	[ "$rc" = 0 ] && ! grep -q '^warning: ' "$TMP/err" ||
		{ fail "-p $victim (sleep): exit $rc, stderr $(head -c 400 "$TMP/err")"; return; }
	pass "PID $k ($(cat "/proc/$k/comm"))"
}

# `make demo` says what load it runs and then how long it took: the count
# announced is the load generator's own total, the time it reports is at
# least the generator's own elapsed time and within the announced bound
t_demo_announces_the_load_it_runs() {
	have_binary || return
	need_root || return
	[ -x "$ROOT/$BUILD/tools/demo-load" ] && [ -x "$ROOT/$BUILD/tools/demo-server" ] ||
		{ skip "demo-load or demo-server not built (make)"; return; }
	local out=$TMP/demo.out ann done total el bound
	BUILD=$BUILD timeout -s KILL 120 bash "$ROOT/tools/demo.sh" >"$out" 2>&1 ||
		{ fail "tools/demo.sh failed: $(tail -5 "$out")"; return; }
	ann=$(grep '^demo: load: [0-9]* requests' "$out")
	done=$(sed -n 's/^demo: load: done in \([0-9.]*\) s$/\1/p' "$out")
	total=$(sed -n 's/^  total=\([0-9]*\) answered=.*/\1/p' "$out")
	el=$(sed -n 's/^  total=.* elapsed_s=\([0-9.]*\).*/\1/p' "$out")
	bound=$(sed -n 's/.*(at most \([0-9]*\) s)$/\1/p' <<<"$ann")
	[ -n "$ann" ] && [ -n "$done" ] && [ -n "$total" ] && [ -n "$el" ] && [ -n "$bound" ] ||
		{ fail "no announced count and bound, time taken or generator total: $(grep -E '^demo: load|total=' "$out" | tr '\n' '|')"; return; }
	[ "$(awk '{ print $3 }' <<<"$ann")" = "$total" ] ||
		{ fail "announced '$ann', the generator sent $total"; return; }
	awk -v d="$done" -v e="$el" -v b="$bound" 'BEGIN { exit !(d + 0.05 >= e && d <= b) }' ||
		{ fail "done in $done s, the generator took $el s, the bound announced $bound s"; return; }
	pass "$total requests, done in $done s (generator: $el s)"
}

t_valid_run_leaves_exactly_one_complete_json() {
	have_binary || return
	need_root || return
	command -v jq >/dev/null || { skip "jq is not installed"; return; }
	local out=$TMP/run
	rm -rf "$out" && mkdir "$out"
	rc=0
	timeout 60 "$SLATRACE" trace -d 200ms --json "$out/r.json" -- true \
		>"$TMP/out" 2>"$TMP/err" </dev/null || rc=$?
	[ "$rc" = 0 ] || { fail "exit $rc: $(head -3 "$TMP/err")"; return; }
	[ "$(ls -A "$out")" = r.json ] || { fail "directory holds: $(ls -A "$out" | tr '\n' ' ')"; return; }
	jq -e . "$out/r.json" >/dev/null 2>&1 || { fail "r.json does not parse"; return; }
	[ "$(jq -s length "$out/r.json")" = 1 ] || { fail "r.json holds more than one document"; return; }
	[ "$(jq -r .schema "$out/r.json")" = slatrace.report/1 ] ||
		{ fail "schema is $(jq -r .schema "$out/r.json")"; return; }
	jq -e '.command.exited == true and .command.exit_code == 0 and (.series | type == "array")
		and (.lost.total | type == "number") and (.duration_s > 0)' "$out/r.json" >/dev/null ||
		{ fail "command, series, lost or duration_s missing or wrong"; return; }
	# the file ends in a newline: it was written whole
	[ "$(tail -c 1 "$out/r.json" | od -An -c | tr -d ' ')" = '\n' ] ||
		{ fail "r.json does not end in a newline"; return; }
	[ -s "$TMP/out" ] || { fail "no text report on stdout"; return; }
	pass "$(jq '.series | length' "$out/r.json") series"
}

# issue 14: one family of the default set that cannot load (here refused by
# the test-only SLATRACE_TEST_REFUSE, docs/families.md) is left out, said
# once on stderr and in both reports; the rest of the set still traces
t_default_set_runs_on_without_a_family_that_cannot_load() {
	have_binary || return
	need_root || return
	command -v jq >/dev/null || { skip "jq is not installed"; return; }
	local out=$TMP/run n
	rm -rf "$out" && mkdir "$out"
	rc=0
	SLATRACE_TEST_REFUSE=requests timeout 60 "$SLATRACE" trace -d 200ms --json "$out/r.json" \
		-- true >"$TMP/out" 2>"$TMP/err" </dev/null || rc=$?
	[ "$rc" = 0 ] || { fail "exit $rc: $(head -3 "$TMP/err")"; return; }
	n=$(grep -c "requests" "$TMP/err")
	[ "$n" = 1 ] && grep -q "^warning: left out the 'requests' family: .*SLATRACE_TEST_REFUSE" "$TMP/err" ||
		{ fail "want one warning naming requests, stderr: $(head -c 400 "$TMP/err")"; return; }
	grep -q '^left out: requests (.*SLATRACE_TEST_REFUSE' "$TMP/out" ||
		{ fail "the text report does not say requests was left out"; return; }
	jq -e '.families == ["syscalls"] and (.families_skipped | length == 1)
		and .families_skipped[0].name == "requests"
		and (.families_skipped[0].why | test("SLATRACE_TEST_REFUSE"))
		and ([.series[] | select(.family == "syscall" and .name == "execve")] | length == 1)' \
		"$out/r.json" >/dev/null ||
		{ fail "JSON: families $(jq -c .families "$out/r.json"), skipped $(jq -c .families_skipped "$out/r.json")"; return; }
	# and nothing is said, in JSON either, when every family loads
	timeout 60 "$SLATRACE" trace -d 200ms --json "$out/r.json" -- true >"$TMP/out" 2>"$TMP/err" ||
		{ fail "a plain run failed: $(head -3 "$TMP/err")"; return; }
	jq -e 'has("families_skipped") | not' "$out/r.json" >/dev/null &&
		! grep -q '^left out:' "$TMP/out" || { fail "a plain run reports families left out"; return; }
	pass "syscalls traced, requests left out"
}

t_named_family_that_cannot_load_fails_the_run() {
	have_binary || return
	need_root || return
	local why
	rc=0
	rm -rf "$TMP/cwd" && mkdir "$TMP/cwd"
	(cd "$TMP/cwd" && SLATRACE_TEST_REFUSE=requests timeout 60 "$SLATRACE" trace --requests \
		-d 200ms --json r.json -- true) >"$TMP/out" 2>"$TMP/err" </dev/null || rc=$?
	why=$(refused 1 "cannot open the 'requests' family") || { fail "$why"; return; }
	pass
}

run_tests
