/*
 * Significance filter thresholds: constant, v/sqrt(t) per clock or per epoch, learning-rate
 * coupled (the default, as in the authors' code), bandwidth-adaptive; and the per-level counts
 * of the paper's significance statistic.
 */
#include "ps/sigfilter.h"

#include <math.h>
#include <string.h>

void sigfilter_defaults(struct sig_params *p)
{
	p->schedule = SIG_LR; /* the authors' code's default (GAIA.md) */
	p->v = 0.01;
	p->flush_every = 0;
	p->clocks_per_epoch = 1;
	p->budget_bps = 16.76e6; /* per-machine budget in every config Gaia's authors shipped */
	p->step = 0.005;
	p->band_lo = 0.9;
	p->band_hi = 1.1;
}

void sigfilter_init(struct sigfilter *f, const struct sig_params *p)
{
	f->p = *p;
	f->adaptive = p->v;
}

double sigfilter_threshold(const struct sigfilter *f, int64_t t, double lr_t, double lr_0)
{
	if (f->p.flush_every > 0 && (t + 1) % f->p.flush_every == 0)
		return 0;
	switch (f->p.schedule) {
	case SIG_CONSTANT:
		return f->p.v;
	case SIG_SQRT:
		return f->p.v / sqrt((double)t + 1);
	case SIG_LR:
		return lr_0 > 0 ? f->p.v * lr_t / lr_0 : f->p.v;
	case SIG_ADAPTIVE:
		return f->adaptive;
	case SIG_SQRT_EPOCH: {
		int64_t e = f->p.clocks_per_epoch > 0 ? t / f->p.clocks_per_epoch : t;
		return f->p.v / sqrt((double)e + 1);
	}
	}
	return f->p.v;
}

void sigfilter_adapt(struct sigfilter *f, double used_bps)
{
	if (f->p.schedule != SIG_ADAPTIVE)
		return;
	if (used_bps > f->p.band_hi * f->p.budget_bps)
		f->adaptive += f->p.step;
	else if (used_bps < f->p.band_lo * f->p.budget_bps)
		f->adaptive = f->adaptive > f->p.step ? f->adaptive - f->p.step : 0;
}

int sigfilter_schedule_parse(const char *s)
{
	static const char *const names[] = { "constant", "sqrt", "lr", "adaptive", "sqrt_epoch" };
	for (int i = 0; i < 5; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

const double sigfilter_levels[SIG_NLEVELS] = { 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1 };

void sigfilter_count_levels(const double *u, const double *x, size_t n,
                            uint64_t below[SIG_NLEVELS], uint64_t *updates)
{
	uint64_t cnt = 0, b[SIG_NLEVELS] = { 0 };
	for (size_t i = 0; i < n; i++) {
		if (u[i] == 0)
			continue;
		cnt++;
		if (x[i] == 0)
			continue;
		double r = fabs(u[i] / x[i]);
		if (!(r < sigfilter_levels[SIG_NLEVELS - 1]))
			continue; /* the common large case, and NaN */
		for (int l = 0; l < SIG_NLEVELS; l++)
			b[l] += r < sigfilter_levels[l];
	}
	*updates += cnt;
	for (int l = 0; l < SIG_NLEVELS; l++)
		below[l] += b[l];
}
