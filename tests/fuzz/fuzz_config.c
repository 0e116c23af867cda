/*
 * Fuzz harness: run configurations (lib/runcfg.h): runcfg_load, then every typed getter a
 * run reads, with the types, defaults and ranges of the code that reads them (cli/run.c
 * setup_build and straggler, cli/cmd_run.c compare, workloads/mf.c read_params,
 * ps/sync_gaia.c parse), then the unknown-key check and the dump that is stored with a run.
 * When those readers change, update keys[] below. Checked: a getter that succeeds returns a
 * value inside its range or a listed choice, and the dump has one line per key read.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/runcfg.h"
#include "tests/fuzz/fuzz.h"

enum key_type { K_STRING, K_INT, K_DOUBLE, K_CHOICE };

static const char *const onoff[] = { "off", "on", NULL };
static const char *const schedules[] = { "constant", "sqrt", "lr", "adaptive", NULL };
static const char *const applies[] = { "immediate", "significant", NULL };
static const char *const scalings[] = { "clock", "none", NULL };
static const char *const partitions[] = { "random", "skewed", NULL };

/* One key a run reads, as its reader asks for it. */
struct key {
	const char *name;            /* the key */
	enum key_type type;          /* which getter */
	const char *sdef;            /* default of strings and choices */
	double lo, hi, ddef;         /* range and default of doubles and integers */
	const char *const *choices;  /* K_CHOICE: the allowed values */
};

#define STR(k, d) { k, K_STRING, d, 0, 0, 0, NULL }
#define INT(k, d, lo, hi) { k, K_INT, NULL, lo, hi, d, NULL }
#define DBL(k, d, lo, hi) { k, K_DOUBLE, NULL, lo, hi, d, NULL }
#define CHO(k, d, c) { k, K_CHOICE, d, 0, 0, 0, c }

static const struct key keys[] = {
	STR("topology", "ec2-11"), STR("trace", ""), INT("machines", 0, 0, 1024),
	STR("workload", "mf"), STR("sync", "gaia"), INT("seed", 1, 0, 9.2e18),
	INT("stop.clocks", 100, 1, 100000000), DBL("stop.target", NAN, -1e300, 1e300),
	DBL("stop.time_s", 0, 0, 1e9), INT("eval.every", 10, 1, 100000000),
	DBL("wire.value_bytes", 4, 1, 64), DBL("wire.index_bytes", 4, 1, 64),
	DBL("wire.header_bytes", 64, 0, 1e6), DBL("cost.usd_per_machine_hour", 0.192, 0, 1e6),
	STR("straggler", "none"),
	DBL("compare.target_fraction", 0.95, 0.01, 1), INT("compare.clock_factor", 4, 1, 1000),
	STR("gaia.local", "bsp"), INT("gaia.slack", 0, 0, 1000000),
	DBL("gaia.threshold", 0.01, 0, 1e6), CHO("gaia.schedule", "sqrt", schedules),
	INT("gaia.flush_every", 0, 0, 9.2e18), DBL("gaia.budget_bps", 0, 0, 1e15),
	CHO("gaia.apply", "immediate", applies), CHO("gaia.barrier", "on", onoff),
	DBL("gaia.barrier_drain_s", 0.1, 0, 1e9), CHO("gaia.hubs", "off", onoff),
	STR("mf.data", "synthetic"), INT("mf.users", 20000, 1, UINT32_MAX - 2),
	INT("mf.items", 2000, 1, UINT32_MAX - 2), INT("mf.ratings", 400000, 1, UINT32_MAX - 2),
	INT("mf.true_rank", 10, 1, 1000), DBL("mf.zipf", 1.0, 0, 4), DBL("mf.user_sigma", 1.2, 0, 4),
	DBL("mf.noise", 0.5, 0, 10), INT("mf.rank", 16, 1, 1024), DBL("mf.lambda", 0.05, 0, 1e9),
	DBL("mf.lr", 0.1, 0, 100), DBL("mf.lr_decay", 0.05, 0, 1e6),
	CHO("mf.lr_scaling", "clock", scalings), DBL("mf.batch_fraction", 0.05, 1e-6, 1),
	CHO("mf.partition", "random", partitions), DBL("mf.skew", 0.8, 0, 1),
	DBL("mf.ns_per_rating", 50, 0, 1e9),
};
#define NKEYS (sizeof keys / sizeof keys[0])

/* Read one key; returns the getter's status after checking a successful value. */
static int get(struct runcfg *c, const struct key *k)
{
	const char *s;
	int64_t i;
	double d;
	int choice;
	switch (k->type) {
	case K_STRING:
		if (runcfg_string(c, k->name, k->sdef, &s) < 0)
			return -1;
		FUZZ_CHECK(s != NULL);
		return 0;
	case K_INT:
		if (runcfg_int(c, k->name, (int64_t)k->ddef, (int64_t)k->lo, (int64_t)k->hi, &i) < 0)
			return -1;
		FUZZ_CHECK(i >= (int64_t)k->lo && i <= (int64_t)k->hi);
		return 0;
	case K_DOUBLE:
		if (runcfg_double(c, k->name, k->ddef, k->lo, k->hi, &d) < 0)
			return -1;
		FUZZ_CHECK(runcfg_has(c, k->name) ? (d >= k->lo && d <= k->hi) : (d == k->ddef || isnan(d)));
		return 0;
	case K_CHOICE:
		if (runcfg_choice(c, k->name, k->sdef, k->choices, &choice) < 0)
			return -1;
		FUZZ_CHECK(choice >= 0 && k->choices[choice] != NULL);
		return 0;
	}
	return -1;
}

static int run(const char *path)
{
	struct runcfg *c = runcfg_load(path);
	if (!c)
		return -1;
	int bad = 0;
	for (size_t k = 0; k < NKEYS; k++) {
		if (get(c, &keys[k]) < 0) {
			fuzz_rejected(path);
			bad = 1;
		}
		long line;
		const char *where = runcfg_where(c, keys[k].name, &line);
		FUZZ_CHECK(runcfg_has(c, keys[k].name) ? where && line >= 1 : !where && line == 0);
	}
	char *dump = runcfg_dump(c);
	size_t lines = 0;
	for (const char *p = dump; *p; p++)
		lines += *p == '\n';
	/* Every key read whose getter succeeded is dumped (a failed one may not be). */
	FUZZ_CHECK(lines <= NKEYS && (bad || lines == NKEYS));
	free(dump);
	if (!bad && runcfg_check_unused(c) < 0)
		bad = 1;
	runcfg_free(c);
	return bad ? -1 : 0;
}

FUZZ_TARGET(config, "workloads/*.conf tests/data/run/*.conf", run)
