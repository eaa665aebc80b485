// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Elements indexed by key (index.h): why it is hand-written is said there. */
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL	/* header-only: nothing to link, static or cross */
#include <xxhash.h>
#include "index.h"

#define INDEX_MIN_ELEMS 16
#define INDEX_MIN_SLOTS 64

/* An element's key: @ix->key's answer, or the whole element when there is no key function. */
static const void *key_of(const struct sw_index *ix, const void *elem, size_t *len)
{
	if (!ix->key) {
		*len = ix->size;
		return elem;
	}
	return ix->key(elem, len);
}

static size_t home(size_t nslots, const void *key, size_t len)
{
	return XXH3_64bits(key, len) & (nslots - 1);
}

/* The slot holding @key, or the empty slot where it would go (nslots > 0). */
static size_t probe(const struct sw_index *ix, const void *key, size_t len)
{
	for (size_t i = home(ix->nslots, key, len);; i = (i + 1) & (ix->nslots - 1)) {
		size_t klen;
		const void *k;

		if (ix->slot[i] == SIZE_MAX)
			return i;
		k = key_of(ix, sw_index_at(ix, ix->slot[i]), &klen);
		if (klen == len && !memcmp(k, key, len))
			return i;
	}
}

static int grow_elems(struct sw_index *ix)
{
	size_t cap = ix->cap ? ix->cap * 2 : INDEX_MIN_ELEMS;
	void *n;

	if (cap > SIZE_MAX / ix->size)
		return -1;
	n = realloc(ix->elem, cap * ix->size);
	if (!n)
		return -1;
	ix->elem = n;
	ix->cap = cap;
	return 0;
}

static int grow_slots(struct sw_index *ix)
{
	size_t nslots = ix->nslots ? ix->nslots * 2 : INDEX_MIN_SLOTS;
	size_t *slot;

	if (nslots > SIZE_MAX / sizeof(*slot))
		return -1;
	slot = malloc(nslots * sizeof(*slot));
	if (!slot)
		return -1;
	memset(slot, 0xff, nslots * sizeof(*slot));
	/* in array order: the elements are read in sequence, not at random */
	for (size_t pos = 0; pos < ix->n; pos++) {
		size_t klen, i;
		const void *k = key_of(ix, sw_index_at(ix, pos), &klen);

		/* the keys are distinct: the first empty slot is the place */
		for (i = home(nslots, k, klen); slot[i] != SIZE_MAX; i = (i + 1) & (nslots - 1))
			;
		slot[i] = pos;
	}
	free(ix->slot);
	ix->slot = slot;
	ix->nslots = nslots;
	return 0;
}

void *sw_index_find(const struct sw_index *ix, const void *key, size_t len)
{
	size_t pos = ix->nslots ? ix->slot[probe(ix, key, len)] : SIZE_MAX;

	return pos == SIZE_MAX ? NULL : sw_index_at(ix, pos);
}

void *sw_index_add(struct sw_index *ix, const void *elem, bool *added)
{
	size_t len, i = 0;
	const void *key = key_of(ix, elem, &len);

	if (added)
		*added = false;
	if (ix->nslots) {
		i = probe(ix, key, len);
		if (ix->slot[i] != SIZE_MAX)
			return sw_index_at(ix, ix->slot[i]);
	}
	if (ix->n == ix->cap && grow_elems(ix))
		return NULL;
	/* at most half full: probes stay short and always reach an empty slot */
	if ((ix->n + 1) * 2 > ix->nslots) {
		if (grow_slots(ix))
			return NULL;
		i = probe(ix, key, len);
	}
	memcpy(sw_index_at(ix, ix->n), elem, ix->size);
	ix->slot[i] = ix->n++;
	if (added)
		*added = true;
	return sw_index_at(ix, ix->n - 1);
}

void sw_index_clear(struct sw_index *ix)
{
	if (ix->slot)
		memset(ix->slot, 0xff, ix->nslots * sizeof(*ix->slot));
	ix->n = 0;
}

void sw_index_free(struct sw_index *ix)
{
	free(ix->elem);
	free(ix->slot);
	*ix = SW_INDEX_INIT(ix->size, ix->key);
}
