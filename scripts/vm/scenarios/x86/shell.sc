# Not a test: an interactive shell for poking at the guest (make x86-lab-shell).
# Helpers from /lab/guest.sh are loaded: mark, wedge CPU [now|shutdown],
# arm, emit, load_crash_kernel, do_reboot, do_panic.
guest() {
	mark "shell: helpers from /lab/guest.sh are loaded"
	ENV=/lab/guest.sh setsid cttyhack sh
}
