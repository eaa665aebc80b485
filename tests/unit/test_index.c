// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Elements indexed by key (user/index.h): missing keys, repeated adds,
 * growth, colliding keys, many keys, clear, keys of varying length.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#define XXH_INLINE_ALL
#include <xxhash.h>
#include "index.h"

/* fixed-size keys, like the state directory's */
struct key {
	uint8_t id[16];
	uint64_t seq;
};

static const void *whole(const void *elem, size_t *len)
{
	*len = sizeof(struct key);
	return elem;
}

static struct key mk(uint64_t v)
{
	struct key k = { .seq = v };

	memcpy(k.id, &v, sizeof(v));
	k.id[15] = 0xa5;
	return k;
}

/* add @k, new or not; returns its position */
static size_t add(struct sw_index *ix, struct key k)
{
	size_t n = ix->n;
	bool added;
	struct key *e = sw_index_add(ix, &k, &added);

	assert_non_null(e);
	assert_memory_equal(e, &k, sizeof(k));
	assert_int_equal(ix->n, n + added);
	return e - (struct key *)ix->elem;
}

/* position of @k, or -1 */
static long find(const struct sw_index *ix, struct key k)
{
	struct key *e = sw_index_find(ix, &k, sizeof(k));

	return e ? e - (struct key *)ix->elem : -1;
}

static void test_missing(void **unused)
{
	struct sw_index ix = SW_INDEX_INIT(sizeof(struct key), whole);
	struct key k;

	/* nothing added yet: no table at all */
	assert_int_equal(find(&ix, mk(1)), -1);
	for (uint64_t v = 0; v < 10; v++)
		add(&ix, mk(v * 2));
	for (uint64_t v = 0; v < 10; v++)
		assert_int_equal(find(&ix, mk(v * 2 + 1)), -1);
	/* one bit off in the last field is another key */
	k = mk(4);
	k.seq ^= 1ULL << 63;
	assert_int_equal(find(&ix, k), -1);
	sw_index_free(&ix);
}

static void test_repeated_add(void **unused)
{
	struct sw_index ix = SW_INDEX_INIT(sizeof(struct key), whole);

	for (uint64_t v = 0; v < 50; v++)
		assert_int_equal(add(&ix, mk(v)), v);
	/* there already: its position, nothing added (add() checks n) */
	for (uint64_t v = 0; v < 50; v++)
		assert_int_equal(add(&ix, mk(v)), v);
	assert_int_equal(ix.n, 50);
	sw_index_free(&ix);
}

static void test_growth(void **unused)
{
	struct sw_index ix = SW_INDEX_INIT(sizeof(struct key), whole);
	size_t grew = 0, nslots = 0;

	for (uint64_t v = 0; v < 5000; v++) {
		add(&ix, mk(v));
		assert_true(ix.n * 2 <= ix.nslots);
		assert_true((ix.nslots & (ix.nslots - 1)) == 0);
		assert_true(ix.n <= ix.cap);
		if (ix.nslots != nslots) {
			/* every key is found where it was put after each rehash */
			for (uint64_t w = 0; w <= v; w++)
				assert_int_equal(find(&ix, mk(w)), w);
			nslots = ix.nslots;
			grew++;
		}
	}
	assert_int_equal(grew, 9);	/* 64 .. 16384 slots */
	/* the array keeps the order of adding */
	for (uint64_t v = 0; v < 5000; v++) {
		struct key k = mk(v);

		assert_memory_equal(sw_index_at(&ix, v), &k, sizeof(k));
	}
	sw_index_free(&ix);
}

/* a key whose home slot, among @nslots, is @home */
static struct key homed(uint64_t *v, size_t nslots, size_t home)
{
	for (;; (*v)++) {
		struct key k = mk(*v);

		if ((XXH3_64bits(&k, sizeof(k)) & (nslots - 1)) == home) {
			(*v)++;
			return k;
		}
	}
}

/* Keys of one home slot, the last one, so that the probe wraps to slot 0. */
static void test_collisions(void **unused)
{
	struct sw_index ix = SW_INDEX_INIT(sizeof(struct key), whole);
	struct key same[8], other;
	uint64_t v = 1000;

	for (int i = 0; i < 8; i++)
		same[i] = homed(&v, 64, 63);
	for (int i = 0; i < 7; i++)
		assert_int_equal(add(&ix, same[i]), i);
	assert_int_equal(ix.nslots, 64);
	assert_int_equal(ix.slot[63], 0);
	for (int i = 1; i < 7; i++)
		assert_int_equal(ix.slot[i - 1], i);	/* wrapped round */
	for (int i = 0; i < 7; i++)
		assert_int_equal(find(&ix, same[i]), i);
	/* absent, same home: the whole chain is passed over */
	assert_int_equal(find(&ix, same[7]), -1);
	/* another home in the middle of the chain: placed after it, not confused */
	other = homed(&v, 64, 2);
	assert_int_equal(add(&ix, other), 7);
	assert_int_equal(ix.slot[6], 7);
	assert_int_equal(find(&ix, other), 7);
	assert_int_equal(find(&ix, same[7]), -1);
	sw_index_free(&ix);
}

static void test_many(void **unused)
{
	struct sw_index ix = SW_INDEX_INIT(sizeof(struct key), whole);
	const uint64_t n = 200000;

	for (uint64_t v = 0; v < n; v++)
		assert_int_equal(add(&ix, mk(v * 7919)), v);
	for (uint64_t v = 0; v < n; v++) {
		assert_int_equal(find(&ix, mk(v * 7919)), v);
		assert_int_equal(find(&ix, mk(v * 7919 + 1)), -1);
	}
	sw_index_free(&ix);
}

static void test_clear(void **unused)
{
	struct sw_index ix = SW_INDEX_INIT(sizeof(struct key), whole);
	size_t nslots;

	for (uint64_t v = 0; v < 100; v++)
		add(&ix, mk(v));
	nslots = ix.nslots;
	sw_index_clear(&ix);
	assert_int_equal(ix.n, 0);
	assert_int_equal(ix.nslots, nslots);
	assert_int_equal(find(&ix, mk(5)), -1);
	assert_int_equal(add(&ix, mk(99)), 0);
	assert_int_equal(find(&ix, mk(99)), 0);
	sw_index_free(&ix);
	assert_null(ix.elem);
	assert_int_equal(ix.n + ix.cap + ix.nslots, 0);
	/* usable again after free */
	assert_int_equal(add(&ix, mk(7)), 0);
	sw_index_free(&ix);
}

/* a key within a larger element, of varying length, like logscan's hosts */
struct host {
	unsigned long count;
	char name[16];
};

static const void *host_name(const void *elem, size_t *len)
{
	const struct host *h = elem;

	*len = strlen(h->name);
	return h->name;
}

static void test_string_keys(void **unused)
{
	static const char *const names[] = { "node1", "node10", "node", "", "node100", "n" };
	struct sw_index ix = SW_INDEX_INIT(sizeof(struct host), host_name);
	struct host *h;

	for (unsigned long i = 0; i < 6; i++) {
		struct host n = { .count = i };

		snprintf(n.name, sizeof(n.name), "%s", names[i]);
		h = sw_index_add(&ix, &n, NULL);
		assert_ptr_equal(h, sw_index_at(&ix, i));
	}
	for (unsigned long i = 0; i < 6; i++) {
		h = sw_index_find(&ix, names[i], strlen(names[i]));
		assert_non_null(h);
		assert_int_equal(h->count, i);
	}
	assert_null(sw_index_find(&ix, "node1000", 8));
	h = sw_index_find(&ix, "node10", 5);	/* "node1" */
	assert_non_null(h);
	assert_int_equal(h->count, 0);
	sw_index_free(&ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_repeated_add),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_collisions),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_clear),
		cmocka_unit_test(test_string_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
