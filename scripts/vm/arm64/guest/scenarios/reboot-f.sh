# reboot-f: wedge CPU 2 with DAIF masked, then reboot -f. kernel_restart()
# runs the reboot notifiers before machine_restart(): perf_reboot() makes a
# synchronous smp_call_function_single() to every online CPU and waits for the
# wedged one forever, so the stop ladder is never reached (any 6.12 kernel
# with PERF_EVENTS). This scenario documents that.
stopwatch_arm
wedge_cpu 2
kmsg "reboot -f"
reboot -f
sleep 60
kmsg "still alive after reboot -f"
