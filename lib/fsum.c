/*
 * Repeated floating-point addition (see fsum.h for why a binade's run of additions is one
 * integer multiplication). Units: inside the binade [2^(e-1), 2^e) of s, S = s / u with
 * u = 2^(e-53) is a whole number in [2^52, 2^53), and d / u = q + r with whole q and 0 <= r < 1.
 * The exact sum s + d stays below 2^e (the next binade) iff S + q <= 2^53 - 1; it then rounds
 * to S + q (r < 1/2), S + q + 1 (r > 1/2), or for r = 1/2 the even one of the two.
 */
#include "lib/fsum.h"

#include <math.h>
#include <string.h>

/* 2^53: the number of units u in a binade's top. */
#define FSUM_TOP 9007199254740992.0

/* The bits of x, and a double from its bits. */
static inline uint64_t bits_of(double x)
{
	uint64_t b;
	memcpy(&b, &x, sizeof b);
	return b;
}

static inline double from_bits(uint64_t b)
{
	double x;
	memcpy(&x, &b, sizeof x);
	return x;
}

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
		/* s = S u with S whole in [2^52, 2^53): S is the significand with its hidden bit,
		 * u = 2^(E - 1075) for the biased exponent E (normal s: E in [124, 2046]). */
		uint64_t b = bits_of(s);
		uint64_t E = b >> 52;
		uint64_t iS = (b & ((1ULL << 52) - 1)) | (1ULL << 52);
		double u = from_bits((E - 52) << 52);
		double du = d * from_bits((2098 - E) << 52); /* d / u: exact (or below 1/2 if
							       it underflows, d << u) */
		if (!(du < FSUM_TOP)) {
			s = s + d; /* d >= s: this addition leaves the binade */
			n--;
			continue;
		}
		uint64_t iq = (uint64_t)du;  /* floor */
		double r = du - (double)iq;  /* exact */
		if (iS + iq > (1ULL << 53) - 1) {
			/* This addition leaves the binade: do it as such. */
			s = s + d;
			n--;
			continue;
		}
		uint64_t inc;
		if (r < 0.5) {
			inc = iq;
		} else if (r > 0.5) {
			inc = iq + 1;
		} else if (iS & 1) {
			/* A tie from an odd S: one addition lands on an even S. */
			s = s + d;
			n--;
			continue;
		} else {
			/* Ties from an even S: S + q rounds to even, a step of q or q + 1, both
			 * leaving S even. */
			inc = iq + (iq & 1);
		}
		if (inc == 0)
			return s; /* d is below half a unit: s no longer changes */
		/* Additions that stay in the binade: while S + q <= 2^53 - 1 before each (in
		 * integers, where a double division could round up). */
		uint64_t room = ((1ULL << 53) - 1 - iq - iS) / inc + 1;
		uint64_t t = room < n ? room : n;
		iS += t * inc; /* <= 2^53 - 1 - q + inc <= 2^53: exact as a double */
		s = (double)iS * u;
		n -= t;
	}
	return s;
}

/*
 * n times s = s - e (e > 0, s >= 0, both finite), clamping at 0. Inside the binade of s, with
 * S, u as above and e / u = q + r, the exact difference (S - q - r) u stays in the binade while
 * S - q - 1 >= 2^52; it then rounds to S - q (r < 1/2), S - q - 1 (r > 1/2), or for r = 1/2 the
 * even one: from an even S a fixed step q + (q & 1) that keeps S even. Any other subtraction
 * (into the binade below, whose unit is finer; a tie from an odd S; tiny values; going below
 * 0) is done as such.
 */
static double fsum_down(double s, double e, uint64_t n)
{
	while (n > 0) {
		if (s < 0x1p-900 || e < 0x1p-900 || !(e < s)) {
			s = s - e;
			n--;
			if (s < 0)
				return 0; /* and 0 - e < 0 stays clamped */
			continue;
		}
		uint64_t b = bits_of(s);
		uint64_t E = b >> 52;
		uint64_t iS = (b & ((1ULL << 52) - 1)) | (1ULL << 52);
		double u = from_bits((E - 52) << 52);
		double eu = e * from_bits((2098 - E) << 52); /* e / u, exact; < 2^53 as e < s */
		uint64_t iq = (uint64_t)eu;
		double r = eu - (double)iq;
		uint64_t dec;
		if (iS < iq + 1 + (1ULL << 52) || (r == 0.5 && (iS & 1))) {
			/* Leaves the binade, or a tie from an odd S: one subtraction. */
			s = s - e;
			n--;
			continue;
		}
		if (r < 0.5)
			dec = iq;
		else if (r > 0.5)
			dec = iq + 1;
		else
			dec = iq + (iq & 1);
		if (dec == 0)
			return s; /* e is at most half a unit (a tie from an even S): s stays */
		/* Subtractions j = 0, 1, ... start from S - j dec, and stay in the binade while
		 * S - j dec - q - 1 >= 2^52. */
		uint64_t room = (iS - iq - 1 - (1ULL << 52)) / dec + 1;
		uint64_t t = room < n ? room : n;
		iS -= t * dec; /* >= 2^52 + q + 1 - dec >= 2^52: still this binade, exact */
		s = (double)iS * u;
		n -= t;
	}
	return s;
}

double fsum_repeat_clamp(double s, double d, uint64_t n)
{
	if (!(s >= 0) || !isfinite(s) || !isfinite(d) || d == 0) {
		for (; n > 0; n--) {
			s = s + d;
			if (s < 0)
				s = 0;
		}
		return s;
	}
	if (d > 0)
		return fsum_repeat(s, d, n); /* s only grows: the clamp never acts */
	return fsum_down(s, -d, n);
}
