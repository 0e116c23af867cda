/*
 * Parameter-server messages and their wire encoding. A `struct msg` is what the sync logic
 * sends through the transport seam (ps/transport.h); msg_encode/msg_decode turn it into the
 * bytes an emulated transport writes to a socket and back, and msg_wire_bytes is the size the
 * simulated transport charges to the network: the same number, computed without encoding.
 *
 * The format (docs/wire-format.md): one frame per message, a fixed 64-byte little-endian
 * header that starts with the frame's length, then a payload whose form depends on the kind:
 * indices, (index, values) entries, or a dense block of every position the shard owns with
 * absent positions marked by a reserved NaN. The decoder treats its input as hostile: it
 * returns an error for anything truncated, oversized or inconsistent, and never reads outside
 * the buffer it is given.
 */
#ifndef GAIA_MSG_H
#define GAIA_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/simtime.h"

/* Message kinds (the `wan_bytes.kind` values stored; the numbers are the wire's kind byte). */
enum msg_kind {
	MSG_READ,     /* worker -> shard: rows wanted for clock c */
	MSG_REPLY,    /* shard -> worker: those rows' values */
	MSG_PUSH,     /* worker -> shard: the worker's update for clock c */
	MSG_MIRROR,   /* shard -> mirror shard: significant updates (index, value) */
	MSG_MCLOCK,   /* shard -> mirror shard: mirror clock c (all significant updates < c sent) */
	MSG_BARRIER,  /* shard -> mirror shard: rows to block until the matching MIRROR arrives */
	MSG_HUB,      /* hub -> hub or member (gaia.hubs): a group's summed updates of one clock */
	MSG_HCLOCK,   /* hub -> hub: group clock c; hub -> member: inter-group clock c */
	MSG_NKINDS
};
extern const char *const msg_kind_names[MSG_NKINDS];

/* Values of msg.wait the wire accepts (= PS_WAIT_NKINDS of ps/ps.h, checked there). */
#define MSG_NWAIT 5

/* A message. Payload: n entries of idx[] (rows or elements) and values. */
struct msg {
	enum msg_kind kind;  /* what it is */
	int src, dst;        /* nodes */
	int64_t clock;       /* clock it belongs to */
	int worker;          /* worker id = its node (READ, PUSH: src; REPLY: dst); 0 otherwise */
	int shard;           /* shard index within its replica */
	int replica;         /* sender's replica */
	int lane;            /* ordered lane of the channel: 0 data, 1 control (overtakes data) */
	uint64_t batch;      /* MIRROR, BARRIER, HUB, clocks: batch id (pairs a barrier
	                      * with its data; a clock's batch sequence number) */
	double wire_bytes;   /* size on the wire, bytes (msg_wire_bytes) */
	size_t n;            /* payload entries */
	uint32_t *idx;       /* global rows (READ, REPLY, PUSH), local rows of the shard (BARRIER)
	                      * or global element ids row * row_len + k (MIRROR, HUB) */
	double *val;         /* values: n*row_len (REPLY, PUSH) or n (MIRROR, HUB) */
	int *shared;         /* NULL, or the number of messages sharing idx and val (msg_share);
	                      * a shared payload is read-only and never taken over */
	sim_time_t sent;     /* time sent, ns (set by ps; not on the wire) */
	sim_time_t arrived;  /* time it reached its destination, ns (set by ps; not on the wire) */
	int wait;            /* REPLY: enum ps_wait the read was last held by (< MSG_NWAIT) */
	int64_t served_clock; /* REPLY: staleness stamp: every update the model guarantees of
	                       * clocks below it is in the values (sync_ops.served_clock) */
	int64_t local_clock;  /* REPLY: the shard's own clock: the reader's own updates of clocks
	                       * below it are in the values */
	sim_time_t held;     /* REPLY: how long the shard held the read, ns */
	struct msg *next;    /* transport queue link (not on the wire) */
};

/* A message with room for n entries (and n * vals_per_entry values if that is > 0). */
struct msg *msg_new(enum msg_kind kind, size_t n, size_t vals_per_entry);
void msg_free(struct msg *m);
/*
 * Give `to` (a message with no payload) the payload of `from` (n, idx, val) without copying:
 * both then hold it read-only, and the last of them freed frees it. For one batch sent to
 * several destinations.
 */
void msg_share(struct msg *to, struct msg *from);

/* ---- wire format ---- */

#define MSG_WIRE_VERSION 1      /* version byte of frames written */
#define MSG_HEADER_BYTES 64     /* encoded header, bytes */
#define MSG_INDEX_BYTES 4       /* encoded index (uint32), bytes */
#define MSG_CLOCK_PAYLOAD 8     /* MCLOCK/HCLOCK payload (the batch sequence number), bytes */

/*
 * What both ends of a channel know, for one shard index: the value width, the header size
 * charged, and the shard's geometry (needed for dense blocks and to check indices). Every
 * message is about one shard index (msg.shard: the shard read, replied from, pushed to, or
 * mirrored between same-index shards of two replicas); msg_peek tells a receiver which one.
 */
struct msg_format {
	int value_bytes;       /* bytes per value on the wire: 4 (float32) or 8 (float64) */
	size_t header_bytes;   /* header charged per message, bytes (>= MSG_HEADER_BYTES; the
	                        * excess is framing overhead charged but not encoded) */
	size_t max_bytes;      /* decoder: longest frame accepted, bytes (0: msg_format_max) */
	size_t row_len;        /* values per row */
	size_t owned;          /* rows the shard owns (global rows r with r % nshards == shard) */
	size_t nshards;        /* shards of the replica (>= 1) */
	size_t shard;          /* the shard's index (< nshards) */
	size_t nodes;          /* decoder: src and dst must be below it (0: unchecked) */
};

/* Errors of msg_encode/msg_decode/msg_frame_length (msg_strerror names them). */
enum msg_error {
	MSG_OK = 0,
	MSG_ETRUNC = -1,   /* input shorter than the frame (need more bytes) */
	MSG_ELIMIT = -2,   /* frame length above the limit or below the header */
	MSG_EMAGIC = -3,   /* not a frame of this format */
	MSG_EVERSION = -4, /* unknown version */
	MSG_EKIND = -5,    /* unknown kind */
	MSG_EHEADER = -6,  /* bad flags, lane, wait, shard, node or nonzero reserved bytes */
	MSG_ECOUNT = -7,   /* n inconsistent with the frame length or the dense block */
	MSG_ERANGE = -8,   /* an index outside the shard */
	MSG_EVALUE = -9,   /* a dense row partly marked absent */
	MSG_ESPACE = -10,  /* encoder: buffer too small */
	MSG_EINVAL = -11,  /* encoder: message not encodable (field out of range, duplicate) */
};
const char *msg_strerror(int err);

/* Default decode limit of a format: the largest frame a legitimate message can need. */
size_t msg_format_max(const struct msg_format *f);

/* Encoded length of m, bytes (what msg_encode writes), without encoding. */
size_t msg_encoded_bytes(const struct msg *m, const struct msg_format *f);
/* Bytes m costs on the wire: msg_encoded_bytes + header_bytes - MSG_HEADER_BYTES. */
double msg_wire_bytes(const struct msg *m, const struct msg_format *f);

/*
 * Encode m into buf[0..cap): *len = bytes written (or needed, with MSG_ESPACE). Returns MSG_OK
 * or a negative enum msg_error. Fields not on the wire (sent, arrived, wire_bytes, worker) are
 * ignored.
 */
int msg_encode(const struct msg *m, const struct msg_format *f, uint8_t *buf, size_t cap,
               size_t *len);

/* Length of the frame starting at buf (its first 8 bytes are checked), for reading a stream:
 * MSG_ETRUNC until 8 bytes are there. */
int msg_frame_length(const uint8_t *buf, size_t len, const struct msg_format *f, size_t *frame);

/* The routing fields of the frame at buf (checked as msg_frame_length does): for choosing the
 * format (shard) before decoding. Any pointer may be NULL. */
int msg_peek(const uint8_t *buf, size_t len, enum msg_kind *kind, int *src, int *dst, int *shard);

/*
 * Decode the frame at buf[0..len) into a new message (*out; *used = frame length). Returns
 * MSG_OK, or a negative enum msg_error with *out = NULL. Dense blocks yield their present
 * entries in ascending position order; msg.worker is derived (READ, PUSH: src; REPLY: dst),
 * wire_bytes set with msg_wire_bytes.
 */
int msg_decode(const uint8_t *buf, size_t len, const struct msg_format *f, struct msg **out,
               size_t *used);

#endif
