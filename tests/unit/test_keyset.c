// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The seen-key set's sorted file (user/keyset.c): every key added is found
 * there, after a merge and after a reopen, and no other is, however the keys
 * cluster (hashes spread evenly; store keys share a boot id's prefix).
 */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "keyset.h"

enum { NKEYS = 60000, KSZ = 24 };

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void random_key(unsigned char *k)
{
	for (int i = 0; i < KSZ; i++)
		k[i] = (unsigned char)random();
}

/* Every key found, and near misses (one bit off, same prefix) and random ones not. */
static void check_set(const struct sw_keyset *ks, unsigned char (*keys)[KSZ])
{
	unsigned char k[KSZ];

	assert_int_equal(sw_keyset_count(ks), NKEYS);
	for (int i = 0; i < NKEYS; i++) {
		assert_int_equal(sw_keyset_has(ks, keys[i]), 1);
		memcpy(k, keys[i], KSZ);
		k[KSZ - 1 - i % 16] ^= 1;
		assert_int_equal(sw_keyset_has(ks, k), 0);
		random_key(k);
		assert_int_equal(sw_keyset_has(ks, k), 0);
	}
}

static void test_sorted_lookup(void **state)
{
	unsigned char (*keys)[KSZ] = malloc(NKEYS * KSZ);
	char dir[] = "/tmp/sw-keyset-XXXXXX", err[256];
	struct sw_keyset_desc d;
	struct sw_keyset *ks;

	(void)state;
	assert_non_null(keys);
	assert_non_null(mkdtemp(dir));
	srandom(5);
	for (int i = 0; i < NKEYS; i++) {
		random_key(keys[i]);
		/* a third share a neighbour's first 8 or 16 bytes (a boot id, a prefix) */
		if (i && i % 3 == 0)
			memcpy(keys[i], keys[i - 1], i % 2 ? 8 : 16);
	}
	assert_int_equal(sw_keyset_new(&ks, dir, KSZ), 0);
	for (int i = 0; i < NKEYS; i++)
		assert_int_equal(sw_keyset_add(ks, keys[i]), 0);
	/* the first flush merges: the keys move to the sorted file */
	assert_int_equal(sw_keyset_flush(ks, &d, err, sizeof(err)), 0);
	assert_int_equal(sw_keyset_committed(ks, &d, err, sizeof(err)), 0);
	assert_int_equal(d.nsorted, NKEYS);
	assert_true(d.fanout_bits > 0);
	check_set(ks, keys);
	for (int i = 0; i < NKEYS; i++)
		assert_int_equal(sw_keyset_add(ks, keys[i]), 1);
	assert_false(sw_keyset_dirty(ks));
	sw_keyset_close(ks);

	assert_int_equal(sw_keyset_open(&ks, dir, &d, false, err, sizeof(err)), 0);
	check_set(ks, keys);
	sw_keyset_close(ks);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(keys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sorted_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
