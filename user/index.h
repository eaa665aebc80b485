/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * An array of elements with distinct keys, in the order they were added,
 * and an index to find one by its key: open addressing, linear probing, at
 * most half full. The index holds positions, not pointers, so the array is
 * the one copy of the elements and grows by realloc.
 *
 * Hand-written for want of a library that fits: glibc's hsearch_r takes
 * only string keys and cannot grow; uthash and GLib link their elements by
 * pointer, which a realloc'd array moves (and uthash adds 56 bytes to each
 * 24-byte state key); libbpf's hashmap is not public API. Keys are hashed
 * with xxHash, already a dependency.
 */
#ifndef STOPWATCH_INDEX_H
#define STOPWATCH_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The key within @elem: its bytes and their length (NULL: the whole element is the key). */
typedef const void *(*sw_index_key_fn)(const void *elem, size_t *len);

struct sw_index {
	void *elem;		/* n elements of size bytes, room for cap */
	size_t n, cap, size;
	sw_index_key_fn key;
	size_t *slot;		/* positions in elem, SIZE_MAX = empty */
	size_t nslots;		/* a power of two, 0 before the first add */
};

#define SW_INDEX_INIT(elem_size, key_fn) ((struct sw_index){ .size = (elem_size), .key = (key_fn) })

static inline void *sw_index_at(const struct sw_index *ix, size_t pos)
{
	return (char *)ix->elem + pos * ix->size;
}

/* The element whose key is @key, or NULL. */
void *sw_index_find(const struct sw_index *ix, const void *key, size_t len);

/*
 * The element with @elem's key; when there is none, a copy of @elem added
 * at the end, and *@added (if not NULL) says so. NULL when out of memory:
 * nothing added. @elem is not one of @ix's own (the array may move).
 */
void *sw_index_add(struct sw_index *ix, const void *elem, bool *added);

/* Drop every element; the memory stays for the next adds. */
void sw_index_clear(struct sw_index *ix);

void sw_index_free(struct sw_index *ix);

#endif
