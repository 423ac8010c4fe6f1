# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The instructions of a BPF object that a kernel before 5.12 refuses in a
# program, dead code or not: its verifier's first pass (resolve_pseudo_ldimm64
# in 5.10) turns away any BPF_STX whose mode is neither MEM nor XADD, or
# whose imm is not 0 ("BPF_STX uses reserved fields"), which is every atomic
# but an add whose result is unused (fetch-and-add, xchg, cmpxchg, or, and,
# xor). Looked for in the programs named and in every subprogram they reach,
# as libbpf links them: calls, and callbacks (bpf_for_each_map_elem's),
# into .text.
#
#   llvm-objdump -t OBJ >syms; llvm-objdump -dr OBJ >dis
#   awk -v progs="prog ..." -f stx_reserved.awk syms dis
#
# prints "reached FUNCTION" for each function looked at, and "refused
# FUNCTION SECTION INDEX INSTRUCTION" for each such instruction.

# a hex string's value (POSIX awk: no strtonum)
function hex(h,    v, i) {
	v = 0
	for (i = 1; i <= length(h); i++)
		v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
	return v
}

# the function of section s that holds instruction i, or ""
function func_at(s, i,    f) {
	for (f in fsec)
		if (fsec[f] == s && i >= fstart[f] && i < fend[f])
			return f
	return ""
}

function reach(f) {
	if (f != "" && !(f in seen)) {
		seen[f] = 1
		queue[++nq] = f
	}
}

# the symbol table: "ADDR l|g F SECTION SIZE NAME"
FNR == NR {
	if ($3 == "F" && NF >= 6) {
		fsec[$6] = $4
		fstart[$6] = hex($1) / 8
		fend[$6] = fstart[$6] + hex($5) / 8
	}
	next
}

/^Disassembly of section / {
	sec = $4
	sub(/:$/, "", sec)
	next
}

# a relocation, for the instruction before it
/^[ \t]+[0-9a-f]+:  *R_BPF_/ {
	rel[sec, last] = $3
	next
}

/^ *[0-9]+:\t/ {
	last = $1 + 0
	code[sec, last] = hex($2)
	regs[sec, last] = hex($3)
	# code, registers, offset (2 bytes), imm (4, little-endian)
	imm = hex($6) + hex($7) * 256 + hex($8) * 65536 + hex($9) * 16777216
	if (imm >= 2147483648)
		imm -= 4294967296
	imms[sec, last] = imm
	text = $0
	sub(/^ *[0-9]+:\t([0-9a-f][0-9a-f][ \t])+[ \t]*/, "", text)
	insn[sec, last] = text
}

END {
	n = split(progs, p, " ")
	for (k = 1; k <= n; k++) {
		if (!(p[k] in fsec)) {
			print "missing " p[k]
			continue
		}
		reach(p[k])
	}
	for (q = 1; q <= nq; q++) {
		f = queue[q]
		s = fsec[f]
		print "reached " f
		for (i = fstart[f]; i < fend[f]; i++) {
			if (!((s, i) in code))
				continue
			c = code[s, i]
			src = int(regs[s, i] / 16)
			# class STX (3): mode MEM (0x60) or XADD/ATOMIC (0xc0), imm 0
			if (c % 8 == 3 && ((c - c % 32) % 256 != 96 && (c - c % 32) % 256 != 192 ||
					   imms[s, i] != 0))
				print "refused " f " " s " " i " " insn[s, i]
			r = ((s, i) in rel) ? rel[s, i] : ""
			if (r == ".text") {
				# a call, against the section: imm + 1 into it; else
				# a callback's address, in bytes
				if (c == 133)
					reach(func_at(".text", imms[s, i] + 1))
				else
					reach(func_at(".text", int(imms[s, i] / 8)))
			} else if (r != "" && (r in fsec)) {
				reach(r)
			} else if (r == "" && c == 133 && src == 1) {
				reach(func_at(s, i + imms[s, i] + 1))
			}
		}
	}
}
