/*
 * gaiasim emu: the emulation testbed's commands. `emu mesh` serves shaped WAN links between
 * the regions of a topology (emu/mesh.h) until SIGINT or SIGTERM.
 */
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "cli/cmd.h"
#include "cli/opt.h"
#include "emu/mesh.h"
#include "lib/lineio.h"
#include "topology/topology.h"
#include "topology/trace.h"

#define MESH_USAGE "emu mesh -t TOPOLOGY [-T TRACE] [--listen ADDR] [--base-port P]\n" \
	"                        --to HOST:PORT"
static const char USAGE[] = "gaiasim " MESH_USAGE;

enum { OPT_LISTEN = 256, OPT_BASE_PORT, OPT_TO };
static const struct cli_opt mesh_opts[] = {
	{ "topology", 't', "TOPOLOGY", "topology: a shipped name or a .topo file (required)" },
	{ "trace", 'T', "TRACE", "bandwidth trace to follow: a shipped name or a CSV file" },
	{ "listen", OPT_LISTEN, "ADDR", "address the relays listen on" },
	{ "base-port", OPT_BASE_PORT, "P", "first relay port (one per directed region pair)" },
	{ "to", OPT_TO, "HOST:PORT", "where the relays forward to (required)" },
	{ NULL, 0, NULL, NULL },
};

const struct cli_help cmd_emu_mesh_help = {
	.cmd = "emu mesh",
	.usage = MESH_USAGE,
	.about = "Run a shaped WAN relay per directed region pair (bandwidth, RTT) until Ctrl-C.\n"
	         "docs/emulation.md.",
	.opts = mesh_opts,
};

static int emu_mesh_cmd(int argc, char **argv)
{
	const char *topo = NULL, *trace = NULL, *to = NULL, *listen = EMU_DEFAULT_LISTEN;
	int64_t base_port = EMU_DEFAULT_BASE_PORT;
	struct cli_parser P;
	cli_parser_init(&P, &cmd_emu_mesh_help, argc, argv);
	int c;
	const char *v;
	while ((c = cli_next(&P, &v)) != CLI_END) {
		switch (c) {
		case CLI_HELP: return 0;
		case CLI_ERROR: return 2;
		case 't': topo = v; break;
		case 'T': trace = v; break;
		case OPT_LISTEN: listen = v; break;
		case OPT_TO: to = v; break;
		case OPT_BASE_PORT:
			if (parse_int64(v, &base_port) < 0 || base_port < 1 || base_port > 65535)
				return cmd_usage_error(USAGE, "emu mesh: --base-port '%s' is not an "
				                       "integer in 1..65535", v);
			break;
		}
	}
	if (optind < argc)
		return cmd_usage_error(USAGE, "emu mesh: unexpected argument '%s'", argv[optind]);
	if (!topo || !to)
		return cmd_usage_error(USAGE, "emu mesh: -t TOPOLOGY and --to HOST:PORT are required");

	struct emu_mesh_config cfg = { .listen_addr = listen, .base_port = (int)base_port };
	if (emu_mesh_parse_hostport(to, &cfg.to, &cfg.to_len) < 0)
		return 2;
	int status = 1;
	struct trace *tr = NULL;
	struct emu_mesh *m = NULL;
	struct topology *t = topology_load(topo);
	if (!t)
		goto done;
	if (trace && !(tr = trace_load(trace, t)))
		goto done;
	cfg.topo = t;
	cfg.trace = tr;
	if (!(m = emu_mesh_new(&cfg)))
		goto done;
	if (emu_mesh_print_ports(m, stdout) < 0) {
		fprintf(stderr, "gaiasim: emu mesh: cannot write the port list to stdout\n");
		goto done;
	}
	if (emu_mesh_run(m) == 0)
		status = 0;
done:
	emu_mesh_free(m);
	trace_free(tr);
	topology_free(t);
	libevent_global_shutdown();
	return status;
}

int cmd_emu(int argc, char **argv)
{
	if (argc < 2)
		return cmd_usage_error(USAGE, "emu: which emulation command? (mesh)");
	if (!strcmp(argv[1], "mesh"))
		return emu_mesh_cmd(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		cli_print_help(stdout, &cmd_emu_mesh_help);
		return 0;
	}
	return cmd_usage_error(USAGE, "emu: unknown command '%s' (known: mesh)", argv[1]);
}
