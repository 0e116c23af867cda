/*
 * The control channel of an emulated run, between the parent (`emu run`, cli/emu_run.c) and
 * each node process it starts (`emu node`, cli/emu_node.c): one text line per message, parent
 * -> node on the node's stdin, node -> parent on its stdout (docs/emulation.md):
 *   node:   listen PORT                 its listener is open
 *   parent: route SRC DST HOST PORT     channels from region SRC to region DST connect there
 *   parent: start                       the run's time origin is now; start the workers
 *   parent: query                       node: qstatus STOPPED SENT DELIVERED
 *   parent: finish                      node: write the results file, then `written`
 *   parent: (closes stdin)              node exits 0
 * Both ends use raw descriptors, not stdio: a node reads its stdin from its event loop, the
 * parent polls every child at once (it reads each mesh's port list the same way).
 */
#ifndef GAIA_CLI_EMU_CTL_H
#define GAIA_CLI_EMU_CTL_H

#include <stddef.h>

/* Line input on a raw descriptor. */
struct emu_ctl_buf {
	char buf[8192];          /* bytes read and not yet consumed */
	size_t n;                /* their number */
	int eof;                 /* the writer closed */
};

/* Take one complete line (without its newline) into out; 1, or 0 if none is complete. */
int emu_ctl_line(struct emu_ctl_buf *b, char *out, size_t cap);

/* Read what is available (one read(2), which blocks on a blocking descriptor); -1 on a read
 * error or a full buffer. */
int emu_ctl_fill(struct emu_ctl_buf *b, int fd);

/* Write one formatted message (at most 511 bytes) to fd, retrying short writes; on a write
 * error the rest is dropped silently (the wait loops notice a dead process). */
void emu_ctl_say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
