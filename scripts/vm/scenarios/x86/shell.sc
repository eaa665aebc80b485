# Interactive/debug scenario: boot, print facts, power off.
# runs: boot
guest() {
	uname -a
	cat /proc/cmdline
	ls /sys/kernel/btf/vmlinux && mark "btf ok"
	wedge 2 shutdown
	sleep 1
	mark "still alive with cpu 2 wedged"
	do_reboot
}
