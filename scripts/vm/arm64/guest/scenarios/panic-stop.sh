# panic-stop: wedge CPU 2 with DAIF masked, then panic (sysrq c); panic()
# stops the other CPUs with the same ladder, without reboot notifiers.
# arm first: attaching probes patches kernel text with stop_machine(),
# which needs every CPU, the wedged one included
stopwatch_arm
wedge_cpu 2
kmsg "sysrq c"
echo c > /proc/sysrq-trigger
sleep 30
kmsg "still alive after panic"
