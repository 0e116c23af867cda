/*
 * gaiasim emu: the emulation testbed's commands. `emu mesh` serves shaped WAN links between
 * the regions of a topology (emu/mesh.h) until SIGINT or SIGTERM; `emu run` runs a training
 * configuration emulated, one process per region (cli/emu_run.h); `emu node` is one such
 * process; `emu validate` runs a configuration simulated and emulated and compares them.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cli/cmd.h"
#include "cli/emu_run.h"
#include "cli/emu_stop.h"
#include "cli/opt.h"
#include "emu/mesh.h"
#include "lib/diag.h"
#include "lib/lineio.h"
#include "lib/runcfg.h"
#include "lib/xmalloc.h"
#include "ps/msg.h"
#include "results/store.h"
#include "topology/topology.h"
#include "topology/trace.h"

static const char USAGE[] =
	"gaiasim emu mesh -t TOPOLOGY [-T TRACE.csv] [--listen ADDR] [--base-port P]\n"
	"                        [--time-scale X] [--drop SRC,DST,BYTES] --to HOST:PORT\n"
	"       gaiasim emu run CONFIG [--set K=V ...] [--db FILE] [--label TEXT]\n"
	"                        [--time-scale X] [--timeout S] [--base-port P]\n"
	"                        [--mesh-drop SRC,DST,BYTES] [--start-timeout S]\n"
	"       gaiasim emu validate CONFIG [--set K=V ...] [--time-scale X] [--timeout S]\n"
	"       gaiasim emu node CONFIG [--set K=V ...] --id R --peers FILE [--results FILE]\n"
	"                        [--listen ADDR] [--linger S] [--connect-timeout S]\n"
	"       gaiasim emu collect CONFIG [--set K=V ...] [--db FILE] [--label TEXT] RESULTS...";

/*
 * --time-scale X: emulated time runs X times faster than real time, so every rate is X times
 * higher and every latency and trace time X times shorter (docs/emulation.md).
 */
static void compress(struct topology *t, struct trace *tr, double x)
{
	for (int i = 0; i < t->n * t->n; i++) {
		t->bw_bps[i] *= x;
		t->rtt_s[i] /= x;
	}
	for (size_t i = 0; tr && i < tr->n; i++) {
		tr->changes[i].time = (sim_time_t)llround((double)tr->changes[i].time / x);
		tr->changes[i].bw_bps *= x;
		if (tr->changes[i].rtt_s >= 0)
			tr->changes[i].rtt_s /= x;
	}
}

/*
 * The emu subcommands' options (cli/opt.h): `emu mesh` and `emu run`/`validate`/`collect`
 * parse with these tables, and `gaiasim help emu` prints them.
 */
static const struct cli_opt emu_mesh_opts[] = {
	{ "topology", 't', "TOPOLOGY", "topology: a shipped name or a .topo file (required)" },
	{ "trace", 'T', "TRACE", "bandwidth trace to follow: a shipped name or a CSV file" },
	{ "listen", 256, "ADDR", "address the relays listen on (default 127.0.0.1)" },
	{ "base-port", 257, "P", "first relay port (one per directed region pair)" },
	{ "to", 258, "HOST:PORT", "where the relays forward to (required)" },
	{ "time-scale", 259, "X", "compress time: rates x X, latencies and trace times / X" },
	{ "drop", 260, "SRC,DST,BYTES", "fault: close the first connection of pair SRC->DST once "
	  "its client sent BYTES" },
	{ NULL, 0, NULL, NULL },
};

const struct cli_help cmd_emu_mesh_help = {
	.cmd = "emu mesh",
	.usage = "emu mesh -t TOPOLOGY [-T TRACE] [--listen ADDR] [--base-port P] [--time-scale X]\n"
	         "                [--drop SRC,DST,BYTES] --to HOST:PORT",
	.about = "Run a shaped WAN relay per directed region pair (bandwidth, RTT) until Ctrl-C.\n"
	         "docs/emulation.md.",
	.opts = emu_mesh_opts,
};

static const struct cli_opt emu_run_opts[] = {
	{ "set", 's', "KEY=VALUE", "override a configuration key (any number; the last wins)" },
	{ "db", 256, "FILE", "store the emulated run in this SQLite results database (kind 'emu')" },
	{ "label", 257, "TEXT", "runs.label of the stored run" },
	{ "time-scale", 258, "X", "compress time: rates x X, latencies and compute / X" },
	{ "timeout", 259, "S", "give up after S seconds of real time" },
	{ "base-port", 260, "P", "first port of the relays and nodes" },
	{ "mesh-drop", 261, "SRC,DST,BYTES", "fault: the relay of pair SRC->DST closes its first "
	  "connection past BYTES (emu mesh --drop)" },
	{ "start-timeout", 262, "S", "give up on a node or mesh that has not started after S "
	  "seconds (default 30)" },
	{ NULL, 0, NULL, NULL },
};

const struct cli_help cmd_emu_run_help = {
	.cmd = "emu run",
	.usage = "emu run CONFIG [--set K=V ...] [--db FILE] [--label TEXT] [--time-scale X]\n"
	         "                [--timeout S] [--base-port P] [--mesh-drop SRC,DST,BYTES]\n"
	         "                [--start-timeout S]\n"
	         "       emu validate CONFIG [--set K=V ...] [--time-scale X] [--timeout S]\n"
	         "       emu node CONFIG [--set K=V ...] --id R --peers FILE [--results FILE]\n"
	         "       emu collect CONFIG [--set K=V ...] [--db FILE] [--label TEXT] RESULTS...",
	.about = "Run the same training in real time over sockets through shaped relays, one process\n"
	         "per region (run); the same run simulated and emulated side by side (validate); one\n"
	         "region's node by hand from an address list, and the merge of their results (node,\n"
	         "collect). docs/emulation.md.",
	.opts = emu_run_opts,
};

static int emu_mesh_cmd(int argc, char **argv)
{
	const char *topo = NULL, *trace = NULL, *to = NULL, *listen = EMU_DEFAULT_LISTEN;
	const char *drop = NULL;
	int64_t base_port = EMU_DEFAULT_BASE_PORT;
	double scale = 1;
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
		case 256: listen = v; break;
		case 258: to = v; break;
		case 260: drop = v; break;
		case 259:
			if (parse_double(v, &scale) < 0 || !(scale > 0) || scale > 1e6)
				return cmd_usage_error(USAGE, "emu mesh: --time-scale '%s' is not a number "
				                       "in (0, 1e6]", v);
			break;
		case 257:
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
	if (drop && emu_mesh_parse_drop("emu mesh: --drop", drop, t, &cfg) < 0) {
		status = 2;
		goto done;
	}
	if (scale != 1)
		compress(t, tr, scale);
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

/* Options of emu run, emu validate (validate = 1) and emu collect (validate = 2: CONFIG
 * then results files, left at argv[optind + 1 ..]). */
static int parse_run(int argc, char **argv, int validate, struct emu_run_opts *o)
{
	const char *cmd = validate == 2 ? "emu collect" : validate ? "emu validate" : "emu run";
	memset(o, 0, sizeof *o);
	o->time_scale = 1;
	o->sets = xcalloc((size_t)argc + 1, sizeof *o->sets);
	struct cli_parser P;
	cli_parser_init(&P, &cmd_emu_run_help, argc, argv);
	int ch;
	const char *v;
	int64_t port;
	while ((ch = cli_next(&P, &v)) != CLI_END) {
		switch (ch) {
		case CLI_HELP: return 0;
		case CLI_ERROR: return 2;
		case 's': o->sets[o->nsets++] = (char *)v; break;
		case 256:
			if (validate == 1 || !cmd_db_path_ok(v))
				return cmd_usage_error(USAGE, "%s: --db '%s': %s", cmd, v,
				                       validate ? "validate stores nothing" : CMD_DB_PATH_RULE);
			o->db = v;
			break;
		case 257: o->label = v; break;
		case 258:
			if (parse_double(v, &o->time_scale) < 0 || !(o->time_scale > 0) ||
			    o->time_scale > 1e6)
				return cmd_usage_error(USAGE, "%s: --time-scale '%s' is not a number in "
				                       "(0, 1e6]", cmd, v);
			break;
		case 259:
			if (parse_double(v, &o->timeout_s) < 0 || !(o->timeout_s > 0))
				return cmd_usage_error(USAGE, "%s: --timeout '%s' is not a positive number "
				                       "of seconds", cmd, v);
			break;
		case 260:
			if (parse_int64(v, &port) < 0 || port < 1024 || port > 65000)
				return cmd_usage_error(USAGE, "%s: --base-port '%s' is not in 1024..65000",
				                       cmd, v);
			o->base_port = (int)port;
			break;
		case 261: o->mesh_drop = v; break;
		case 262:
			if (parse_double(v, &o->start_timeout_s) < 0 || !(o->start_timeout_s > 0))
				return cmd_usage_error(USAGE, "%s: --start-timeout '%s' is not a positive "
				                       "number of seconds", cmd, v);
			break;
		}
	}
	if (validate == 2 ? optind > argc - 2 : optind != argc - 1)
		return cmd_usage_error(USAGE, validate == 2 ? "%s: want CONFIG and RESULTS files"
		                                            : "%s: want exactly one CONFIG file", cmd);
	o->config = argv[optind];
	return -1;
}

static void print_emu_result(const struct run_result *res);

/* What an interrupted emu run or validate did before exiting (cli/emu_stop.h). */
#define STOP_DONE "stopped and reaped every node and mesh process, removed the temporary " \
	"folder, stored nothing"

/* emu collect: merge the results files of nodes started by hand (emu node --peers). */
static int emu_collect_cmd(int argc, char **argv)
{
	struct emu_run_opts o;
	int rc = parse_run(argc, argv, 2, &o);
	if (rc >= 0) {
		free(o.sets);
		return rc;
	}
	struct run_result res;
	rc = emu_collect(&o, (const char *const *)argv + optind + 1, argc - optind - 1, &res);
	free(o.sets);
	if (rc < 0)
		return 1;
	print_emu_result(&res);
	return 0;
}

static int emu_run_cmd(int argc, char **argv)
{
	struct emu_run_opts o;
	int rc = parse_run(argc, argv, 0, &o);
	if (rc >= 0) {
		free(o.sets);
		return rc;
	}
	emu_stop_now("emu run");
	if (o.db) { /* fail before any process starts if the database cannot be written */
		struct store *st = store_open(o.db);
		if (!st) {
			free(o.sets);
			return 1;
		}
		store_close(st);
	}
	struct run_result res;
	rc = emu_run(&o, &res);
	free(o.sets);
	if (rc < 0 && emu_stop_signal())
		return emu_stop_report("emu run", STOP_DONE);
	if (rc < 0)
		return 1;
	print_emu_result(&res);
	return 0;
}

static void print_emu_result(const struct run_result *r)
{
	const struct run_result res = *r;
	printf("sync                  %s\n", res.sync);
	printf("machines              %d\n", res.machines);
	printf("clocks                %lld\n", (long long)res.clocks);
	printf("emulated_time_s       %.6f\n", res.end_s);
	if (!isnan(res.target))
		printf("time_to_target_s      %.6f\n", res.time_to_target_s);
	printf("final_objective       %.6f\n", res.final_objective);
	printf("wan_bytes             %.0f\n", res.wan_bytes);
	printf("lan_bytes             %.0f\n", res.lan_bytes);
}

/* Time the mean objective trajectory first reaches `target` (NAN: never). */
static double first_reach(const double *obj, const double *t, size_t n, double target)
{
	for (size_t i = 0; i < n; i++)
		if (obj[i] <= target)
			return t[i];
	return NAN;
}

static int emu_validate_cmd(int argc, char **argv)
{
	struct emu_run_opts o;
	int rc = parse_run(argc, argv, 1, &o);
	if (rc >= 0) {
		free(o.sets);
		return rc;
	}
	int status = 1;
	emu_stop_now("emu validate");
	struct runcfg *cfg = runcfg_load(o.config);
	double *sobj = NULL, *st = NULL, *eobj = NULL, *et = NULL, *ewan = NULL;
	int64_t *sck = NULL, *eck = NULL;
	size_t sn = 0, en = 0;
	if (!cfg)
		goto out;
	for (int i = 0; i < o.nsets; i++)
		if (runcfg_set(cfg, o.sets[i]) < 0)
			goto out;
	/* the simulated run, with its per-pair bytes from the same code the store uses */
	struct run_result sr, er;
	double *swan = NULL;
	struct run_opts so = { .kind = "run", .target = NAN, .traj_objective = &sobj,
	                       .traj_time_s = &st, .traj_clock = &sck, .traj_n = &sn,
	                       .wan_bytes = &swan };
	if (run_model(cfg, NULL, &so, &sr) < 0)
		goto out;
	o.wan_bytes = &ewan;
	o.traj_objective = &eobj;
	o.traj_time_s = &et;
	o.traj_clock = &eck;
	o.traj_n = &en;
	if (emu_run(&o, &er) < 0) {
		if (emu_stop_signal())
			status = emu_stop_report("emu validate", STOP_DONE);
		free(swan);
		goto out;
	}
	const char *tname;
	runcfg_string(cfg, "topology", "ec2-11", &tname);
	struct topology *topo = topology_load(tname);
	int R = topo ? topo->n : 0;
	printf("%-24s %16s %16s %9s\n", "quantity", "simulated", "emulated", "diff");
	int bad = 0;
	for (int a = 0; a < R; a++)
		for (int b = 0; b < R; b++) {
			if (a == b)
				continue;
			double s = 0, e = 0;
			for (int k = 0; k < MSG_NKINDS; k++) {
				size_t i = ((size_t)a * (size_t)R + (size_t)b) * MSG_NKINDS + (size_t)k;
				s += swan[i];
				e += ewan[i];
			}
			char name[80];
			snprintf(name, sizeof name, "wan_bytes %s->%s", topo->regions[a].name,
			         topo->regions[b].name);
			double d = s > 0 ? (e - s) / s * 100 : (e > 0 ? INFINITY : 0);
			printf("%-24s %16.0f %16.0f %+8.2f%%\n", name, s, e, d);
			bad |= fabs(d) > 1;
		}
	/* time to target: the objective halfway from the initial to the final simulated one */
	double target = NAN, ts = NAN, te = NAN;
	if (sn >= 2) {
		target = sobj[0] + (sobj[sn - 1] - sobj[0]) / 2;
		ts = first_reach(sobj, st, sn, target);
		te = first_reach(eobj, et, en, target);
	}
	printf("%-24s %16.6f %16.6f\n", "target objective", target, target);
	printf("%-24s %16.3f %16.3f %+8.2f%%\n", "time_to_target_s", ts, te, (te - ts) / ts * 100);
	printf("%-24s %16.3f %16.3f %+8.2f%%\n", "end_time_s", sr.end_s, er.end_s,
	       (er.end_s - sr.end_s) / sr.end_s * 100);
	printf("%-24s %16.6f %16.6f\n", "final_objective", sr.final_objective, er.final_objective);
	bad |= !(fabs(te - ts) <= 0.15 * ts);
	printf("verdict: %s (targets: bytes per pair within 1%%, time to target within 15%%)\n",
	       bad ? "DIFFER" : "AGREE");
	status = bad ? 3 : 0;
	free(swan);
	topology_free(topo);
out:
	free(sobj);
	free(st);
	free(sck);
	free(eobj);
	free(et);
	free(eck);
	free(ewan);
	runcfg_free(cfg);
	free(o.sets);
	return status;
}

int cmd_emu(int argc, char **argv)
{
	if (argc < 2)
		return cmd_usage_error(USAGE, "emu: which emulation command? (mesh, run, validate, node, collect)");
	if (!strcmp(argv[1], "mesh"))
		return emu_mesh_cmd(argc - 1, argv + 1);
	if (!strcmp(argv[1], "run"))
		return emu_run_cmd(argc - 1, argv + 1);
	if (!strcmp(argv[1], "validate"))
		return emu_validate_cmd(argc - 1, argv + 1);
	if (!strcmp(argv[1], "node"))
		return emu_node_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "collect"))
		return emu_collect_cmd(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		cli_print_help(stdout, &cmd_emu_mesh_help);
		putchar('\n');
		cli_print_help(stdout, &cmd_emu_run_help);
		putchar('\n');
		cli_print_help(stdout, &cmd_emu_node_help);
		return 0;
	}
	return cmd_usage_error(USAGE, "emu: unknown command '%s' (known: mesh, run, validate, node, collect)",
	                       argv[1]);
}

