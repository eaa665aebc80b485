# restart-stop: wedge CPU 2 with DAIF masked, then emergency restart (sysrq b):
# machine_restart() runs the stop ladder straight away (no reboot notifiers);
# with the series its SDEI rung stops CPU 2, and the guest resets.
# arm first: attaching probes patches kernel text with stop_machine(),
# which needs every CPU, the wedged one included
stopwatch_arm
wedge_cpu 2
kmsg "sysrq b"
echo b > /proc/sysrq-trigger
sleep 30
kmsg "still alive after sysrq b"
