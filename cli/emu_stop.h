/*
 * Stopping an emulated run cleanly on SIGINT, SIGTERM or SIGHUP (`emu run`, `emu validate`).
 * A process that starts children (the node and mesh processes) and owns a temporary folder
 * must not die on the spot: the handler installed by emu_stop_defer() only records the signal,
 * and the parent's wait loops (cli/emu_run.c) see it, stop and reap every child, remove the
 * temporary folder, store nothing, and the command exits 128 + the signal number with one
 * line saying so (emu_stop_report). Before any child exists, emu_stop_now() makes the same
 * signals print that line and exit at once (a long simulated run of `emu validate` is not
 * left to finish first). A node process (`emu node`) watches the same signals on its event
 * loop instead (emu_stop_watch). docs/emulation.md, "Faults".
 */
#ifndef GAIA_CLI_EMU_STOP_H
#define GAIA_CLI_EMU_STOP_H

/* The signals print `gaiasim: CMD: interrupted by signal N (NAME); ...` and exit 128 + N at
 * once (only async-signal-safe calls: nothing to clean up yet). cmd is kept (a literal). */
void emu_stop_now(const char *cmd);
/* From now on the signals are only recorded (emu_stop_signal); blocking calls return EINTR. */
void emu_stop_defer(void);
/* The signal recorded since emu_stop_defer, or 0. */
int emu_stop_signal(void);
/* Print the one line for the recorded signal (what was cleaned up: `done`) and return the
 * exit status 128 + N; 0 if no signal was recorded. */
int emu_stop_report(const char *cmd, const char *done);

/*
 * `emu node` (a libevent loop): SIGINT, SIGTERM and SIGHUP break the loop of `base` and are
 * recorded in *sig (a signal number, 0 until one comes). Returns the watcher to free with
 * emu_stop_unwatch, or NULL if libevent could not set it up (the signals then keep their
 * default action).
 */
struct event_base;
struct emu_stop_watch;
struct emu_stop_watch *emu_stop_watch(struct event_base *base, int *sig);
void emu_stop_unwatch(struct emu_stop_watch *w);

#endif
