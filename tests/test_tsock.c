/*
 * Tests of the socket transport (emu/transport_sock.h) on loopback, without the mesh: two
 * endpoints on one event loop, node 0 on endpoint A (region 0) and node 1 on endpoint B
 * (region 1). Messages of every kind round-trip through the codec and the sockets with their
 * fields and payloads; delivery is ordered per channel; a control-lane message is delivered
 * whole while a data-lane frame sent before it is still held back by a receiver that does not
 * read it (lane 1 overtakes lane 0); garbage from a stray connection closes only it, garbage
 * after a valid frame stops the endpoint naming the source node and the address; a
 * peer that never listens is named after the connect timeout; timers run in scaled time.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "emu/transport_sock.h"
#include "ps/msg.h"
#include "tests/testutil.h"

/* One shard geometry for every message: 8 rows over 1 shard, 3 values per row. */
#define RL 3
#define OWNED 8

static void fmt(const void *arg, int node, struct msg_format *f)
{
	(void)node;
	size_t owned = arg ? *(const size_t *)arg : OWNED;
	*f = (struct msg_format){ .value_bytes = 8, .header_bytes = 64, .row_len = RL,
	                          .owned = owned, .nshards = 1, .shard = 0, .nodes = 2 };
}

static double bps(void *arg, int a, int b, sim_time_t now)
{
	(void)arg, (void)now;
	return a == b ? 1e10 : 1e8 + a;
}

/* What the receiving side saw. */
#define MAXGOT 4096
static struct msg *got[MAXGOT];
static int ngot;
static struct event_base *base;

static void on_deliver(void *ctx, struct msg *m)
{
	(void)ctx;
	if (ngot < MAXGOT)
		got[ngot++] = m;
	else
		msg_free(m);
}

static void clear_got(void)
{
	for (int i = 0; i < ngot; i++)
		msg_free(got[i]);
	ngot = 0;
}

static const int regions[2] = { 0, 1 };

static struct transport *endpoint(int node, const size_t *owned)
{
	unsigned char hosted[2] = { node == 0, node == 1 };
	struct tsock_config c = {
		.base = base, .nnodes = 2, .nregions = 2, .node_region = regions, .hosted = hosted,
		.listen_addr = "127.0.0.1", .listen_port = 0, .time_scale = 1,
		.connect_timeout_s = 1, .path_bps = bps,
	};
	struct transport *t = tsock_new(&c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	t->deliver = on_deliver;
	t->ctx = NULL;
	tsock_set_format(t, fmt, owned);
	return t;
}

static void loopback(struct sockaddr_storage *ss, socklen_t *len, int port)
{
	struct sockaddr_in *a = (void *)ss;
	memset(ss, 0, sizeof *ss);
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &a->sin_addr);
	*len = sizeof *a;
}

/* Route every region pair to the listener of the destination's endpoint. */
static void wire_up(struct transport *a, struct transport *b)
{
	struct sockaddr_storage sa, sb;
	socklen_t la, lb;
	loopback(&sa, &la, tsock_port(a));
	loopback(&sb, &lb, tsock_port(b));
	for (int r = 0; r < 2; r++) {
		tsock_set_route(a, r, 0, &sa, la);
		tsock_set_route(a, r, 1, &sb, lb);
		tsock_set_route(b, r, 0, &sa, la);
		tsock_set_route(b, r, 1, &sb, lb);
	}
}

/* Run the loop until `want` messages arrived or an endpoint failed (at most ~20 s). */
static void run_until(int want, struct transport *a, struct transport *b)
{
	for (int i = 0; i < 20000 && ngot < want && !tsock_failed(a) && !(b && tsock_failed(b)); i++) {
		struct timeval tv = { 0, 1000 };
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
}

static size_t vpe(enum msg_kind k)
{
	return k == MSG_REPLY || k == MSG_PUSH ? RL : k == MSG_MIRROR || k == MSG_HUB ? 1 : 0;
}

/* A message of kind k from node src to node dst with n entries and distinctive fields. */
static struct msg *make(enum msg_kind k, int src, int dst, size_t n, int64_t clock, int lane)
{
	struct msg *m = msg_new(k, n, vpe(k));
	m->src = src;
	m->dst = dst;
	m->clock = clock;
	m->lane = lane;
	m->replica = 7;
	if (k == MSG_READ || k == MSG_PUSH)
		m->worker = src;
	if (k == MSG_REPLY) {
		m->worker = dst;
		m->wait = 2;
		m->served_clock = clock - 1;
		m->local_clock = clock - 2;
		m->held = 987654321;
	}
	if (k != MSG_READ && k != MSG_REPLY && k != MSG_PUSH)
		m->batch = (uint64_t)clock * 1000 + 17;
	for (size_t i = 0; i < n; i++) {
		/* rows for READ/REPLY/PUSH/BARRIER; element ids (row * RL + col) for MIRROR/HUB */
		m->idx[i] = vpe(k) == 1 ? (uint32_t)(i * RL + 1) : (uint32_t)i;
		for (size_t j = 0; j < vpe(k); j++)
			m->val[i * vpe(k) + j] = (double)clock + 0.25 * (double)i - (double)j;
	}
	return m;
}

static int same(const struct msg *a, const struct msg *b)
{
	if (a->kind != b->kind || a->src != b->src || a->dst != b->dst || a->clock != b->clock ||
	    a->lane != b->lane || a->replica != b->replica || a->n != b->n ||
	    a->batch != b->batch || a->worker != b->worker)
		return 0;
	if (a->kind == MSG_REPLY && (a->wait != b->wait || a->served_clock != b->served_clock ||
	                             a->local_clock != b->local_clock || a->held != b->held))
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		if (a->idx[i] != b->idx[i])
			return 0;
		for (size_t j = 0; j < vpe(a->kind); j++)
			if (a->val[i * vpe(a->kind) + j] != b->val[i * vpe(a->kind) + j])
				return 0;
	}
	return 1;
}

/* Every kind, both directions, both lanes: fields and payload arrive intact, and the per
 * channel order is the send order. */
static void test_round_trip_and_order(void)
{
	base = event_base_new();
	struct transport *a = endpoint(0, NULL), *b = endpoint(1, NULL);
	wire_up(a, b);
	struct msg *sent[2 * 4 * MSG_NKINDS];
	int ns = 0;
	for (int rep = 0; rep < 4; rep++)
		for (int k = 0; k < MSG_NKINDS; k++)
			for (int dir = 0; dir < 2; dir++) {
				size_t n = k == MSG_MCLOCK || k == MSG_HCLOCK ? 0 : (size_t)(1 + (k + rep) % 5);
				int lane = (k + rep) % 2;
				struct msg *m = make((enum msg_kind)k, dir, 1 - dir, n, 100 + rep * 10 + k, lane);
				sent[ns++] = make((enum msg_kind)k, dir, 1 - dir, n, 100 + rep * 10 + k, lane);
				(dir ? b : a)->ops->send(dir ? b : a, m);
			}
	run_until(ns, a, b);
	CU_ASSERT_EQUAL(ngot, ns);
	CU_ASSERT_FALSE(tsock_failed(a) || tsock_failed(b));
	/* each received message equals a sent one; within a channel, clocks increase */
	int matched = 0;
	int64_t last[2][2];
	for (int d = 0; d < 2; d++)
		last[d][0] = last[d][1] = -1;
	for (int i = 0; i < ngot; i++) {
		for (int j = 0; j < ns; j++)
			if (sent[j] && same(sent[j], got[i])) {
				msg_free(sent[j]);
				sent[j] = NULL;
				matched++;
				break;
			}
		CU_ASSERT(got[i]->clock > last[got[i]->src][got[i]->lane]);
		last[got[i]->src][got[i]->lane] = got[i]->clock;
	}
	CU_ASSERT_EQUAL(matched, ns);
	for (int j = 0; j < ns; j++)
		msg_free(sent[j]);
	uint64_t s, dl;
	tsock_counts(a, &s, &dl);
	CU_ASSERT_EQUAL(s, (uint64_t)ns / 2);
	CU_ASSERT_EQUAL(dl, (uint64_t)ns / 2);
	CU_ASSERT_EQUAL(a->ops->path_bps(a, 0, 1), 1e8);
	CU_ASSERT_EQUAL(a->ops->path_bps(a, 1, 0), 1e8 + 1);
	clear_got();
	a->ops->destroy(a);
	b->ops->destroy(b);
	event_base_free(base);
}

/* A raw listener standing in for node 1's endpoint. */
static int raw_listener(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_storage ss;
	socklen_t len;
	loopback(&ss, &len, 0);
	CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&ss, len) == 0 && listen(fd, 8) == 0);
	getsockname(fd, (struct sockaddr *)&ss, &len);
	*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* Lane 1 overtakes lane 0: a PUSH frame far larger than the loopback socket buffers (64 MiB)
 * on lane 0, then a small MCLOCK on lane 1. The receiver reads only the lane-1 connection: the
 * MCLOCK frame arrives whole, although the data lane cannot have been delivered. */
static void test_lane1_overtakes(void)
{
	base = event_base_new();
	size_t owned = (size_t)1 << 21; /* 2 Mi rows x 3 values x 8 bytes = 48 MiB payload */
	struct transport *a = endpoint(0, &owned);
	int port, lfd = raw_listener(&port);
	struct sockaddr_storage ss;
	socklen_t len;
	loopback(&ss, &len, port);
	tsock_set_route(a, 0, 1, &ss, len);
	struct msg *big = msg_new(MSG_PUSH, owned, RL);
	big->src = 0;
	big->dst = 1;
	big->worker = 0;
	for (size_t i = 0; i < owned; i++)
		big->idx[i] = (uint32_t)i;
	a->ops->send(a, big);
	a->ops->send(a, make(MSG_MCLOCK, 0, 1, 0, 42, 1));
	int conn[2] = { -1, -1 }, nconn = 0;
	uint8_t buf[256];
	size_t have[2] = { 0, 0 };
	int lane1 = -1;
	struct msg *m = NULL;
	struct msg_format f;
	fmt(&owned, 0, &f);
	for (int i = 0; i < 20000 && !m; i++) {
		struct timeval tv = { 0, 1000 };
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
		int c;
		while (nconn < 2 && (c = accept(lfd, NULL, NULL)) >= 0) {
			fcntl(c, F_SETFL, O_NONBLOCK);
			conn[nconn++] = c;
		}
		for (int k = 0; k < nconn && lane1 < 0; k++) {
			/* peek a header on each connection: which one is the control lane? */
			ssize_t r = recv(conn[k], buf, 64, MSG_PEEK);
			if (r == 64) {
				size_t fl;
				CU_ASSERT_EQUAL(msg_frame_length(buf, 64, &f, &fl), MSG_OK);
				if (fl < 1024) /* the MCLOCK, not the 48 MiB PUSH */
					lane1 = k;
			}
		}
		if (lane1 >= 0) {
			ssize_t r = recv(conn[lane1], buf + have[1], sizeof buf - have[1], 0);
			if (r > 0)
				have[1] += (size_t)r;
			size_t used;
			if (have[1] >= 64 && msg_decode(buf, have[1], &f, &m, &used) != MSG_OK)
				m = NULL;
		}
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->kind, MSG_MCLOCK);
	CU_ASSERT_EQUAL(m->lane, 1);
	CU_ASSERT_EQUAL(m->clock, 42);
	/* the data lane is still held back by its unread receiver */
	CU_ASSERT(a->ops->queued_bytes(a, 0, 1) > 0);
	msg_free(m);
	for (int k = 0; k < nconn; k++)
		close(conn[k]);
	close(lfd);
	tsock_set_closing(a);
	a->ops->destroy(a);
	event_base_free(base);
}

/* Bytes that are not a frame from a connection that never sent one (a stray client): the
 * receiving endpoint closes that connection, names its address and carries on. */
static void test_garbage(void)
{
	base = event_base_new();
	struct transport *b = endpoint(1, NULL);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_storage ss;
	socklen_t len;
	loopback(&ss, &len, tsock_port(b));
	CU_ASSERT_FATAL(connect(fd, (struct sockaddr *)&ss, len) == 0);
	char junk[128];
	memset(junk, 'x', sizeof junk);
	CU_ASSERT_EQUAL(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
	char err[512] = "";
	diag_capture(err, sizeof err);
	/* until the connection is accepted and closed again (at most ~2 s) */
	for (int i = 0; i < 2000 && !(err[0] && tsock_inbound(b) == 0) && !tsock_failed(b); i++) {
		struct timeval tv = { 0, 1000 };
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	diag_capture(NULL, 0);
	CU_ASSERT(!tsock_failed(b));
	CU_ASSERT_EQUAL(tsock_inbound(b), 0);
	CU_ASSERT_EQUAL(ngot, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "garbage from the peer at 127.0.0.1:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "the run goes on"));
	char one;
	CU_ASSERT_EQUAL(read(fd, &one, 1), 0); /* the endpoint closed it */
	close(fd);
	b->ops->destroy(b);
	event_base_free(base);
}

/* Garbage after a valid frame on one connection (a peer's stream is corrupt): the frame is
 * delivered, then the endpoint stops, naming the source node, the address and the codec. */
static void test_garbage_after_frame(void)
{
	base = event_base_new();
	struct transport *b = endpoint(1, NULL);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_storage ss;
	socklen_t len;
	loopback(&ss, &len, tsock_port(b));
	CU_ASSERT_FATAL(connect(fd, (struct sockaddr *)&ss, len) == 0);
	struct msg *m = make(MSG_READ, 0, 1, 2, 1, 0);
	struct msg_format f;
	fmt(NULL, 1, &f);
	uint8_t frame[4096];
	size_t n = 0;
	CU_ASSERT_FATAL(msg_encode(m, &f, frame, sizeof frame, &n) == MSG_OK);
	msg_free(m);
	memset(frame + n, 'x', 128);
	CU_ASSERT_EQUAL(write(fd, frame, n + 128), (ssize_t)(n + 128));
	char err[512] = "";
	diag_capture(err, sizeof err);
	run_until(2, b, NULL);
	diag_capture(NULL, 0);
	CU_ASSERT(tsock_failed(b));
	CU_ASSERT_EQUAL(ngot, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "garbage from node 0 (connection from 127.0.0.1:"));
	clear_got();
	close(fd);
	b->ops->destroy(b);
	event_base_free(base);
}

/* A peer that never listens: after the connect timeout (1 s) the sender names it. */
static void test_peer_never_up(void)
{
	base = event_base_new();
	struct transport *a = endpoint(0, NULL);
	int port, lfd = raw_listener(&port);
	close(lfd); /* a port nobody listens on */
	struct sockaddr_storage ss;
	socklen_t len;
	loopback(&ss, &len, port);
	tsock_set_route(a, 0, 1, &ss, len);
	a->ops->send(a, make(MSG_READ, 0, 1, 2, 1, 0));
	char err[512] = "";
	diag_capture(err, sizeof err);
	run_until(1, a, NULL);
	diag_capture(NULL, 0);
	CU_ASSERT(tsock_failed(a));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "node 1 never came up"));
	a->ops->destroy(a);
	event_base_free(base);
}

/* Timers: a timer of d emulated ns at time scale 10 fires after d/10 real ns, and now() has
 * advanced by at least d by then. */
static sim_time_t fired_at = -1;
static struct transport *timer_t_;

static void on_timer(void *ctx, void *arg)
{
	(void)ctx, (void)arg;
	fired_at = timer_t_->ops->now(timer_t_);
	event_base_loopbreak(base);
}

static void test_scaled_timer(void)
{
	base = event_base_new();
	unsigned char hosted[2] = { 1, 0 };
	struct tsock_config c = {
		.base = base, .nnodes = 2, .nregions = 2, .node_region = regions, .hosted = hosted,
		.listen_addr = "127.0.0.1", .time_scale = 10, .connect_timeout_s = 1,
		.path_bps = bps,
	};
	struct transport *t = timer_t_ = tsock_new(&c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	sim_time_t t0 = t->ops->now(t);
	int64_t r0 = tsock_mono_ns();
	t->ops->timer(t, 500000000, on_timer, NULL); /* 0.5 s emulated = 50 ms real */
	event_base_dispatch(base);
	int64_t real = tsock_mono_ns() - r0;
	CU_ASSERT(fired_at - t0 >= 500000000);
	CU_ASSERT(real >= 50000000);
	t->ops->destroy(t);
	event_base_free(base);
}

int main(void)
{
	static const struct testutil_case cases[] = {
		{ "round_trip_and_order", test_round_trip_and_order },
		{ "lane1_overtakes", test_lane1_overtakes },
		{ "garbage", test_garbage },
		{ "garbage_after_frame", test_garbage_after_frame },
		{ "peer_never_up", test_peer_never_up },
		{ "scaled_timer", test_scaled_timer },
		{ NULL, NULL },
	};
	testutil_suite("tsock", cases);
	return testutil_run();
}
