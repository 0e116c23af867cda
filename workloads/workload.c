/*
 * The table of workloads (looked up by the `workload` config value) and the update-buffer
 * helpers every workload's step() fills. Adding a workload = one ops table in its own file plus
 * one line in `workloads[]` below.
 */
#include "workloads/workload.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"

static const struct workload_ops *const workloads[] = {
	&mf_ops,
	&lda_ops,
	&ic_ops,
};

size_t workload_count(void)
{
	return sizeof workloads / sizeof workloads[0];
}

const struct workload_ops *workload_at(size_t i)
{
	return i < workload_count() ? workloads[i] : NULL;
}

const struct workload_ops *workload_find(const char *name)
{
	for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++)
		if (!strcmp(workloads[i]->name, name))
			return workloads[i];
	return NULL;
}

const char *workload_list(void)
{
	/* Built from the constant table on each call. */
	static char buf[256];
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++) {
		if (i)
			strncat(buf, ", ", sizeof buf - strlen(buf) - 1);
		strncat(buf, workloads[i]->name, sizeof buf - strlen(buf) - 1);
	}
	return buf;
}

void wl_update_init(struct wl_update *u)
{
	memset(u, 0, sizeof *u);
}

void wl_update_free(struct wl_update *u)
{
	free(u->rows);
	free(u->vals);
	wl_update_init(u);
}

/*
 * Capacity grows geometrically so that a buffer reused every clock settles after a few clocks.
 * A buffer must always be used with the same row_len (the struct keeps no separate count of
 * allocated values).
 */
void wl_update_reserve(struct wl_update *u, size_t nrows, size_t row_len)
{
	if (nrows <= u->cap && u->rows)
		return;
	size_t cap = u->cap ? 2 * u->cap : 16;
	if (cap < nrows)
		cap = nrows;
	u->rows = xreallocarray(u->rows, cap, sizeof *u->rows);
	u->vals = xreallocarray(u->vals, cap, (row_len ? row_len : 1) * sizeof *u->vals);
	u->cap = cap;
}
