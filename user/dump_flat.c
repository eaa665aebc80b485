// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * makedumpfile's flattened format (-F; Debian's kdump-tools always uses it)
 * turned back into the dump it carries, as `makedumpfile -R` does: a
 * 4096-byte header ("makedumpfile", type 1, version 1), then blocks of
 * { int64 offset; int64 size; } and size bytes to put at that offset of the
 * dump, then an offset and size of -1; every integer big endian.
 *
 * Written here because libkdumpfile 0.5.1 (Debian 12) does not read the
 * flattened format: 0.5.3 does (it maps the blocks in place), and with it
 * this file is unneeded for a file, though a stream on a pipe still has to
 * be laid out somewhere. The dump goes to an anonymous file (memfd), sparse
 * where the stream writes nothing; a -d 31 dump is mostly small.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "dump_priv.h"

#define FLAT_HDR	4096
#define FLAT_MAX_OFF	(1ULL << 50)	/* no dump is a petabyte: garbage */
#define BUF_LEN		(1u << 20)

ssize_t sw_dump_read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : (ssize_t)got;
		got += n;
	}
	return got;
}

static __s64 be64(const unsigned char *p)
{
	__u64 v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (__s64)v;
}

/* One block's data: @size bytes from @in to offset @off of @out. */
static int copy_block(int in, int out, __u64 off, __u64 size, char *buf)
{
	while (size) {
		size_t n = size < BUF_LEN ? size : BUF_LEN;
		ssize_t got = sw_dump_read_full(in, buf, n);

		if (got != (ssize_t)n)
			return got < 0 ? (int)got : -EPIPE;
		if (pwrite(out, buf, n, (off_t)off) != (ssize_t)n)
			return -ENOSPC;
		off += n;
		size -= n;
	}
	return 0;
}

int sw_dump_spool(int in, const void *head, size_t have, char *err, size_t errlen)
{
	char *buf = malloc(BUF_LEN);
	int fd = memfd_create("sw-dump", MFD_CLOEXEC);
	ssize_t n = have;
	const void *p = head;

	if (fd < 0 || !buf)
		goto nomem;
	for (; n > 0; p = buf, n = sw_dump_read_full(in, buf, BUF_LEN))
		if (write(fd, p, n) != n)
			goto nomem;
	free(buf);
	if (n < 0) {
		snprintf(err, errlen, "reading standard input: %s", strerror((int)-n));
		close(fd);
		return -EIO;
	}
	return fd;
nomem:
	snprintf(err, errlen, "cannot hold the dump read from standard input: %s",
		 strerror(fd < 0 ? errno : ENOMEM));
	free(buf);
	if (fd >= 0)
		close(fd);
	return -ENOMEM;
}

int sw_dump_unflatten(int in, const void *head, size_t have, char *err, size_t errlen)
{
	unsigned char hdr[FLAT_HDR], bh[16];
	char *buf = malloc(BUF_LEN);
	int out = memfd_create("sw-unflattened", MFD_CLOEXEC), ret = -EIO;
	unsigned long blocks = 0;
	ssize_t n;

	if (out < 0 || !buf) {
		snprintf(err, errlen, "cannot hold the flattened dump: %s", strerror(ENOMEM));
		ret = -ENOMEM;
		goto fail;
	}
	memcpy(hdr, head, have);
	n = sw_dump_read_full(in, hdr + have, sizeof(hdr) - have);
	if (n != (ssize_t)(sizeof(hdr) - have)) {
		snprintf(err, errlen, "flattened dump cut short in its header");
		goto fail;
	}
	if (be64(hdr + 16) != 1 || be64(hdr + 24) != 1) {
		snprintf(err, errlen, "flattened dump of an unknown type %lld or version %lld",
			 (long long)be64(hdr + 16), (long long)be64(hdr + 24));
		ret = -EINVAL;
		goto fail;
	}
	for (;; blocks++) {
		__s64 off, size;

		n = sw_dump_read_full(in, bh, sizeof(bh));
		if (n != sizeof(bh)) {
			snprintf(err, errlen, "flattened dump cut short after %lu blocks "
				 "(no end marker)", blocks);
			goto fail;
		}
		off = be64(bh);
		size = be64(bh + 8);
		if (off == -1 && size == -1)
			break;
		if (off < 0 || size <= 0 || (__u64)off > FLAT_MAX_OFF || (__u64)size > FLAT_MAX_OFF) {
			snprintf(err, errlen, "flattened dump corrupt: block %lu has offset %lld, "
				 "size %lld", blocks, (long long)off, (long long)size);
			goto fail;
		}
		ret = copy_block(in, out, off, size, buf);
		if (ret) {
			if (ret == -ENOSPC)
				snprintf(err, errlen, "cannot hold the flattened dump: %s",
					 strerror(errno));
			else
				snprintf(err, errlen, "flattened dump cut short in block %lu "
					 "(%lld bytes at offset %lld)", blocks, (long long)size,
					 (long long)off);
			ret = ret == -ENOSPC ? -ENOMEM : -EIO;
			goto fail;
		}
		ret = -EIO;
	}
	free(buf);
	return out;
fail:
	free(buf);
	if (out >= 0)
		close(out);
	return ret;
}
