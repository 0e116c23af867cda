/*
 * The socket transport (emu/transport_sock.h): channels as TCP connections, messages as codec
 * frames, time as the scaled monotonic clock, timers as libevent timers.
 */
#include "emu/transport_sock.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "lib/diag.h"
#include "lib/xmalloc.h"

#define LANES 2

struct tsock;

/* One outgoing channel (src node, dst node, lane): one TCP connection. */
struct channel {
	struct tsock *ts;            /* endpoint */
	int src, dst, lane;          /* what it carries */
	struct bufferevent *bev;     /* the connection, or NULL between attempts */
	int connected;               /* 1 once the connection is up */
	struct evbuffer *wait;       /* frames written before the connection is up */
	struct event *retry;         /* reconnect timer (peer not listening yet) */
	double first_try_s;          /* real time of the first attempt, s (monotonic) */
};

/* One incoming connection (from some channel of a peer). */
struct inconn {
	struct tsock *ts;            /* endpoint */
	struct bufferevent *bev;     /* the connection */
	char peer[64];               /* its address, for messages */
	int src;                     /* source node of its frames (-1 until the first) */
	struct inconn *next;         /* list of the endpoint's connections */
};

/* A pending timer. */
struct ttimer {
	struct tsock *ts;            /* endpoint */
	struct event *ev;            /* libevent timer */
	transport_timer_fn fn;       /* callback */
	void *arg;                   /* its argument */
	struct ttimer *prev, *next;  /* list of pending timers (freed at destroy) */
};

struct tsock {
	struct transport base;       /* seam (first) */
	struct tsock_config cfg;     /* configuration (arrays below are owned copies) */
	int *node_region;            /* region of each node */
	unsigned char *hosted;       /* hosted nodes */
	struct evconnlistener *lis;  /* listener */
	int port;                    /* its port */
	struct sockaddr_storage *route; /* nregions^2 addresses, [src_region * R + dst_region] */
	socklen_t *route_len;        /* their lengths (0: unset) */
	struct channel **ch;         /* nnodes^2 * LANES channels, created on first use */
	struct inconn *in;           /* incoming connections */
	struct ttimer *timers;       /* pending timers */
	void (*format)(const void *arg, int node, struct msg_format *f); /* shard formats */
	const void *format_arg;      /* their argument */
	int64_t origin_ns;           /* monotonic ns of emulated time 0 */
	int failed;                  /* a fatal fault was reported */
	int closing;                 /* the run is over: closed connections are no fault */
	uint64_t sent, delivered;    /* messages sent by / delivered to hosted nodes */
	sim_time_t last[MSG_NKINDS]; /* emulated time of the last delivery of each kind, ns */
	uint8_t *buf;                /* encode buffer */
	size_t buf_cap;              /* its size, bytes */
};

#define TS(t) ((struct tsock *)(t))

int64_t tsock_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void addr_str(const struct sockaddr *sa, char *out, size_t n)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)sa;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
		port = ntohs(a->sin_port);
		snprintf(out, n, "%s:%d", host, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)sa;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
		port = ntohs(a->sin6_port);
		snprintf(out, n, "[%s]:%d", host, port);
	} else {
		snprintf(out, n, "?");
	}
}

/* The region of a node, for messages: " (region NAME)", or "" without names. */
static const char *region_of(const struct tsock *ts, int node, char *out, size_t n)
{
	out[0] = '\0';
	if (ts->cfg.region_name && node >= 0 && node < ts->cfg.nnodes)
		snprintf(out, n, " (region %s)", ts->cfg.region_name[ts->node_region[node]]);
	return out;
}

/* Report a fatal fault once and stop the loop. */
static void fatal(struct tsock *ts, const char *fmt, ...)
{
	if (ts->failed)
		return;
	ts->failed = 1;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	diag_error("%s", msg);
	event_base_loopbreak(ts->cfg.base);
}

/* ---- time and timers ---- */

static sim_time_t tsock_now(struct transport *t)
{
	struct tsock *ts = TS(t);
	double real = (double)(tsock_mono_ns() - ts->origin_ns);
	return (sim_time_t)llround(real * ts->cfg.time_scale);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct ttimer *tm = arg;
	struct tsock *ts = tm->ts;
	if (tm->prev)
		tm->prev->next = tm->next;
	else
		ts->timers = tm->next;
	if (tm->next)
		tm->next->prev = tm->prev;
	transport_timer_fn fn = tm->fn;
	void *a = tm->arg;
	event_free(tm->ev);
	free(tm);
	fn(ts->base.ctx, a);
}

static void tsock_timer(struct transport *t, sim_time_t delay, transport_timer_fn fn, void *arg)
{
	struct tsock *ts = TS(t);
	struct ttimer *tm = xcalloc(1, sizeof *tm);
	tm->ts = ts;
	tm->fn = fn;
	tm->arg = arg;
	tm->ev = evtimer_new(ts->cfg.base, timer_cb, tm);
	tm->next = ts->timers;
	if (ts->timers)
		ts->timers->prev = tm;
	ts->timers = tm;
	/* Real delay, rounded up to the microsecond so nothing fires early. */
	double us = ceil((double)(delay > 0 ? delay : 0) / ts->cfg.time_scale / 1e3);
	struct timeval tv = { (time_t)(us / 1e6), (suseconds_t)fmod(us, 1e6) };
	evtimer_add(tm->ev, &tv);
}

/* ---- receiving ---- */

static void inconn_free(struct inconn *c)
{
	struct tsock *ts = c->ts;
	for (struct inconn **pp = &ts->in; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	bufferevent_free(c->bev);
	free(c);
}

/* The node whose shard a frame is about: READ and PUSH its destination, others its source. */
static int format_node(enum msg_kind kind, int src, int dst)
{
	return kind == MSG_READ || kind == MSG_PUSH ? dst : src;
}

/* Decode and deliver every whole frame in c's input; 0, or -1 after a fatal report. */
static int inconn_drain(struct inconn *c)
{
	struct tsock *ts = c->ts;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	while (!ts->failed && evbuffer_get_length(in) >= MSG_HEADER_BYTES) {
		uint8_t *hdr = evbuffer_pullup(in, MSG_HEADER_BYTES);
		enum msg_kind kind;
		int src, dst, shard;
		int rc = msg_peek(hdr, MSG_HEADER_BYTES, &kind, &src, &dst, &shard);
		if (rc == MSG_OK && (src < 0 || src >= ts->cfg.nnodes || dst < 0 ||
		                     dst >= ts->cfg.nnodes || !ts->hosted[dst] ||
		                     (c->src >= 0 && src != c->src)))
			rc = MSG_EHEADER;
		if (rc != MSG_OK)
			goto bad;
		struct msg_format f;
		ts->format(ts->format_arg, format_node(kind, src, dst), &f);
		size_t frame;
		if ((rc = msg_frame_length(hdr, MSG_HEADER_BYTES, &f, &frame)) != MSG_OK)
			goto bad;
		if (evbuffer_get_length(in) < frame)
			return 0;
		struct msg *m;
		size_t used;
		if ((rc = msg_decode(evbuffer_pullup(in, (ssize_t)frame), frame, &f, &m, &used)) != MSG_OK)
			goto bad;
		evbuffer_drain(in, used);
		c->src = src;
		ts->delivered++;
		ts->last[m->kind] = tsock_now(&ts->base);
		ts->base.deliver(ts->base.ctx, m);
		continue;
	bad:
		if (c->src >= 0) {
			char rn[80];
			fatal(ts, "emu: garbage from node %d%s (connection from %s): %s; stopping", c->src,
			      region_of(ts, c->src, rn, sizeof rn), c->peer, msg_strerror(rc));
			return -1;
		}
		/* no valid frame yet: a stray client, not a peer; the run carries on without it */
		diag_error("emu: garbage from the peer at %s (no valid frame yet): %s; closed that "
		           "connection, the run goes on", c->peer, msg_strerror(rc));
		inconn_free(c);
		return -2;
	}
	return 0;
}

static void inconn_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	inconn_drain(arg); /* -2: c was freed */
}

static void inconn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	struct inconn *c = arg;
	struct tsock *ts = c->ts;
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	int rc = ts->closing ? 0 : inconn_drain(c);
	if (rc == -2)
		return; /* a stray connection, already closed */
	if (!ts->closing && rc == 0 && evbuffer_get_length(bufferevent_get_input(c->bev)) > 0) {
		if (c->src < 0) {
			diag_error("emu: the peer at %s closed before a whole frame (never a valid "
			           "one); closed that connection, the run goes on", c->peer);
		} else {
			char rn[80];
			fatal(ts, "emu: the connection from node %d%s (%s) closed in the middle of a "
			      "frame; stopping", c->src, region_of(ts, c->src, rn, sizeof rn), c->peer);
		}
	}
	/* A clean end between frames is a peer finishing; the run's control decides if that
	 * is a fault (a node that dies is reported by the process that watches it). */
	inconn_free(c);
}

static void accept_cb(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
                      int len, void *arg)
{
	(void)lis, (void)len;
	struct tsock *ts = arg;
	struct inconn *c = xcalloc(1, sizeof *c);
	c->ts = ts;
	c->src = -1;
	addr_str(sa, c->peer, sizeof c->peer);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->bev = bufferevent_socket_new(ts->cfg.base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(c->bev, inconn_read, NULL, inconn_event, c);
	bufferevent_enable(c->bev, EV_READ);
	c->next = ts->in;
	ts->in = c;
}

/* ---- sending ---- */

static void channel_connect(struct channel *c);

static void channel_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	channel_connect(arg);
}

static void channel_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	struct channel *c = arg;
	struct tsock *ts = c->ts;
	if (what & BEV_EVENT_CONNECTED) {
		c->connected = 1;
		int one = 1;
		setsockopt(bufferevent_getfd(c->bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		evbuffer_add_buffer(bufferevent_get_output(c->bev), c->wait);
		return;
	}
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	int err = what & BEV_EVENT_ERROR ? EVUTIL_SOCKET_ERROR() : 0;
	int r = ts->node_region[c->src], q = ts->node_region[c->dst];
	char where[80];
	addr_str((const struct sockaddr *)&ts->route[r * ts->cfg.nregions + q], where, sizeof where);
	bufferevent_free(c->bev);
	c->bev = NULL;
	if (ts->closing)
		return;
	char rs[80], rd[80];
	region_of(ts, c->src, rs, sizeof rs);
	region_of(ts, c->dst, rd, sizeof rd);
	if (c->connected) {
		fatal(ts, "emu: node %d%s: the connection to node %d%s (lane %d, via %s) was "
		      "dropped%s%s; messages not yet acknowledged cannot be resent, stopping", c->src,
		      rs, c->dst, rd, c->lane, where, err ? ": " : "",
		      err ? evutil_socket_error_to_string(err) : "");
		return;
	}
	double waited = (double)tsock_mono_ns() / 1e9 - c->first_try_s;
	if (waited >= ts->cfg.connect_timeout_s) {
		fatal(ts, "emu: node %d%s never came up: node %d%s cannot connect to it at %s after "
		      "%.1f s (%s; --connect-timeout %g s)", c->dst, rd, c->src, rs, where, waited,
		      err ? evutil_socket_error_to_string(err) : "connection closed",
		      ts->cfg.connect_timeout_s);
		return;
	}
	struct timeval tv = { 0, 100000 };
	evtimer_add(c->retry, &tv);
}

static void channel_connect(struct channel *c)
{
	struct tsock *ts = c->ts;
	int i = ts->node_region[c->src] * ts->cfg.nregions + ts->node_region[c->dst];
	assert(ts->route_len[i] > 0);
	c->bev = bufferevent_socket_new(ts->cfg.base, -1, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(c->bev, NULL, NULL, channel_event, c);
	bufferevent_enable(c->bev, EV_READ); /* reads nothing; sees the peer's close */
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&ts->route[i],
	                               (int)ts->route_len[i]) < 0)
		channel_event(c->bev, BEV_EVENT_ERROR, c);
}

static struct channel *channel_get(struct tsock *ts, int src, int dst, int lane)
{
	size_t i = ((size_t)src * (size_t)ts->cfg.nnodes + (size_t)dst) * LANES + (size_t)lane;
	struct channel *c = ts->ch[i];
	if (c)
		return c;
	c = ts->ch[i] = xcalloc(1, sizeof *c);
	c->ts = ts;
	c->src = src;
	c->dst = dst;
	c->lane = lane;
	c->wait = evbuffer_new();
	c->retry = evtimer_new(ts->cfg.base, channel_retry, c);
	c->first_try_s = (double)tsock_mono_ns() / 1e9;
	channel_connect(c);
	return c;
}

static void tsock_send(struct transport *t, struct msg *m)
{
	struct tsock *ts = TS(t);
	assert(m->src >= 0 && m->src < ts->cfg.nnodes && m->dst >= 0 && m->dst < ts->cfg.nnodes);
	assert(m->lane >= 0 && m->lane < LANES && ts->hosted[m->src] && ts->format);
	struct msg_format f;
	ts->format(ts->format_arg, format_node(m->kind, m->src, m->dst), &f);
	size_t need = msg_encoded_bytes(m, &f), len = 0;
	if (need > ts->buf_cap) {
		ts->buf_cap = need * 2;
		ts->buf = xrealloc(ts->buf, ts->buf_cap);
	}
	int rc = msg_encode(m, &f, ts->buf, ts->buf_cap, &len);
	assert(rc == MSG_OK); /* the logic only builds encodable messages */
	(void)rc;
	ts->sent++;
	struct channel *c = channel_get(ts, m->src, m->dst, m->lane);
	msg_free(m);
	if (ts->failed)
		return;
	if (c->connected)
		bufferevent_write(c->bev, ts->buf, len);
	else
		evbuffer_add(c->wait, ts->buf, len);
}

static double tsock_queued(struct transport *t, int src, int dst)
{
	struct tsock *ts = TS(t);
	struct channel *c = ts->ch[((size_t)src * (size_t)ts->cfg.nnodes + (size_t)dst) * LANES];
	if (!c)
		return 0;
	size_t q = evbuffer_get_length(c->wait);
	if (c->bev)
		q += evbuffer_get_length(bufferevent_get_output(c->bev));
	return (double)q;
}

static double tsock_path_bps(struct transport *t, int src, int dst)
{
	struct tsock *ts = TS(t);
	return ts->cfg.path_bps(ts->cfg.path_arg, ts->node_region[src], ts->node_region[dst],
	                        tsock_now(t));
}

static void tsock_destroy(struct transport *t)
{
	struct tsock *ts = TS(t);
	size_t n = (size_t)ts->cfg.nnodes * (size_t)ts->cfg.nnodes * LANES;
	for (size_t i = 0; i < n; i++) {
		struct channel *c = ts->ch[i];
		if (!c)
			continue;
		if (c->bev)
			bufferevent_free(c->bev);
		evbuffer_free(c->wait);
		event_free(c->retry);
		free(c);
	}
	while (ts->in)
		inconn_free(ts->in);
	for (struct ttimer *tm = ts->timers, *nx; tm; tm = nx) {
		nx = tm->next;
		event_free(tm->ev);
		free(tm);
	}
	if (ts->lis)
		evconnlistener_free(ts->lis);
	free(ts->ch);
	free(ts->route);
	free(ts->route_len);
	free(ts->node_region);
	free(ts->hosted);
	free(ts->buf);
	free(ts);
}

static const struct transport_ops tsock_ops = {
	.name = "emu",
	.now = tsock_now,
	.send = tsock_send,
	.timer = tsock_timer,
	.queued_bytes = tsock_queued,
	.path_bps = tsock_path_bps,
	.destroy = tsock_destroy,
};

/* ---- setup ---- */

static int open_listener(struct tsock *ts)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	socklen_t len;
	struct sockaddr_in *a4 = (void *)&ss;
	struct sockaddr_in6 *a6 = (void *)&ss;
	if (inet_pton(AF_INET, ts->cfg.listen_addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)ts->cfg.listen_port);
		len = sizeof *a4;
	} else if (inet_pton(AF_INET6, ts->cfg.listen_addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)ts->cfg.listen_port);
		len = sizeof *a6;
	} else {
		diag_error("emu: listen address '%s' is not a numeric IPv4 or IPv6 address",
		           ts->cfg.listen_addr);
		return -1;
	}
	ts->lis = evconnlistener_new_bind(ts->cfg.base, accept_cb, ts,
	                                  LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 64,
	                                  (struct sockaddr *)&ss, (int)len);
	if (!ts->lis) {
		diag_error("emu: cannot listen on %s port %d: %s", ts->cfg.listen_addr,
		           ts->cfg.listen_port, strerror(errno));
		return -1;
	}
	struct sockaddr_storage got;
	socklen_t glen = sizeof got;
	getsockname(evconnlistener_get_fd(ts->lis), (struct sockaddr *)&got, &glen);
	ts->port = got.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&got)->sin6_port)
	                                     : ntohs(((struct sockaddr_in *)&got)->sin_port);
	return 0;
}

struct transport *tsock_new(const struct tsock_config *cfg)
{
	assert(cfg->nnodes > 0 && cfg->nregions > 0 && cfg->time_scale > 0 && cfg->path_bps);
	struct tsock *ts = xcalloc(1, sizeof *ts);
	ts->base.ops = &tsock_ops;
	ts->cfg = *cfg;
	size_t N = (size_t)cfg->nnodes, R = (size_t)cfg->nregions;
	ts->node_region = xmalloc(N * sizeof *ts->node_region);
	memcpy(ts->node_region, cfg->node_region, N * sizeof *ts->node_region);
	ts->hosted = xmalloc(N);
	memcpy(ts->hosted, cfg->hosted, N);
	ts->cfg.node_region = ts->node_region;
	ts->cfg.hosted = ts->hosted;
	ts->route = xcalloc(R * R, sizeof *ts->route);
	ts->route_len = xcalloc(R * R, sizeof *ts->route_len);
	ts->ch = xcalloc(N * N * LANES, sizeof *ts->ch);
	ts->origin_ns = tsock_mono_ns();
	if (open_listener(ts) < 0) {
		tsock_destroy(&ts->base);
		return NULL;
	}
	return &ts->base;
}

int tsock_port(const struct transport *t)
{
	return TS(t)->port;
}

void tsock_set_route(struct transport *t, int src_region, int dst_region,
                     const struct sockaddr_storage *addr, socklen_t len)
{
	struct tsock *ts = TS(t);
	int i = src_region * ts->cfg.nregions + dst_region;
	ts->route[i] = *addr;
	ts->route_len[i] = len;
}

void tsock_set_format(struct transport *t,
                      void (*format)(const void *arg, int node, struct msg_format *f),
                      const void *arg)
{
	TS(t)->format = format;
	TS(t)->format_arg = arg;
}

void tsock_set_origin(struct transport *t, int64_t mono_ns)
{
	TS(t)->origin_ns = mono_ns;
}

int tsock_failed(const struct transport *t)
{
	return TS(t)->failed;
}

void tsock_counts(const struct transport *t, uint64_t *sent, uint64_t *delivered)
{
	*sent = TS(t)->sent;
	*delivered = TS(t)->delivered;
}

void tsock_set_closing(struct transport *t)
{
	TS(t)->closing = 1;
}

sim_time_t tsock_last_delivery(const struct transport *t, int kind)
{
	return TS(t)->last[kind];
}

/* A channel's output has drained: end its stream (the peer reads EOF between frames). */
static void channel_drained(struct bufferevent *bev, void *arg)
{
	(void)arg;
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		shutdown(bufferevent_getfd(bev), SHUT_WR);
}

void tsock_close_outgoing(struct transport *t)
{
	struct tsock *ts = TS(t);
	ts->closing = 1;
	size_t n = (size_t)ts->cfg.nnodes * (size_t)ts->cfg.nnodes * LANES;
	for (size_t i = 0; i < n; i++) {
		struct channel *c = ts->ch[i];
		if (!c || !c->bev || !c->connected)
			continue;
		bufferevent_setcb(c->bev, NULL, channel_drained, channel_event, c);
		channel_drained(c->bev, c);
	}
}

int tsock_inbound(const struct transport *t)
{
	int n = 0;
	for (const struct inconn *c = TS(t)->in; c; c = c->next)
		n++;
	return n;
}
