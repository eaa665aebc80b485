# arm64 SDEI lab targets; -include'd by the top-level Makefile.
#   make vm-test-arm64        run the arm64 scenarios (builds what is missing)
#   make arm64-lab-deps       install the Debian packages the lab needs (root)
#   make arm64-lab-firmware   TF-A 2.8 + SDEI port -> flash image
#   make arm64-lab-kernels    stock 6.12 and 6.12 + patches/linux (cached)
# Outputs are cached under $(STOPWATCH_CACHE or ~/.cache/stopwatch)/arm64;
# console logs land in build/lab/arm64/<scenario>/console.log.
# If build/arm64/stopwatch exists it goes into the guest as /bin/stopwatch.
ARM64_LAB_DIR := $(dir $(lastword $(MAKEFILE_LIST)))arm64

.PHONY: vm-test-arm64 arm64-lab-deps arm64-lab-firmware arm64-lab-kernels

arm64-lab-deps:
	scripts/deps.sh lab-arm64

arm64-lab-firmware:
	$(ARM64_LAB_DIR)/build-tfa.sh

arm64-lab-kernels:
	$(ARM64_LAB_DIR)/build-kernel.sh stock
	$(ARM64_LAB_DIR)/build-kernel.sh series

vm-test-arm64:
	$(ARM64_LAB_DIR)/test.sh $(ARM64_SCENARIOS)
