/*
 * Image-classification compute cost: the measurement behind the default ic.ns_per_flop
 * (docs/workload-ic.md). On the first 6,000 Fashion-MNIST training images when the Debian
 * package dataset-fashion-mnist is installed, else on synthetic data of the same shape (784
 * features, 10 classes, 6,000 examples, seed 1; the cost depends on the data only through how
 * many ReLUs are active, whose errors back-propagation skips), for logistic regression and the
 * MLPs 784-128-10 and
 * 784-128-64-10, times ic_ops.step() for every clock of one epoch by ONE worker holding all the
 * data (copying the model in, minibatch SGD with ic.batch = 32, writing the dense update), best
 * of REPS epochs. Prints ns per example, the flops per example of the cost model (ns_per_unit()
 * with ic.ns_per_flop = 1) and their ratio, ns per flop: the defaults IC_NS_PER_FLOP_LOGREG and
 * IC_NS_PER_FLOP_MLP in workloads/ic.c (the MLP figure: the mean of the two MLPs).
 *
 * Usage: bench_ic [scale]   (scale multiplies the repetitions; default 1)
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench/benchutil.h"
#include "lib/runcfg.h"
#include "lib/xmalloc.h"
#include "workloads/workload.h"

#define REPS 3
/* Clocks per epoch (ic.batch_fraction = 1 / EPOCH_CLOCKS, the default 0.05). */
#define EPOCH_CLOCKS 20

/* The models timed: ic.model and ic.hidden. */
static const char *const models[][2] = {
	{ "logreg", NULL },
	{ "mlp", "128" },
	{ "mlp", "128,64" },
};
#define NMODELS (int)(sizeof models / sizeof models[0])

/* The Debian package's training images (the default ic.train_images). */
#define FASHION "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"

/* Time one model: best ns per example over reps epochs, and flops per example. */
static void time_model(int m, int reps, int real, double *ns_per_example, double *flops)
{
	struct runcfg *c = runcfg_new();
	char buf[64];
	const char *synth[] = { "ic.data=synthetic", "ic.features=784", "ic.classes=10",
				"ic.synth_train=6000", "ic.synth_test=1", NULL };
	const char *fashion[] = { "ic.train_limit=6000", "ic.test_limit=1", NULL };
	const char *common[] = { "ic.batch=32", "ic.ns_per_flop=1", "ic.eval_sample=1", NULL };
	for (const char *const *kv = real ? fashion : synth; *kv; kv++)
		runcfg_set(c, *kv);
	for (const char *const *kv = common; *kv; kv++)
		runcfg_set(c, *kv);
	snprintf(buf, sizeof buf, "ic.model=%s", models[m][0]);
	runcfg_set(c, buf);
	if (models[m][1]) {
		snprintf(buf, sizeof buf, "ic.hidden=%s", models[m][1]);
		runcfg_set(c, buf);
	}
	snprintf(buf, sizeof buf, "ic.batch_fraction=%.17g", 1.0 / EPOCH_CLOCKS);
	runcfg_set(c, buf);
	int region = 0;
	struct workload *w = ic_ops.create(c, 1, &region, 1, 1);
	if (!w) {
		fprintf(stderr, "bench_ic: cannot create the workload\n");
		exit(1);
	}
	size_t n = ic_ops.nrows(w) * ic_ops.row_len(w);
	double *model = xmalloc(n * sizeof *model);
	ic_ops.init_model(w, model);
	struct wl_update u;
	wl_update_init(&u);
	double best = 1e30;
	uint64_t units = 0;
	for (int rep = 0; rep < reps; rep++) {
		uint64_t done = 0;
		double t0 = bench_now_s();
		for (int64_t clock = rep * EPOCH_CLOCKS; clock < (rep + 1) * EPOCH_CLOCKS; clock++)
			done += ic_ops.step(w, 0, clock, model, &u);
		double dt = bench_now_s() - t0;
		if (dt < best)
			best = dt;
		units = done;
	}
	*ns_per_example = best * 1e9 / (double)units;
	*flops = ic_ops.ns_per_unit(w);
	wl_update_free(&u);
	free(model);
	ic_ops.destroy(w);
	runcfg_free(c);
}

int main(int argc, char **argv)
{
	double scale = argc > 1 ? atof(argv[1]) : 1;
	int reps = (int)(REPS * scale + 0.5);
	if (reps < 1)
		reps = 1;
	bench_print_machine("bench_ic");
	int real = access(FASHION, R_OK) == 0;
	printf("# best of %d epochs of 6000 examples (%s), batch 32, 784 features, 10 classes\n",
	       reps, real ? "Fashion-MNIST" : "synthetic: Fashion-MNIST not installed");
	printf("%-8s %-8s %14s %14s %12s\n", "model", "hidden", "ns/example", "flops/example",
	       "ns/flop");
	double mlp = 0;
	for (int m = 0; m < NMODELS; m++) {
		double ns, fl;
		time_model(m, reps, real, &ns, &fl);
		printf("%-8s %-8s %14.0f %14.0f %12.4f\n", models[m][0],
		       models[m][1] ? models[m][1] : "-", ns, fl, ns / fl);
		if (m > 0)
			mlp += ns / fl / (NMODELS - 1);
	}
	printf("# mean ns per flop of the MLPs %.4f (IC_NS_PER_FLOP_MLP in workloads/ic.c)\n", mlp);
	return 0;
}
