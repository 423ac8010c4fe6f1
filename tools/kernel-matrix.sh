#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The kernel matrix (`make test-kernels`): boot each kernel of $KERNELS under
# qemu (software emulation, no KVM needed) with this host's root shared
# read-only under a tmpfs overlay, run the static slatrace's `check`
# and a reduced end-to-end set in it (tools/kernel-matrix-guest.sh), and
# print one table row per kernel and probe family. Exits 1 when a test
# failed, a kernel did not boot or its guest did not finish; 2 on bad usage.
#
# The host's root reaches the guest over 9p (virtio-9p, qemu's own server)
# where the kernel has 9p over virtio, as a module or built in; else over
# virtiofs where it has that (Debian's cloud flavour, linux-image-cloud-amd64,
# has no 9p): qemu then needs its guest memory shared (a memfd backend) with
# virtiofsd ($VIRTIOFSD, default Debian 12 qemu's /usr/lib/qemu/virtiofsd),
# which this script runs, as root, for each such guest. A kernel with
# neither fails with that said. A bzimage: without MODDIR is taken to have
# 9p built in.
#
# KERNELS is a space-separated list of
#   deb:PACKAGE[@SUITE]    a Debian kernel package (linux-image-6.1.0-NN-amd64,
#                          or the meta package linux-image-amd64: the one it
#                          depends on), fetched with apt-get download,
#                          unpacked with dpkg-deb -x (never installed); from
#                          this host's apt sources, or with @SUITE from that
#                          Debian suite (bullseye: Debian 11, Linux 5.10),
#                          read from deb.debian.org into a private apt state
#                          under $KERNEL_CACHE (the host's apt is not touched)
#   bzimage:IMAGE[:MODDIR] a kernel image of your own; MODDIR is its
#                          lib/modules/VERSION directory, needed unless 9p
#                          (or virtiofs), virtio-pci and overlayfs are built in
# Default: "deb:linux-image-amd64 deb:linux-image-amd64@bullseye
# deb:linux-image-cloud-amd64", Debian 12's stock kernel (6.1), Debian 11's
# (5.10, the oldest kernel line slatrace has a path for) and Debian 12's
# cloud flavour (6.1, what its AWS, GCP and Azure images run). Everything
# downloaded or built is cached under $KERNEL_CACHE
# (/var/cache/slatrace-kernels); serial logs go to
# $BUILD/kernel-matrix/. MATRIX_TIMEOUT (900) bounds one guest, in seconds;
# MATRIX_TESTS (family:file:t_name ...) replaces the guest's test list
# ("none": no tests); MATRIX_RUN (a script, from the repository root) is run
# in the guest after the tests, its output kept in the log (a benchmark
# that needs the guest's kernel: bench/req_hooks.sh);
# MATRIX_VERBOSE (family ...) has the guest also run a short
# `slatrace trace -v` of each of those families alone, libbpf's and the
# verifier's messages (their last 60 lines) kept in the log.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-build}
CACHE=${KERNEL_CACHE:-/var/cache/slatrace-kernels}
TIMEOUT=${MATRIX_TIMEOUT:-900}
STATIC_BIN=$ROOT/build/static/slatrace
VIRTIOFSD=${VIRTIOFSD:-/usr/lib/qemu/virtiofsd}
LOGDIR=$ROOT/$BUILD/kernel-matrix
GUEST=$ROOT/tools/kernel-matrix-guest.sh
FAMILIES="syscalls requests tcp signals"

die() {
	echo "kernel-matrix: $*" >&2
	exit 1
}

usage() {
	echo "kernel-matrix: $*" >&2
	exit 2
}

for c in qemu-system-x86_64 cpio depmod modprobe dpkg-deb jq; do
	command -v "$c" >/dev/null ||
		die "needs '$c': run 'tools/install-deps.sh kernels' as root (it installs qemu-system-x86, busybox-static, cpio, kmod)"
done
# the initramfs has no libraries: Debian's busybox-static, not busybox
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' ||
	die "needs busybox-static: run 'tools/install-deps.sh kernels' as root"
[ -x "$STATIC_BIN" ] || die "'$STATIC_BIN' was not built: run 'make static'"
[ "$(id -u)" = 0 ] || die "run as root: the guests run the end-to-end tests as root, from this host's root"
for b in tests/sysload tests/tcpload tests/sigsend tools/demo-server; do
	[ -x "$BUILD/$b" ] || die "'$BUILD/$b' was not built: run 'make all test-build'"
done

KERNELS=${KERNELS:-deb:linux-image-amd64 deb:linux-image-amd64@bullseye deb:linux-image-cloud-amd64}

# every entry is checked before the first boot: a typo fails at once
for spec in $KERNELS; do
	case $spec in
	deb:?*@ | deb:@*) usage "'$spec': deb:PACKAGE@SUITE needs both" ;;
	deb:?* | bzimage:?*) ;;
	*)
		usage "'$spec' is neither deb:PACKAGE[@SUITE] nor bzimage:IMAGE[:MODDIR]"
		;;
	esac
done

mkdir -p "$CACHE" "$LOGDIR"
# one matrix at a time on a host: two TCG guests would share its cores and
# its cache; a second run (another work tree's) waits for the first
exec 9>"$CACHE/.lock"
if ! flock -n 9; then
	echo "kernel-matrix: another kernel matrix is running; waiting for it" >&2
	flock 9
fi

# apt_suite SUITE: sets APT_OPTS to apt-get options that read Debian's
# SUITE (its main and security archives) from a private state under
# $CACHE/apt-SUITE, updated once a day
apt_suite() {
	local suite=$1 d=$CACHE/apt-$1
	mkdir -p "$d/lists/partial" "$d/archives/partial"
	cat >"$d/sources.list" <<-EOF
		deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main
		deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security $suite-security main
	EOF
	APT_OPTS=(-o "Dir::Etc::SourceList=$d/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=)
	if [ -z "$(find "$d/updated" -mmin -1440 2>/dev/null)" ]; then
		echo "kernel-matrix: reading Debian's $suite package lists" >&2
		apt-get "${APT_OPTS[@]}" update >"$d/update.log" 2>&1 ||
			die "apt-get update of Debian $suite failed: $(tail -1 "$d/update.log")"
		touch "$d/updated"
	fi
}

# deb_resolve PACKAGE[@SUITE]: the package itself, or the versioned kernel a
# meta package (linux-image-amd64) depends on
deb_resolve() {
	local pkg=${1%@*} suite="" opts=() dep
	[ "$1" != "$pkg" ] && suite=${1#*@}
	if [ -n "$suite" ]; then
		apt_suite "$suite"
		opts=("${APT_OPTS[@]}")
	fi
	case $pkg in
	linux-image-[0-9]*)
		echo "$pkg"
		return
		;;
	esac
	dep=$(apt-cache "${opts[@]}" depends "$pkg" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[ -n "$dep" ] || die "cannot name the kernel package $pkg${suite:+ of $suite} depends on (apt-get update first?); set KERNELS"
	echo "$dep"
}

# deb_kernel PACKAGE[@SUITE]: download and unpack PACKAGE once into
# $CACHE/deb-PACKAGE; sets KIMG and KMODS (its lib/modules/VERSION)
deb_kernel() {
	local pkg=${1%@*} suite="" opts=() dir deb
	[ "$1" != "$pkg" ] && suite=${1#*@}
	dir=$CACHE/deb-$pkg
	mkdir -p "$dir"
	deb=$(ls "$dir"/*.deb 2>/dev/null | head -1 || true)
	if [ -z "$deb" ]; then
		echo "kernel-matrix: fetching $pkg${suite:+ from Debian $suite}" >&2
		if [ -n "$suite" ]; then
			apt_suite "$suite"
			opts=("${APT_OPTS[@]}")
		fi
		(cd "$dir" && apt-get "${opts[@]}" download "$pkg" 2>&1 | grep -v 'unsandboxed' >&2) ||
			die "apt-get download $pkg failed"
		deb=$(ls "$dir"/*.deb 2>/dev/null | head -1 || true)
		[ -n "$deb" ] || die "apt-get download $pkg left no .deb in $dir"
	fi
	if [ ! -e "$dir/root/.unpacked" ]; then
		rm -rf "$dir/root"
		dpkg-deb -x "$deb" "$dir/root" || die "dpkg-deb -x $deb failed"
		touch "$dir/root/.unpacked"
	fi
	KIMG=$(ls "$dir"/root/boot/vmlinuz-* 2>/dev/null | head -1 || true)
	KMODS=$(ls -d "$dir"/root/lib/modules/* 2>/dev/null | head -1 || true)
	[ -r "$KIMG" ] && [ -d "$KMODS" ] || die "$pkg holds no boot/vmlinuz-* and lib/modules/*"
}

# kmods MODDIR KDIR: sets KROOT and KVER, where `depmod -b` and `modprobe -d`
# find MODDIR (KROOT/lib/modules/KVER), and indexes its modules: the
# unpacked package has that layout; an image's MODDIR is linked into one
# under KDIR
kmods() {
	local mods=$1
	KVER=$(basename "$mods")
	KROOT=$(dirname "$(dirname "$(dirname "$mods")")")
	if [ "$mods" != "$KROOT/lib/modules/$KVER" ]; then
		KROOT=$2/kroot
		mkdir -p "$KROOT/lib/modules"
		ln -sfn "$mods" "$KROOT/lib/modules/$KVER"
	fi
	depmod -b "$KROOT" "$KVER" || die "depmod -b $KROOT $KVER failed"
}

# has_mods MODULE...: whether $KMODS has every MODULE, as a module or built
# in (modules.builtin), with what they depend on
has_mods() {
	modprobe -d "$KROOT" -S "$KVER" --show-depends -a "$@" >/dev/null 2>&1
}

# initramfs OUT MODDIR FS: busybox, the modules that mount the host's root
# (9p or virtiofs, as FS says, over virtio-pci, and overlayfs) with what
# they depend on, and an init that mounts it, puts a tmpfs overlay on top
# and switches to it
initramfs() {
	local out=$1 mods=$2 fs=$3 d line m i=0 want
	d=$(mktemp -d /tmp/slatrace-initramfs.XXXXXX)
	IRD_TMP=$d
	mkdir -p "$d"/{bin,dev,proc,sys,lower,rw,newroot,modules}
	cp /bin/busybox "$d/bin/busybox"
	: >"$d/modules/order"
	if [ -n "$mods" ]; then
		case $fs in
		virtiofs) want="virtiofs overlay virtio_pci" ;;
		*) want="9pnet_virtio 9p overlay virtio_pci" ;;
		esac
		# shellcheck disable=SC2086
		modprobe -d "$KROOT" -S "$KVER" --show-depends -a $want \
			>"$d/deps" 2>&1 || die "modprobe --show-depends in $mods: $(cat "$d/deps")"
		while read -r line; do
			case $line in
			insmod\ *)
				m=$(awk '{ print $2 }' <<<"$line")
				grep -qxF "$(basename "$m")" <(sed 's/^[0-9]*-//' "$d/modules/order") && continue
				i=$((i + 1))
				cp "$m" "$d/modules/$i-$(basename "$m")"
				echo "$i-$(basename "$m")" >>"$d/modules/order"
				;;
			esac
		done <"$d/deps"
	fi
	cat >"$d/init" <<-'EOF'
		#!/bin/busybox sh
		/bin/busybox --install -s /bin
		mount -t proc proc /proc
		mount -t sysfs sysfs /sys
		mount -t devtmpfs devtmpfs /dev
		for m in $(cat /modules/order); do insmod /modules/$m || echo "initramfs: insmod $m failed"; done
		arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p"; }
		fs=$(arg slt_fs)
		# the virtio device may still be probing: a few tries
		for i in 1 2 3 4 5 6 7 8 9 10; do
			case $fs in
			virtiofs) mount -t virtiofs -o ro hostroot /lower 2>/dev/null && break ;;
			*) mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro hostroot /lower 2>/dev/null && break ;;
			esac
			sleep 0.5
		done
		if ! grep -q " /lower ${fs:-9p} " /proc/mounts; then
			echo "@@slt fatal cannot mount the host's root over ${fs:-9p}"
			poweroff -f
		fi
		mount -t tmpfs -o size=1536m tmpfs /rw
		mkdir /rw/upper /rw/work
		if ! mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot; then
			echo "@@slt fatal cannot mount the overlay on the host's root"
			poweroff -f
		fi
		mods=$(arg slt_modules)
		if [ -n "$mods" ]; then
			mkdir -p "/newroot/lib/modules/$(uname -r)"
			mount -o bind "/newroot$mods" "/newroot/lib/modules/$(uname -r)"
		fi
		guest=$(arg slt_guest)
		mount -o move /proc /newroot/proc
		mount -o move /sys /newroot/sys
		mount -o move /dev /newroot/dev
		exec switch_root /newroot /bin/bash -c \
			"bash $guest </dev/null; echo o >/proc/sysrq-trigger; sleep 30"
	EOF
	chmod +x "$d/init"
	(cd "$d" && find . -path ./deps -prune -o -print | cpio -o -H newc --quiet | gzip -1) >"$out.tmp"
	mv "$out.tmp" "$out"
	rm -rf "$d"
	IRD_TMP=""
}

# virtiofsd_start NAME: runs virtiofsd sharing / on a new socket (VFS_SOCK)
# for the guest NAME, its messages in $LOGDIR/NAME.virtiofsd.log; returns 1
# when it does not come up. Debian 12's virtiofsd (qemu 7.2's) has no
# read-only option: the guest mounts the share read-only and writes only
# to the tmpfs overlay above it, so the host's files are protected by the
# guest's mount, not by virtiofsd (qemu's 9p server, readonly=on, refuses
# writes itself). Sandboxed by chroot, which needs nothing beyond root,
# where its default (new mount, pid and net namespaces) needs a host that
# lets it create them, which a container may not.
virtiofsd_start() {
	local vlog=$LOGDIR/$1.virtiofsd.log i
	[ -x "$VIRTIOFSD" ] || {
		echo "kernel-matrix: $1 needs virtiofsd, and '$VIRTIOFSD' is not there (qemu-system-common of Debian 12 has it; set VIRTIOFSD)" >&2
		return 1
	}
	VFS_DIR=$(mktemp -d /tmp/slatrace-virtiofsd.XXXXXX)
	VFS_SOCK=$VFS_DIR/sock
	"$VIRTIOFSD" --socket-path="$VFS_SOCK" -o source=/ -o sandbox=chroot -o cache=always \
		</dev/null >"$vlog" 2>&1 &
	VFS_PID=$!
	for i in $(seq 50); do
		[ -S "$VFS_SOCK" ] && return 0
		kill -0 "$VFS_PID" 2>/dev/null || break
		sleep 0.2
	done
	echo "kernel-matrix: virtiofsd did not come up for $1: $(tail -1 "$vlog")" >&2
	virtiofsd_stop
	return 1
}

virtiofsd_stop() {
	if [ -n "${VFS_PID:-}" ]; then
		kill "$VFS_PID" 2>/dev/null || true
		wait "$VFS_PID" 2>/dev/null || true
	fi
	[ -z "${VFS_DIR:-}" ] || rm -rf "$VFS_DIR"
	VFS_PID=""
	VFS_DIR=""
}

# boot NAME IMAGE MODDIR INITRAMFS KCONFIG FS: run the guest; its serial
# output goes to $LOGDIR/NAME.log (and, one line a test, to stderr)
boot() {
	local name=$1 img=$2 mods=$3 ird=$4 cfg=$5 fs=$6 log=$LOGDIR/$1.log share
	local tests=${MATRIX_TESTS:-} verbose=${MATRIX_VERBOSE:-} run=${MATRIX_RUN:-}
	# shellcheck disable=SC2054 # qemu's commas, not array separators
	case $fs in
	virtiofs)
		if ! virtiofsd_start "$name"; then
			echo "@@slt fatal virtiofsd did not start (see $name.virtiofsd.log)" >"$log"
			return 0
		fi
		# vhost-user: virtiofsd reads the guest's memory, which must be
		# shared; as large as -m
		share=(-object memory-backend-memfd,id=mem,size=2G,share=on -numa node,memdev=mem
			-chardev "socket,id=char0,path=$VFS_SOCK"
			-device vhost-user-fs-pci,queue-size=1024,chardev=char0,tag=hostroot)
		;;
	*) share=(-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap) ;;
	esac
	echo "kernel-matrix: booting $name, the host's root over $fs (log: $log)" >&2
	timeout --foreground -k 10 "$TIMEOUT" qemu-system-x86_64 \
		-accel tcg,thread=multi -smp 2 -m 2G \
		-kernel "$img" -initrd "$ird" \
		-append "console=ttyS0 quiet loglevel=3 panic=-1 slt_guest=$GUEST slt_modules=$mods slt_config=$cfg slt_root=$ROOT slt_build=$BUILD slt_tests=${tests// /,} slt_verbose=${verbose// /,} slt_run=$run slt_fs=$fs" \
		"${share[@]}" \
		-display none -vga none -nic none -monitor none -serial stdio -no-reboot \
		</dev/null 2>&1 | sed -u 's/\r$//' | tee "$log" | grep --line-buffered -E '^@@slt (up|result|fatal)|^(ok|FAIL|skip) ' >&2 || true
	virtiofsd_stop
}

# wherever the script exits: no virtiofsd left running, no temporary files
cleanup() {
	virtiofsd_stop
	[ -z "${IRD_TMP:-}" ] || rm -rf "$IRD_TMP"
	rm -f "$table"
}
table=$(mktemp /tmp/slatrace-matrix.XXXXXX)
VFS_PID="" VFS_DIR="" IRD_TMP=""
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
bad=0
for spec in $KERNELS; do
	case $spec in
	deb:*)
		pkg=$(deb_resolve "${spec#deb:}")
		suite=""
		[[ $spec == *@* ]] && suite=@${spec#*@}
		deb_kernel "$pkg$suite"
		name=$pkg
		kind=deb
		kdir=$CACHE/deb-$name
		;;
	bzimage:*)
		rest=${spec#bzimage:}
		KIMG=${rest%%:*}
		KMODS=""
		[ "$rest" != "$KIMG" ] && KMODS=${rest#*:}
		[ -r "$KIMG" ] || usage "no kernel image '$KIMG'"
		[ -z "$KMODS" ] || [ -d "$KMODS" ] || usage "no modules directory '$KMODS'"
		name=$(basename "$KIMG")
		kind=bzimage
		kdir=$CACHE/bzimage-$(realpath "$KIMG" | md5sum | cut -c1-12)
		mkdir -p "$kdir"
		;;
	*) usage "'$spec' is neither deb:PACKAGE[@SUITE] nor bzimage:IMAGE[:MODDIR]" ;;
	esac
	# how the host's root reaches the guest: 9p where the kernel has it,
	# else virtiofs (see the top); without modules, what the kernel has
	# built in cannot be told: 9p, as ever
	fs=9p
	if [ -n "$KMODS" ]; then
		kmods "$KMODS" "$kdir"
		if has_mods 9pnet_virtio 9p; then
			fs=9p
		elif has_mods virtiofs; then
			fs=virtiofs
		else
			bad=1
			echo "kernel-matrix: $name: cannot share the host's root with it: it has neither 9p (9p, 9pnet_virtio) nor virtiofs, as modules in $KMODS or built in" >&2
			printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name ($kind)" - - - - "not booted: neither 9p nor virtiofs" >>"$table"
			continue
		fi
	fi
	ird=$kdir/initramfs-$fs.cpio.gz
	# rebuilt whenever this script (which writes its init) is newer
	[ -s "$ird" ] && [ "$ird" -nt "$0" ] || initramfs "$ird" "$KMODS" "$fs"
	t0=$(date +%s)
	# its kconfig, where a Debian system keeps it (/boot/config-VERSION):
	# libbpf reads CONFIG_* externs (tcp's CONFIG_HZ) from there
	kcfg=""
	[ "$kind" = deb ] && kcfg=$(ls "$kdir"/root/boot/config-* 2>/dev/null | head -1 || true)
	boot "$name" "$KIMG" "$KMODS" "$ird" "$kcfg" "$fs"
	secs=$(($(date +%s) - t0))
	log=$LOGDIR/$name.log
	kver=$(sed -n 's/^@@slt kernel //p' "$log" | head -1)
	kver="${kver:-$name} ($kind)"
	up=$(sed -n 's/^@@slt up //p' "$log" | head -1)
	cj=$(sed -n 's/^@@slt check-json //p' "$log" | head -1)
	if ! grep -q '^@@slt done' "$log"; then
		bad=1
		why=$(sed -n 's/^@@slt fatal //p' "$log" | head -1)
		echo "kernel-matrix: $name: the guest did not finish (${why:-see $log}) after ${secs}s" >&2
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$kver" - - - - "did not finish: ${why:-see log}" >>"$table"
		continue
	fi
	echo "kernel-matrix: $name: shell after ${up:-?}s of guest time, all done in ${secs}s" >&2
	for fam in $FAMILIES; do
		chk=$(jq -r --arg f "$fam" '.families[$f] | if . == null then "-" elif .ok then "yes"
			else "no (" + ((.missing // []) | join(",")) + ")" end' <<<"${cj:-null}" 2>/dev/null) || chk="-"
		path=$(jq -r --arg f "$fam" '.families[$f] | .path // .attach_path // "-" | tostring' <<<"${cj:-null}" 2>/dev/null) || path="-"
		p=$(grep -c "^@@slt result $fam [^ ]* pass$" "$log" || true)
		f=$(grep -c "^@@slt result $fam [^ ]* fail$" "$log" || true)
		s=$(grep -c "^@@slt result $fam [^ ]* skip$" "$log" || true)
		[ "$f" = 0 ] || bad=1
		names=$(awk -v f="$fam" '$1 == "@@slt" && $2 == "result" && $3 == f && $5 != "pass" { printf "%s%s %s", sep, $4, $5; sep = ", " }' "$log")
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$kver" "$fam" "$chk" "$path" "$p passed, $f failed, $s skipped" "${names:--}" >>"$table"
	done
done

echo
{
	printf 'kernel\tfamily\tcheck\tpath\ttests\tnot passed\n'
	cat "$table"
} | column -t -s "$(printf '\t')"
exit $bad
