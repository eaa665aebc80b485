# sysrq-backtrace: wedge CPU 2 with DAIF masked, then ask all CPUs for a
# backtrace; with the series, CPU 2's comes through SDEI event 0.
# arm first: attaching probes patches kernel text with stop_machine(),
# which needs every CPU, the wedged one included
stopwatch_arm
wedge_cpu 2
kmsg "sysrq l"
echo l > /proc/sysrq-trigger
sleep 2
kmsg "sysrq l returned"
stopwatch_dump
