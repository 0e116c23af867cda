/*
 * Allocation wrappers that never return NULL: out of memory is not a condition the simulator
 * can recover from, so they print a message and abort.
 */
#ifndef GAIA_XMALLOC_H
#define GAIA_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
/* realloc of nmemb * size bytes, aborting on multiplication overflow. */
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
/* Zeroed nmemb * size bytes at an address that is a multiple of align (a power of 2, a
 * multiple of sizeof(void *)); released with free(). */
void *xcalloc_aligned(size_t align, size_t nmemb, size_t size);
char *xstrdup(const char *s);
/* printf into a freshly allocated string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
