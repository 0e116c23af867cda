/*
 * gaiasim emu: the emulation testbed's commands. `emu mesh` serves shaped WAN links between
 * the regions of a topology (emu/mesh.h) until SIGINT or SIGTERM.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "cli/cmd.h"
#include "emu/mesh.h"
#include "lib/lineio.h"
#include "topology/topology.h"
#include "topology/trace.h"

static const char USAGE[] =
	"gaiasim emu mesh -t TOPOLOGY [-T TRACE.csv] [--listen ADDR] [--base-port P]\n"
	"                        --to HOST:PORT";

static int emu_mesh_cmd(int argc, char **argv)
{
	const char *topo = NULL, *trace = NULL, *to = NULL, *listen = EMU_DEFAULT_LISTEN;
	int64_t base_port = EMU_DEFAULT_BASE_PORT;
	static const struct option opts[] = {
		{ "topology", required_argument, NULL, 't' },
		{ "trace", required_argument, NULL, 'T' },
		{ "listen", required_argument, NULL, 'l' },
		{ "base-port", required_argument, NULL, 'p' },
		{ "to", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:T:h", opts, NULL)) != -1) {
		switch (c) {
		case 't': topo = optarg; break;
		case 'T': trace = optarg; break;
		case 'l': listen = optarg; break;
		case 'o': to = optarg; break;
		case 'p':
			if (parse_int64(optarg, &base_port) < 0 || base_port < 1 || base_port > 65535)
				return cmd_usage_error(USAGE, "emu mesh: --base-port '%s' is not an "
				                       "integer in 1..65535", optarg);
			break;
		case 'h':
			printf("usage: %s\n", USAGE);
			return 0;
		case ':':
			return cmd_usage_error(USAGE, "emu mesh: option '%s' needs a value",
			                       argv[optind - 1]);
		default:
			return cmd_usage_error(USAGE, "emu mesh: unknown option '%s'", argv[optind - 1]);
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
		printf("usage: %s\n", USAGE);
		return 0;
	}
	return cmd_usage_error(USAGE, "emu: unknown command '%s' (known: mesh)", argv[1]);
}
