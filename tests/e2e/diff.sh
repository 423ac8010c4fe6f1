#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# End-to-end tests of `slatrace diff` on real traced runs: demo-server with
# injected per-route delays, a bounded load from demo-load (which counts its
# own requests), `slatrace trace --requests --json` on the server. The truth
# is the injected delay: a route whose delay changed by 20% must be flagged
# slower and the route beside it, unchanged, must not; pairs of identical
# runs must flag nothing (the false-positive count is printed). Also the
# --fail-on exit status, its expected verdicts from injected changes far
# from the gates' amounts (10 ms -> 30 ms and back), and refusals of files
# that are not comparable. Runs
# need root; the refusals do not.
#
# /fast sleeps 1 ms rather than nothing: this is about the diff's verdicts,
# and a route that costs only tens of microseconds measures the machine
# (CPU frequency, the load generator and tracer sharing the CPUs, other
# jobs) more than the route, which varies between identical runs by far
# more than 5%.
. "$(dirname "$0")/lib.sh"

DEMO=$ROOT/$BUILD/tools/demo-server
LOAD=$ROOT/$BUILD/tools/demo-load
RUNS=$TMP/runs
PAIRS=${DIFF_PAIRS:-20}
PORT=""

have_tools() {
	local t
	for t in "$SLATRACE" "$DEMO" "$LOAD"; do
		[ -x "$t" ] || { skip "$t is not built (make all)"; return 1; }
	done
	command -v jq >/dev/null || { skip "jq is not installed"; return 1; }
	return 0
}

# traced_run OUT SLOW_MS: demo-server (/fast 1 ms, /slow SLOW_MS) on $PORT
# (a free one the first time, then the same one, so that the series, whose
# names hold the port, match between runs) under ~1 s of load: /fast on one
# connection, /slow on four; `slatrace trace --requests` writes OUT. Returns
# non-zero with the reason in $why.
why=""
traced_run() {
	local out=$1 slow=$2 srv load_pid n_fast n_slow
	srv=$TMP/srv.out
	# a previous run's "listening" and "tracing" lines must not answer for this one
	rm -f "$srv" "$srv.err" "$TMP/trace.out" "$TMP/trace.err"
	if ! start_listener "$srv" "$DEMO" --listen "127.0.0.1:${PORT:-0}" --delay /fast=1 \
		--delay "/slow=$slow"; then
		why="demo-server did not start: $(head -c 200 "$srv.err")"
		kill_bg
		return 1
	fi
	PORT=${SRV_ADDR##*:}
	if ! start_trace "$TMP/trace.out" "$TMP/trace.err" --requests -p "$SRV_PID" --json "$out"; then
		why="slatrace did not start: $(head -c 300 "$TMP/trace.err")"
		kill_bg
		return 1
	fi
	"$LOAD" --connect "127.0.0.1:$PORT" --requests 800 --connections 1 --mix /fast=1 \
		>"$TMP/load-fast.out" 2>&1 &
	load_pid=$!
	"$LOAD" --connect "127.0.0.1:$PORT" --requests 400 --connections 4 --mix /slow=1 \
		>"$TMP/load-slow.out" 2>&1
	wait "$load_pid"
	stop_trace
	kill -TERM "$SRV_PID"
	reap "$SRV_PID" 10
	_bg=()
	if [ ! -s "$out" ]; then
		why="no report: $(tail -c 300 "$TMP/trace.err")"
		return 1
	fi
	# the load generator's own counts: the run measured what was sent
	n_fast=$(jq '[.series[] | select(.labels.route == "/fast") | .count] | add // 0' "$out")
	n_slow=$(jq '[.series[] | select(.labels.route == "/slow") | .count] | add // 0' "$out")
	if [ "$n_fast" != 800 ] || [ "$n_slow" != 400 ]; then
		why="the report counts /fast $n_fast and /slow $n_slow requests, demo-load sent 800 and 400: $(tail -n 2 "$TMP/load-fast.out" "$TMP/load-slow.out" | tr '\n' ' ')"
		return 1
	fi
	return 0
}

# comparable A1 [A2...] -- B1 [B2...]: slatrace diff would judge these runs
# (its own rules: the host's CPU pressure and the targets' run-queue wait,
# docs/diff.md, "Runs that are not comparable"); if not, $why says why
comparable() {
	"$SLATRACE" diff "$@" --json >"$TMP/cmp.json" 2>"$TMP/cmp.err" ||
		{ why="diff failed: $(head -c 200 "$TMP/cmp.err")"; return 1; }
	jq -e '.test.comparable and .test.series_not_comparable == 0' "$TMP/cmp.json" >/dev/null &&
		return 0
	why="not comparable: $(jq -r '.test | "\(.series_not_comparable) series: \(.cpu_availability_because)"' "$TMP/cmp.json")"
	return 1
}

# route_judged DIFF.json ROUTE: diff gave that route's request series a
# verdict (the CPU availability of the runs did not rule it out)
route_judged() {
	jq -e --arg r "$2" '[.series[] | select(.family == "request" and (.name | endswith(" " + $r)))] |
		length == 1 and .[0].comparable' "$1" >/dev/null
}

# ensure_runs: base (10 ms), same (10 ms), slower (12 ms) and much (30 ms),
# once, comparable with base (the host being shared, up to ENSURE_TRIES (5)
# sets of runs). Returns 1 with $why when a run failed, 2 when no set was
# comparable (the tests then skip, saying why), and remembers that.
ensure_failed=""
ensure_runs() {
	local try
	mkdir -p "$RUNS"
	[ -n "$ensure_failed" ] && { why=$ensure_failed; return 2; }
	[ -s "$RUNS/base.json" ] && [ -s "$RUNS/slower.json" ] && [ -s "$RUNS/same.json" ] &&
		[ -s "$RUNS/much.json" ] && return 0
	for ((try = 1; try <= ${ENSURE_TRIES:-5}; try++)); do
		traced_run "$RUNS/base.json" 10 && traced_run "$RUNS/slower.json" 12 &&
			traced_run "$RUNS/same.json" 10 && traced_run "$RUNS/much.json" 30 || return 1
		comparable "$RUNS/base.json" "$RUNS/slower.json" &&
			comparable "$RUNS/base.json" "$RUNS/same.json" &&
			comparable "$RUNS/base.json" "$RUNS/much.json" && return 0
	done
	rm -f "$RUNS"/{base,slower,same,much}.json
	ensure_failed="no comparable set of runs in ${ENSURE_TRIES:-5} tries, the last: $why"
	why=$ensure_failed
	return 2
}

# need_runs || return: ensure_runs, or the test fails (a run failed) or
# skips (the host's load never let the runs be compared), saying why
need_runs() {
	ensure_runs
	case $? in
	0) return 0 ;;
	2) skip "$why" ;;
	*) fail "$why" ;;
	esac
	return 1
}

# verdict DIFF.json ROUTE: the verdict of the request series of that route
verdict() {
	jq -r --arg r "$2" '[.series[] | select(.family == "request" and (.name | endswith(" " + $r)))] |
		if length == 1 then .[0].verdict else "series-count-" + (length | tostring) end' "$1"
}

t_changed_route_flagged_slower() {
	need_root || return
	have_tools || return
	need_runs || return
	"$SLATRACE" diff "$RUNS/base.json" "$RUNS/slower.json" --json >"$TMP/d.json" 2>"$TMP/d.err"
	local rc=$? slow fast others why2
	[ $rc = 0 ] || { fail "diff exited $rc: $(cat "$TMP/d.err")"; return; }
	slow=$(verdict "$TMP/d.json" /slow)
	fast=$(verdict "$TMP/d.json" /fast)
	others=$(jq '[.series[] | select(.verdict != "unchanged")] | length' "$TMP/d.json")
	why2=$(jq -r '.series[] | "\(.name): \(.verdict) (\(.why))"' "$TMP/d.json" | tr '\n' ';')
	# /fast (1 ms both times) is not asserted unchanged: with one run a side
	# a 1 ms route's typical request moved +5.7% between identical runs on a
	# loaded host, which the windows judged real (it was: the host changed).
	# docs/diff.md says so; make test-diff measures that rate over 20 pairs.
	if [ "$slow" != slower ]; then
		fail "/slow (10 ms -> 12 ms) is '$slow', want slower: $why2"
	elif [ "$fast" != unchanged ] && [ "$fast" != slower ] && [ "$fast" != faster ]; then
		fail "/fast has no verdict ('$fast'): $why2"
	elif [ "$others" != "$([ "$fast" = unchanged ] && echo 1 || echo 2)" ]; then
		fail "$others series flagged, want /slow (and /fast when it moved): $why2"
	elif [ "$(jq '(.appeared | length) + (.vanished | length)' "$TMP/d.json")" != 0 ]; then
		fail "series appeared or vanished between runs on one port"
	else
		pass "$(jq -r '.series[] | select(.verdict == "slower" and (.name | endswith(" /slow"))) |
			"/slow typical \(.test.typical_change_pct * 10 | round / 10)%, p \(.test.p_adjusted)"' \
			"$TMP/d.json"); /fast $fast"
	fi
}

# gate WANT BEFORE AFTER EXPR...: `slatrace diff` of two runs with those
# --fail-on gates exits WANT; the text names the first gate's outcome
gate() {
	local want=$1 before=$2 after=$3 rc e args=()
	shift 3
	for e in "$@"; do args+=(--fail-on "$e"); done
	"$SLATRACE" diff "$RUNS/$before.json" "$RUNS/$after.json" "${args[@]}" >"$TMP/g.out" 2>"$TMP/g.err"
	rc=$?
	[ $rc = "$want" ] ||
		{ fail "$before -> $after, gates $*: exit $rc, want $want: $(grep -i 'fail-on\|/slow' "$TMP/g.out" | tr '\n' ' ')"; return 1; }
	grep -q "^--fail-on '$1': $([ "$want" = 3 ] && echo FAILED || echo passed)" "$TMP/g.out" ||
		{ fail "$before -> $after: the text does not report gate '$1' as $([ "$want" = 3 ] && echo FAILED || echo passed): $(tail -3 "$TMP/g.out")"; return 1; }
}

t_fail_on_exit_status() {
	need_root || return
	have_tools || return
	need_runs || return
	local rc
	# The expected verdicts come from the injected delays, far from the
	# gates' amounts: /slow 10 ms -> 30 ms is +200% (every percentile of
	# 30 ms sleeps is over 30 ms, and the base run's p99 would have to
	# pass 27 ms for +10% not to fire), 30 ms -> 10 ms is -67%, and the
	# unchanged pair is 0%. A gate applies to every series, and /fast (a
	# 1 ms sleep on one connection) is unchanged in every pair, but its
	# p99 has moved by up to +66% between identical runs on a loaded host
	# (one run a side: docs/diff.md, what one run a side cannot see), so a
	# gate that must not fire is set far above that: +100%.
	gate 3 base much 'p99 +10%' || return
	gate 3 base much 'p50 +10%' || return
	gate 0 base much 'p50 +500%' || return
	gate 0 much base 'p99 +100%' || return
	gate 3 much base 'p99 -10%' || return
	gate 0 base same 'p99 +100%' 'p50 +100%' || return
	"$SLATRACE" diff "$RUNS/base.json" "$RUNS/same.json" --fail-on 'p99 10%' \
		>"$TMP/g.out" 2>"$TMP/g.err"
	rc=$?
	if [ $rc != 2 ] || [ "$(wc -l <"$TMP/g.err")" != 1 ] || [ -s "$TMP/g.out" ] ||
		! grep -q "^error: invalid --fail-on 'p99 10%': .*direction" "$TMP/g.err"; then
		fail "a gate without a sign: exit $rc, stderr $(head -c 300 "$TMP/g.err")"
		return
	fi
	pass "+200% -> p99/p50 +10% fire, p50 +500% not; -67% -> p99 +100% not, p99 -10% fires; unchanged -> p99/p50 +100% not"
}

t_no_change_no_flags_over_20_pairs() {
	need_root || return
	have_tools || return
	local i fp=0 u_only=0 flagged="" t0=$SECONDS a b
	mkdir -p "$RUNS"
	for ((i = 1; i <= PAIRS; i++)); do
		a=$RUNS/nc-$i-a.json
		b=$RUNS/nc-$i-b.json
		traced_run "$a" 10 && traced_run "$b" 10 || { fail "pair $i: $why"; return; }
		"$SLATRACE" diff "$a" "$b" --json >"$TMP/nc.json" 2>"$TMP/nc.err" ||
			{ fail "pair $i: diff failed: $(cat "$TMP/nc.err")"; return; }
		fp=$((fp + $(jq '[.series[] | select(.verdict != "unchanged")] | length' "$TMP/nc.json")))
		# what the rank test alone, with no effect floor, would have flagged
		u_only=$((u_only + $(jq '[.series[] | select(.test.p_adjusted < 0.01)] | length' \
			"$TMP/nc.json")))
		flagged+=$(jq -r --arg i "$i" '.series[] | select(.verdict != "unchanged") |
			" pair \($i): \(.name) \(.verdict) (\(.why));"' "$TMP/nc.json")
		rm -f "$a" "$b"
	done
	echo "      false positives: $fp of $((2 * PAIRS)) series in $PAIRS identical pairs" \
		"(Mann-Whitney alone, without the 5% effect floor: $u_only); $((SECONDS - t0))s"
	if [ "$fp" -le 1 ]; then
		pass "$fp false positives in $PAIRS pairs${flagged:+:$flagged}"
	else
		fail "$fp false positives in $PAIRS pairs:$flagged"
	fi
}

# a minimal report, made by hand: no root needed
mini_report() {
	jq -n --arg schema "$2" --arg host "$3" '{schema: $schema, host: $host, duration_s: 1,
		series: [{family: "syscall", name: "read", count: 20, errors: 0, total_ns: 20000,
			latency_ns: {max: 1000}, buckets: [[992, 1008, 20]]}]}' >"$1"
}

# one_error CODE WORD ARGS...: `slatrace diff ARGS` exits CODE with one
# "error: " line naming WORD and nothing on stdout
one_error() {
	local code=$1 word=$2 rc
	shift 2
	"$SLATRACE" diff "$@" >"$TMP/e.out" 2>"$TMP/e.err"
	rc=$?
	if [ $rc != "$code" ] || [ -s "$TMP/e.out" ] || [ "$(wc -l <"$TMP/e.err")" != 1 ] ||
		! grep -q '^error: ' "$TMP/e.err" || ! grep -qF -- "$word" "$TMP/e.err"; then
		fail "diff $*: exit $rc (want $code), stderr '$(head -c 300 "$TMP/e.err")', want one line naming '$word'"
		return 1
	fi
}

t_schema_mismatch_refused() {
	[ -x "$SLATRACE" ] || { skip "$SLATRACE is not built"; return; }
	command -v jq >/dev/null || { skip "jq is not installed"; return; }
	local r1=$TMP/r1.json r2=$TMP/r2.json other=$TMP/v2.json host2=$TMP/h2.json rc
	mini_report "$r1" slatrace.report/1 web-1
	mini_report "$r2" slatrace.report/1 web-1
	mini_report "$other" slatrace.report/2 web-1
	mini_report "$host2" slatrace.report/1 web-2
	one_error 2 "has schema 'slatrace.report/2'; this slatrace reads 'slatrace.report/1'" \
		"$r1" "$other" || return
	one_error 2 "has schema 'slatrace.report/2'" "$other" "$r1" || return
	one_error 2 "cannot open '$TMP/none.json': No such file or directory" \
		"$r1" "$TMP/none.json" || return
	printf '{\n  "schema": "slatrace.report/1",\n  "host": web\n}\n' >"$TMP/bad.json"
	one_error 2 "is not JSON: " "$r1" "$TMP/bad.json" || return
	grep -q 'at line 3, column' "$TMP/e.err" || { fail "no line and column: $(cat "$TMP/e.err")"; return; }
	head -c 100 "$r1" >"$TMP/cut.json"
	one_error 2 "cut.json' is truncated" "$r1" "$TMP/cut.json" || return
	one_error 2 "give two reports" "$r1" || return
	# different hosts: compared, with a warning in the output itself
	"$SLATRACE" diff "$r1" "$host2" >"$TMP/h.out" 2>"$TMP/h.err"
	rc=$?
	if [ $rc != 0 ] || ! grep -q "^warning: the reports come from different hosts: 'web-1' (before) and 'web-2' (after)" "$TMP/h.out"; then
		fail "different hosts: exit $rc, output: $(head -c 400 "$TMP/h.out") $(cat "$TMP/h.err")"
		return
	fi
	"$SLATRACE" diff "$r1" "$host2" --json | jq -e '.warnings | length == 1' >/dev/null ||
		{ fail "different hosts: no warning in the JSON"; return; }
	pass
}

# noise_run OUT SLOW_MS: demo-server with its default routes and /slow at
# SLOW_MS, /slow on connections of its own (so that its delay does not
# change how often the others are asked, which a shared connection would),
# about 2 s, traced; the report's counts are checked against what demo-load
# sent
noise_run() {
	local out=$1 slow=$2 srv n pids=() r
	srv=$TMP/nsrv.out
	rm -f "$srv" "$srv.err" "$TMP/ntrace.out" "$TMP/ntrace.err"
	start_listener "$srv" "$DEMO" --listen "127.0.0.1:${NPORT:-0}" --delay "/slow=$slow" ||
		{ why="demo-server did not start: $(head -c 200 "$srv.err")"; kill_bg; return 1; }
	NPORT=${SRV_ADDR##*:}
	start_trace "$TMP/ntrace.out" "$TMP/ntrace.err" --requests -p "$SRV_PID" --json "$out" ||
		{ why="slatrace did not start: $(head -c 300 "$TMP/ntrace.err")"; kill_bg; return 1; }
	# /fast and /error take microseconds: paced by /tail (1 ms) on their
	# connection, so that they span the run's windows instead of a burst
	"$LOAD" --connect "127.0.0.1:$NPORT" --requests 2000 --connections 1 \
		--mix /fast=4,/error=1,/tail=5 >"$TMP/nload-1.out" 2>&1 &
	pids+=($!)
	"$LOAD" --connect "127.0.0.1:$NPORT" --requests 200 --connections 2 --mix /slow=1 \
		>"$TMP/nload-2.out" 2>&1 &
	pids+=($!)
	wait "${pids[@]}"
	stop_trace
	kill -TERM "$SRV_PID"
	reap "$SRV_PID" 10
	_bg=()
	[ -s "$out" ] || { why="no report: $(tail -c 300 "$TMP/ntrace.err")"; return 1; }
	n=$(jq -c '[.series[] | select(.family == "request") | .count]' "$out")
	[ "$(jq '[.series[] | select(.family == "request") | .count] | sort' "$out" | tr -d ' \n')" = "[200,200,800,1000]" ] ||
		{ why="the report counts $n requests a route, demo-load sent 800 /fast, 200 /error, 1000 /tail, 200 /slow"; return 1; }
	[ "$(jq '[.series[] | .windows.count | length] | min' "$out")" -ge 8 ] ||
		{ why="fewer than 8 windows in a series: $(jq -c '[.series[] | .windows.count | length]' "$out")"; return 1; }
}

# flagged DIFF.json: "route verdict" of every series not unchanged
flagged() {
	jq -r '.series[] | select(.verdict != "unchanged") |
		"\(.name | split(" ") | .[-1]) \(.verdict) \(.windows.p50.change_pct * 10 | round / 10)%"' "$1"
}

# The issue's figures, with windows as replicates: NOISE_PAIRS pairs (8 in
# make test, 20 in make test-diff) of unchanged runs flag no route in all
# but pairs/20 (rounded down, at least 1) of them; a +15% /slow (20 ms ->
# 23 ms) is flagged slower in all but as many of the pairs in which diff
# judges /slow, while no other route is flagged in all but as many. The
# truth is the injected delay. When the two runs' CPU availability
# differed (the host's load), diff gives no verdict on the routes a few
# of the target's waits for a CPU could move (/fast, /error, and /tail at
# 1 ms, usually), but judges /slow, which is 20 ms long: an A/B pair whose
# /slow was not judged is run again (twice at most, n/2 times in all, so
# the time stays bounded); when /slow stays unjudged in more than half the
# pairs the host is too busy to measure anything and the test skips,
# saying why. /fast and /error take microseconds of CPU and drift by up to
# 40% between identical runs here; with one run a side diff allows each
# run's level to drift as much as its windows vary (docs/diff.md), and
# they count like the others.
t_windows_aa_and_ab_pairs_on_a_busy_machine() {
	need_root || return
	have_tools || return
	local i n=${NOISE_PAIRS:-8} aa=0 ab_hit=0 ab_other=0 f allow t0=$SECONDS notes="" try retried=0 nc=0 last_nc="" x_aa=0 x_ab=0
	# the issue's bound, 1 in 20; at least 1 however few the pairs (8 in
	# make test: a looser bound there, the full one in make test-diff)
	allow=$((n / 20 > 1 ? n / 20 : 1))
	mkdir -p "$RUNS"
	for ((i = 1; i <= n; i++)); do
		noise_run "$RUNS/w-a.json" 20 && noise_run "$RUNS/w-a2.json" 20 &&
			noise_run "$RUNS/w-b.json" 23 || { fail "pair $i: $why"; return; }
		for try in 1 2 3; do
			"$SLATRACE" diff "$RUNS/w-a.json" "$RUNS/w-b.json" --json >"$TMP/ab.json" ||
				{ fail "pair $i: diff failed"; return; }
			route_judged "$TMP/ab.json" /slow && break
			[ $try -lt 3 ] && [ $retried -lt $((n / 2)) ] || break
			retried=$((retried + 1))
			noise_run "$RUNS/w-a.json" 20 && noise_run "$RUNS/w-b.json" 23 ||
				{ fail "pair $i: $why"; return; }
		done
		"$SLATRACE" diff "$RUNS/w-a.json" "$RUNS/w-a2.json" --json >"$TMP/aa.json" ||
			{ fail "pair $i: diff failed"; return; }
		x_aa=$((x_aa + $(jq '.test.series_not_comparable' "$TMP/aa.json")))
		x_ab=$((x_ab + $(jq '.test.series_not_comparable' "$TMP/ab.json")))
		f=$(flagged "$TMP/aa.json" | tr '\n' ' ')
		[ -n "$f" ] && { aa=$((aa + 1)); notes+=" A/A $i: $f;"; }
		if route_judged "$TMP/ab.json" /slow; then
			[ "$(verdict "$TMP/ab.json" /slow)" = slower ] && ab_hit=$((ab_hit + 1)) ||
				notes+=" A/B $i: /slow $(jq -r '.series[] | select(.name | endswith("/slow")) | .why' "$TMP/ab.json");"
		else
			nc=$((nc + 1))
			last_nc=$(jq -r '.series[] | select(.name | endswith("/slow")) | .why' "$TMP/ab.json")
		fi
		f=$(flagged "$TMP/ab.json" | grep -v '^/slow ' | tr '\n' ' ')
		[ -n "$f" ] && { ab_other=$((ab_other + 1)); notes+=" A/B $i: $f;"; }
	done
	echo "      A/A: $aa of $n pairs flagged a route; A/B (+15% /slow): /slow slower in $ab_hit" \
		"of $((n - nc)) pairs that judged it ($nc did not: CPU availability), another route" \
		"flagged in $ab_other; $retried pairs run again for the host's load; series left" \
		"without a verdict for the CPU availability: $x_aa in A/A, $x_ab in A/B (4 a pair);" \
		"$((SECONDS - t0))s${notes:+;$notes}"
	if [ $((2 * nc)) -gt "$n" ]; then
		skip "the host's load left /slow unjudged in $nc of $n A/B pairs ($retried reruns; the last: $last_nc); A/A $aa/$n, A/B $ab_hit/$((n - nc))"
	elif [ $aa -le $allow ] && [ $ab_hit -ge $((n - nc - allow)) ] && [ $ab_other -le $allow ]; then
		pass "A/A $aa/$n flagged, A/B $ab_hit/$((n - nc)) found ($nc unjudged), $ab_other/$n others flagged"
	else
		fail "A/A $aa/$n (at most $allow), A/B $ab_hit/$((n - nc)) found (at least $((n - nc - allow)); $nc unjudged), others $ab_other/$n (at most $allow):$notes"
	fi
}

# hog: two bounded busy loops (6 s at most), as long as the next run
hog() {
	local k
	for k in 1 2; do
		timeout 6 sh -c 'while :; do :; done' &
		_bg+=($!)
		hogs+=($!)
	done
}

unhog() {
	local p
	for p in "${hogs[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	hogs=()
}

# The figures the run-queue rule stands on, against the kernel's rusage and
# a hog we place: a command that burns ~0.3 s of CPU pinned to CPU 0 beside
# a busy loop pinned there too. Its CPU time must match what bash's `times`
# reports for itself and its children (within 10% + 20 ms: a tick per
# thread exit, and slatrace's run starts a little after the command's
# first instructions); with CFS sharing CPU 0 between the two, the command
# waits about as long as it runs, so its wait share must be 30% or more.
# awk exits before the run ends: its figures come from the exit program.
t_target_runq_figures_match_rusage_and_a_pinned_hog() {
	need_root || return
	have_tools || return
	command -v taskset >/dev/null || { skip "taskset is not installed"; return; }
	local out=$TMP/rq.json hog cpu_ms wait_pct ru_ms
	taskset -c 0 timeout 20 sh -c 'while :; do :; done' &
	hog=$!
	_bg+=($hog)
	"$SLATRACE" trace --syscalls --json "$out" -- taskset -c 0 bash -c \
		'awk "BEGIN { for (i = 0; i < 15000000; i++) s += i }"; times' \
		>"$TMP/rq.out" 2>"$TMP/rq.err"
	kill "$hog" 2>/dev/null
	wait "$hog" 2>/dev/null
	[ -s "$out" ] || { fail "no report: $(tail -c 300 "$TMP/rq.err")"; return; }
	jq -e '.target_cpu_ns and .target_runq_wait_ns and .target_runq_wait_pct and .target_sched_ins > 0' "$out" >/dev/null ||
		{ fail "the report has no run-queue figures: $(jq -c 'del(.series)' "$out" | head -c 400)"; return; }
	# times: "0m0.003s 0m0.005s" (bash), "0m0.292s 0m0.007s" (children)
	ru_ms=$(grep -E '^[0-9]+m[0-9.]+s [0-9]+m[0-9.]+s$' "$TMP/rq.out" |
		awk '{ for (i = 1; i <= 2; i++) { split($i, t, "m"); ms += (t[1] * 60 + t[2]) * 1000 } } END { printf "%d", ms }')
	cpu_ms=$(jq '.target_cpu_ns / 1e6 | floor' "$out")
	wait_pct=$(jq '.target_runq_wait_pct | floor' "$out")
	grep -q '^target ran .*, waited .* for a CPU (.*% of its runnable time)' "$TMP/rq.out" ||
		{ fail "the text report has no run-queue line: $(head -4 "$TMP/rq.out")"; return; }
	if [ -z "$ru_ms" ] || [ "$ru_ms" -lt 100 ]; then
		fail "bash's times said ${ru_ms:-nothing}: $(tail -3 "$TMP/rq.out")"
	elif ! within "$cpu_ms" "$ru_ms" 10 20; then
		fail "target CPU $cpu_ms ms, rusage $ru_ms ms"
	elif [ "$wait_pct" -lt 30 ]; then
		fail "target CPU $cpu_ms ms with a hog on its CPU, but it waited only $wait_pct% of its runnable time"
	else
		pass "CPU $cpu_ms ms (rusage $ru_ms ms), waited $wait_pct% beside a pinned hog"
	fi
}

# The same figures with --cgroup: a cgroup v2 directory of our own (under
# the host's cgroup2 mount, wherever it is: /sys/fs/cgroup on a unified
# host, /sys/fs/cgroup/unified on a hybrid one), a bash put in it that
# waits for the tracer (on a fifo), burns about 0.25 s of CPU in an awk beside a
# pinned hog, and prints its children's rusage; both exit inside the run,
# so their figures come from the exit program, matched by cgroup
t_target_runq_figures_in_cgroup_mode_match_rusage() {
	need_root || return
	have_tools || return
	command -v taskset >/dev/null || { skip "taskset is not installed"; return; }
	local mnt cg out=$TMP/cg.json wl hog cpu_ms ru_ms
	mnt=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	[ -n "$mnt" ] || { skip "no cgroup2 mount on this host"; return; }
	cg=$mnt/slatrace-test-$$
	mkdir "$cg" 2>/dev/null || { skip "cannot create a cgroup under $mnt"; return; }
	# it waits on a fifo, not in a loop: CPU spent before the run would be
	# in its rusage and not in the run's figures
	rm -f "$TMP/cg.go"
	mkfifo "$TMP/cg.go"
	taskset -c 0 bash -c 'echo $$ > "$1/cgroup.procs" || exit 1
		read -r _ <"$2"
		awk "BEGIN { for (i = 0; i < 15000000; i++) s += i }"; times' _ "$cg" "$TMP/cg.go" \
		>"$TMP/cg.wl" 2>&1 &
	wl=$!
	_bg+=($wl)
	taskset -c 0 timeout 30 sh -c 'while :; do :; done' &
	hog=$!
	_bg+=($hog)
	if ! start_trace "$TMP/cg.out" "$TMP/cg.err" --syscalls --cgroup "$cg" --json "$out"; then
		kill "$hog" "$wl" 2>/dev/null
		rmdir "$cg" 2>/dev/null
		fail "slatrace did not start: $(head -c 300 "$TMP/cg.err")"
		return
	fi
	echo go >"$TMP/cg.go"
	reap "$wl" 60
	stop_trace
	kill "$hog" 2>/dev/null
	wait "$hog" 2>/dev/null
	rmdir "$cg" 2>/dev/null
	jq -e '.target_cpu_ns and .target_runq_wait_ns and .target_sched_ins > 0' "$out" >/dev/null 2>&1 ||
		{ fail "no run-queue figures in cgroup mode: $(jq -c 'del(.series)' "$out" 2>&1 | head -c 400)"; return; }
	ru_ms=$(grep -E '^[0-9]+m[0-9.]+s [0-9]+m[0-9.]+s$' "$TMP/cg.wl" |
		awk '{ for (i = 1; i <= 2; i++) { split($i, t, "m"); ms += (t[1] * 60 + t[2]) * 1000 } } END { printf "%d", ms }')
	cpu_ms=$(jq '.target_cpu_ns / 1e6 | floor' "$out")
	if [ -z "$ru_ms" ] || [ "$ru_ms" -lt 100 ]; then
		fail "bash's times said ${ru_ms:-nothing}: $(tail -3 "$TMP/cg.wl")"
	elif ! within "$cpu_ms" "$ru_ms" 10 20; then
		fail "cgroup's CPU $cpu_ms ms, rusage $ru_ms ms"
	else
		pass "cgroup $(basename "$cg"): CPU $cpu_ms ms (rusage $ru_ms ms), waited $(jq '.target_runq_wait_pct | floor' "$out")%, $(jq .target_sched_ins "$out") times on a CPU"
	fi
}

# A CPU hog during the second run of an unchanged pair (HOG_PAIRS pairs: 4
# in make test, 20 in make test-diff): no route is flagged in all but
# pairs/20 (at least 1) of them. Where the runs' CPU availability differs
# (the server's own run-queue wait, which sees a hog that PSI misses, or
# the host's CPU pressure: docs/diff.md), diff says so in one line, gives
# no verdict on the routes a few of the server's waits for a CPU could
# move, and, with a latency gate, exits 1 with one error line naming how
# many series it could not judge; the routes it does judge must come out
# unchanged. The truth is the hog we started; the wait figures diff
# reads show it was felt.
t_cpu_hog_in_one_run_gives_no_false_verdict() {
	need_root || return
	have_tools || return
	local i n=${HOG_PAIRS:-4} bad=0 differ=0 x f rc notes="" hogs=() allow t0=$SECONDS
	allow=$((n / 20 > 1 ? n / 20 : 1))
	for ((i = 1; i <= n; i++)); do
		noise_run "$RUNS/h-a.json" 20 || { fail "pair $i: $why"; return; }
		hog
		noise_run "$RUNS/h-h.json" 20 || { unhog; fail "pair $i (hog): $why"; return; }
		unhog
		"$SLATRACE" diff "$RUNS/h-a.json" "$RUNS/h-h.json" --json >"$TMP/h.json" ||
			{ fail "pair $i: diff failed"; return; }
		x=$(jq '.test.series_not_comparable' "$TMP/h.json")
		if jq -e '.test.cpu_availability_differs' "$TMP/h.json" >/dev/null; then
			differ=$((differ + 1))
			"$SLATRACE" diff "$RUNS/h-a.json" "$RUNS/h-h.json" --fail-on 'p50 +10%' \
				>"$TMP/h.out" 2>"$TMP/h.err"
			rc=$?
			if [ "$x" -gt 0 ] &&
				{ [ $rc != 1 ] || [ "$(wc -l <"$TMP/h.err")" != 1 ] ||
					! grep -q "^error: cannot judge the gates on $x series: " "$TMP/h.err" ||
					! grep -q "^CPU AVAILABILITY DIFFERED: " "$TMP/h.out" ||
					[ "$(jq '[.series[] | select(.comparable | not) | select(.verdict != "unchanged")] | length' "$TMP/h.json")" != 0 ]; }; then
				fail "pair $i: $x series not comparable, but: exit $rc, $(cat "$TMP/h.err") $(grep -c . "$TMP/h.out") lines"
				return
			fi
		fi
		f=$(flagged "$TMP/h.json" | tr '\n' ' ')
		[ -n "$f" ] && bad=$((bad + 1))
		notes+=" $i: $(jq -r '.test | "wait per time on a CPU \(.target_wait_per_sched_in_ns_before // 0 | ./1000 | floor)us -> \(.target_wait_per_sched_in_ns_after // 0 | ./1000 | floor)us, run-queue wait \(.target_runq_wait_pct_before // 0 | floor)% -> \(.target_runq_wait_pct_after // 0 | floor)%"' "$TMP/h.json"), $x unjudged${f:+, flagged $f};"
	done
	echo "      CPU hog in one run of $n unchanged pairs: CPU availability differed in $differ," \
		"$bad flagged a route; $((SECONDS - t0))s;$notes"
	if [ $bad -le $allow ]; then
		pass "$differ of $n differed in CPU availability, $bad flagged"
	else
		fail "$bad of $n hog pairs flagged a route (at most $allow):$notes"
	fi
}

# Three runs a side: the run-to-run noise is measured and printed, a +15%
# /slow is still found and its p50 gate fires; three unchanged against three
# unchanged pass a p99 gate
t_several_runs_a_side_measure_the_noise_floor() {
	need_root || return
	have_tools || return
	local i rc try ok=""
	for try in 1 2 3; do
		for i in 1 2 3; do
			noise_run "$RUNS/m-a$i.json" 20 && noise_run "$RUNS/m-c$i.json" 20 &&
				noise_run "$RUNS/m-b$i.json" 23 || { fail "run $i: $why"; return; }
		done
		comparable "$RUNS"/m-a{1,2,3}.json -- "$RUNS"/m-c{1,2,3}.json &&
			comparable "$RUNS"/m-a{1,2,3}.json -- "$RUNS"/m-b{1,2,3}.json && { ok=1; break; }
	done
	[ -n "$ok" ] || { skip "no comparable sets of runs in 3 tries, the last: $why"; return; }
	"$SLATRACE" diff "$RUNS"/m-a{1,2,3}.json -- "$RUNS"/m-c{1,2,3}.json --fail-on 'p99 +10%' \
		--fail-on 'p50 +10%' >"$TMP/m.out" 2>"$TMP/m.err"
	rc=$?
	[ $rc = 0 ] || { fail "unchanged 3 -- 3: exit $rc: $(grep -v '^  ' "$TMP/m.out" | head -20 | tr '\n' ' ') $(cat "$TMP/m.err")"; return; }
	grep -q '^noise floor on this host: +-[0-9.]*% on the typical request .*3 runs before, 3 after' "$TMP/m.out" ||
		{ fail "no noise floor line: $(head -8 "$TMP/m.out")"; return; }
	"$SLATRACE" diff "$RUNS"/m-a{1,2,3}.json -- "$RUNS"/m-b{1,2,3}.json --fail-on 'p50 +10%' \
		--json >"$TMP/m.json"
	rc=$?
	[ $rc = 3 ] && [ "$(verdict "$TMP/m.json" /slow)" = slower ] ||
		{ fail "+15% 3 -- 3: exit $rc, /slow $(verdict "$TMP/m.json" /slow)"; return; }
	jq -e '.test.runs_before == 3 and .test.noise_floor_pct != null and
		([.series[] | .mde_pct] | all(. != null))' "$TMP/m.json" >/dev/null ||
		{ fail "the JSON lacks runs, noise floor or MDE"; return; }
	pass "$(grep '^noise floor' "$TMP/m.out"); /slow +15% found, gate fired"
}

run_tests
