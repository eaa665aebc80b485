# sysrq-backtrace: wedge CPU 2 with DAIF masked, then ask all CPUs for a
# backtrace; with the series, CPU 2's comes through SDEI event 0.
wedge_cpu 2
stopwatch_arm
kmsg "sysrq l"
echo l > /proc/sysrq-trigger
sleep 2
kmsg "sysrq l returned"
