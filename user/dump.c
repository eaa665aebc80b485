// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Open a crash dump by its content: the first bytes say ELF ("\177ELF"),
 * kdump-compressed ("KDUMP   ", or "DISKDUMP" of the older diskdump) or
 * flattened ("makedumpfile", makedumpfile -F). A flattened stream, and any
 * dump read from a pipe, is first laid out in an anonymous file
 * (dump_flat.c), then read like a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "dump_priv.h"

#define FLAT_SIG	"makedumpfile"
#define HEAD_LEN	16

static const char *machine_name(__u16 m)
{
	switch (m) {
	case 3: return "i386";
	case 8: return "mips";
	case 20: return "ppc";
	case 21: return "ppc64";
	case 22: return "s390";
	case 40: return "arm";
	case 243: return "riscv";
	default: return "unknown";
	}
}

static int detect(struct sw_dump *d, char *err, size_t errlen)
{
	char head[HEAD_LEN] = "";
	ssize_t n = pread(d->fd, head, sizeof(head), 0);
	int ret;

	if (n >= 4 && !memcmp(head, "\177ELF", 4))
		ret = sw_dump_open_elf(d, err, errlen);
	else if (n >= 8 && (!memcmp(head, "KDUMP   ", 8) || !memcmp(head, "DISKDUMP", 8)))
		ret = sw_dump_open_kdump(d, err, errlen);
	else {
		snprintf(err, errlen, "not a crash dump (an ELF core, a kdump-compressed or "
			 "a flattened makedumpfile dump)");
		return -EINVAL;
	}
	if (ret)
		return ret;
	if (d->machine != SW_DUMP_EM_X86_64 && d->machine != SW_DUMP_EM_AARCH64) {
		snprintf(err, errlen, "dump of another architecture (%s, ELF machine %u): "
			 "stopwatch records x86_64 and arm64", machine_name(d->machine), d->machine);
		return -EINVAL;
	}
	return 0;
}

int sw_dump_open(const char *path, struct sw_dump **out, char *err, size_t errlen)
{
	struct sw_dump *d = calloc(1, sizeof(*d));
	bool is_stdin = !strcmp(path, "-"), flat = false;
	char head[HEAD_LEN] = "";
	struct stat st;
	ssize_t n;
	int ret;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	d->level = -1;
	d->fd = is_stdin ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
	if (d->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s", strerror(errno));
		goto fail;
	}
	/* a pipe cannot be read twice: take the head by read(), then go on from there */
	n = sw_dump_read_full(d->fd, head, sizeof(head));
	if (n < 0) {
		ret = (int)n;
		snprintf(err, errlen, "%s", strerror((int)-n));
		goto fail;
	}
	flat = n == HEAD_LEN && !memcmp(head, FLAT_SIG, sizeof(FLAT_SIG));
	if (flat || (fstat(d->fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode) &&
		     lseek(d->fd, 0, SEEK_SET) < 0)) {
		int fd = flat ? sw_dump_unflatten(d->fd, head, n, err, errlen)
			      : sw_dump_spool(d->fd, head, n, err, errlen);

		if (fd < 0) {
			ret = fd;
			goto fail;
		}
		close(d->fd);
		d->fd = fd;
	}
	d->size = fstat(d->fd, &st) == 0 && st.st_size > 0 ? (__u64)st.st_size : UINT64_MAX;
	ret = detect(d, err, errlen);
	if (ret)
		goto fail;
	if (flat) {	/* "flattened " before what the reader named */
		size_t l = strnlen(d->describe, sizeof(d->describe) - 11);

		memmove(d->describe + 10, d->describe, l);
		memcpy(d->describe, "flattened ", 10);
		d->describe[l + 10] = '\0';
	}
	*out = d;
	return 0;
fail:
	sw_dump_close(d);
	return ret;
}

void sw_dump_close(struct sw_dump *d)
{
	if (!d)
		return;
	if (d->close)
		d->close(d);
	if (d->fd >= 0)
		close(d->fd);
	free(d->range);
	free(d->regs);
	free(d);
}

int sw_dump_read(struct sw_dump *d, __u64 paddr, void *buf, size_t len)
{
	return d->read(d, paddr, buf, len);
}

enum sw_dump_format sw_dump_format(const struct sw_dump *d) { return d->format; }
const char *sw_dump_describe(const struct sw_dump *d) { return d->describe; }
__u16 sw_dump_machine(const struct sw_dump *d) { return d->machine; }
__u32 sw_dump_page_size(const struct sw_dump *d) { return d->page_size; }
int sw_dump_level(const struct sw_dump *d) { return d->level; }

bool sw_dump_next_range(struct sw_dump *d, __u64 from, __u64 *start, __u64 *len)
{
	return d->next_range(d, from, start, len);
}

int sw_dump_prstatus(const struct sw_dump *d, struct sw_dump_regs *regs, int max)
{
	for (int i = 0; i < d->nregs && i < max; i++)
		regs[i] = d->regs[i];
	return d->nregs;
}

/*
 * elf_prstatus as the kernel writes it (crash_save_cpu()): pr_pid at byte
 * 32, pr_reg (elf_gregset_t) at 112 on both 64-bit arches. x86_64's
 * user_regs_struct has ip at word 16, flags 18, sp 19; arm64's
 * user_pt_regs x0-x30, then sp (31), pc (32), pstate (33). Interrupts are
 * masked when x86's RFLAGS.IF (bit 9) is clear, or arm64's PSTATE.I (bit 7)
 * is set; the GIC priority mask of pseudo-NMI kernels is not in the note.
 */
int sw_dump_decode_prstatus(__u16 machine, const void *desc, size_t len,
			    struct sw_dump_regs *out)
{
	const unsigned char *p = desc;
	__u64 w[34];
	unsigned int nw = machine == SW_DUMP_EM_AARCH64 ? 34 : 27;

	if (machine != SW_DUMP_EM_AARCH64 && machine != SW_DUMP_EM_X86_64)
		return -EINVAL;
	if (len < 112 + nw * 8)
		return -EINVAL;
	memcpy(&out->pid, p + 32, sizeof(out->pid));
	memcpy(w, p + 112, nw * 8);
	if (machine == SW_DUMP_EM_AARCH64) {
		out->sp = w[31];
		out->pc = w[32];
		out->irqs_masked = w[33] & 0x80;
	} else {
		out->pc = w[16];
		out->sp = w[19];
		out->irqs_masked = !(w[18] & 0x200);
	}
	return 0;
}

int sw_dump_add_prstatus(struct sw_dump *d, const void *desc, size_t len)
{
	struct sw_dump_regs r, *n;

	if (d->nregs >= SW_DUMP_MAX_CPUS || sw_dump_decode_prstatus(d->machine, desc, len, &r))
		return 0;
	n = realloc(d->regs, (d->nregs + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	d->regs = n;
	d->regs[d->nregs++] = r;
	return 0;
}
