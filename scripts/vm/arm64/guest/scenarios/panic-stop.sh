# panic-stop: wedge CPU 2 with DAIF masked, then panic (sysrq c); panic()
# stops the other CPUs with the same ladder, without reboot notifiers.
wedge_cpu 2
stopwatch_arm
kmsg "sysrq c"
echo c > /proc/sysrq-trigger
sleep 30
kmsg "still alive after panic"
