# Helpers for scenario scripts, inside the guest (busybox sh).

# mark TEXT: a marker on the console through printk, with the kernel's
# timestamp; /dev/kmsg lines survive a reset that follows at once, lines
# written to the console by user space may not.
mark() {
	echo "SWLAB: $*" > /dev/kmsg
}

have_stopwatch() {
	[ -x /bin/stopwatch ]
}

# emit TAG CMD...: run CMD, copy its output to the console as
# "SWOUT TAG: line" and its exit code as "SWRC TAG: N". Returns CMD's code.
# Lines go through /dev/kmsg (whole lines, never cut by kernel messages as
# user-space console writes can be); only lines too long for a printk
# record are written to the console directly, between pauses.
emit() {
	_tag=$1
	shift
	"$@" > /tmp/emit.out 2>&1
	_rc=$?
	while IFS= read -r _l; do
		if [ ${#_l} -le 960 ]; then
			echo "SWOUT $_tag: $_l" > /dev/kmsg
		else
			sleep 0.2
			echo "SWOUT $_tag: $_l"
			sleep 0.2
		fi
	done < /tmp/emit.out
	echo "SWRC $_tag: $_rc" > /dev/kmsg
	return $_rc
}

# arm: stopwatch arm, its output (with the locator line) on the console.
# arm64: then let deferred work settle before a CPU is wedged: the BPF
# programs the loader frees on exit go through bpf_jit_free() -> text poke
# -> kick_all_cpus_sync(), an IPI to every CPU that a wedged CPU never
# answers (seen: the guest hung there).
arm() {
	emit arm stopwatch arm "$@"
	_rc=$?
	[ "$(uname -m)" = aarch64 ] && sleep 3
	return $_rc
}

# wedge CPU [now|shutdown] [daif]: spin CPU with interrupts disabled
# (tests/module/wedge.ko), now or at the end of a reboot; "daif" (arm64)
# masks all of DAIF, so that not even a pseudo-NMI reaches it.
# Tasks queued on that CPU would never run again: init, this shell (and
# so every later child) and every other task are first kept off it.
# live_started PATTERN ARGS...: run `stopwatch ARGS` in the background into
# /tmp/live.out and wait until PATTERN shows there, then 3 s more: attaching
# patches kernel text with stop_machine(), which a CPU wedged too early hangs
live_started() {
	_pat=$1
	shift
	stopwatch "$@" > /tmp/live.out 2>&1 &
	_i=0
	while ! grep -q "$_pat" /tmp/live.out; do
		_i=$((_i + 1))
		[ $_i -gt 120 ] && { emit live cat /tmp/live.out; mark "live: never started"; return 1; }
		sleep 1
	done
	sleep 3
}

wedge() {
	_n=$(grep -c ^processor /proc/cpuinfo)
	# every CPU but $1, as a list: a shell's mask arithmetic ends at 64 CPUs
	_m=
	[ "$1" -gt 0 ] && _m=0-$(($1 - 1))
	[ "$1" -lt $((_n - 1)) ] && _m=${_m:+$_m,}$(($1 + 1))-$((_n - 1))
	taskset -p -c "$_m" 1 >/dev/null && taskset -p -c "$_m" $$ >/dev/null ||
		{ mark "wedge: taskset failed"; return 1; }
	# and every other user task, e.g. a stopwatch live in the background
	# (per-CPU kernel threads refuse, which is fine)
	for _p in /proc/[0-9]*; do
		taskset -p -c "$_m" "${_p#/proc/}" >/dev/null 2>&1
	done
	_all=0
	[ "${3:-}" = daif ] && _all=1
	insmod /lib/modules/wedge.ko cpu="$1" mask_all=$_all || { mark "wedge: insmod failed"; return 1; }
	# The kernel frees a module's init sections after an RCU grace period,
	# with a TLB flush IPI to every CPU: were CPU $1 wedged by then, that
	# flush would spin forever on CPU 0, where reboot moves itself (seen: a
	# hung reboot). Let it happen first.
	sleep 2
	if ! echo "${2:-now}" > /sys/module/wedge/parameters/trigger; then
		mark "wedge: trigger failed"
		return 1
	fi
	mark "wedge cpu $1 ${2:-now} ${3:-irq}: $(cat /sys/module/wedge/parameters/trigger)"
}

# load_crash_kernel [EXTRA_CMDLINE]: kexec -p this kernel and this initramfs
# (kept by retain_initrd) as the kdump capture kernel, with SW_CAPTURE_CPUS
# CPUs (default 1, as kdump-tools boots it). x86_64 uses kexec-tools, arm64
# kexec-file-load (see scripts/vm/arm64/kexec-file-load.c).
load_crash_kernel() {
	cp /sys/firmware/initrd /tmp/initrd.img || { mark "kdump: no /sys/firmware/initrd (retain_initrd?)"; return 1; }
	_con=$(tr ' ' '\n' < /proc/cmdline | grep '^console=' | tail -1)
	_cl="$_con printk.time=1 printk.devkmsg=on nmi_watchdog=0 panic=-1 nr_cpus=${SW_CAPTURE_CPUS:-1} irqpoll reset_devices sw.scenario=$SW_SCENARIO sw.run=$SW_RUN $*"
	if [ -x /sbin/kexec ]; then
		kexec -p /boot/vmlinuz --initrd=/tmp/initrd.img --append="$_cl"
	else
		kexec-file-load -p /boot/vmlinuz /tmp/initrd.img "$_cl"
	fi
	if [ $? = 0 ]; then
		mark "kdump: capture kernel loaded ($(cat /sys/kernel/kexec_crash_loaded))"
	else
		mark "kdump: kexec -p failed"
		return 1
	fi
}

# trace_previous_boot: for the warm-reboot scenarios (docs/trace.md). In the
# boot after the warm reboot, instance "stopwatch" holds the previous boot's
# lines: print its last_boot_info (tlast) and the kernel's text of it (tshow),
# then stopwatch recover --trace (trec; it consumes the buffer), and return 0.
# In the first boot, say whether the instance is there and return 1.
trace_previous_boot() {
	_ti=/sys/kernel/tracing/instances/stopwatch
	if ! { [ -d "$_ti" ] && grep -q 'stopwatch: ' "$_ti/trace"; }; then
		mark "first boot: trace instance $([ -d "$_ti" ] && echo present || echo absent)"
		return 1
	fi
	mark "warm boot: the trace instance holds the previous boot's lines"
	emit tlast cat "$_ti/last_boot_info"
	emit tshow cat "$_ti/trace"
	emit trec stopwatch recover --trace --events --format json
	return 0
}

# do_reboot / do_panic: the stop under test, announced on the console.
# In a kdump capture kernel init calls capture() instead of guest(): this
# one, unless the scenario defines its own. It reads the crash's record
# from /proc/vmcore when the crashed kernel passed stopwatch.pfn= on.
capture() {
	mark "capture kernel: vmcore $(ls -l /proc/vmcore | awk "{print \$5}") bytes"
	if have_stopwatch && grep -q stopwatch.pfn= /proc/cmdline; then
		emit recover stopwatch recover --vmcore /proc/vmcore --format json
	fi
	save_dumps
	mark "capture kernel done"
	reboot -f
}

# save_dumps: when the host shares a directory over 9p (qemu-run.py --share),
# save the crash there as fleets do: /proc/vmcore as vmcore.elf, Debian
# kdump-tools' makedumpfile -F -c -d 31 as dump.flat, RHEL's makedumpfile -l
# -d 31 as dump.lzo. Each step's exit code goes to the console
# ("SWRC save-NAME: N"), makedumpfile's messages to NAME.log there.
# 9p: Debian's x86 kernel has it as modules (in the initramfs), the arm64
# lab kernel built in; without a share the mount fails and nothing is saved.
save_dumps() {
	if [ -d /lib/modules/9p ]; then
		for _m in netfs 9pnet 9pnet_virtio 9p; do
			insmod /lib/modules/9p/$_m.ko 2>/dev/null
		done
	fi
	mkdir -p /mnt/share
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 swshare /mnt/share 2>/dev/null ||
		{ mark "save: no 9p share"; return 0; }
	_s=/mnt/share
	cp /proc/vmcore $_s/vmcore.elf
	echo "SWRC save-elf: $?" > /dev/kmsg
	makedumpfile -F -c -d 31 /proc/vmcore > $_s/dump.flat 2> $_s/dump.flat.log
	echo "SWRC save-flat: $?" > /dev/kmsg
	makedumpfile -l -d 31 /proc/vmcore $_s/dump.lzo > $_s/dump.lzo.log 2>&1
	echo "SWRC save-lzo: $?" > /dev/kmsg
	sync
	umount $_s
	mark "save: $(cd /proc && ls -l vmcore | awk "{print \$5}") bytes saved three ways"
}

do_reboot() {
	mark "action: reboot -f"
	reboot -f
	sleep 30
}

# do_sysrq_reboot: emergency restart (machine_restart() at once, no reboot
# notifiers). With a wedged CPU, reboot -f hangs before the stop on arm64:
# the perf reboot notifier waits for a function call on every CPU.
do_sysrq_reboot() {
	mark "action: sysrq b"
	echo b > /proc/sysrq-trigger
	sleep 30
}

# panic_pair A B [MS]: CPUs A and B call panic() at once, or B MS ms after A,
# both with interrupts off (wedge.ko, loaded by an earlier `wedge`): one
# wins, the other stops itself (the self rung)
panic_pair() {
	mark "action: parallel panic on CPUs $1 and $2${3:+, $2 $3 ms later}"
	echo "$1,$2${3:+,$3}" > /sys/module/wedge/parameters/panic_pair || { mark "panic_pair: write failed"; return 1; }
	sleep 30
}

do_panic() {
	mark "action: sysrq c"
	echo c > /proc/sysrq-trigger
	sleep 30
}
