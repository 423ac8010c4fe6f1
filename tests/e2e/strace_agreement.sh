# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# slatrace's per-syscall counts and errors against strace's, an independent
# tracer, for the same deterministic command: in both directions, every
# syscall either reports is in the other's output with the same counts.
. "$(dirname "$0")/lib.sh"

# What slatrace sees and strace cannot, exactly: slatrace's own launcher
# runs in the command's process between fork and exec (user/core/session.c,
# spawn_cmd) and resets SIGPIPE there, one rt_sigaction after the probes
# are attached; strace starts its tracee differently. The command is given
# by absolute path, so the launcher's execvp makes the one execve strace
# sees and no failed PATH lookups. exit_group never returns: neither counts
# it.
declare -A LAUNCHER=([rt_sigaction]=1)

t_syscall_counts_match_strace() {
	need_root || return
	command -v strace >/dev/null || { skip "strace is not installed"; return; }
	local ls_bin cmd bad=0 compared=0 name calls errors want wanterr got goterr only_s=0 only_t=0
	local -A sc se tc te names
	ls_bin=$(command -v ls) || { skip "no ls"; return; }
	cmd=("$ls_bin" -R /usr/include/linux)
	timeout 60 strace -f -c -o "$TMP/strace.txt" "${cmd[@]}" >/dev/null 2>&1 ||
		{ fail "strace failed"; return; }
	timeout 60 "$SLATRACE" trace --syscalls --json "$TMP/r.json" -- "${cmd[@]}" \
		>/dev/null 2>"$TMP/err" || { fail "slatrace failed: $(cat "$TMP/err")"; return; }
	# strace -c rows: % time, seconds, usecs/call, calls, [errors,] syscall
	while read -r calls errors name; do
		sc[$name]=$calls se[$name]=$errors names[$name]=1
	done < <(awk '/^-/ {next} NR > 2 && $NF != "total" {
		if (NF == 6) print $4, $5, $6; else if (NF == 5) print $4, 0, $5 }' "$TMP/strace.txt")
	while read -r name calls errors; do
		tc[$name]=$calls te[$name]=$errors names[$name]=1
	done < <(jq -r '.series[] | select(.family == "syscall") | "\(.name) \(.count) \(.errors)"' "$TMP/r.json")
	for name in "${!names[@]}"; do
		want=$((${sc[$name]:-0} + ${LAUNCHER[$name]:-0}))
		wanterr=${se[$name]:-0}
		got=${tc[$name]:-0}
		goterr=${te[$name]:-0}
		compared=$((compared + 1))
		if [ "$got" != "$want" ] || [ "$goterr" != "$wanterr" ]; then
			[ -n "${sc[$name]:-}" ] || only_t=$((only_t + 1))
			[ -n "${tc[$name]:-}" ] || only_s=$((only_s + 1))
			echo "      $name: strace ${sc[$name]:-none}/${se[$name]:-none} calls/errors" \
				"(+${LAUNCHER[$name]:-0} launcher), slatrace ${tc[$name]:-none}/${te[$name]:-none}"
			bad=$((bad + 1))
		fi
	done
	if [ "${#sc[@]}" -lt 10 ] || [ "${#tc[@]}" -lt 10 ]; then
		fail "strace reported ${#sc[@]} syscalls, slatrace ${#tc[@]}: want 10 or more from each"
	elif [ "$bad" -eq 0 ]; then
		pass "$compared syscalls (strace ${#sc[@]}, slatrace ${#tc[@]}), counts and errors identical"
	else
		fail "$bad of $compared syscalls differ ($only_t only in slatrace's report, $only_s only in strace's)"
	fi
}

run_tests
