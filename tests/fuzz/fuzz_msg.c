/*
 * Fuzz harness: the parameter-server message decoder (ps/msg.h, msg_decode), which reads
 * frames from sockets in emulation and so treats its input as hostile. The file's bytes are
 * one buffer, decoded under four formats (float32 and float64 values over a 2-shard geometry
 * of 3 owned rows of 2 values; float64 over one shard of 100 single-value rows; and a 128-byte
 * decode limit). The decoder returns an error code, not a message, so every input counts as
 * handled (0). A frame it accepts is checked: the frame length is within the buffer and the
 * limit and agrees with msg_frame_length; kind, lane, wait, nodes and shard are in range;
 * indices name positions the shard owns (ascending in a dense frame; a sparse one keeps the
 * sender's order, docs/wire-format.md); and the message encodes again (refused only for a
 * position given twice, which the dense form cannot hold) to a frame that decodes to the same
 * kind, header and entries, in index order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/diag.h"
#include "ps/msg.h"
#include "tests/fuzz/fuzz.h"

#define MSG_FUZZ_MAX_INPUT (1u << 20) /* bytes of the file read */

/* Values per entry of a kind under a format (0: indices only). */
static size_t vals_per_entry(enum msg_kind k, const struct msg_format *f)
{
	return k == MSG_REPLY || k == MSG_PUSH ? f->row_len : k == MSG_MIRROR || k == MSG_HUB ? 1 : 0;
}

/* 1 if index i of a kind names a position of f's shard: a local row below `owned`
 * (BARRIER), an element row * row_len + k (MIRROR, HUB) or a global row (the others) of a
 * row r with r % nshards == shard and r / nshards < owned. */
static int index_owned(enum msg_kind k, uint32_t i, const struct msg_format *f)
{
	if (k == MSG_BARRIER)
		return i < f->owned;
	uint64_t row = k == MSG_MIRROR || k == MSG_HUB ? i / f->row_len : i;
	return row % f->nshards == f->shard && row / f->nshards < f->owned;
}

static const struct msg *sort_msg; /* the message entry_cmp orders the entries of */

/* Entries by index, then by position (a sparse frame keeps the sender's order, a dense one is
 * ascending: the same entries may come back in another order). */
static int entry_cmp(const void *pa, const void *pb)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	uint32_t x = sort_msg->idx[a], y = sort_msg->idx[b];
	return x < y ? -1 : x > y ? 1 : a < b ? -1 : a > b;
}

/* Entry positions of m in index order (caller frees). */
static size_t *entry_order(const struct msg *m)
{
	size_t *o = malloc((m->n ? m->n : 1) * sizeof *o);
	FUZZ_CHECK(o != NULL);
	for (size_t i = 0; i < m->n; i++)
		o[i] = i;
	sort_msg = m;
	qsort(o, m->n, sizeof *o, entry_cmp);
	return o;
}

/* 1 if two entries of m name the same position. */
static int has_duplicate(const struct msg *m)
{
	size_t *o = entry_order(m);
	int dup = 0;
	for (size_t i = 1; i < m->n && !dup; i++)
		dup = m->idx[o[i - 1]] == m->idx[o[i]];
	free(o);
	return dup;
}

static void check_same(const struct msg *a, const struct msg *b, const struct msg_format *f)
{
	FUZZ_CHECK(a->kind == b->kind && a->src == b->src && a->dst == b->dst);
	FUZZ_CHECK(a->clock == b->clock && a->shard == b->shard && a->replica == b->replica);
	FUZZ_CHECK(a->lane == b->lane && a->batch == b->batch && a->wait == b->wait);
	FUZZ_CHECK(a->n == b->n);
	size_t v = vals_per_entry(a->kind, f);
	size_t *oa = entry_order(a), *ob = entry_order(b);
	for (size_t i = 0; i < a->n; i++) {
		FUZZ_CHECK(a->idx[oa[i]] == b->idx[ob[i]]);
		for (size_t j = 0; j < v; j++) {
			double x = a->val[oa[i] * v + j], y = b->val[ob[i] * v + j];
			FUZZ_CHECK(x != x ? y != y : x == y);
		}
	}
	free(oa);
	free(ob);
}

static void decode_one(const uint8_t *buf, size_t len, const struct msg_format *f)
{
	struct msg *m = NULL;
	size_t used = 0;
	int rc = msg_decode(buf, len, f, &m, &used);
	if (rc != MSG_OK) {
		FUZZ_CHECK(!m && rc < 0 && msg_strerror(rc) != NULL);
		return;
	}
	size_t frame = 0;
	FUZZ_CHECK(msg_frame_length(buf, len, f, &frame) == MSG_OK && frame == used);
	size_t limit = f->max_bytes ? f->max_bytes : msg_format_max(f);
	FUZZ_CHECK(used >= MSG_HEADER_BYTES && used <= len && used <= limit);
	FUZZ_CHECK((int)m->kind >= 0 && m->kind < MSG_NKINDS);
	FUZZ_CHECK(m->lane == 0 || m->lane == 1);
	FUZZ_CHECK(m->wait >= 0 && m->wait < MSG_NWAIT);
	FUZZ_CHECK(m->src >= 0 && m->dst >= 0 && (!f->nodes || ((size_t)m->src < f->nodes
	                                                       && (size_t)m->dst < f->nodes)));
	FUZZ_CHECK(m->shard >= 0 && (size_t)m->shard == f->shard);
	int dense = m->kind != MSG_MCLOCK && m->kind != MSG_HCLOCK && (buf[10] & 1);
	for (size_t i = 0; i < m->n; i++) {
		FUZZ_CHECK(index_owned(m->kind, m->idx[i], f));
		FUZZ_CHECK(!dense || i == 0 || m->idx[i - 1] < m->idx[i]);
	}
	size_t need = msg_encoded_bytes(m, f), len2 = 0;
	uint8_t *again = malloc(need ? need : 1);
	FUZZ_CHECK(again != NULL);
	int rc2 = msg_encode(m, f, again, need, &len2);
	if (rc2 == MSG_EINVAL) {
		/* Only a position given twice, which the dense form cannot hold, is refused. */
		FUZZ_CHECK(has_duplicate(m));
		free(again);
		msg_free(m);
		return;
	}
	FUZZ_CHECK(rc2 == MSG_OK && len2 == need);
	struct msg *m2 = NULL;
	size_t used2 = 0;
	FUZZ_CHECK(msg_decode(again, len2, f, &m2, &used2) == MSG_OK && used2 == len2);
	check_same(m, m2, f);
	msg_free(m2);
	free(again);
	msg_free(m);
}

static int run(const char *path)
{
	FILE *in = fopen(path, "rb");
	if (!in) {
		diag_at(path, 0, "cannot open");
		return -1;
	}
	/* The input's own size (at most MSG_FUZZ_MAX_INPUT), so that a short input costs little. */
	long size = fseek(in, 0, SEEK_END) == 0 ? ftell(in) : -1;
	rewind(in);
	size_t cap = size < 0 || size > (long)MSG_FUZZ_MAX_INPUT ? MSG_FUZZ_MAX_INPUT : (size_t)size;
	uint8_t *buf = malloc(cap ? cap : 1);
	FUZZ_CHECK(buf != NULL);
	size_t len = fread(buf, 1, cap, in);
	fclose(in);
	const struct msg_format formats[] = {
		{ .value_bytes = 4, .header_bytes = 64, .row_len = 2, .owned = 3, .nshards = 2,
		  .shard = 1, .nodes = 16 },
		{ .value_bytes = 8, .header_bytes = 64, .row_len = 2, .owned = 3, .nshards = 2,
		  .shard = 1, .nodes = 16 },
		{ .value_bytes = 8, .header_bytes = 96, .row_len = 1, .owned = 100, .nshards = 1,
		  .shard = 0, .nodes = 0 },
		{ .value_bytes = 4, .header_bytes = 64, .max_bytes = 128, .row_len = 2, .owned = 3,
		  .nshards = 2, .shard = 1, .nodes = 16 },
	};
	for (size_t k = 0; k < sizeof formats / sizeof formats[0]; k++)
		decode_one(buf, len, &formats[k]);
	free(buf);
	return 0;
}

FUZZ_TARGET(msg, "tests/fuzz/corpus/msg/*", run)
