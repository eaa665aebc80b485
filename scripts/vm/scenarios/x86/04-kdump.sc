# Scenario 4: kdump. crashkernel= reserves memory, kexec -p loads this same
# kernel and initramfs (kept by retain_initrd) as the capture kernel, with
# stopwatch.pfn= from the locator; the panic runs x86's crash stop (NMI
# shootdown, nmi_shootdown_cpus), the capture kernel runs
# stopwatch recover --vmcore /proc/vmcore --format json and prints the
# record on the console, then saves the crash to the host over 9p as fleets
# keep it (vmcore.elf, kdump-tools' makedumpfile -F -c -d 31, RHEL's -l -d 31:
# save_dumps in guest.sh), where the host's stopwatch reads each, and
# makedumpfile's own dumps of vmcore.elf, to the same record (dumps_agree);
# every CPU's registers are in the dump, the NMI-stopped CPU 2's with
# interrupts masked at the wedge.
# Runs: armed, armed with CPU 2 wedged, and plain (unarmed, for the time from
# panic to the capture kernel without the tool; it saves no dumps, which
# took 88 s of its 110 under TCG).
# runs: plain armed armed-wedge
# needs: stopwatch
# append: crashkernel=256M retain_initrd
# share: armed armed-wedge
# timeout: 360

guest() {
	_pfn=
	case $SW_RUN in
	armed*)
		arm || return 1
		_pfn=$(sed -n 's/^locator: pfn=\([0-9]*\).*/stopwatch.pfn=\1/p' /tmp/emit.out)
		;;
	esac
	load_crash_kernel $_pfn || return 1
	case $SW_RUN in
	*-wedge) wedge 2 now || return 1 ;;
	esac
	do_panic
}

# host time from the panic to the capture kernel's first line
to_capture() {
	secs "$(htime "$1" 'Kernel panic - not syncing')" "$(htime "$1" 'SWLAB: init: .*capture=1')"
}

check() {
	local r
	for r in plain armed armed-wedge; do
		stopped $r || return
		expect $r 'SWLAB: kdump: capture kernel loaded' 'capture kernel loaded' || return
		expect $r 'Kernel panic - not syncing: sysrq triggered crash' || return
		expect $r 'SWLAB: init: .*capture=1' 'capture kernel reached init' || return
		expect $r 'SWLAB: capture kernel done' || return
	done
	for r in armed armed-wedge; do
		expect $r 'SWRC arm: 0' 'stopwatch arm exit 0' || return
		expect $r 'SWRC recover: 0' 'stopwatch recover exit 0 in the capture kernel' || return
		[ "$(rec $r 'r["kind"]')" = crash ] || fail "$r: record kind '$(rec $r 'r["kind"]')', not crash" || return
		[ "$(rec $r 'r["source"]')" = vmcore ] || fail "$r: record source '$(rec $r 'r["source"]')'" || return
	done
	[ "$(rec armed 'sorted([c["cpu"] for c in r["cpus"] if c["rung"] != "none"] + [r["initiator"]]) == [0, 1, 2, 3]')" = True ] ||
		fail "armed: not every other CPU stopped: $(rec armed 'r["cpus"]')" || return
	[ "$(rec armed-wedge '[c["rung"] for c in r["cpus"] if c["cpu"] == 2]')" = '["nmi"]' ] ||
		fail "armed-wedge: CPU 2 not stopped by NMI: $(rec armed-wedge 'r["cpus"]')" || return
	# the crash stop sends NMIs at once (nmi_shootdown_cpus): no rung to escalate from
	timing armed || return
	timing armed-wedge || return
	dumps_agree armed || return
	dumps_agree armed-wedge || return
	# every CPU saved its registers in the crash; the NMI-stopped one with interrupts masked
	[ "$(rec armed 'all(isinstance(c["dump_regs"], dict) for c in r["cpus"])')" = True ] ||
		fail "armed: a CPU's registers missing from the dump: $(rec armed 'r["cpus"]')" || return
	[ "$(rec armed-wedge '[c["dump_regs"]["irqs"] for c in r["cpus"] if c["cpu"] == 2]')" = '["masked"]' ] ||
		fail "armed-wedge: CPU 2 (NMI-stopped) registers not in the dump with irqs masked: $(rec armed-wedge 'r["cpus"]')" || return
	note "armed-wedge CPU 2 registers in the dump: $(rec armed-wedge '[c["dump_regs"] for c in r["cpus"] if c["cpu"] == 2][0]')"
	note "panic to capture kernel: $(to_capture plain) s plain, $(to_capture armed) s armed, $(to_capture armed-wedge) s armed+wedged"
	note "record: crash stop $(rec armed 'r["duration_us"]') us, wedged $(rec armed-wedge 'r["duration_us"]') us"
}
