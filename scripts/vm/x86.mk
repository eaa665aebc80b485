# x86_64 VM lab targets; -include'd by the top-level Makefile.
#   make vm-test-x86                   run the default x86 scenarios
#   make vm-test-x86 VM_X86_SCENARIOS="1 2 5"   run these (numbers or names)
#   make vm-test-x86-all               run every x86 scenario
#   make x86-lab-deps                  install the Debian packages the lab needs (root)
#   make x86-lab-shell                 boot the guest to a busybox shell (Ctrl-a x quits)
# Guest products (Debian kernel + headers, wedge.ko, initramfs) are cached
# under $(STOPWATCH_CACHE or ~/.cache/stopwatch)/x86, keyed by their inputs;
# outputs land in build/lab/x86/<NN-scenario>/<run>/. If
# build/x86_64/stopwatch (static) exists it goes into the guest as
# /bin/stopwatch; scenarios that need it fail without it.
X86_LAB_DIR := $(dir $(lastword $(MAKEFILE_LIST)))
# Every scenario passes today; they need build/x86_64/stopwatch (static).
VM_X86_SCENARIOS ?= 1 2 3 4 5 6 7

.PHONY: vm-test-x86 vm-test-x86-all x86-lab-deps x86-lab-shell

x86-lab-deps:
	scripts/deps.sh lab-x86

# the guest gets the current stopwatch; if it does not build, the scenarios
# that need it fail and the others still run
# (and the host's stopwatch-dynamic: it reads the kdump scenario's compressed dumps)
X86_LAB_STOPWATCH = @$(MAKE) -s ARCH=x86_64 stopwatch-static build/x86_64/stopwatch-dynamic || \
	echo "x86 lab: make stopwatch-static failed; scenarios that need stopwatch will fail" >&2

vm-test-x86:
	$(X86_LAB_STOPWATCH)
	@$(X86_LAB_DIR)test-x86.sh $(VM_X86_SCENARIOS)

vm-test-x86-all:
	$(X86_LAB_STOPWATCH)
	@$(X86_LAB_DIR)test-x86.sh

x86-lab-shell:
	@$(X86_LAB_DIR)shell-x86.sh
