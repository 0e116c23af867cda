/*
 * The emulation mesh on libevent (see mesh.h). Per directed link: a token bucket shared by
 * every connection direction crossing it and a timer that fires when credit is next due. Per
 * connection direction: a delay line (the bytes in an evbuffer, their release times in a
 * delayq, a timer for the oldest), then a staging buffer of released bytes waiting for link
 * credit, then the destination socket's output buffer. Order: delay, then shape.
 *
 * The only clock read is now_ns() (CLOCK_MONOTONIC); everything below it takes `now`.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "emu/delayq.h"
#include "emu/mesh.h"
#include "emu/tbucket.h"
#include "lib/diag.h"
#include "lib/simtime.h"
#include "lib/xmalloc.h"

/*
 * Shaping granularity: the link timer asks to be woken when TICK_NS worth of bytes (at the
 * link's rate; at least WAKE_MIN_BYTES) is due, and the bucket holds BURST_TICKS ticks of
 * credit, so a wake-up up to BURST_TICKS - 1 ticks late loses nothing. Measured on the shared
 * 2-core machine at load average 5-6 (docs/emulation.md): with 2 ticks, 20 Mb/s came out at
 * 18.5 Mb/s and 10 Mb/s at 9.56 (credit lost to late wake-ups); with 10 ticks 1 Gb/s gave
 * 889-937 Mb/s; with 20 ticks every rate from 10 Mb/s to 1 Gb/s was within 1% in one run.
 * A link that is cut short while backlogged also catches up to 4 bursts (tbucket.h).
 */
#define TICK_NS INT64_C(1000000)
#define BURST_TICKS 20
#define WAKE_MIN_BYTES INT64_C(1500)  /* one Ethernet MTU: never wake for less */
/* Most bytes one direction takes from the link per turn, so connections share it by turns. */
#define QUANTUM_BYTES INT64_C(65536)
/*
 * The destination socket's output buffer is refilled below OUT_HIGH, resumed at OUT_LOW
 * (1 MiB: 8 ms at 1 Gb/s. At 1 Gb/s and 10 ticks, 256 KiB gave 889 and 915 Mb/s in two
 * runs, 1 MiB 937: within the run-to-run noise of a loaded machine, kept as the safer side).
 */
#define OUT_HIGH_BYTES ((size_t)1024 * 1024)
#define OUT_LOW_BYTES ((size_t)512 * 1024)
/*
 * Largest single read or write on a socket. libevent 2.1's default, 16 KiB, held 1 Gb/s to
 * 719 Mb/s; 256 KiB gave 889 (same run conditions, 10 ticks, 256 KiB OUT_HIGH).
 */
#define IO_MAX_BYTES ((size_t)256 * 1024)
/* A direction stops reading once it holds 2 x bandwidth x one-way latency + BACKLOG_EXTRA. */
#define BACKLOG_EXTRA_BYTES INT64_C(4194304)

struct dir;

struct link {                  /* one directed WAN link src -> dst */
	struct emu_mesh *m;        /* owner */
	int src, dst;              /* region indices */
	struct tbucket tb;         /* bandwidth: credit shared by every direction on the link */
	sim_time_t latency_ns;     /* one-way latency for bytes read from now on, ns */
	struct dir *dirs;          /* directions crossing the link (list; served by turns) */
	struct event *timer;       /* fires when credit for the first waiting bytes is due */
};

struct conn;

struct dir {                   /* one direction of one relayed connection */
	struct conn *c;            /* owner */
	struct link *link;         /* the link it crosses */
	struct bufferevent *from;  /* socket read from */
	struct bufferevent *to;    /* socket written to */
	struct evbuffer *delayed;  /* bytes read, still in the delay line (in order) */
	struct delayq dq;          /* their release times */
	struct evbuffer *staged;   /* bytes past the delay, waiting for link credit */
	struct event *timer;       /* fires at the oldest delayed byte's release time */
	int64_t read_bytes;        /* bytes read from `from` so far */
	int read_paused;           /* reading stopped: backlog full */
	int out_full;              /* skipped by link_pump: `to`'s output buffer was full */
	int eof;                   /* `from` reached end of file */
	int shut;                  /* everything forwarded and `to` shut down for writing */
	struct dir *prev, *next;   /* neighbours in link->dirs */
};

struct conn {                  /* one relayed client connection */
	struct emu_mesh *m;        /* owner */
	struct bufferevent *client, *server; /* the two sockets */
	struct dir up;             /* client -> server on link src->dst */
	struct dir down;           /* server -> client on link dst->src */
	struct conn *prev, *next;  /* neighbours in m->conns */
};

struct pair {                  /* one listening port */
	struct emu_mesh *m;        /* owner */
	int src, dst;              /* the client's and the server's regions */
	int port;                  /* TCP port */
	struct evconnlistener *lis; /* the listener */
};

struct emu_mesh {
	struct event_base *base;   /* the event loop */
	const struct topology *t;  /* regions and links */
	const struct trace *tr;    /* changes, or NULL */
	size_t tr_next;            /* index of the first change not yet applied */
	struct event *tr_timer;    /* fires at the next change */
	sim_time_t t0;             /* monotonic time the mesh started (trace time 0), ns */
	struct link *links;        /* n*n links, [src*n+dst]; the diagonal is unused */
	int npairs;                /* n*(n-1) */
	struct pair *pairs;        /* npairs listeners, in pair-index order */
	struct conn *conns;        /* live connections (list) */
	struct event *sigint, *sigterm; /* stop the loop */
	struct sockaddr_storage to; /* the server */
	socklen_t to_len;          /* its length, bytes */
	int drop_src, drop_dst;    /* --drop: the pair whose connection is dropped */
	int64_t drop_after;        /* --drop: client bytes before the drop (0: no fault, or done) */
};

/* libevent could not allocate: like xmalloc, a fatal error. */
static void oom(void)
{
	diag_error("emu: out of memory");
	abort();
}

static sim_time_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (sim_time_t)ts.tv_sec * SIMTIME_NS_PER_S + ts.tv_nsec;
}

/* Arm a timer for absolute time `at` (rounded up to whole microseconds). */
static void arm_at(struct event *ev, sim_time_t at, sim_time_t now)
{
	sim_time_t d = at > now ? at - now : 0;
	d = (d + 999) / 1000; /* us */
	struct timeval tv = { .tv_sec = (time_t)(d / 1000000), .tv_usec = (suseconds_t)(d % 1000000) };
	event_add(ev, &tv);
}

/* ---- link parameters ---- */

static int64_t rate_of(double bw_bps)
{
	if (!(bw_bps > 0))
		return 0;
	if (bw_bps >= (double)TBUCKET_MAX_RATE_BPS)
		return TBUCKET_MAX_RATE_BPS;
	return (int64_t)llround(bw_bps);
}

/* Bytes of TICK_NS at rate_bps (rounded down), computed without overflow. */
static int64_t tick_bytes(int64_t rate_bps)
{
	return (int64_t)((double)rate_bps * (double)TICK_NS / 8e9);
}

static int64_t burst_of(int64_t rate_bps)
{
	int64_t b = BURST_TICKS * tick_bytes(rate_bps);
	if (b < 2 * WAKE_MIN_BYTES)
		b = 2 * WAKE_MIN_BYTES;
	return b > TBUCKET_MAX_BURST_BYTES ? TBUCKET_MAX_BURST_BYTES : b;
}

/* Bytes a direction may hold (delay line + staging) before it stops reading. */
static int64_t backlog_cap(const struct link *l)
{
	double bdp = (double)l->tb.rate_bps / 8 * simtime_to_s(l->latency_ns);
	return (int64_t)fmin(2 * bdp, 1e12) + BACKLOG_EXTRA_BYTES;
}

static int64_t dir_backlog(const struct dir *d)
{
	return (int64_t)(evbuffer_get_length(d->delayed) + evbuffer_get_length(d->staged));
}

/* ---- one direction ---- */

static void conn_maybe_free(struct conn *c);

/* Stop reading when the backlog is full; resume below it. */
static void dir_flow_control(struct dir *d)
{
	int full = dir_backlog(d) >= backlog_cap(d->link);
	if (full && !d->read_paused) {
		bufferevent_disable(d->from, EV_READ);
		d->read_paused = 1;
	} else if (!full && d->read_paused) {
		d->read_paused = 0;
		if (!d->eof)
			bufferevent_enable(d->from, EV_READ);
	}
}

/* Once the source hit EOF and every byte has left, pass the EOF on (shut down writing). */
static void dir_maybe_shut(struct dir *d)
{
	if (d->shut || !d->eof || dir_backlog(d) > 0 ||
	    evbuffer_get_length(bufferevent_get_output(d->to)) > 0)
		return;
	evutil_socket_t fd = bufferevent_getfd(d->to);
	if (fd >= 0)
		shutdown(fd, SHUT_WR);
	d->shut = 1;
}

/*
 * Serve the link at time now: by turns, each waiting direction takes up to a quantum of
 * credit and moves that many staged bytes to its destination's output buffer. When credit
 * runs short, arm the link timer for when the first waiting direction's next wake-up amount
 * is due. Frees nothing (callers may hold pointers into the list).
 */
static void link_pump(struct link *l, sim_time_t now)
{
	int64_t wake_want = 0;
	int progress = 1;
	while (progress && !wake_want) {
		progress = 0;
		for (struct dir *d = l->dirs; d; d = d->next) {
			size_t staged = evbuffer_get_length(d->staged);
			struct evbuffer *out = bufferevent_get_output(d->to);
			if (!staged)
				continue;
			if (evbuffer_get_length(out) >= OUT_HIGH_BYTES) {
				d->out_full = 1; /* write_cb serves the link again once it drains */
				continue;
			}
			int64_t want = staged < (size_t)QUANTUM_BYTES ? (int64_t)staged : QUANTUM_BYTES;
			int64_t got = tbucket_take(&l->tb, now, want);
			if (got > 0) {
				evbuffer_remove_buffer(d->staged, out, (size_t)got);
				dir_flow_control(d);
				progress = 1;
			}
			if (got < want) { /* out of credit: wake for a tick's worth */
				int64_t w = tick_bytes(l->tb.rate_bps);
				if (w < WAKE_MIN_BYTES)
					w = WAKE_MIN_BYTES;
				wake_want = want - got < w ? want - got : w;
				break;
			}
		}
	}
	/* Rotate so the next turn starts with another direction. */
	if (l->dirs && l->dirs->next) {
		struct dir *h = l->dirs, *tail = h;
		while (tail->next)
			tail = tail->next;
		l->dirs = h->next;
		l->dirs->prev = NULL;
		tail->next = h;
		h->prev = tail;
		h->next = NULL;
	}
	if (wake_want) {
		sim_time_t at = tbucket_next_ready(&l->tb, now, wake_want);
		if (at != SIMTIME_NEVER)
			arm_at(l->timer, at, now);
	}
}

static void link_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	link_pump(arg, now_ns());
}

/* Move the bytes whose delay has passed to staging; re-arm for the next; serve the link. */
static void dir_release(struct dir *d, sim_time_t now)
{
	int64_t n = delayq_pop_ready(&d->dq, now);
	if (n > 0)
		evbuffer_remove_buffer(d->delayed, d->staged, (size_t)n);
	sim_time_t next = delayq_next(&d->dq);
	if (next != SIMTIME_NEVER)
		arm_at(d->timer, next, now);
	if (n > 0)
		link_pump(d->link, now);
}

static void dir_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct dir *d = arg;
	dir_release(d, now_ns());
	dir_maybe_shut(d);
	conn_maybe_free(d->c);
}

/* Bytes arrived on d->from: into the delay line. */
static void dir_read(struct dir *d)
{
	struct evbuffer *in = bufferevent_get_input(d->from);
	size_t n = evbuffer_get_length(in);
	if (!n)
		return;
	d->read_bytes += (int64_t)n;
	sim_time_t now = now_ns();
	int was_empty = delayq_next(&d->dq) == SIMTIME_NEVER;
	evbuffer_add_buffer(d->delayed, in);
	delayq_push(&d->dq, now, d->link->latency_ns, (int64_t)n);
	if (was_empty)
		dir_release(d, now); /* arms the timer (or releases at once at zero latency) */
	dir_flow_control(d);
}

static void dir_init(struct dir *d, struct conn *c, struct link *l, struct bufferevent *from,
                     struct bufferevent *to, event_callback_fn cb)
{
	d->c = c;
	d->link = l;
	d->from = from;
	d->to = to;
	d->delayed = evbuffer_new();
	d->staged = evbuffer_new();
	if (!d->delayed || !d->staged)
		oom();
	delayq_init(&d->dq);
	d->timer = evtimer_new(c->m->base, cb, d);
	if (!d->timer)
		oom();
	d->prev = NULL;
	d->next = l->dirs;
	if (l->dirs)
		l->dirs->prev = d;
	l->dirs = d;
}

static void dir_fini(struct dir *d)
{
	if (d->prev)
		d->prev->next = d->next;
	else
		d->link->dirs = d->next;
	if (d->next)
		d->next->prev = d->prev;
	event_free(d->timer);
	evbuffer_free(d->delayed);
	evbuffer_free(d->staged);
	delayq_free(&d->dq);
}

/* ---- connections ---- */

static void conn_free(struct conn *c)
{
	struct emu_mesh *m = c->m;
	if (c->prev)
		c->prev->next = c->next;
	else
		m->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	dir_fini(&c->up);
	dir_fini(&c->down);
	bufferevent_free(c->client);
	bufferevent_free(c->server);
	free(c);
}

/* Both directions finished: close. */
static void conn_maybe_free(struct conn *c)
{
	if (c->up.shut && c->down.shut)
		conn_free(c);
}

static struct dir *dir_from(struct conn *c, struct bufferevent *bev)
{
	return bev == c->client ? &c->up : &c->down;
}

static struct dir *dir_to(struct conn *c, struct bufferevent *bev)
{
	return bev == c->server ? &c->up : &c->down;
}

/*
 * The --drop fault: d (a client -> server direction) has read its bytes; if it is on the
 * faulty pair and past the threshold, close its connection (once) and say so. 1 if dropped.
 */
static int maybe_drop(struct conn *c, struct dir *d)
{
	struct emu_mesh *m = c->m;
	if (!m->drop_after || d != &c->up || d->link->src != m->drop_src ||
	    d->link->dst != m->drop_dst || d->read_bytes < m->drop_after)
		return 0;
	int n = m->t->n;
	diag_error("emu mesh: fault injected (--drop): closed a connection of pair %s->%s "
	           "(port %d) after %lld bytes from its client", m->t->regions[m->drop_src].name,
	           m->t->regions[m->drop_dst].name,
	           m->pairs[emu_mesh_pair_index(n, m->drop_src, m->drop_dst)].port,
	           (long long)d->read_bytes);
	m->drop_after = 0;
	conn_free(c);
	return 1;
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct dir *d = dir_from(arg, bev);
	dir_read(d);
	maybe_drop(arg, d);
}

/*
 * The socket's output drained below the low mark: if the link skipped this direction for a
 * full buffer, serve it again. (Not otherwise: every small write would re-enter the pump and
 * spin the loop.)
 */
static void write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct dir *d = dir_to(c, bev);
	if (d->out_full) {
		d->out_full = 0;
		link_pump(d->link, now_ns());
	}
	dir_maybe_shut(d);
	conn_maybe_free(c);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_EOF) {
		struct dir *d = dir_from(c, bev);
		dir_read(d); /* anything left in the input */
		d->eof = 1;
		bufferevent_disable(bev, EV_READ);
		dir_maybe_shut(d);
		conn_maybe_free(c);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		int err = EVUTIL_SOCKET_ERROR();
		if (bev == c->server && err == ECONNREFUSED)
			diag_error("emu: the server refused a relayed connection (%s)",
			           evutil_socket_error_to_string(err));
		conn_free(c);
	}
}

static void set_nodelay(struct bufferevent *bev)
{
	int one = 1;
	evutil_socket_t fd = bufferevent_getfd(bev);
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void accept_cb(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
	(void)lis;
	(void)sa;
	(void)salen;
	struct pair *p = arg;
	struct emu_mesh *m = p->m;
	struct conn *c = xcalloc(1, sizeof *c);
	c->m = m;
	c->client = bufferevent_socket_new(m->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->server = bufferevent_socket_new(m->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!c->client || !c->server)
		oom();
	int n = m->t->n;
	dir_init(&c->up, c, &m->links[p->src * n + p->dst], c->client, c->server, dir_timer_cb);
	dir_init(&c->down, c, &m->links[p->dst * n + p->src], c->server, c->client, dir_timer_cb);
	c->next = m->conns;
	if (m->conns)
		m->conns->prev = c;
	m->conns = c;
	struct bufferevent *bevs[2] = { c->client, c->server };
	for (int i = 0; i < 2; i++) {
		bufferevent_setcb(bevs[i], read_cb, write_cb, event_cb, c);
		bufferevent_setwatermark(bevs[i], EV_WRITE, OUT_LOW_BYTES, 0);
		bufferevent_set_max_single_read(bevs[i], IO_MAX_BYTES);
		bufferevent_set_max_single_write(bevs[i], IO_MAX_BYTES);
		bufferevent_enable(bevs[i], EV_READ | EV_WRITE);
	}
	set_nodelay(c->client);
	if (bufferevent_socket_connect(c->server, (struct sockaddr *)&m->to, (int)m->to_len) < 0) {
		diag_error("emu: cannot connect to the server: %s",
		           evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		conn_free(c);
		return;
	}
	set_nodelay(c->server);
}

/* ---- trace ---- */

static void link_set(struct link *l, sim_time_t now, double bw_bps, double rtt_s)
{
	int64_t rate = rate_of(bw_bps);
	tbucket_set_rate(&l->tb, now, rate, burst_of(rate));
	if (rtt_s >= 0)
		l->latency_ns = simtime_from_s(rtt_s / 2);
}

/* Apply every change due by now (relative to t0); arm the timer for the next one. */
static void trace_apply(struct emu_mesh *m, sim_time_t now)
{
	int n = m->t->n;
	while (m->tr_next < m->tr->n && m->t0 + m->tr->changes[m->tr_next].time <= now) {
		const struct trace_change *ch = &m->tr->changes[m->tr_next++];
		if (ch->src == ch->dst)
			continue; /* LAN changes: nothing is relayed inside a region */
		struct link *l = &m->links[ch->src * n + ch->dst];
		link_set(l, now, ch->bw_bps, ch->rtt_s);
		link_pump(l, now);
	}
	if (m->tr_next < m->tr->n)
		arm_at(m->tr_timer, m->t0 + m->tr->changes[m->tr_next].time, now);
}

static void trace_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	trace_apply(arg, now_ns());
}

/* ---- the mesh ---- */

int emu_mesh_pair_index(int n, int src, int dst)
{
	assert(src != dst && src >= 0 && dst >= 0 && src < n && dst < n);
	return src * (n - 1) + (dst < src ? dst : dst - 1);
}

int emu_mesh_parse_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256];
	const char *colon = strrchr(s, ':');
	const char *h = s, *hend = colon;
	if (s[0] == '[') { /* [v6]:port */
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':')
			return diag_error("--to '%s': expected HOST:PORT or [IPV6]:PORT", s);
		h = s + 1;
		hend = rb;
		colon = rb + 1;
	}
	if (!colon || colon == s || (size_t)(hend - h) >= sizeof host || hend == h)
		return diag_error("--to '%s': expected HOST:PORT", s);
	memcpy(host, h, (size_t)(hend - h));
	host[hend - h] = '\0';
	char *end;
	errno = 0;
	long port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end || errno || port < 1 || port > 65535)
		return diag_error("--to '%s': port '%s' is not an integer in 1..65535", s, colon + 1);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc != 0 || !res)
		return diag_error("--to '%s': cannot resolve host '%s': %s", s, host, gai_strerror(rc));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int emu_mesh_parse_drop(const char *opt, const char *s, const struct topology *t,
                        struct emu_mesh_config *cfg)
{
	char a[128], b[128], extra[2];
	long long bytes;
	int r[2] = { -1, -1 };
	if (sscanf(s, "%127[^,],%127[^,],%lld%1s", a, b, &bytes, extra) != 3 || bytes < 1)
		return diag_error("%s '%s': want SRC,DST,BYTES (two regions of topology %s and a "
		                  "positive number of bytes)", opt, s, t->name);
	const char *name[2] = { a, b };
	for (int i = 0; i < 2; i++) {
		char *end;
		long v;
		r[i] = topology_region(t, name[i]);
		if (r[i] < 0 && (v = strtol(name[i], &end, 10), *name[i] && !*end && v >= 0 && v < t->n))
			r[i] = (int)v;
		if (r[i] < 0)
			return diag_error("%s '%s': '%s' is not a region name or index of topology "
			                  "%s", opt, s, name[i], t->name);
	}
	if (r[0] == r[1])
		return diag_error("%s '%s': the two regions are the same (a pair is two regions)",
		                  opt, s);
	cfg->drop_src = r[0];
	cfg->drop_dst = r[1];
	cfg->drop_after_bytes = bytes;
	return 0;
}

static int open_listener(struct emu_mesh *m, struct pair *p, const char *addr)
{
	const char *a = m->t->regions[p->src].name, *b = m->t->regions[p->dst].name;
	if (p->port > 65535)
		return diag_error("emu: port %d for pair %s->%s is above 65535 (lower --base-port)",
		                  p->port, a, b);
	struct sockaddr_storage ss;
	int sl = (int)sizeof ss;
	char spec[300];
	snprintf(spec, sizeof spec, strchr(addr, ':') ? "[%s]:%d" : "%s:%d", addr, p->port);
	if (evutil_parse_sockaddr_port(spec, (struct sockaddr *)&ss, &sl) < 0)
		return diag_error("emu: --listen '%s' is not a numeric IPv4 or IPv6 address", addr);
	p->lis = evconnlistener_new_bind(m->base, accept_cb, p,
	                                 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
	                                 LEV_OPT_CLOSE_ON_EXEC, 128, (struct sockaddr *)&ss, sl);
	if (!p->lis)
		return diag_error("emu: cannot listen on %s port %d for pair %s->%s: %s", addr,
		                  p->port, a, b, strerror(errno));
	return 0;
}

static void stop_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

static struct event_base *new_base(void)
{
	struct event_config *cfg = event_config_new();
	if (!cfg)
		return NULL;
	/* Timers to the microsecond (timerfd on Linux) rather than epoll's milliseconds. */
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	struct event_base *b = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return b;
}

struct emu_mesh *emu_mesh_new(const struct emu_mesh_config *cfg)
{
	const struct topology *t = cfg->topo;
	int n = t->n;
	if (n < 2) {
		diag_error("emu: topology %s has %d region; a mesh needs at least 2", t->name, n);
		return NULL;
	}
	struct emu_mesh *m = xcalloc(1, sizeof *m);
	m->t = t;
	m->tr = cfg->trace;
	m->to = cfg->to;
	m->to_len = cfg->to_len;
	m->drop_src = cfg->drop_src;
	m->drop_dst = cfg->drop_dst;
	m->drop_after = cfg->drop_after_bytes;
	m->base = new_base();
	if (!m->base) {
		diag_error("emu: cannot create the event loop");
		goto fail;
	}
	m->t0 = now_ns();
	m->links = xcalloc((size_t)n * (size_t)n, sizeof *m->links);
	for (int s = 0; s < n; s++)
		for (int d = 0; d < n; d++) {
			struct link *l = &m->links[s * n + d];
			l->m = m;
			l->src = s;
			l->dst = d;
			int64_t rate = s == d ? 0 : rate_of(t->bw_bps[s * n + d]);
			tbucket_init(&l->tb, rate, burst_of(rate), m->t0);
			l->latency_ns = simtime_from_s(topology_one_way_s(t, s, d));
			if (!(l->timer = evtimer_new(m->base, link_timer_cb, l)))
				goto fail;
		}
	m->npairs = n * (n - 1);
	m->pairs = xcalloc((size_t)m->npairs, sizeof *m->pairs);
	for (int s = 0; s < n; s++)
		for (int d = 0; d < n; d++) {
			if (s == d)
				continue;
			struct pair *p = &m->pairs[emu_mesh_pair_index(n, s, d)];
			*p = (struct pair){ .m = m, .src = s, .dst = d,
			                    .port = cfg->base_port + emu_mesh_pair_index(n, s, d) };
			if (open_listener(m, p, cfg->listen_addr) < 0)
				goto fail;
		}
	m->sigint = evsignal_new(m->base, SIGINT, stop_cb, m->base);
	m->sigterm = evsignal_new(m->base, SIGTERM, stop_cb, m->base);
	m->tr_timer = evtimer_new(m->base, trace_cb, m);
	if (!m->sigint || !m->sigterm || !m->tr_timer || event_add(m->sigint, NULL) < 0 ||
	    event_add(m->sigterm, NULL) < 0) {
		diag_error("emu: cannot set up signal handling");
		goto fail;
	}
	if (m->tr)
		trace_apply(m, m->t0); /* changes at time 0 hold from the first byte */
	return m;
fail:
	emu_mesh_free(m);
	return NULL;
}

int emu_mesh_print_ports(const struct emu_mesh *m, FILE *out)
{
	fprintf(out, "src,dst,port\n");
	for (int i = 0; i < m->npairs; i++)
		fprintf(out, "%s,%s,%d\n", m->t->regions[m->pairs[i].src].name,
		        m->t->regions[m->pairs[i].dst].name, m->pairs[i].port);
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

int emu_mesh_run(struct emu_mesh *m)
{
	/* A peer that closes while we write must give EPIPE, not kill the relay. */
	struct sigaction sa = { .sa_handler = SIG_IGN };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	if (event_base_dispatch(m->base) < 0)
		return diag_error("emu: the event loop failed");
	return 0;
}

void emu_mesh_free(struct emu_mesh *m)
{
	if (!m)
		return;
	while (m->conns)
		conn_free(m->conns);
	for (int i = 0; m->pairs && i < m->npairs; i++)
		if (m->pairs[i].lis)
			evconnlistener_free(m->pairs[i].lis);
	free(m->pairs);
	if (m->links)
		for (int i = 0; i < m->t->n * m->t->n; i++)
			if (m->links[i].timer)
				event_free(m->links[i].timer);
	free(m->links);
	if (m->sigint)
		event_free(m->sigint);
	if (m->sigterm)
		event_free(m->sigterm);
	if (m->tr_timer)
		event_free(m->tr_timer);
	if (m->base)
		event_base_free(m->base);
	free(m);
}
