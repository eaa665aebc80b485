// SPDX-License-Identifier: GPL-2.0
/*
 * kexec-file-load: load a kdump capture kernel in the arm64 lab guest.
 *
 *   kexec-file-load -p KERNEL INITRD CMDLINE
 *
 * is `kexec -s -p KERNEL --initrd=INITRD --append=CMDLINE`: with
 * kexec_file_load(2) the kernel parses the image and builds the device tree
 * itself, so the syscall is the whole job. Hand-written because Debian's
 * arm64 kexec-tools links Xen's libraries (libxenmisc and a dozen more
 * packages to fetch and copy for one syscall); built static by
 * mkinitramfs.sh with the cross compiler.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/kexec.h>

int main(int argc, char **argv)
{
	int kfd, ifd;

	if (argc != 5 || strcmp(argv[1], "-p")) {
		fprintf(stderr, "usage: kexec-file-load -p KERNEL INITRD CMDLINE\n");
		return 2;
	}
	kfd = open(argv[2], O_RDONLY | O_CLOEXEC);
	ifd = open(argv[3], O_RDONLY | O_CLOEXEC);
	if (kfd < 0 || ifd < 0) {
		fprintf(stderr, "kexec-file-load: failed to open %s: %s\n",
			kfd < 0 ? argv[2] : argv[3], strerror(errno));
		return 1;
	}
	if (syscall(SYS_kexec_file_load, kfd, ifd, strlen(argv[4]) + 1, argv[4],
		    KEXEC_FILE_ON_CRASH)) {
		fprintf(stderr, "kexec-file-load: failed to load %s: %s\n", argv[2],
			strerror(errno));
		return 1;
	}
	return 0;
}
