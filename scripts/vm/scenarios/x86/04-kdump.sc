# Scenario 4: kdump. crashkernel= reserves memory, kexec -p loads this same
# kernel and initramfs (kept by retain_initrd) as the capture kernel, with
# stopwatch.pfn= from the locator; the panic runs x86's crash stop (NMI
# shootdown, nmi_shootdown_cpus), the capture kernel runs
# stopwatch recover --vmcore /proc/vmcore --format json and prints the
# record on the console. Runs: armed, armed with CPU 2 wedged, and plain
# (unarmed, for the time from panic to the capture kernel without the tool).
# runs: plain armed armed-wedge
# needs: stopwatch
# append: crashkernel=256M retain_initrd
# timeout: 240

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
	[ "$(rec armed 'sorted([c["cpu"] for c in r["cpus"]] + [r["initiator"]]) == [0, 1, 2, 3]')" = True ] ||
		fail "armed: not every other CPU stopped: $(rec armed 'r["cpus"]')" || return
	[ "$(rec armed-wedge '[c["rung"] for c in r["cpus"] if c["cpu"] == 2]')" = '["nmi"]' ] ||
		fail "armed-wedge: CPU 2 not stopped by NMI: $(rec armed-wedge 'r["cpus"]')" || return
	# the crash stop sends NMIs at once (nmi_shootdown_cpus): no rung to escalate from
	timing armed || return
	timing armed-wedge || return
	note "panic to capture kernel: $(to_capture plain) s plain, $(to_capture armed) s armed, $(to_capture armed-wedge) s armed+wedged"
	note "record: crash stop $(rec armed 'r["duration_us"]') us, wedged $(rec armed-wedge 'r["duration_us"]') us"
}
