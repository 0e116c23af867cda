/*
 * Gaia's significance filter (ASP): which accumulated updates are worth sending to the other
 * data centers, and the threshold schedules that decide "worth". An accumulated update acc of a
 * parameter whose current value is x is significant when x == 0 or |acc / x| > threshold.
 */
#ifndef GAIA_SIGFILTER_H
#define GAIA_SIGFILTER_H

#include <stddef.h>
#include <stdint.h>

/* Threshold schedules; sources in docs/sync-models.md ("Threshold schedules"). */
enum sig_schedule {
	SIG_CONSTANT,  /* threshold = v */
	SIG_SQRT,      /* threshold = v / sqrt(t + 1), t = clock (0-based): the paper's v/sqrt(t) */
	SIG_LR,        /* threshold = v * lr(t) / lr(0): the authors' code's default (the default) */
	SIG_ADAPTIVE,  /* starts at v, nudged by +-step each clock to keep WAN use near a budget */
	SIG_SQRT_EPOCH, /* threshold = v / sqrt(e + 1), e = floor(t / clocks_per_epoch): the
	                 * paper's v/sqrt(t) with t counted in epochs */
};

struct sig_params {
	enum sig_schedule schedule; /* which schedule */
	double v;                   /* initial threshold (a fraction: 0.01 = 1%) */
	int64_t flush_every;        /* every k-th clock uses threshold 0 (flush all); 0 = never */
	int64_t clocks_per_epoch;   /* SIG_SQRT_EPOCH: clocks in one epoch (>= 1) */
	double budget_bps;          /* adaptive: WAN budget per server shard, bits/s */
	double step;                /* adaptive: threshold change per clock */
	double band_lo, band_hi;    /* adaptive: keep use within [lo, hi] x budget */
};

struct sigfilter {
	struct sig_params p;        /* parameters */
	double adaptive;            /* adaptive schedule's current threshold */
};

void sigfilter_defaults(struct sig_params *p);
void sigfilter_init(struct sigfilter *f, const struct sig_params *p);

/*
 * Threshold for clock t (0-based). lr_t and lr_0 are the learning rates at t and at 0 (used
 * by SIG_LR only).
 */
double sigfilter_threshold(const struct sigfilter *f, int64_t t, double lr_t, double lr_0);

/*
 * Adaptive schedule: report the WAN rate the shard used over the last clock, bits/s; the
 * threshold moves up by `step` above band_hi x budget, down (not below 0) under band_lo x budget.
 */
void sigfilter_adapt(struct sigfilter *f, double used_bps);

/* 1 if an accumulated update acc of a parameter with current value x is significant. */
static inline int sigfilter_significant(double acc, double x, double threshold)
{
	if (acc == 0)
		return 0; /* nothing to send */
	if (x == 0)
		return 1;
	double r = acc / x;
	return (r < 0 ? -r : r) > threshold;
}

/* Parse a schedule name ("constant", "sqrt", "lr", "adaptive", "sqrt_epoch"); -1 if unknown. */
int sigfilter_schedule_parse(const char *s);

/*
 * The paper's significance statistic ("the vast majority of updates are insignificant: >95%
 * change a parameter by <1%"), as a distribution: the levels, fractions of the parameter's
 * value, at which single-clock updates are counted (0.01%, 0.05%, 0.1%, 0.5%, 1%, 5%, 10%).
 */
#define SIG_NLEVELS 7
#define SIG_LEVEL_1PCT 4 /* index of 1% (the paper's level) in sigfilter_levels */
extern const double sigfilter_levels[SIG_NLEVELS];

/*
 * Count n single-clock updates u[i] of parameters whose value before the update is x[i]: for
 * every nonzero u[i], *updates += 1, and below[l] += 1 for each level l with |u[i] / x[i]| <
 * sigfilter_levels[l] (a parameter whose value is 0 is below no level). Zero updates are not
 * updates and are not counted.
 */
void sigfilter_count_levels(const double *u, const double *x, size_t n,
                            uint64_t below[SIG_NLEVELS], uint64_t *updates);

#endif
