/*
 * SHA-256 (FIPS 180-4), used to identify topology, trace and dataset files by content in the
 * results store.
 */
#ifndef GAIA_SHA256_H
#define GAIA_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];      /* chaining state */
	uint64_t len;       /* bytes hashed so far */
	uint8_t buf[64];    /* pending partial block */
	size_t buf_n;       /* bytes in buf */
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t n);
/* Finish and write the 64-char lowercase hex digest plus NUL. */
void sha256_hex(struct sha256 *c, char out[65]);
/* Hash a whole file; 0, or -1 with a message naming the file. */
int sha256_file(const char *path, char out[65]);

#endif
