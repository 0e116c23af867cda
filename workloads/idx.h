/*
 * IDX files: the container of the MNIST and Fashion-MNIST data sets (format as documented on
 * Y. LeCun's MNIST page, http://yann.lecun.com/exdb/mnist/): two zero bytes, a type byte, a
 * dimension count byte, that many big-endian 32-bit dimension sizes, then the elements in
 * row-major order, each big-endian. Files are read through zlib, so gzipped (.gz) and plain
 * files are both accepted. Every defect is reported with the file name and the byte offset
 * (in the uncompressed stream) where it was found.
 */
#ifndef GAIA_IDX_H
#define GAIA_IDX_H

#include <stddef.h>
#include <stdint.h>

/* Element types (the type byte). */
enum idx_type {
	IDX_UBYTE = 0x08,  /* unsigned 8-bit */
	IDX_SBYTE = 0x09,  /* signed 8-bit */
	IDX_SHORT = 0x0B,  /* signed 16-bit */
	IDX_INT = 0x0C,    /* signed 32-bit */
	IDX_FLOAT = 0x0D,  /* IEEE 754 single */
	IDX_DOUBLE = 0x0E, /* IEEE 754 double */
};

/* Most dimensions accepted (the format allows 255; no data set uses more than a few). */
#define IDX_MAX_DIMS 16
/* Most elements accepted in one file (2^31: far above any MNIST-family file). */
#define IDX_MAX_ELEMS ((uint64_t)1 << 31)

struct idx {
	enum idx_type type;          /* element type */
	int ndims;                   /* number of dimensions, 1..IDX_MAX_DIMS */
	uint32_t dims[IDX_MAX_DIMS]; /* size of each dimension (dims[0]: items) */
	size_t count;                /* elements: product of dims */
	size_t elem_bytes;           /* bytes per element (1, 2, 4 or 8) */
	unsigned char *data;         /* count * elem_bytes bytes, converted to host byte order */
};

/*
 * Read an IDX file, gzipped or plain. NULL after a "FILE: byte N: ..." message on: a bad magic
 * number, an unsupported type, zero or too many dimensions, a dimension of size 0, a short or
 * truncated file (also a
 * truncated gzip stream), or data after the last element.
 */
struct idx *idx_load(const char *path);
void idx_free(struct idx *x);

/* Bytes per element of a type, 0 if the type byte is not an IDX type. */
size_t idx_type_size(int type);
/* Element i (< count) as a double, whatever the type. */
double idx_value(const struct idx *x, size_t i);
/* Size of one item: product of dims[1..ndims) (1 for a one-dimensional file). */
size_t idx_item_size(const struct idx *x);

#endif
