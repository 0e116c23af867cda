/*
 * Tests of the message wire format (ps/msg.h, docs/wire-format.md): every kind round-trips in
 * both payload forms and both value widths; msg_wire_bytes equals the encoded length and the
 * size formulas worked by hand; the absent-position marker never collides with a real NaN; the
 * decoder rejects truncated, oversized and corrupted frames with an error (run under ASan by
 * `make check` in a sanitizer build, so an out-of-bounds read fails the test).
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/rng.h"
#include "ps/msg.h"
#include "tests/testutil.h"

/* The geometry used by hand: 10 rows over 3 shards; shard 1 owns rows 1, 4, 7 (owned 3). */
#define NROWS 10
#define NSHARDS 3
#define SHARD 1
#define OWNED 3
#define RL 2

static struct msg_format fmt(int vb)
{
	return (struct msg_format){ .value_bytes = vb, .header_bytes = 64, .row_len = RL,
	                            .owned = OWNED, .nshards = NSHARDS, .shard = SHARD,
	                            .nodes = 16 };
}

static int is_clock(enum msg_kind k)
{
	return k == MSG_MCLOCK || k == MSG_HCLOCK;
}

/* Values per entry of a kind (0: indices only). */
static size_t vpe(enum msg_kind k, size_t rl)
{
	return k == MSG_REPLY || k == MSG_PUSH ? rl : k == MSG_MIRROR || k == MSG_HUB ? 1 : 0;
}

/* Every header field set to something distinctive. */
static void fill_header(struct msg *m, int shard)
{
	m->src = 5;
	m->dst = 9;
	m->clock = -(INT64_C(1) << 40) - 3;
	m->shard = shard;
	m->replica = 65535;
	m->lane = m->kind == MSG_BARRIER;
	if (m->kind == MSG_READ || m->kind == MSG_PUSH)
		m->worker = m->src;
	if (m->kind == MSG_REPLY) {
		m->worker = m->dst;
		m->wait = 4;
		m->served_clock = INT64_MAX;
		m->local_clock = INT64_MIN;
		m->held = 123456789012345;
	}
	if (m->kind != MSG_READ && m->kind != MSG_REPLY && m->kind != MSG_PUSH)
		m->batch = UINT64_C(0xfedcba9876543210);
}

/* Global index of the e-th owned position of the hand geometry (rows or elements). */
static uint32_t owned_index(enum msg_kind k, size_t e)
{
	if (k == MSG_BARRIER)
		return (uint32_t)e;
	if (vpe(k, RL) == 1) /* element e = local row e / RL, column e % RL */
		return (uint32_t)(((e / RL) * NSHARDS + SHARD) * RL + e % RL);
	return (uint32_t)(e * NSHARDS + SHARD);
}

/* A message of kind k with the first n owned positions and values that float32 rounds. */
static struct msg *hand_msg(enum msg_kind k, size_t n)
{
	struct msg *m = msg_new(k, n, vpe(k, RL));
	fill_header(m, SHARD);
	for (size_t i = 0; i < n; i++) {
		m->idx[i] = owned_index(k, i);
		for (size_t j = 0; j < vpe(k, RL); j++)
			m->val[i * vpe(k, RL) + j] = 0.1 * (double)(i + 1) - (double)j / 3.0;
	}
	return m;
}

static uint8_t *encode(const struct msg *m, const struct msg_format *f, size_t *len)
{
	uint8_t *buf = malloc(msg_encoded_bytes(m, f) + 1);
	int rc = msg_encode(m, f, buf, msg_encoded_bytes(m, f), len);
	CU_ASSERT_EQUAL_FATAL(rc, MSG_OK);
	return buf;
}

/* Value as it should come back: float64 exactly, float32 as (float) rounds it. */
static double expect_value(double v, int vb)
{
	return vb == 8 ? v : (double)(float)v;
}

static void assert_same(const struct msg *a, const struct msg *b, int vb, size_t rl)
{
	CU_ASSERT_EQUAL(a->kind, b->kind);
	CU_ASSERT_EQUAL(a->src, b->src);
	CU_ASSERT_EQUAL(a->dst, b->dst);
	CU_ASSERT_EQUAL(a->clock, b->clock);
	CU_ASSERT_EQUAL(a->worker, b->worker);
	CU_ASSERT_EQUAL(a->shard, b->shard);
	CU_ASSERT_EQUAL(a->replica, b->replica);
	CU_ASSERT_EQUAL(a->lane, b->lane);
	CU_ASSERT_EQUAL(a->batch, b->batch);
	CU_ASSERT_EQUAL(a->wait, b->wait);
	CU_ASSERT_EQUAL(a->served_clock, b->served_clock);
	CU_ASSERT_EQUAL(a->local_clock, b->local_clock);
	CU_ASSERT_EQUAL(a->held, b->held);
	CU_ASSERT_EQUAL_FATAL(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		CU_ASSERT_EQUAL(a->idx[i], b->idx[i]);
		for (size_t j = 0; j < vpe(a->kind, rl); j++) {
			double x = expect_value(a->val[i * vpe(a->kind, rl) + j], vb);
			double y = b->val[i * vpe(a->kind, rl) + j];
			CU_ASSERT(isnan(x) ? isnan(y) : memcmp(&x, &y, sizeof x) == 0);
		}
	}
}

/* Encode, check the length against msg_encoded_bytes and msg_wire_bytes, decode, compare. */
static void round_trip(const struct msg *m, const struct msg_format *f, int want_dense)
{
	size_t len, used = 0;
	uint8_t *buf = encode(m, f, &len);
	CU_ASSERT_EQUAL(len, msg_encoded_bytes(m, f));
	CU_ASSERT_EQUAL(msg_wire_bytes(m, f), (double)len);
	CU_ASSERT_EQUAL(buf[10] & 1, want_dense); /* flags bit 0: dense */
	struct msg *d;
	CU_ASSERT_EQUAL_FATAL(msg_decode(buf, len, f, &d, &used), MSG_OK);
	CU_ASSERT_EQUAL(used, len);
	CU_ASSERT_EQUAL(d->wire_bytes, (double)len);
	assert_same(m, d, f->value_bytes, f->row_len);
	msg_free(d);
	free(buf);
}

/*
 * Hand geometry: dense block = 3 rows x 2 x vb bytes. Rows (REPLY, PUSH): entry 4 + 2 vb;
 * elements (MIRROR, HUB): entry 4 + vb. n_sparse stays sparse, n_dense goes dense:
 *   vb 4: dense 24; rows 12/entry: 2 -> 24 (tie: sparse), 3 -> 36; elements 8: 3 -> 24, 4 -> 32
 *   vb 8: dense 48; rows 20/entry: 2 -> 40, 3 -> 60; elements 12: 4 -> 48, 5 -> 60
 */
static void test_round_trip_every_kind(void)
{
	for (int vb = 4; vb <= 8; vb += 4) {
		struct msg_format f = fmt(vb);
		for (int k = 0; k < MSG_NKINDS; k++) {
			size_t sp, de = 0;
			if (k == MSG_REPLY || k == MSG_PUSH) {
				sp = 2;
				de = 3;
			} else if (k == MSG_MIRROR || k == MSG_HUB) {
				sp = vb == 4 ? 3 : 4;
				de = vb == 4 ? 4 : 5;
			} else {
				sp = is_clock(k) ? 0 : 3;
			}
			struct msg *m = hand_msg(k, sp);
			round_trip(m, &f, 0);
			msg_free(m);
			if (de) {
				m = hand_msg(k, de);
				round_trip(m, &f, 1);
				msg_free(m);
			}
			m = hand_msg(k, 0); /* empty payload */
			round_trip(m, &f, 0);
			msg_free(m);
		}
	}
}

/* Sizes worked by hand from the formulas (header 64, index 4, value 4, 3 owned rows of 2). */
static void test_sizes_by_hand(void)
{
	struct msg_format f = fmt(4);
	static const struct {
		enum msg_kind k;
		size_t n;
		double bytes;
	} cases[] = {
		{ MSG_READ, 3, 64 + 3 * 4 },                /* header + n x index */
		{ MSG_REPLY, 1, 64 + 1 * (4 + 2 * 4) },     /* sparse 12 < dense 24 */
		{ MSG_REPLY, 3, 64 + 3 * 2 * 4 },           /* dense 24 < sparse 36 */
		{ MSG_PUSH, 2, 64 + 24 },                   /* tie 24 = 24 */
		{ MSG_MIRROR, 2, 64 + 2 * (4 + 4) },        /* sparse 16 < dense 24 */
		{ MSG_MIRROR, 5, 64 + 6 * 4 },              /* dense 24 < sparse 40 */
		{ MSG_HUB, 1, 64 + 8 },
		{ MSG_HUB, 6, 64 + 24 },
		{ MSG_BARRIER, 2, 64 + 2 * 4 },
		{ MSG_MCLOCK, 0, 64 + 8 },
		{ MSG_HCLOCK, 0, 64 + 8 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct msg *m = hand_msg(cases[i].k, cases[i].n);
		size_t len;
		uint8_t *buf = encode(m, &f, &len);
		CU_ASSERT_EQUAL(msg_wire_bytes(m, &f), cases[i].bytes);
		CU_ASSERT_EQUAL((double)len, cases[i].bytes);
		/* A larger header_bytes is framing overhead: charged, not encoded. */
		struct msg_format g = f;
		g.header_bytes = 100;
		CU_ASSERT_EQUAL(msg_wire_bytes(m, &g), cases[i].bytes + 36);
		CU_ASSERT_EQUAL(msg_encoded_bytes(m, &g), len);
		free(buf);
		msg_free(m);
	}
	/* float64: a MIRROR of 4 elements = min(4 x 12, 6 x 8) = 48 (tie, sparse). */
	f = fmt(8);
	struct msg *m = hand_msg(MSG_MIRROR, 4);
	CU_ASSERT_EQUAL(msg_wire_bytes(m, &f), 64 + 48);
	msg_free(m);
}

/* The exact bytes of a small frame, written out from the layout table of the docs. */
static void test_header_layout(void)
{
	struct msg_format f = fmt(4);
	struct msg *m = msg_new(MSG_BARRIER, 1, 0);
	m->src = 0x0102;
	m->dst = 3;
	m->clock = 7;
	m->shard = SHARD;
	m->replica = 2;
	m->lane = 1;
	m->batch = 0x11;
	m->idx[0] = 2; /* local row 2 */
	size_t len;
	uint8_t *buf = encode(m, &f, &len);
	uint8_t want[68] = { 68, 0, 0, 0, 'G', 'A', 'I', 'A', 1, MSG_BARRIER, 0, 1,
	                     0x02, 0x01, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0,
	                     7, 0, 0, 0, 0, 0, 0, 0, 0x11 };
	want[64] = 2;
	CU_ASSERT_EQUAL_FATAL(len, 68);
	CU_ASSERT_EQUAL(memcmp(buf, want, 68), 0);
	free(buf);
	msg_free(m);
}

/* A real NaN is sent as a quiet NaN and arrives present; even one carrying the marker's bits. */
static void test_nan_marker(void)
{
	for (int vb = 4; vb <= 8; vb += 4) {
		struct msg_format f = fmt(vb);
		struct msg *m = hand_msg(MSG_MIRROR, 5); /* dense */
		uint64_t na = UINT64_C(0x7ff00000000007a2); /* R's NA_real_ */
		memcpy(&m->val[0], &na, sizeof na);
		m->val[1] = NAN;
		m->val[2] = -INFINITY;
		size_t len, used;
		uint8_t *buf = encode(m, &f, &len);
		CU_ASSERT_EQUAL(buf[10] & 1, 1);
		struct msg *d;
		CU_ASSERT_EQUAL_FATAL(msg_decode(buf, len, &f, &d, &used), MSG_OK);
		CU_ASSERT_EQUAL_FATAL(d->n, 5);
		CU_ASSERT(isnan(d->val[0]) && isnan(d->val[1]));
		CU_ASSERT(isinf(d->val[2]) && d->val[2] < 0);
		/* the quiet NaN written: 0x7fc00000 / 0x7ff8000000000000 */
		uint8_t q4[4] = { 0, 0, 0xc0, 0x7f }, q8[8] = { 0, 0, 0, 0, 0, 0, 0xf8, 0x7f };
		CU_ASSERT_EQUAL(memcmp(buf + 64, vb == 4 ? q4 : q8, (size_t)vb), 0);
		msg_free(d);
		free(buf);
		msg_free(m);
	}
	/* float32: beyond FLT_MAX becomes an infinity. */
	struct msg_format f = fmt(4);
	struct msg *m = hand_msg(MSG_HUB, 1);
	m->val[0] = -1e300;
	size_t len, used;
	uint8_t *buf = encode(m, &f, &len);
	struct msg *d;
	CU_ASSERT_EQUAL_FATAL(msg_decode(buf, len, &f, &d, &used), MSG_OK);
	CU_ASSERT(isinf(d->val[0]) && d->val[0] < 0);
	msg_free(d);
	free(buf);
	msg_free(m);
}

/* Dense blocks come back in ascending position order whatever order they were given in. */
static void test_dense_order(void)
{
	struct msg_format f = fmt(8);
	struct msg *m = hand_msg(MSG_REPLY, 3);
	uint32_t r = m->idx[0];
	m->idx[0] = m->idx[2];
	m->idx[2] = r;
	double v0 = m->val[0];
	m->val[0] = m->val[4];
	m->val[4] = v0;
	size_t len, used;
	uint8_t *buf = encode(m, &f, &len);
	struct msg *d;
	CU_ASSERT_EQUAL_FATAL(msg_decode(buf, len, &f, &d, &used), MSG_OK);
	CU_ASSERT_EQUAL(d->idx[0], 1);
	CU_ASSERT_EQUAL(d->idx[1], 4);
	CU_ASSERT_EQUAL(d->idx[2], 7);
	CU_ASSERT_EQUAL(d->val[0], 0.1);        /* row 1 = first entry of hand_msg */
	CU_ASSERT_EQUAL(d->val[4], 0.1 * 3.0); /* row 7 */
	msg_free(d);
	free(buf);
	msg_free(m);
}

static void test_encoder_refuses(void)
{
	struct msg_format f = fmt(4);
	size_t len;
	uint8_t buf[256];
	struct msg *m = hand_msg(MSG_READ, 2);
	m->idx[1] = 2; /* row 2 belongs to shard 2 */
	CU_ASSERT_EQUAL(msg_encode(m, &f, buf, sizeof buf, &len), MSG_ERANGE);
	m->idx[1] = 10; /* row 10: local row 3 >= owned */
	CU_ASSERT_EQUAL(msg_encode(m, &f, buf, sizeof buf, &len), MSG_ERANGE);
	msg_free(m);
	m = hand_msg(MSG_REPLY, 3); /* dense */
	m->idx[2] = m->idx[0];
	CU_ASSERT_EQUAL(msg_encode(m, &f, buf, sizeof buf, &len), MSG_EINVAL); /* duplicate */
	msg_free(m);
	m = hand_msg(MSG_PUSH, 1);
	CU_ASSERT_EQUAL(msg_encode(m, &f, buf, 10, &len), MSG_ESPACE);
	CU_ASSERT_EQUAL(len, 64 + 12);
	m->shard = 0; /* not the format's shard */
	CU_ASSERT_EQUAL(msg_encode(m, &f, buf, sizeof buf, &len), MSG_EINVAL);
	msg_free(m);
	f.value_bytes = 2;
	m = hand_msg(MSG_MCLOCK, 0);
	CU_ASSERT_EQUAL(msg_encode(m, &f, buf, sizeof buf, &len), MSG_EINVAL);
	msg_free(m);
}

/* Valid frames of every kind, for the rejection tests. */
static uint8_t *sample(enum msg_kind k, size_t n, int vb, size_t *len)
{
	struct msg_format f = fmt(vb);
	struct msg *m = hand_msg(k, n);
	uint8_t *buf = encode(m, &f, len);
	msg_free(m);
	return buf;
}

static int decode_rc(const uint8_t *buf, size_t len, int vb)
{
	struct msg_format f = fmt(vb);
	struct msg *d = (struct msg *)1;
	size_t used;
	int rc = msg_decode(buf, len, &f, &d, &used);
	CU_ASSERT((rc == MSG_OK) == (d != NULL));
	msg_free(d);
	return rc;
}

static void test_reject_truncated(void)
{
	static const size_t ns[MSG_NKINDS] = { 3, 3, 1, 5, 0, 2, 2, 0 };
	for (int k = 0; k < MSG_NKINDS; k++) {
		size_t len;
		uint8_t *buf = sample(k, ns[k], 4, &len);
		for (size_t cut = 0; cut < len; cut++) {
			uint8_t *part = malloc(cut + 1); /* exactly cut bytes readable to ASan */
			memcpy(part, buf, cut);
			CU_ASSERT_EQUAL(decode_rc(part, cut, 4), MSG_ETRUNC);
			free(part);
		}
		CU_ASSERT_EQUAL(decode_rc(buf, len, 4), MSG_OK);
		free(buf);
	}
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Apply one corruption to a copy of a frame and return the decoder's verdict. */
static int corrupt(enum msg_kind k, size_t n, size_t at, const uint8_t *bytes, size_t nbytes)
{
	size_t len;
	uint8_t *buf = sample(k, n, 4, &len);
	if (at + nbytes <= len)
		memcpy(buf + at, bytes, nbytes);
	int rc = decode_rc(buf, len, 4);
	free(buf);
	return rc;
}

static void test_reject_corrupt(void)
{
	uint8_t b[4];
	CU_ASSERT_EQUAL(corrupt(MSG_READ, 2, 4, (const uint8_t *)"GAIB", 4), MSG_EMAGIC);
	b[0] = 2;
	CU_ASSERT_EQUAL(corrupt(MSG_READ, 2, 8, b, 1), MSG_EVERSION);
	b[0] = 0;
	CU_ASSERT_EQUAL(corrupt(MSG_READ, 2, 8, b, 1), MSG_EVERSION);
	b[0] = MSG_NKINDS;
	CU_ASSERT_EQUAL(corrupt(MSG_READ, 2, 9, b, 1), MSG_EKIND);
	b[0] = 255;
	CU_ASSERT_EQUAL(corrupt(MSG_READ, 2, 9, b, 1), MSG_EKIND);
	/* n larger than the length allows (sparse), and the largest n */
	put32(b, 3);
	CU_ASSERT_EQUAL(corrupt(MSG_READ, 2, 28, b, 4), MSG_ECOUNT);
	put32(b, UINT32_MAX);
	CU_ASSERT_EQUAL(corrupt(MSG_PUSH, 1, 28, b, 4), MSG_ECOUNT);
	CU_ASSERT_EQUAL(corrupt(MSG_MIRROR, 2, 28, b, 4), MSG_ECOUNT);
	/* dense: n must count the present rows */
	put32(b, 2);
	CU_ASSERT_EQUAL(corrupt(MSG_REPLY, 3, 28, b, 4), MSG_ECOUNT);
	/* clock messages carry no entries */
	put32(b, 1);
	CU_ASSERT_EQUAL(corrupt(MSG_MCLOCK, 0, 28, b, 4), MSG_ECOUNT);
	/* indices out of range: another shard's row, a row past the shard, a local row >= owned */
	put32(b, 2);
	CU_ASSERT_EQUAL(corrupt(MSG_READ, 2, 64 + 4, b, 4), MSG_ERANGE);
	put32(b, 10);
	CU_ASSERT_EQUAL(corrupt(MSG_PUSH, 1, 64, b, 4), MSG_ERANGE);
	put32(b, 3);
	CU_ASSERT_EQUAL(corrupt(MSG_BARRIER, 2, 64, b, 4), MSG_ERANGE);
	put32(b, (uint32_t)((0 * NSHARDS + 0) * RL + 1)); /* element of row 0: shard 0's */
	CU_ASSERT_EQUAL(corrupt(MSG_HUB, 2, 64, b, 4), MSG_ERANGE);
	/* lengths: oversized (limit + 1), below the header, one more than the payload */
	struct msg_format f = fmt(4);
	put32(b, (uint32_t)msg_format_max(&f) + 1);
	CU_ASSERT_EQUAL(corrupt(MSG_READ, 2, 0, b, 4), MSG_ELIMIT);
	put32(b, UINT32_MAX);
	CU_ASSERT_EQUAL(corrupt(MSG_READ, 2, 0, b, 4), MSG_ELIMIT);
	put32(b, 63);
	CU_ASSERT_EQUAL(corrupt(MSG_READ, 2, 0, b, 4), MSG_ELIMIT);
	put32(b, 64 + 8 + 1);
	CU_ASSERT_EQUAL(corrupt(MSG_READ, 2, 0, b, 4), MSG_ETRUNC);
	/* header fields: unknown flag, width mismatch, dense on READ, lane, wait, pad, shard,
	 * node, reserved bytes */
	b[0] = 0x04;
	CU_ASSERT_EQUAL(corrupt(MSG_READ, 2, 10, b, 1), MSG_EHEADER);
	b[0] = 0x02;
	CU_ASSERT_EQUAL(corrupt(MSG_PUSH, 1, 10, b, 1), MSG_EHEADER);
	b[0] = 0x01;
	CU_ASSERT_EQUAL(corrupt(MSG_READ, 2, 10, b, 1), MSG_EHEADER);
	b[0] = 2;
	CU_ASSERT_EQUAL(corrupt(MSG_READ, 2, 11, b, 1), MSG_EHEADER);
	b[0] = MSG_NWAIT;
	CU_ASSERT_EQUAL(corrupt(MSG_REPLY, 1, 26, b, 1), MSG_EHEADER);
	b[0] = 1;
	CU_ASSERT_EQUAL(corrupt(MSG_PUSH, 1, 26, b, 1), MSG_EHEADER);
	CU_ASSERT_EQUAL(corrupt(MSG_PUSH, 1, 27, b, 1), MSG_EHEADER);
	put32(b, 2);
	CU_ASSERT_EQUAL(corrupt(MSG_PUSH, 1, 20, b, 4), MSG_EHEADER);
	put32(b, 16);
	CU_ASSERT_EQUAL(corrupt(MSG_PUSH, 1, 16, b, 4), MSG_EHEADER);
	b[0] = 1;
	CU_ASSERT_EQUAL(corrupt(MSG_MIRROR, 2, 48, b, 1), MSG_EHEADER);
	CU_ASSERT_EQUAL(corrupt(MSG_READ, 2, 63, b, 1), MSG_EHEADER);
	/* a dense row with one value marked absent and the other not */
	uint8_t na[4] = { 0xa2, 0x07, 0x80, 0x7f };
	CU_ASSERT_EQUAL(corrupt(MSG_REPLY, 3, 64, na, 4), MSG_EVALUE);
	/* both values of a present row marked absent: then n no longer matches */
	size_t len;
	uint8_t *buf = sample(MSG_REPLY, 3, 4, &len);
	memcpy(buf + 64, na, 4);
	memcpy(buf + 68, na, 4);
	CU_ASSERT_EQUAL(decode_rc(buf, len, 4), MSG_ECOUNT);
	free(buf);
}

/* A random valid message of a random geometry: unique positions, any values. */
static struct msg *random_msg(struct rng *r, struct msg_format *f)
{
	*f = (struct msg_format){ .value_bytes = rng_below(r, 2) ? 8 : 4,
	                          .header_bytes = 64,
	                          .row_len = 1 + rng_below(r, 4),
	                          .nshards = 1 + rng_below(r, 4) };
	f->shard = rng_below(r, f->nshards);
	size_t nrows = rng_below(r, 20);
	f->owned = nrows > f->shard ? (nrows - f->shard + f->nshards - 1) / f->nshards : 0;
	enum msg_kind k = (enum msg_kind)rng_below(r, MSG_NKINDS);
	size_t v = vpe(k, f->row_len);
	size_t npos = v == 1 ? f->owned * f->row_len : f->owned;
	size_t n = is_clock(k) || !npos ? 0 : rng_below(r, npos + 1);
	struct msg *m = msg_new(k, n, v);
	fill_header(m, (int)f->shard);
	m->clock = (int64_t)rng_u64(r);
	/* n distinct positions: a partial Fisher-Yates shuffle of 0..npos-1 */
	size_t *pos = malloc((npos + 1) * sizeof *pos);
	for (size_t i = 0; i < npos; i++)
		pos[i] = i;
	for (size_t i = 0; i < n; i++) {
		size_t j = i + rng_below(r, npos - i), t = pos[i];
		pos[i] = pos[j];
		pos[j] = t;
		size_t p = pos[i], S = f->nshards, rl = f->row_len;
		m->idx[i] = k == MSG_BARRIER ? (uint32_t)p
		          : v == 1 ? (uint32_t)(((p / rl) * S + f->shard) * rl + p % rl)
		                   : (uint32_t)(p * S + f->shard);
		for (size_t j2 = 0; j2 < v; j2++) {
			double x = rng_normal(r) * 1e3;
			uint64_t c = rng_below(r, 20);
			m->val[i * v + j2] = c == 0 ? NAN : c == 1 ? -0.0 : c == 2 ? INFINITY : x;
		}
	}
	free(pos);
	return m;
}

static int cmp_entry_idx(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* Sort a message's entries by index (dense blocks decode in ascending order). */
static void sort_entries(struct msg *m, size_t v)
{
	size_t rec = sizeof(uint32_t) + v * sizeof(double);
	uint8_t *tmp = malloc(m->n * rec + 1);
	for (size_t i = 0; i < m->n; i++) {
		memcpy(tmp + i * rec, &m->idx[i], sizeof(uint32_t));
		memcpy(tmp + i * rec + sizeof(uint32_t), m->val + i * v, v * sizeof(double));
	}
	qsort(tmp, m->n, rec, cmp_entry_idx);
	for (size_t i = 0; i < m->n; i++) {
		memcpy(&m->idx[i], tmp + i * rec, sizeof(uint32_t));
		memcpy(m->val + i * v, tmp + i * rec + sizeof(uint32_t), v * sizeof(double));
	}
	free(tmp);
}

static void test_random_round_trips(void)
{
	struct rng r;
	rng_init(&r, 20170327, 1);
	int dense = 0;
	for (int it = 0; it < 3000; it++) {
		struct msg_format f;
		struct msg *m = random_msg(&r, &f);
		size_t len, used;
		size_t cap = msg_encoded_bytes(m, &f);
		uint8_t *buf = malloc(cap);
		CU_ASSERT_EQUAL_FATAL(msg_encode(m, &f, buf, cap, &len), MSG_OK);
		CU_ASSERT_EQUAL(msg_wire_bytes(m, &f), (double)len);
		dense += buf[10] & 1;
		struct msg *d;
		CU_ASSERT_EQUAL_FATAL(msg_decode(buf, len, &f, &d, &used), MSG_OK);
		if (buf[10] & 1)
			sort_entries(m, vpe(m->kind, f.row_len));
		assert_same(m, d, f.value_bytes, f.row_len);
		msg_free(d);
		free(buf);
		msg_free(m);
	}
	CU_ASSERT(dense > 100); /* both forms were exercised */
}

/* Seeded mutations of valid frames and random buffers: never a crash, an error or a message. */
static void test_garbage(void)
{
	struct rng r;
	rng_init(&r, 42, 2);
	int rejected = 0, total = 0;
	for (int it = 0; it < 20000; it++) {
		struct msg_format f;
		struct msg *m = random_msg(&r, &f);
		size_t len, used;
		size_t cap = msg_encoded_bytes(m, &f);
		uint8_t *buf = malloc(cap);
		CU_ASSERT_EQUAL_FATAL(msg_encode(m, &f, buf, cap, &len), MSG_OK);
		msg_free(m);
		int flips = 1 + (int)rng_below(&r, 4);
		for (int j = 0; j < flips; j++) {
			size_t at = rng_below(&r, len);
			if (rng_below(&r, 2))
				buf[at] ^= (uint8_t)(1u << rng_below(&r, 8));
			else
				buf[at] = (uint8_t)rng_u64(&r);
		}
		size_t cut = rng_below(&r, 4) ? len : rng_below(&r, len + 1);
		uint8_t *in = malloc(cut + 1);
		memcpy(in, buf, cut);
		struct msg *d;
		int rc = msg_decode(in, cut, &f, &d, &used);
		CU_ASSERT((rc == MSG_OK) == (d != NULL));
		if (rc == MSG_OK)
			CU_ASSERT(used <= cut && d->n <= used);
		rejected += rc != MSG_OK;
		total++;
		msg_free(d);
		free(in);
		free(buf);
	}
	CU_ASSERT(rejected > total / 4);
	/* random bytes (no magic): always rejected */
	for (int it = 0; it < 2000; it++) {
		size_t n = rng_below(&r, 200);
		uint8_t *in = malloc(n + 1);
		for (size_t i = 0; i < n; i++)
			in[i] = (uint8_t)rng_u64(&r);
		CU_ASSERT_NOT_EQUAL(decode_rc(in, n, 4), MSG_OK);
		free(in);
	}
}

static void test_frame_length_and_peek(void)
{
	struct msg_format f = fmt(4);
	size_t len, frame = 0;
	uint8_t *buf = sample(MSG_PUSH, 1, 4, &len);
	CU_ASSERT_EQUAL(msg_frame_length(buf, 7, &f, &frame), MSG_ETRUNC);
	CU_ASSERT_EQUAL(msg_frame_length(buf, 8, &f, &frame), MSG_OK);
	CU_ASSERT_EQUAL(frame, len);
	enum msg_kind k;
	int src, dst, shard;
	CU_ASSERT_EQUAL(msg_peek(buf, 63, &k, &src, &dst, &shard), MSG_ETRUNC);
	CU_ASSERT_EQUAL(msg_peek(buf, 64, &k, &src, &dst, &shard), MSG_OK);
	CU_ASSERT(k == MSG_PUSH && src == 5 && dst == 9 && shard == SHARD);
	/* the default limit: the largest legitimate frame (dense 3 x 2 x 4 = 24 > READ's 3 x 4) */
	CU_ASSERT_EQUAL(msg_format_max(&f), 64 + 24);
	free(buf);
}

int main(void)
{
	static const struct testutil_case cases[] = {
		{ "round trip of every kind, sparse and dense, float32 and float64",
		  test_round_trip_every_kind },
		{ "sizes worked by hand", test_sizes_by_hand },
		{ "header layout byte by byte", test_header_layout },
		{ "NaN marker and canonical NaN", test_nan_marker },
		{ "dense blocks decode in ascending order", test_dense_order },
		{ "encoder refuses what it cannot carry", test_encoder_refuses },
		{ "truncated frames at every cut", test_reject_truncated },
		{ "corrupted frames", test_reject_corrupt },
		{ "random messages round-trip, wire bytes = encoded", test_random_round_trips },
		{ "seeded garbage never crashes", test_garbage },
		{ "frame length and peek", test_frame_length_and_peek },
		{ NULL, NULL },
	};
	testutil_suite("msg", cases);
	return testutil_run();
}
