#!/bin/bash
# Build an arm64 lab kernel, cached.
#   build-kernel.sh stock    -> 6.12 from linux-source-6.12, small lab config
#   build-kernel.sh series   -> same + patches/linux/*.patch, the v3/v4 shape of
#                               the SDEI NMI series (CONFIG_ARM_SDEI_NMI=y)
#   build-kernel.sh park     -> same + patches/linux-park/*.patch, the later
#                               "park" shape (docs/shapes.md)
#   build-kernel.sh FLAVOR nokexec
#                            -> FLAVOR with CONFIG_KEXEC_CORE=n (no kexec, no
#                               crash dump): a build-only check that the series'
#                               #ifdef CONFIG_KEXEC_CORE holds (make arm64-kexec-off)
#   build-kernel.sh FLAVOR big
#                            -> FLAVOR with NR_CPUS=512, for guests past 256
#                               CPUs (scenarios/arm64/big.sc, make vm-test-arm64-big)
# Prints the output directory (Image, vmlinux, config, build -> tree) on stdout.
# Cache key: source package version, patches, config fragment, toolchain, variant.
# A series build starts from a timestamp-preserving copy of the stock tree so
# that it is incremental.
. "$(dirname "$0")/lib.sh"

flavor=${1:-stock}
variant=${2:-}
[[ $flavor == stock || $flavor == series || $flavor == park ]] ||
	die "usage: $0 stock|series|park [nokexec]"
[[ -z $variant || $variant == nokexec || $variant == big ]] ||
	die "usage: $0 stock|series|park [nokexec|big]"

frag=$ARM64_DIR/kernel.config
patches=()
case $flavor in
series) mapfile -t patches < <(ls "$REPO"/patches/linux/*.patch | sort) ;;
park) mapfile -t patches < <(ls "$REPO"/patches/linux-park/*.patch | sort) ;;
esac
# what a nokexec build turns off, after the fragment: KEXEC_FILE and
# CRASH_DUMP are what select KEXEC_CORE in this config
NOKEXEC_ARGS=(--disable KEXEC_FILE --disable KEXEC --disable CRASH_DUMP --disable PROC_VMCORE)
# a big build: room for the largest guest QEMU's virt machine takes with GICv3,
# and idle CPUs without a tick: 260 vCPUs each taking 250 ticks a second kept
# both host CPUs busy, and the guest had not reached /init after 7 minutes
BIG_ARGS=(--set-val NR_CPUS 512 --disable HZ_PERIODIC --enable NO_HZ_IDLE
	  --disable HZ_250 --enable HZ_100)
variant_args=()
case $variant in
nokexec) variant_args=("${NOKEXEC_ARGS[@]}") ;;
big) variant_args=("${BIG_ARGS[@]}") ;;
esac

stock_key=$( { linux_src_version; cat "$frag"; toolchain_id; } | key_of)
key=$stock_key
if [[ $flavor != stock ]]; then
	key=$( { echo "$stock_key"; cat "${patches[@]}"; } | key_of)
fi
name=$flavor
if [[ -n $variant ]]; then
	key=$( { echo "$key"; echo "${variant_args[*]}"; } | key_of)
	name=$flavor-$variant
fi
out=$CACHE/kernel/$name-$key
tree=$CACHE/tree/$name-$key

if [[ -f $out/Image && -f $out/vmlinux ]]; then
	log "kernel $name: cached ($out)"
	echo "$out"; exit 0
fi

t0=$(date +%s)
[[ -n ${SW_BUILT_LOG:-} ]] && echo "kernel-$name" >> "$SW_BUILT_LOG"	# test.sh: cold/warm summary
mkdir -p "$CACHE/kernel" "$CACHE/tree"

mkconfig() {
	log "configuring $1 (allnoconfig + $frag)"
	$NICE make -C "$1" -s ARCH=arm64 CROSS_COMPILE="$CROSS" allnoconfig
	local args=()
	while read -r line; do
		line=${line%%#*}; [[ -z ${line// } ]] && continue
		# shellcheck disable=SC2206
		args+=($line)
	done < "$frag"
	"$1"/scripts/config --file "$1/.config" "${args[@]}"
	if [[ $flavor != stock ]]; then
		"$1"/scripts/config --file "$1/.config" --enable ARM_SDEI_NMI
	fi
	local want=(KEXEC_FILE CRASH_DUMP)
	[[ -n $variant ]] && "$1"/scripts/config --file "$1/.config" "${variant_args[@]}"
	[[ $variant == nokexec ]] && want=()
	$NICE make -C "$1" -s ARCH=arm64 CROSS_COMPILE="$CROSS" olddefconfig
	# check that what we asked for stuck
	local miss=0 sym
	for sym in ARM_SDE_INTERFACE ARM64_PSEUDO_NMI DEBUG_INFO_BTF KPROBES KPROBE_EVENTS \
		   BPF_SYSCALL BPF_JIT FUNCTION_TRACER DYNAMIC_FTRACE LKDTM "${want[@]}" \
		   MODULES MAGIC_SYSRQ SERIAL_AMBA_PL011_CONSOLE RD_GZIP \
		   BLK_DEV_INITRD DEVTMPFS ARM_GIC_V3 ARM_PSCI_FW BPF_EVENTS \
		   VIRTIO_MMIO NET_9P_VIRTIO 9P_FS; do
		grep -q "^CONFIG_$sym=y" "$1/.config" || { log "config: CONFIG_$sym not set"; miss=1; }
	done
	if [[ $flavor != stock ]]; then
		grep -q '^CONFIG_ARM_SDEI_NMI=y' "$1/.config" || { log "config: CONFIG_ARM_SDEI_NMI not set"; miss=1; }
	fi
	if [[ $variant == nokexec ]] && grep -q '^CONFIG_KEXEC_CORE=y' "$1/.config"; then
		log "config: CONFIG_KEXEC_CORE still set"; miss=1
	fi
	if [[ $variant == big ]] && ! grep -q '^CONFIG_NR_CPUS=512$' "$1/.config"; then
		log "config: CONFIG_NR_CPUS is not 512"; miss=1
	fi
	if [[ $variant == big ]] && ! grep -q '^CONFIG_NO_HZ_IDLE=y$' "$1/.config"; then
		log "config: CONFIG_NO_HZ_IDLE not set"; miss=1
	fi
	grep -q '^CONFIG_ARM64_VA_BITS=48$' "$1/.config" || { log "config: CONFIG_ARM64_VA_BITS is not 48"; miss=1; }
	[[ $miss == 0 ]] || die "config fragment did not stick"
}

if [[ ! -f $tree/.stopwatch-configured ]]; then
	rm -rf "$tree"
	if [[ $flavor != stock || -n $variant ]]; then
		stock_tree=$CACHE/tree/stock-$stock_key
		if [[ ! -f $stock_tree/.stopwatch-built ]]; then
			log "$name build wants the stock tree first (for an incremental build)"
			"$0" stock >/dev/null
		fi
		log "copying stock tree (timestamps kept) -> $tree"
		cp -a "$stock_tree" "$tree.tmp"
		rm -f "$tree.tmp/.stopwatch-built" "$tree.tmp/.stopwatch-configured"
		for p in "${patches[@]}"; do
			log "applying $(basename "$p")"
			patch -d "$tree.tmp" -p1 -s --no-backup-if-mismatch < "$p"
		done
		mv "$tree.tmp" "$tree"
		mkconfig "$tree"
	else
		src=$(linux_src_dir)
		log "copying pristine source $src -> $tree"
		cp -a "$src" "$tree.tmp"
		mv "$tree.tmp" "$tree"
		mkconfig "$tree"
	fi
	touch "$tree/.stopwatch-configured"
fi

log "building $name kernel in $tree (-j$JOBS, log: $tree/build.log)"
if ! $NICE make -C "$tree" ARCH=arm64 CROSS_COMPILE="$CROSS" -j"$JOBS" Image modules \
	> "$tree/build.log" 2>&1; then
	tail -40 "$tree/build.log" >&2
	die "kernel build failed ($tree/build.log)"
fi
touch "$tree/.stopwatch-built"
mkdir -p "$out.tmp"
cp "$tree/arch/arm64/boot/Image" "$tree/vmlinux" "$tree/System.map" "$out.tmp/"
cp "$tree/.config" "$out.tmp/config"
ln -sfn "$tree" "$out.tmp/build"
rm -rf "$out"; mv "$out.tmp" "$out"
t1=$(date +%s)
log "kernel $name built in $((t1 - t0)) s ($out)"
echo "$out"
