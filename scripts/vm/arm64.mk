# arm64 SDEI lab targets; -include'd by the top-level Makefile.
#   make vm-test-arm64        run the arm64 scenarios (builds what is missing)
#   make vm-test-arm64 VM_ARM64_SCENARIOS="2 4"   run these (numbers or names)
#   make vm-test-arm64-big    the big guest: 260 CPUs on v4 built for 512, on
#                             QEMU's PSCI (scenarios/arm64/big.sc; minutes,
#                             not part of make check)
#   make arm64-kexec-off      build-only: both series shapes with KEXEC_CORE=n
#                             (not part of make check or the scenarios)
#   make demo                 boot the series kernel, wedge a CPU, reboot,
#                             print the recovered stop record and histograms
#   make arm64-lab-deps       install the Debian packages the lab needs (root)
#   make arm64-lab-firmware   TF-A 2.8 + SDEI port -> flash image
#   make arm64-lab-kernels    stock 6.12, 6.12 + patches/linux (v4) and
#                             6.12 + patches/linux-park (park), cached
# Outputs are cached under $(STOPWATCH_CACHE or ~/.cache/stopwatch)/arm64;
# run outputs land in build/lab/arm64/<NN-scenario>/<run>/. The guest gets
# build/arm64/stopwatch (static); the host reads records with
# build/x86_64/stopwatch.
ARM64_LAB_DIR := $(dir $(lastword $(MAKEFILE_LIST)))arm64
VM_ARM64_SCENARIOS ?=

.PHONY: vm-test-arm64 vm-test-arm64-big demo arm64-lab-deps arm64-lab-firmware arm64-lab-kernels arm64-kexec-off

arm64-lab-deps:
	scripts/deps.sh lab-arm64

arm64-lab-firmware:
	$(ARM64_LAB_DIR)/build-tfa.sh

arm64-lab-kernels:
	$(ARM64_LAB_DIR)/build-kernel.sh stock
	$(ARM64_LAB_DIR)/build-kernel.sh series
	$(ARM64_LAB_DIR)/build-kernel.sh park

# The series' crash_save_cpu() sits under #ifdef CONFIG_KEXEC_CORE (v4's fix):
# both shapes must still compile without it. Build only; nothing boots them.
arm64-kexec-off:
	$(ARM64_LAB_DIR)/build-kernel.sh series nokexec
	$(ARM64_LAB_DIR)/build-kernel.sh park nokexec

# the guest's static arm64 binary and the host's, for recover; if one does
# not build, the scenarios that need it fail and say so
ARM64_LAB_STOPWATCH = @$(MAKE) -s ARCH=arm64 stopwatch-static || \
	echo "arm64 lab: make ARCH=arm64 stopwatch-static failed" >&2; \
	$(MAKE) -s ARCH=x86_64 stopwatch-static || \
	echo "arm64 lab: make ARCH=x86_64 stopwatch-static failed" >&2

vm-test-arm64:
	$(ARM64_LAB_STOPWATCH)
	@$(ARM64_LAB_DIR)/test.sh $(VM_ARM64_SCENARIOS)

vm-test-arm64-big:
	$(ARM64_LAB_STOPWATCH)
	@$(ARM64_LAB_DIR)/test.sh big

demo:
	$(ARM64_LAB_STOPWATCH)
	@$(ARM64_LAB_DIR)/demo.sh
