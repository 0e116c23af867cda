/*
 * Fuzz harness: IDX files, the container of (Fashion-)MNIST (workloads/idx.h, idx_load). An
 * accepted file is checked: 1..IDX_MAX_DIMS dimensions, each >= 1; count = the product of the
 * dimensions (at most IDX_MAX_ELEMS); elem_bytes = the type's size; the item size times the
 * items is the count; every element readable, and integer types finite.
 */
#include <math.h>

#include "tests/fuzz/fuzz.h"
#include "workloads/idx.h"

static int run(const char *path)
{
	struct idx *x = idx_load(path);
	if (!x)
		return -1;
	FUZZ_CHECK(x->ndims >= 1 && x->ndims <= IDX_MAX_DIMS);
	uint64_t prod = 1;
	for (int d = 0; d < x->ndims; d++) {
		FUZZ_CHECK(x->dims[d] >= 1);
		prod *= x->dims[d];
		FUZZ_CHECK(prod <= IDX_MAX_ELEMS);
	}
	FUZZ_CHECK(x->count == prod);
	FUZZ_CHECK(x->elem_bytes == idx_type_size((int)x->type) && x->elem_bytes >= 1);
	FUZZ_CHECK(idx_item_size(x) * x->dims[0] == x->count);
	int integer = x->type != IDX_FLOAT && x->type != IDX_DOUBLE;
	for (size_t i = 0; i < x->count; i++) {
		double v = idx_value(x, i);
		FUZZ_CHECK(!integer || isfinite(v));
	}
	idx_free(x);
	return 0;
}

FUZZ_TARGET(idx, "tests/data/ic/*.idx tests/data/ic/*-ubyte", run)
