/*
 * Clean stops of the emulation commands on SIGINT, SIGTERM and SIGHUP (cli/emu_stop.h).
 */
#include "cli/emu_stop.h"

#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "lib/diag.h"
#include "lib/xmalloc.h"

static const int SIGS[] = { SIGINT, SIGTERM, SIGHUP }; /* the signals that stop a run */
#define NSIGS (sizeof SIGS / sizeof SIGS[0])

static volatile sig_atomic_t got;     /* the signal recorded (deferred mode), or 0 */
static char now_line[NSIGS][160];     /* emu_stop_now: the line to print, per signal */

static void on_defer(int sig)
{
	if (!got)
		got = sig;
}

static void on_now(int sig)
{
	for (size_t i = 0; i < NSIGS; i++)
		if (SIGS[i] == sig) {
			ssize_t w = write(2, now_line[i], strlen(now_line[i]));
			(void)w;
		}
	_exit(128 + sig);
}

static void install(void (*fn)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: poll, read and waitpid return EINTR */
	for (size_t i = 0; i < NSIGS; i++)
		sigaction(SIGS[i], &sa, NULL);
}

void emu_stop_now(const char *cmd)
{
	for (size_t i = 0; i < NSIGS; i++)
		snprintf(now_line[i], sizeof now_line[i], "gaiasim: %s: interrupted by signal %d "
		         "(%s); nothing was stored\n", cmd, SIGS[i], strsignal(SIGS[i]));
	install(on_now);
}

void emu_stop_defer(void)
{
	install(on_defer);
}

int emu_stop_signal(void)
{
	return got;
}

int emu_stop_report(const char *cmd, const char *done)
{
	int sig = got;
	if (!sig)
		return 0;
	diag_error("%s: interrupted by signal %d (%s); %s", cmd, sig, strsignal(sig), done);
	return 128 + sig;
}

struct emu_stop_watch {
	struct event *ev[NSIGS];      /* one signal event per stopping signal */
	struct event_base *base;      /* the loop they break */
	int *sig;                     /* where the signal number goes */
};

static void on_watch(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	struct emu_stop_watch *w = arg;
	if (!*w->sig)
		*w->sig = (int)sig;
	event_base_loopbreak(w->base);
}

struct emu_stop_watch *emu_stop_watch(struct event_base *base, int *sig)
{
	struct emu_stop_watch *w = xcalloc(1, sizeof *w);
	w->base = base;
	w->sig = sig;
	for (size_t i = 0; i < NSIGS; i++)
		if (!(w->ev[i] = evsignal_new(base, SIGS[i], on_watch, w)) ||
		    event_add(w->ev[i], NULL) < 0) {
			emu_stop_unwatch(w);
			return NULL;
		}
	return w;
}

void emu_stop_unwatch(struct emu_stop_watch *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < NSIGS; i++)
		if (w->ev[i])
			event_free(w->ev[i]);
	free(w);
}
