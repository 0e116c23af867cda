/*
 * IDX reader (idx.h): one pass over a zlib stream (gzread reads plain files unchanged), the
 * header checked field by field, the elements byte-swapped from big-endian into host order.
 */
#include "workloads/idx.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "lib/diag.h"
#include "lib/xmalloc.h"

size_t idx_type_size(int type)
{
	switch (type) {
	case IDX_UBYTE:
	case IDX_SBYTE:
		return 1;
	case IDX_SHORT:
		return 2;
	case IDX_INT:
	case IDX_FLOAT:
		return 4;
	case IDX_DOUBLE:
		return 8;
	default:
		return 0;
	}
}

/* An open stream with the uncompressed offset read so far, for messages. */
struct idx_in {
	const char *path; /* file name */
	gzFile gz;        /* zlib stream */
	uint64_t off;     /* bytes read (uncompressed) */
};

/*
 * Read exactly n bytes of a field `what` of `total` bytes, `prior` of which were read before
 * (for messages); -1 after a message saying where the stream stopped: a zlib error (e.g. a
 * truncated gzip stream) or a plain end of file.
 */
static int read_part(struct idx_in *in, void *buf, size_t n, const char *what, size_t prior,
		     size_t total)
{
	size_t got = 0;
	while (got < n) {
		size_t chunk = n - got > (1u << 30) ? (1u << 30) : n - got;
		int r = gzread(in->gz, (char *)buf + got, (unsigned)chunk);
		if (r <= 0) {
			int err;
			const char *m = gzerror(in->gz, &err);
			unsigned long long at = (unsigned long long)(in->off + got);
			if (r < 0 || (err != Z_OK && err != Z_STREAM_END))
				return diag_at(in->path, 0, "byte %llu: %s: read error (%s) after %zu of %zu "
					       "bytes (truncated gzip stream?)", at, what, m, prior + got, total);
			return diag_at(in->path, 0, "byte %llu: %s: file ends after %zu of %zu bytes "
				       "(truncated)", at, what, prior + got, total);
		}
		got += (size_t)r;
	}
	in->off += n;
	return 0;
}

/* Read a whole field of n bytes. */
static int read_exact(struct idx_in *in, void *buf, size_t n, const char *what)
{
	return read_part(in, buf, n, what, 0, n);
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Convert count big-endian elements of size s in place to host order. */
static void to_host(unsigned char *data, size_t count, size_t s)
{
	const union {
		uint16_t u;
		unsigned char b[2];
	} probe = { 1 };
	if (s == 1 || probe.b[0] == 0)
		return; /* bytes, or a big-endian host */
	for (size_t i = 0; i < count; i++) {
		unsigned char *p = data + i * s;
		for (size_t a = 0, b = s - 1; a < b; a++, b--) {
			unsigned char t = p[a];
			p[a] = p[b];
			p[b] = t;
		}
	}
}

/* Read and check the header into x; -1 after a message. */
static int read_header(struct idx_in *in, struct idx *x)
{
	unsigned char m[4];
	if (read_exact(in, m, 4, "magic number") < 0)
		return -1;
	if (m[0] != 0 || m[1] != 0)
		return diag_at(in->path, 0, "byte 0: bad magic number %02x %02x %02x %02x (an IDX file "
			       "starts with two zero bytes)", m[0], m[1], m[2], m[3]);
	x->elem_bytes = idx_type_size(m[2]);
	if (!x->elem_bytes)
		return diag_at(in->path, 0, "byte 2: unsupported data type 0x%02x (IDX types: 0x08 "
			       "ubyte, 0x09 byte, 0x0b short, 0x0c int, 0x0d float, 0x0e double)", m[2]);
	x->type = (enum idx_type)m[2];
	if (m[3] == 0 || m[3] > IDX_MAX_DIMS)
		return diag_at(in->path, 0, "byte 3: %u dimensions (1 to %d supported)", m[3],
			       IDX_MAX_DIMS);
	x->ndims = m[3];
	uint64_t count = 1;
	for (int d = 0; d < x->ndims; d++) {
		unsigned char b[4];
		uint64_t at = in->off;
		if (read_exact(in, b, 4, "dimension size") < 0)
			return -1;
		x->dims[d] = be32(b);
		if (x->dims[d] == 0)
			return diag_at(in->path, 0, "byte %llu: dimension %d has size 0 (an IDX file "
				       "holds at least one element)", (unsigned long long)at, d);
		count *= x->dims[d];
		if (count > IDX_MAX_ELEMS)
			return diag_at(in->path, 0, "byte %llu: dimension %d of size %u makes more than "
				       "%llu elements", (unsigned long long)at, d, x->dims[d],
				       (unsigned long long)IDX_MAX_ELEMS);
	}
	x->count = (size_t)count;
	return 0;
}

/*
 * Read the count * elem_bytes data bytes into a buffer that grows (doubling from 1 MiB) as they
 * arrive, so that a header claiming more data than the file holds gives a truncation message,
 * not a huge allocation.
 */
static int read_data(struct idx_in *in, struct idx *x)
{
	size_t bytes = x->count * x->elem_bytes, have = 0, cap = bytes < (1u << 20) ? bytes : 1u << 20;
	x->data = xmalloc(cap ? cap : 1);
	while (have < bytes) {
		if (have == cap) {
			cap = cap * 2 < bytes ? cap * 2 : bytes;
			x->data = xrealloc(x->data, cap);
		}
		if (read_part(in, x->data + have, cap - have, "data", have, bytes) < 0)
			return -1;
		have = cap;
	}
	return 0;
}

struct idx *idx_load(const char *path)
{
	struct idx_in in = { path, gzopen(path, "rb"), 0 };
	if (!in.gz) {
		diag_at(path, 0, "cannot open");
		return NULL;
	}
	struct idx *x = xcalloc(1, sizeof *x);
	if (read_header(&in, x) < 0)
		goto fail;
	if (read_data(&in, x) < 0)
		goto fail;
	unsigned char extra;
	int r = gzread(in.gz, &extra, 1);
	int err;
	const char *m = gzerror(in.gz, &err);
	if (r < 0 || (err != Z_OK && err != Z_STREAM_END)) {
		diag_at(path, 0, "byte %llu: read error after the last element (%s; truncated gzip "
			"stream?)", (unsigned long long)in.off, m);
		goto fail;
	}
	if (r > 0) {
		diag_at(path, 0, "byte %llu: data after the last element (header: %zu elements of "
			"%zu bytes)", (unsigned long long)in.off, x->count, x->elem_bytes);
		goto fail;
	}
	to_host(x->data, x->count, x->elem_bytes);
	gzclose(in.gz);
	return x;
fail:
	gzclose(in.gz);
	idx_free(x);
	return NULL;
}

void idx_free(struct idx *x)
{
	if (!x)
		return;
	free(x->data);
	free(x);
}

double idx_value(const struct idx *x, size_t i)
{
	const unsigned char *p = x->data + i * x->elem_bytes;
	switch (x->type) {
	case IDX_UBYTE:
		return p[0];
	case IDX_SBYTE:
		return (signed char)p[0];
	case IDX_SHORT: {
		int16_t v;
		memcpy(&v, p, sizeof v);
		return v;
	}
	case IDX_INT: {
		int32_t v;
		memcpy(&v, p, sizeof v);
		return v;
	}
	case IDX_FLOAT: {
		float v;
		memcpy(&v, p, sizeof v);
		return v;
	}
	case IDX_DOUBLE: {
		double v;
		memcpy(&v, p, sizeof v);
		return v;
	}
	}
	return 0;
}

size_t idx_item_size(const struct idx *x)
{
	size_t s = 1;
	for (int d = 1; d < x->ndims; d++)
		s *= x->dims[d];
	return s;
}
