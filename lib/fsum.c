/*
 * Repeated floating-point addition (see fsum.h for why a binade's run of additions is one
 * integer multiplication). Units: inside the binade [2^(e-1), 2^e) of s, S = s / u with
 * u = 2^(e-53) is a whole number in [2^52, 2^53), and d / u = q + r with whole q and 0 <= r < 1.
 * The exact sum s + d stays below 2^e (the next binade) iff S + q <= 2^53 - 1; it then rounds
 * to S + q (r < 1/2), S + q + 1 (r > 1/2), or for r = 1/2 the even one of the two.
 */
#include "lib/fsum.h"

#include <math.h>

/* 2^53: the number of units u in a binade's top. */
#define FSUM_TOP 9007199254740992.0

double fsum_repeat(double s, double d, uint64_t n)
{
	if (!(d > 0) || !isfinite(d) || !(s >= 0) || !isfinite(s)) {
		for (; n > 0; n--)
			s = s + d;
		return s;
	}
	while (n > 0) {
		/* Tiny values (u would leave the normal range): one addition at a time. */
		if (s < 0x1p-900 || d < 0x1p-900) {
			s = s + d;
			n--;
			continue;
		}
		int e;
		(void)frexp(s, &e); /* s in [2^(e-1), 2^e) */
		double u = ldexp(1.0, e - 53);
		double S = s / u;         /* whole, in [2^52, 2^53) */
		double du = d / u;        /* exact: a power-of-two scaling */
		double q = floor(du);
		double r = du - q;        /* exact */
		if (S + q > FSUM_TOP - 1) {
			/* This addition leaves the binade (or d >= s): do it as such. */
			s = s + d;
			n--;
			continue;
		}
		double inc;
		if (r < 0.5) {
			inc = q;
		} else if (r > 0.5) {
			inc = q + 1;
		} else if (fmod(S, 2.0) != 0) {
			/* A tie from an odd S: one addition lands on an even S. */
			s = s + d;
			n--;
			continue;
		} else {
			/* Ties from an even S: S + q rounds to even, a step of q or q + 1, both
			 * leaving S even. */
			inc = fmod(q, 2.0) != 0 ? q + 1 : q;
		}
		if (inc == 0)
			return s; /* d is below half a unit: s no longer changes */
		/* Additions that stay in the binade: while S + q <= 2^53 - 1 before each. In
		 * integers (all below 2^54), where a double division could round up. */
		uint64_t iS = (uint64_t)S, iq = (uint64_t)q, iinc = (uint64_t)inc;
		uint64_t room = ((1ULL << 53) - 1 - iq - iS) / iinc + 1;
		uint64_t t = room < n ? room : n;
		iS += t * iinc; /* <= 2^53 - 1 - q + inc <= 2^53: exact as a double */
		s = (double)iS * u;
		n -= t;
	}
	return s;
}
