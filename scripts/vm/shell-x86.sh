#!/bin/bash
# Boot the lab guest to an interactive busybox shell on the serial console
# (scenario "shell"). Quit QEMU with Ctrl-a x.
. "$(dirname "$0")/lib.sh"
pkgs=$("$SW_VM_DIR/fetch-x86.sh")
wedge=$("$SW_VM_DIR/build-wedge.sh" "$pkgs")
sw=${STOPWATCH_BIN:-$SW_TOP/build/x86_64/stopwatch}
if [ -x "$sw" ] && ! ldd "$sw" >/dev/null 2>&1; then
	initrd=$("$SW_VM_DIR/mkinitramfs-x86.sh" "$pkgs" "$wedge" "$sw")
else
	initrd=$("$SW_VM_DIR/mkinitramfs-x86.sh" "$pkgs" "$wedge")
fi
exec qemu-system-x86_64 -accel tcg -smp 4 -m 1G -nographic -net none \
	-kernel "$pkgs/root/boot/vmlinuz-$(cat "$pkgs/krel")" -initrd "$initrd" \
	-append "console=ttyS0 printk.devkmsg=on nmi_watchdog=0 panic=-1 mitigations=off crashkernel=256M retain_initrd sw.scenario=shell ${*}"
