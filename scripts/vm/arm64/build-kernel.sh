#!/bin/bash
# Build the arm64 lab kernel, cached.
#   build-kernel.sh stock    -> 6.12 from linux-source-6.12, small lab config
#   build-kernel.sh series   -> same + patches/linux/*.patch (CONFIG_ARM_SDEI_NMI=y)
# Prints the output directory (Image, vmlinux, config, build -> tree) on stdout.
# Cache key: source package version, patches, config fragment, toolchain.
# The series build starts from a timestamp-preserving copy of the stock tree so
# that it is incremental.
. "$(dirname "$0")/lib.sh"

flavor=${1:-stock}
[[ $flavor == stock || $flavor == series ]] || die "usage: $0 stock|series"

frag=$ARM64_DIR/kernel.config
patches=()
if [[ $flavor == series ]]; then
	mapfile -t patches < <(ls "$REPO"/patches/linux/*.patch | sort)
fi

stock_key=$( { linux_src_version; cat "$frag"; toolchain_id; } | key_of)
if [[ $flavor == series ]]; then
	key=$( { echo "$stock_key"; cat "${patches[@]}"; } | key_of)
else
	key=$stock_key
fi
out=$CACHE/kernel/$flavor-$key
tree=$CACHE/tree/$flavor-$key

if [[ -f $out/Image && -f $out/vmlinux ]]; then
	log "kernel $flavor: cached ($out)"
	echo "$out"; exit 0
fi

t0=$(date +%s)
[[ -n ${SW_BUILT_LOG:-} ]] && echo "kernel-$flavor" >> "$SW_BUILT_LOG"	# test.sh: cold/warm summary
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
	if [[ $flavor == series ]]; then
		"$1"/scripts/config --file "$1/.config" --enable ARM_SDEI_NMI
	fi
	$NICE make -C "$1" -s ARCH=arm64 CROSS_COMPILE="$CROSS" olddefconfig
	# check that what we asked for stuck
	local miss=0 sym
	for sym in ARM_SDE_INTERFACE ARM64_PSEUDO_NMI DEBUG_INFO_BTF KPROBES KPROBE_EVENTS \
		   BPF_SYSCALL BPF_JIT FUNCTION_TRACER DYNAMIC_FTRACE LKDTM KEXEC_FILE \
		   CRASH_DUMP MODULES MAGIC_SYSRQ SERIAL_AMBA_PL011_CONSOLE RD_GZIP \
		   BLK_DEV_INITRD DEVTMPFS ARM_GIC_V3 ARM_PSCI_FW BPF_EVENTS; do
		grep -q "^CONFIG_$sym=y" "$1/.config" || { log "config: CONFIG_$sym not set"; miss=1; }
	done
	if [[ $flavor == series ]]; then
		grep -q '^CONFIG_ARM_SDEI_NMI=y' "$1/.config" || { log "config: CONFIG_ARM_SDEI_NMI not set"; miss=1; }
	fi
	[[ $miss == 0 ]] || die "config fragment did not stick"
}

if [[ ! -f $tree/.stopwatch-configured ]]; then
	rm -rf "$tree"
	if [[ $flavor == series ]]; then
		stock_tree=$CACHE/tree/stock-$stock_key
		if [[ ! -f $stock_tree/.stopwatch-built ]]; then
			log "series build wants the stock tree first (for an incremental build)"
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

log "building $flavor kernel in $tree (-j$JOBS, log: $tree/build.log)"
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
log "kernel $flavor built in $((t1 - t0)) s ($out)"
echo "$out"
