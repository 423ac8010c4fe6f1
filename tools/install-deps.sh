#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Install everything slatrace needs to build, run and test, from Debian's
# packages. Idempotent: exits early when every package is already present.
# `install-deps.sh kernels` installs instead what `make test-kernels` alone
# needs (qemu, a static busybox for its initramfs, cpio, depmod), so that
# `make test` and its CI stay lean. `make static` needs nothing more than
# the default set: Debian's -dev packages ship the .a files and libc6-dev
# the static glibc.
set -euo pipefail

# build: compiler for BPF and userspace, skeleton generator, libraries
# run/test: the workload peers the end-to-end tests and benchmarks drive
PKGS=(
	clang llvm gcc make pkg-config
	libbpf-dev bpftool libelf-dev zlib1g-dev libjson-c-dev
	libclang-rt-14-dev
	iproute2 procps util-linux
	nginx-light wrk redis-server postgresql postgresql-contrib
	bpftrace libbpf-tools strace jq curl coreutils time python3
)
case "${1:-}" in
'') ;;
kernels) PKGS=(qemu-system-x86 busybox-static cpio kmod) ;;
*)
	echo "install-deps: unknown set '$1' (known: kernels)" >&2
	exit 2
	;;
esac

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#PKGS[@]} packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root to install them" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d keeps the packaged services (nginx, redis, postgres) from
# starting system-wide: tests start their own instances on their own ports.
prc=/usr/sbin/policy-rc.d
had_prc=0
[ -e "$prc" ] && had_prc=1
if [ $had_prc -eq 0 ]; then
	printf '#!/bin/sh\nexit 101\n' >"$prc"
	chmod +x "$prc"
fi
rc=0
apt-get install -y -qq --no-install-recommends "${missing[@]}" || rc=$?
[ $had_prc -eq 0 ] && rm -f "$prc"
exit $rc
