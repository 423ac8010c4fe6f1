# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# slatrace's per-syscall counts and errors against strace's, an independent
# tracer, for the same deterministic command.
. "$(dirname "$0")/lib.sh"

t_syscall_counts_match_strace() {
	need_root || return
	command -v strace >/dev/null || { skip "strace is not installed"; return; }
	local cmd=(ls -R /usr/include/linux) bad=0 compared=0 name calls errors got goterr
	timeout 60 strace -f -c -o "$TMP/strace.txt" "${cmd[@]}" >/dev/null 2>&1 ||
		{ fail "strace failed"; return; }
	timeout 60 "$SLATRACE" trace --syscalls --json "$TMP/r.json" -- "${cmd[@]}" \
		>/dev/null 2>"$TMP/err" || { fail "slatrace failed: $(cat "$TMP/err")"; return; }
	# strace -c rows: % time, seconds, usecs/call, calls, [errors,] syscall
	while read -r calls errors name; do
		# execve: strace starts the program itself; exit_group never returns
		case $name in execve | exit_group | "") continue ;; esac
		got=$(series "$TMP/r.json" "$name" .count)
		goterr=$(series "$TMP/r.json" "$name" .errors)
		compared=$((compared + 1))
		if [ "${got:-0}" != "$calls" ] || [ "${goterr:-0}" != "$errors" ]; then
			echo "      $name: strace $calls calls/$errors errors, slatrace ${got:-0}/${goterr:-0}"
			bad=$((bad + 1))
		fi
	done < <(awk '/^-/ {next} NR > 2 && $NF != "total" {
		if (NF == 6) print $4, $5, $6; else if (NF == 5) print $4, 0, $5 }' "$TMP/strace.txt")
	if [ "$compared" -lt 5 ]; then
		fail "only $compared syscalls compared: strace output not understood"
	elif [ "$bad" -eq 0 ]; then
		pass "$compared syscalls, counts and errors identical"
	else
		fail "$bad of $compared syscalls differ from strace"
	fi
}

run_tests
