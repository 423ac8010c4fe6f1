#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Generates vmlinux/<arch>/vmlinux.h, the kernel type definitions the CO-RE
# BPF programs compile against, from the running kernel's BTF
# (/sys/kernel/btf/vmlinux) with bpftool. CO-RE relocates field offsets at
# load time, so the committed header also serves other kernels.
set -euo pipefail
arch=${1:-x86}
btf=${BTF:-/sys/kernel/btf/vmlinux}
out="$(dirname "$0")/../vmlinux/$arch/vmlinux.h"
[ -r "$btf" ] || { echo "gen-vmlinux: error: cannot read '$btf': kernel has no BTF" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
bpftool btf dump file "$btf" format c >"$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "gen-vmlinux: wrote $out ($(wc -l <"$out") lines)"
