/* Significance filter thresholds: constant, v/sqrt(t), learning-rate coupled, bandwidth-adaptive. */
#include "ps/sigfilter.h"

#include <math.h>
#include <string.h>

void sigfilter_defaults(struct sig_params *p)
{
	p->schedule = SIG_SQRT;
	p->v = 0.01;
	p->flush_every = 0;
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
	static const char *const names[] = { "constant", "sqrt", "lr", "adaptive" };
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}
