/*
 * Parameter-server messages: allocation and sharing, and the wire format of
 * docs/wire-format.md (version 1). Every multi-byte field is little-endian and written byte by
 * byte, so the encoding does not depend on the host. The decoder checks lengths before every
 * read and each field before it is used; the encoder refuses messages the format cannot carry.
 */
#include "ps/msg.h"

#include <assert.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"

const char *const msg_kind_names[MSG_NKINDS] = {
	"read", "reply", "push", "mirror", "mirror_clock", "barrier", "hub", "hub_clock",
};

struct msg *msg_new(enum msg_kind kind, size_t n, size_t vals_per_entry)
{
	struct msg *m = xcalloc(1, sizeof *m);
	m->kind = kind;
	m->n = n;
	if (n) {
		m->idx = xmalloc(n * sizeof *m->idx);
		if (vals_per_entry)
			m->val = xmalloc(n * vals_per_entry * sizeof *m->val);
	}
	return m;
}

void msg_free(struct msg *m)
{
	if (!m)
		return;
	if (m->shared && --*m->shared > 0) {
		free(m); /* the payload stays with the other holders */
		return;
	}
	free(m->shared);
	free(m->idx);
	free(m->val);
	free(m);
}

void msg_share(struct msg *to, struct msg *from)
{
	assert(!to->idx && !to->val && !to->shared);
	if (!from->shared) {
		from->shared = xmalloc(sizeof *from->shared);
		*from->shared = 1;
	}
	++*from->shared;
	to->shared = from->shared;
	to->n = from->n;
	to->idx = from->idx;
	to->val = from->val;
}

/* ---- header layout (byte offsets; docs/wire-format.md has the table) ---- */

enum {
	OFF_LENGTH = 0,   /* u32 frame length, bytes, header included */
	OFF_MAGIC = 4,    /* "GAIA" */
	OFF_VERSION = 8,  /* u8 */
	OFF_KIND = 9,     /* u8 enum msg_kind */
	OFF_FLAGS = 10,   /* u8 FLAG_* */
	OFF_LANE = 11,    /* u8 0 or 1 */
	OFF_SRC = 12,     /* u32 node */
	OFF_DST = 16,     /* u32 node */
	OFF_SHARD = 20,   /* u32 shard index */
	OFF_REPLICA = 24, /* u16 sender's replica */
	OFF_WAIT = 26,    /* u8 REPLY: wait reason */
	OFF_PAD = 27,     /* u8 zero */
	OFF_N = 28,       /* u32 entries */
	OFF_CLOCK = 32,   /* i64 clock */
	OFF_KIND_A = 40,  /* i64/u64 REPLY: served_clock; MIRROR, BARRIER, HUB: batch */
	OFF_KIND_B = 48,  /* i64 REPLY: local_clock */
	OFF_KIND_C = 56,  /* i64 REPLY: held, ns */
};

#define FLAG_DENSE 0x01u /* payload is a dense block of the shard's positions */
#define FLAG_F64 0x02u   /* values are float64 (else float32) */
#define MAGIC_STR "GAIA"
#define MAX_REPLICA 0xffffu

/* Reserved absent-position markers (signalling NaNs, as R's NA_real_) and canonical quiet
 * NaNs that every real NaN is written as. */
#define NA_F64 UINT64_C(0x7ff00000000007a2)
#define NA_F32 UINT32_C(0x7f8007a2)
#define QNAN_F64 UINT64_C(0x7ff8000000000000)
#define QNAN_F32 UINT32_C(0x7fc00000)

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Two's complement int64 <-> uint64 without implementation-defined conversions. */
static uint64_t i64_bits(int64_t v)
{
	return v < 0 ? ~(uint64_t)(-(v + 1)) : (uint64_t)v;
}

static int64_t bits_i64(uint64_t u)
{
	return u > (uint64_t)INT64_MAX ? -(int64_t)(~u) - 1 : (int64_t)u;
}

/* ---- values ---- */

static void put_value(uint8_t *p, double v, int width)
{
	if (width == 8) {
		uint64_t u;
		memcpy(&u, &v, sizeof u);
		put_u64(p, isnan(v) ? QNAN_F64 : u);
		return;
	}
	uint32_t u;
	if (isnan(v)) {
		u = QNAN_F32;
	} else {
		/* Magnitudes beyond float32 become infinities (no out-of-range conversion). */
		float f = fabs(v) <= FLT_MAX ? (float)v : v > 0 ? INFINITY : -INFINITY;
		memcpy(&u, &f, sizeof u);
	}
	put_u32(p, u);
}

static void put_absent(uint8_t *p, int width)
{
	if (width == 8)
		put_u64(p, NA_F64);
	else
		put_u32(p, NA_F32);
}

static int is_absent(const uint8_t *p, int width)
{
	return width == 8 ? get_u64(p) == NA_F64 : get_u32(p) == NA_F32;
}

static double get_value(const uint8_t *p, int width)
{
	if (width == 8) {
		uint64_t u = get_u64(p);
		double d;
		memcpy(&d, &u, sizeof d);
		return d;
	}
	uint32_t u = get_u32(p);
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

/* ---- sizes ---- */

static int format_ok(const struct msg_format *f)
{
	return (f->value_bytes == 4 || f->value_bytes == 8) &&
	       f->header_bytes >= MSG_HEADER_BYTES && f->row_len >= 1 && f->nshards >= 1 && f->shard < f->nshards;
}

/* Values per entry: row_len for row payloads, 1 for element payloads, 0 otherwise. */
static size_t vals_per_entry(enum msg_kind kind, const struct msg_format *f)
{
	switch (kind) {
	case MSG_REPLY:
	case MSG_PUSH:
		return f->row_len;
	case MSG_MIRROR:
	case MSG_HUB:
		return 1;
	default:
		return 0;
	}
}

static int has_values(enum msg_kind kind)
{
	return kind == MSG_REPLY || kind == MSG_PUSH || kind == MSG_MIRROR || kind == MSG_HUB;
}

static size_t sparse_bytes(enum msg_kind kind, size_t n, const struct msg_format *f)
{
	return n * (MSG_INDEX_BYTES + vals_per_entry(kind, f) * (size_t)f->value_bytes);
}

static size_t dense_bytes(const struct msg_format *f)
{
	return f->owned * f->row_len * (size_t)f->value_bytes;
}

/* 1 if a message of this kind with n entries travels as a dense block (strictly smaller). */
static int is_dense(enum msg_kind kind, size_t n, const struct msg_format *f)
{
	return has_values(kind) && dense_bytes(f) < sparse_bytes(kind, n, f);
}

static size_t payload_bytes(enum msg_kind kind, size_t n, const struct msg_format *f)
{
	if (kind == MSG_MCLOCK || kind == MSG_HCLOCK)
		return MSG_CLOCK_PAYLOAD;
	return is_dense(kind, n, f) ? dense_bytes(f) : sparse_bytes(kind, n, f);
}

size_t msg_encoded_bytes(const struct msg *m, const struct msg_format *f)
{
	return MSG_HEADER_BYTES + payload_bytes(m->kind, m->n, f);
}

double msg_wire_bytes(const struct msg *m, const struct msg_format *f)
{
	return (double)(f->header_bytes + payload_bytes(m->kind, m->n, f));
}

size_t msg_format_max(const struct msg_format *f)
{
	size_t a = dense_bytes(f), b = f->owned * MSG_INDEX_BYTES;
	size_t p = a > b ? a : b;
	return MSG_HEADER_BYTES + (p > MSG_CLOCK_PAYLOAD ? p : MSG_CLOCK_PAYLOAD);
}

static size_t limit_of(const struct msg_format *f)
{
	size_t lim = f->max_bytes ? f->max_bytes : msg_format_max(f);
	return lim < UINT32_MAX ? lim : UINT32_MAX;
}

const char *msg_strerror(int err)
{
	switch (err) {
	case MSG_OK: return "ok";
	case MSG_ETRUNC: return "truncated frame";
	case MSG_ELIMIT: return "frame length out of bounds";
	case MSG_EMAGIC: return "bad magic";
	case MSG_EVERSION: return "unknown version";
	case MSG_EKIND: return "unknown message kind";
	case MSG_EHEADER: return "bad header field";
	case MSG_ECOUNT: return "entry count inconsistent with the frame";
	case MSG_ERANGE: return "index outside the shard";
	case MSG_EVALUE: return "dense row partly absent";
	case MSG_ESPACE: return "buffer too small";
	case MSG_EINVAL: return "message not encodable";
	default: return "unknown error";
	}
}

/* ---- index mapping ---- */

/* Dense position of a payload index (local row for rows, local element for elements), or
 * SIZE_MAX if the index is outside the shard. */
static size_t index_position(enum msg_kind kind, uint32_t idx, const struct msg_format *f)
{
	size_t S = f->nshards, rl = f->row_len;
	switch (kind) {
	case MSG_BARRIER:
		return idx < f->owned ? idx : SIZE_MAX;
	case MSG_READ:
	case MSG_REPLY:
	case MSG_PUSH:
		return idx % S == f->shard && idx / S < f->owned ? idx / S : SIZE_MAX;
	case MSG_MIRROR:
	case MSG_HUB: {
		size_t row = idx / rl, k = idx % rl;
		return row % S == f->shard && row / S < f->owned ? (row / S) * rl + k : SIZE_MAX;
	}
	default:
		return SIZE_MAX;
	}
}

/* Global index of a dense position (inverse of index_position). */
static uint32_t position_index(enum msg_kind kind, size_t pos, const struct msg_format *f)
{
	size_t S = f->nshards, rl = f->row_len;
	if (kind == MSG_REPLY || kind == MSG_PUSH)
		return (uint32_t)(pos * S + f->shard);
	return (uint32_t)(((pos / rl) * S + f->shard) * rl + pos % rl);
}

/* ---- encoder ---- */

static int check_encodable(const struct msg *m, const struct msg_format *f, size_t total)
{
	if (!format_ok(f) || (unsigned)m->kind >= MSG_NKINDS || total > UINT32_MAX ||
	    m->n > UINT32_MAX)
		return MSG_EINVAL;
	if (m->lane < 0 || m->lane > 1 || m->src < 0 || m->dst < 0 || m->replica < 0 ||
	    (unsigned)m->replica > MAX_REPLICA || m->shard < 0 || (size_t)m->shard != f->shard)
		return MSG_EINVAL;
	if (m->kind == MSG_REPLY && (m->wait < 0 || m->wait >= MSG_NWAIT))
		return MSG_EINVAL;
	if ((m->kind == MSG_MCLOCK || m->kind == MSG_HCLOCK) && m->n)
		return MSG_EINVAL;
	if (m->n && (!m->idx || (has_values(m->kind) && !m->val)))
		return MSG_EINVAL;
	for (size_t i = 0; i < m->n; i++)
		if (index_position(m->kind, m->idx[i], f) == SIZE_MAX)
			return MSG_ERANGE;
	return MSG_OK;
}

static void encode_header(const struct msg *m, const struct msg_format *f, uint8_t *p,
                          size_t total, int dense)
{
	memset(p, 0, MSG_HEADER_BYTES);
	put_u32(p + OFF_LENGTH, (uint32_t)total);
	memcpy(p + OFF_MAGIC, MAGIC_STR, 4);
	p[OFF_VERSION] = MSG_WIRE_VERSION;
	p[OFF_KIND] = (uint8_t)m->kind;
	p[OFF_FLAGS] = (uint8_t)((dense ? FLAG_DENSE : 0) | (f->value_bytes == 8 ? FLAG_F64 : 0));
	p[OFF_LANE] = (uint8_t)m->lane;
	put_u32(p + OFF_SRC, (uint32_t)m->src);
	put_u32(p + OFF_DST, (uint32_t)m->dst);
	put_u32(p + OFF_SHARD, (uint32_t)m->shard);
	put_u16(p + OFF_REPLICA, (uint16_t)m->replica);
	put_u32(p + OFF_N, (uint32_t)m->n);
	put_u64(p + OFF_CLOCK, i64_bits(m->clock));
	switch (m->kind) {
	case MSG_REPLY:
		p[OFF_WAIT] = (uint8_t)m->wait;
		put_u64(p + OFF_KIND_A, i64_bits(m->served_clock));
		put_u64(p + OFF_KIND_B, i64_bits(m->local_clock));
		put_u64(p + OFF_KIND_C, i64_bits(m->held));
		break;
	case MSG_MIRROR:
	case MSG_BARRIER:
	case MSG_HUB:
		put_u64(p + OFF_KIND_A, m->batch);
		break;
	default:
		break;
	}
}

static void encode_sparse(const struct msg *m, const struct msg_format *f, uint8_t *p)
{
	size_t vpe = vals_per_entry(m->kind, f), w = (size_t)f->value_bytes;
	for (size_t i = 0; i < m->n; i++)
		put_u32(p + i * MSG_INDEX_BYTES, m->idx[i]);
	p += m->n * MSG_INDEX_BYTES;
	for (size_t i = 0; i < m->n * vpe; i++)
		put_value(p + i * w, m->val[i], f->value_bytes);
}

/* Every owned position, absent ones marked; MSG_EINVAL if a position is given twice. */
static int encode_dense(const struct msg *m, const struct msg_format *f, uint8_t *p)
{
	size_t vpe = vals_per_entry(m->kind, f), w = (size_t)f->value_bytes;
	size_t npos = f->owned * f->row_len;
	for (size_t i = 0; i < npos; i++)
		put_absent(p + i * w, f->value_bytes);
	for (size_t i = 0; i < m->n; i++) {
		size_t at = index_position(m->kind, m->idx[i], f) * vpe; /* first value's slot */
		if (!is_absent(p + at * w, f->value_bytes))
			return MSG_EINVAL;
		for (size_t k = 0; k < vpe; k++)
			put_value(p + (at + k) * w, m->val[i * vpe + k], f->value_bytes);
	}
	return MSG_OK;
}

int msg_encode(const struct msg *m, const struct msg_format *f, uint8_t *buf, size_t cap,
               size_t *len)
{
	size_t total = msg_encoded_bytes(m, f);
	*len = total;
	int rc = check_encodable(m, f, total);
	if (rc != MSG_OK)
		return rc;
	if (cap < total)
		return MSG_ESPACE;
	int dense = is_dense(m->kind, m->n, f);
	encode_header(m, f, buf, total, dense);
	uint8_t *p = buf + MSG_HEADER_BYTES;
	if (m->kind == MSG_MCLOCK || m->kind == MSG_HCLOCK)
		put_u64(p, m->batch);
	else if (dense)
		rc = encode_dense(m, f, p);
	else
		encode_sparse(m, f, p);
	return rc;
}

/* ---- decoder ---- */

static int check_prefix(const uint8_t *buf, size_t len, size_t *frame)
{
	if (len < 8)
		return MSG_ETRUNC;
	if (memcmp(buf + OFF_MAGIC, MAGIC_STR, 4) != 0)
		return MSG_EMAGIC;
	*frame = get_u32(buf + OFF_LENGTH);
	return *frame < MSG_HEADER_BYTES ? MSG_ELIMIT : MSG_OK;
}

int msg_frame_length(const uint8_t *buf, size_t len, const struct msg_format *f, size_t *frame)
{
	int rc = check_prefix(buf, len, frame);
	if (rc == MSG_OK && *frame > limit_of(f))
		rc = MSG_ELIMIT;
	return rc;
}

int msg_peek(const uint8_t *buf, size_t len, enum msg_kind *kind, int *src, int *dst, int *shard)
{
	size_t frame;
	int rc = check_prefix(buf, len, &frame);
	if (rc != MSG_OK)
		return rc;
	if (len < MSG_HEADER_BYTES)
		return MSG_ETRUNC;
	if (buf[OFF_VERSION] != MSG_WIRE_VERSION)
		return MSG_EVERSION;
	if (buf[OFF_KIND] >= MSG_NKINDS)
		return MSG_EKIND;
	uint32_t s = get_u32(buf + OFF_SRC), d = get_u32(buf + OFF_DST);
	uint32_t h = get_u32(buf + OFF_SHARD);
	if (s > INT_MAX || d > INT_MAX || h > INT_MAX)
		return MSG_EHEADER;
	if (kind)
		*kind = (enum msg_kind)buf[OFF_KIND];
	if (src)
		*src = (int)s;
	if (dst)
		*dst = (int)d;
	if (shard)
		*shard = (int)h;
	return MSG_OK;
}

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Header fields other than length, magic, version and kind (checked by msg_peek). */
static int check_header(const uint8_t *p, const struct msg_format *f)
{
	enum msg_kind kind = (enum msg_kind)p[OFF_KIND];
	unsigned flags = p[OFF_FLAGS];
	if (flags & ~(FLAG_DENSE | FLAG_F64) || !(flags & FLAG_F64) != (f->value_bytes == 4))
		return MSG_EHEADER;
	if ((flags & FLAG_DENSE) && !has_values(kind))
		return MSG_EHEADER;
	if (p[OFF_LANE] > 1 || p[OFF_PAD] || get_u32(p + OFF_SHARD) != f->shard)
		return MSG_EHEADER;
	if (f->nodes && (get_u32(p + OFF_SRC) >= f->nodes || get_u32(p + OFF_DST) >= f->nodes))
		return MSG_EHEADER;
	if (kind == MSG_REPLY ? p[OFF_WAIT] >= MSG_NWAIT : p[OFF_WAIT] != 0)
		return MSG_EHEADER;
	size_t used = kind == MSG_REPLY ? 24 : (kind == MSG_MIRROR || kind == MSG_BARRIER ||
	                                        kind == MSG_HUB) ? 8 : 0;
	if (!all_zero(p + OFF_KIND_A + used, MSG_HEADER_BYTES - OFF_KIND_A - used))
		return MSG_EHEADER;
	return MSG_OK;
}

static void decode_header(const uint8_t *p, struct msg *m)
{
	m->lane = p[OFF_LANE];
	m->src = (int)get_u32(p + OFF_SRC);
	m->dst = (int)get_u32(p + OFF_DST);
	m->shard = (int)get_u32(p + OFF_SHARD);
	m->replica = get_u16(p + OFF_REPLICA);
	m->clock = bits_i64(get_u64(p + OFF_CLOCK));
	switch (m->kind) {
	case MSG_READ:
	case MSG_PUSH:
		m->worker = m->src;
		break;
	case MSG_REPLY:
		m->worker = m->dst;
		m->wait = p[OFF_WAIT];
		m->served_clock = bits_i64(get_u64(p + OFF_KIND_A));
		m->local_clock = bits_i64(get_u64(p + OFF_KIND_B));
		m->held = bits_i64(get_u64(p + OFF_KIND_C));
		break;
	case MSG_MIRROR:
	case MSG_BARRIER:
	case MSG_HUB:
		m->batch = get_u64(p + OFF_KIND_A);
		break;
	default:
		break;
	}
}

static int decode_sparse(const uint8_t *p, size_t plen, size_t n, const struct msg_format *f,
                         struct msg *m)
{
	size_t vpe = vals_per_entry(m->kind, f), w = (size_t)f->value_bytes;
	size_t entry = MSG_INDEX_BYTES + vpe * w;
	if (n > plen / entry || n * entry != plen)
		return MSG_ECOUNT;
	m->n = n;
	if (n) {
		m->idx = xmalloc(n * sizeof *m->idx);
		if (vpe)
			m->val = xmalloc(n * vpe * sizeof *m->val);
	}
	for (size_t i = 0; i < n; i++) {
		m->idx[i] = get_u32(p + i * MSG_INDEX_BYTES);
		if (index_position(m->kind, m->idx[i], f) == SIZE_MAX)
			return MSG_ERANGE;
	}
	p += n * MSG_INDEX_BYTES;
	for (size_t i = 0; i < n * vpe; i++)
		m->val[i] = get_value(p + i * w, f->value_bytes);
	return MSG_OK;
}

/* Present entries of a dense block; each entry's vpe values must be all present or all
 * absent. */
static int decode_dense(const uint8_t *p, size_t plen, size_t n, const struct msg_format *f,
                        struct msg *m)
{
	size_t vpe = vals_per_entry(m->kind, f), w = (size_t)f->value_bytes;
	size_t npos = f->owned * f->row_len / vpe, count = 0;
	if (plen != dense_bytes(f))
		return MSG_ECOUNT;
	for (size_t pos = 0; pos < npos; pos++) {
		const uint8_t *e = p + pos * vpe * w;
		size_t absent = 0;
		for (size_t k = 0; k < vpe; k++)
			absent += (size_t)is_absent(e + k * w, f->value_bytes);
		if (absent && absent != vpe)
			return MSG_EVALUE;
		count += !absent;
	}
	if (count != n)
		return MSG_ECOUNT;
	m->n = n;
	if (n) {
		m->idx = xmalloc(n * sizeof *m->idx);
		m->val = xmalloc(n * vpe * sizeof *m->val);
	}
	for (size_t pos = 0, i = 0; pos < npos; pos++) {
		const uint8_t *e = p + pos * vpe * w;
		if (is_absent(e, f->value_bytes))
			continue;
		m->idx[i] = position_index(m->kind, pos, f);
		for (size_t k = 0; k < vpe; k++)
			m->val[i * vpe + k] = get_value(e + k * w, f->value_bytes);
		i++;
	}
	return MSG_OK;
}

int msg_decode(const uint8_t *buf, size_t len, const struct msg_format *f, struct msg **out,
               size_t *used)
{
	*out = NULL;
	size_t frame;
	enum msg_kind kind;
	if (!format_ok(f))
		return MSG_EINVAL;
	int rc = msg_frame_length(buf, len, f, &frame);
	if (rc == MSG_OK && len < frame)
		rc = MSG_ETRUNC;
	if (rc == MSG_OK)
		rc = msg_peek(buf, len, &kind, NULL, NULL, NULL);
	if (rc == MSG_OK)
		rc = check_header(buf, f);
	if (rc != MSG_OK)
		return rc;
	struct msg *m = msg_new(kind, 0, 0);
	decode_header(buf, m);
	const uint8_t *p = buf + MSG_HEADER_BYTES;
	size_t plen = frame - MSG_HEADER_BYTES, n = get_u32(buf + OFF_N);
	if (kind == MSG_MCLOCK || kind == MSG_HCLOCK) {
		if (n != 0 || plen != MSG_CLOCK_PAYLOAD)
			rc = MSG_ECOUNT;
		else
			m->batch = get_u64(p);
	} else if (buf[OFF_FLAGS] & FLAG_DENSE) {
		rc = decode_dense(p, plen, n, f, m);
	} else {
		rc = decode_sparse(p, plen, n, f, m);
	}
	if (rc != MSG_OK) {
		msg_free(m);
		return rc;
	}
	m->wire_bytes = msg_wire_bytes(m, f);
	*used = frame;
	*out = m;
	return MSG_OK;
}
