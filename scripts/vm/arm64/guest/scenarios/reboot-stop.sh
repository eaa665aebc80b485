# reboot-stop: wedge CPU 2 with DAIF masked, then reboot -f. The stop ladder
# runs in machine_restart(); with the series its SDEI rung stops CPU 2.
wedge_cpu 2
stopwatch_arm
kmsg "reboot -f"
reboot -f
sleep 30
kmsg "still alive after reboot -f"
