# reboot-stop: wedge CPU 2 with DAIF masked, then reboot -f. The stop ladder
# runs in machine_restart(); with the series its SDEI rung stops CPU 2.
# arm first: attaching probes patches kernel text with stop_machine(),
# which needs every CPU, the wedged one included
stopwatch_arm
wedge_cpu 2
kmsg "reboot -f"
reboot -f
sleep 30
kmsg "still alive after reboot -f"
