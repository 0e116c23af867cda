/*
 * Repeated floating-point addition in O(log n): the exact double that n sequential additions
 * s = s + d give (IEEE 754 binary64, round to nearest, ties to even), without doing them. Used
 * by the flow model (sim/flow.c) to sum n equal rates in the order a loop would, bit for bit.
 *
 * Why it can be done: while s stays in one binade [2^(e-1), 2^e), s is a whole multiple of
 * u = 2^(e-53) and s + d rounds to s plus a fixed multiple of u (d rounded to a multiple of u;
 * a tie, d exactly halfway, goes to the even multiple, which after one step is a fixed even
 * step too). So a run of additions inside one binade is one multiplication in integers, and
 * only the addition that crosses into the next binade is done as such: O(log(n d / s)) steps.
 * Subtractions (d < 0) likewise, binade by binade downwards.
 */
#ifndef GAIA_FSUM_H
#define GAIA_FSUM_H

#include <stdint.h>

/* The value of s after n times `s = s + d`, bit for bit (any s, d; fast when 0 <= s and
 * 0 < d, both finite: otherwise the additions are done one by one). */
double fsum_repeat(double s, double d, uint64_t n);

/* The value of s after n times `s = s + d; if (s < 0) s = 0;` (the flow model's load and
 * filling-capacity updates), bit for bit: any s, d; fast when 0 <= s and d are finite, for d
 * of either sign (a run of subtractions inside one binade is one integer product too, and
 * once s would go below 0 it stays at 0). */
double fsum_repeat_clamp(double s, double d, uint64_t n);

#endif
