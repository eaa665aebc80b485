# Scenario 5: the same guest with no stopwatch: what the console alone
# shows of a stop. "Shutting down cpus with NMI" appears only when a CPU
# ignores the stop IPI (here CPU 2 spinning with interrupts disabled).
# runs: reboot reboot-wedge panic panic-wedge
# timeout: 90

guest() {
	case $SW_RUN in
	reboot) do_reboot ;;
	reboot-wedge) wedge 2 shutdown && do_reboot ;;
	panic) do_panic ;;
	panic-wedge) wedge 2 now && do_panic ;;
	esac
}

check() {
	local r
	for r in reboot reboot-wedge panic panic-wedge; do
		expect $r 'SWLAB: init: scenario=' 'init marker' || return
		stopped $r || return
	done
	expect reboot 'reboot: Restarting system' || return
	expect_not reboot 'Shutting down cpus with NMI' || return
	expect reboot-wedge 'wedge: CPU 2 spinning with interrupts disabled' || return
	expect reboot-wedge 'Shutting down cpus with NMI' || return
	expect panic 'Kernel panic - not syncing: sysrq triggered crash' || return
	expect_not panic 'Shutting down cpus with NMI' || return
	expect panic-wedge 'wedge: CPU 2 spinning with interrupts disabled' || return
	expect panic-wedge 'Kernel panic - not syncing: sysrq triggered crash' || return
	expect panic-wedge 'Shutting down cpus with NMI' || return
	note "reboot stop $(stop_time reboot) s, wedged $(stop_time reboot-wedge) s (NMI after $(nmi_after reboot-wedge) s)"
	note "panic stop $(stop_time panic) s, wedged $(stop_time panic-wedge) s (NMI after $(nmi_after panic-wedge) s)"
}
