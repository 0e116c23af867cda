/*
 * Tests of topology/trace.c: the trace CSV parser (good files with hand-worked values, and every
 * kind of bad input with its file:line message), the synthetic generator (determinism, per-pair
 * stream independence, the statistics its parameters promise, round trip through the parser)
 * and the shipped traces against the shipped topologies.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lib/diag.h"
#include "tests/testutil.h"
#include "topology/topology.h"
#include "topology/trace.h"

static char msg[2048]; /* captured diagnostic */

static struct topology *load_topo(const char *rel)
{
	struct topology *t = topology_load_file(testutil_data(rel));
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	return t;
}

/* ------------------------------------------------------------------------------------------ */
/* Parser: good input                                                                          */

static void test_parse_good(void)
{
	struct topology *t = load_topo("trace/t3.topo");
	struct trace *tr = trace_load(testutil_data("trace/good.csv"), t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tr);
	CU_ASSERT_STRING_EQUAL(tr->name, "good");
	/* `sha256sum tests/data/trace/good.csv` */
	CU_ASSERT_STRING_EQUAL(tr->sha256, "582b2727c4a94f79daa4938d3ffffed06a749eab5eb82575fa491250d28a7141");
	CU_ASSERT_EQUAL_FATAL(tr->n, 6);
	const struct trace_change *c = tr->changes;
	/* 0,a,b,100000000,50 (line 5) */
	CU_ASSERT_EQUAL(c[0].time, 0);
	CU_ASSERT_EQUAL(c[0].src, 0);
	CU_ASSERT_EQUAL(c[0].dst, 1);
	CU_ASSERT_EQUAL(c[0].bw_bps, 1e8);
	CU_ASSERT_DOUBLE_EQUAL(c[0].rtt_s, 0.050, 1e-15);
	CU_ASSERT_EQUAL(c[0].line, 5);
	/* 0,us-east-1,eu-west-1,150e6, : EC2 codes, empty rtt */
	CU_ASSERT_EQUAL(c[1].src, 0);
	CU_ASSERT_EQUAL(c[1].dst, 2);
	CU_ASSERT_EQUAL(c[1].bw_bps, 1.5e8);
	CU_ASSERT(c[1].rtt_s < 0);
	CU_ASSERT_EQUAL(c[1].line, 6);
	/* 0.5,b,a,0, : link down, half a second = 500 000 000 ns */
	CU_ASSERT_EQUAL(c[2].time, 500000000);
	CU_ASSERT_EQUAL(c[2].src, 1);
	CU_ASSERT_EQUAL(c[2].dst, 0);
	CU_ASSERT_EQUAL(c[2].bw_bps, 0);
	CU_ASSERT_EQUAL(c[2].line, 8);
	/* 1.000000001,c,c,5000000000,0.25 : one nanosecond after 1 s; LAN change */
	CU_ASSERT_EQUAL(c[3].time, 1000000001);
	CU_ASSERT_EQUAL(c[3].src, 2);
	CU_ASSERT_EQUAL(c[3].dst, 2);
	CU_ASSERT_EQUAL(c[3].bw_bps, 5e9);
	CU_ASSERT_DOUBLE_EQUAL(c[3].rtt_s, 0.00025, 1e-18);
	/* 3600.123456789 s = 3 600 123 456 789 ns, twice (equal times are allowed) */
	CU_ASSERT_EQUAL(c[4].time, INT64_C(3600123456789));
	CU_ASSERT_DOUBLE_EQUAL(c[4].rtt_s, 0.0495, 1e-15);
	CU_ASSERT_EQUAL(c[5].time, INT64_C(3600123456789));
	CU_ASSERT_EQUAL(c[5].bw_bps, 1e8);
	CU_ASSERT_EQUAL(c[5].line, 11);
	trace_free(tr);
	topology_free(t);
}

static void test_parse_good_no_rtt_column(void)
{
	struct topology *t = load_topo("trace/t3.topo");
	struct trace *tr = trace_load(testutil_data("trace/good4.csv"), t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tr);
	CU_ASSERT_STRING_EQUAL(tr->sha256, "da9c7ca8d7583be594d22df615e9f2b0455810b9f4194c3a9b8c7f755ec7390f");
	CU_ASSERT_EQUAL_FATAL(tr->n, 2);
	CU_ASSERT_EQUAL(tr->changes[0].time, 10 * SIMTIME_NS_PER_S);
	CU_ASSERT_EQUAL(tr->changes[0].src, 2);
	CU_ASSERT_EQUAL(tr->changes[0].dst, 1);
	CU_ASSERT(tr->changes[0].rtt_s < 0);
	/* two rows at the same time for the same pair: both kept, in file order */
	CU_ASSERT_EQUAL(tr->changes[1].bw_bps, 4.5e7);
	trace_free(tr);
	topology_free(t);
}

static void test_parse_header_only(void)
{
	struct topology *t = load_topo("trace/t3.topo");
	char *p = testutil_tmpfile("# nothing happens\ntime_s,src,dst,bandwidth_bps\n");
	struct trace *tr = trace_load(p, t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tr);
	CU_ASSERT_EQUAL(tr->n, 0);
	trace_free(tr);
	unlink(p);
	free(p);
	topology_free(t);
}

/* ------------------------------------------------------------------------------------------ */
/* Parser: bad input. Each case: file text, expected line, substrings the message must hold.   */

/* Load text as a trace for t3, expect failure at `line` with message containing want1, want2. */
static void expect_bad(const char *text, long line, const char *want1, const char *want2)
{
	struct topology *t = load_topo("trace/t3.topo");
	char *p = testutil_tmpfile(text);
	diag_capture(msg, sizeof msg);
	struct trace *tr = trace_load(p, t);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NULL(tr);
	trace_free(tr);
	char where[512];
	snprintf(where, sizeof where, "%s:%ld: ", p, line);
	if (!strstr(msg, where) || (want1 && !strstr(msg, want1)) || (want2 && !strstr(msg, want2))) {
		printf("\n  message: %s\n  wanted: '%s' '%s' '%s'\n", msg, where, want1 ? want1 : "",
		       want2 ? want2 : "");
		CU_FAIL("diagnostic does not name file:line and value");
	}
	unlink(p);
	free(p);
	topology_free(t);
}

#define HDR "time_s,src,dst,bandwidth_bps\n"
#define HDR5 "time_s,src,dst,bandwidth_bps,rtt_ms\n"

static void test_bad_field_count(void)
{
	expect_bad(HDR "0,a,b,1e6\n1,a,b\n", 3, "3 fields", "want 4");
	expect_bad(HDR "0,a,b,1e6,20\n", 2, "5 fields", "want 4");
	expect_bad(HDR5 "0,a,b,1e6\n", 2, "4 fields", "want 5");
}

static void test_bad_header(void)
{
	expect_bad("# c\ntime,src,dst,bw\n0,a,b,1\n", 2, "bad header", "time,src,dst,bw");
	expect_bad("0,a,b,1e6\n", 1, "bad header", "0,a,b,1e6");
	expect_bad("time_s,src,dst\n", 1, "bad header", NULL);
	expect_bad("time_s,src,dst,bandwidth_bps,rtt_ms,extra\n", 1, "bad header", NULL);
}

static void test_bad_region(void)
{
	expect_bad(HDR "0,a,b,1e6\n0,a,zz,1e6\n", 3, "unknown region 'zz'", "dst");
	expect_bad(HDR "\n\n0,mars,b,1e6\n", 4, "unknown region 'mars'", "src");
}

static void test_bad_bandwidth(void)
{
	expect_bad(HDR "0,a,b,-5\n", 2, "negative bandwidth_bps '-5'", NULL);
	expect_bad(HDR "0,a,b,fast\n", 2, "bad bandwidth_bps 'fast'", NULL);
	expect_bad(HDR "0,a,b,inf\n", 2, "'inf'", NULL);
	expect_bad(HDR "0,a,b,nan\n", 2, "'nan'", NULL);
	expect_bad(HDR "0,a,b,1e999\n", 2, "'1e999'", NULL);
	expect_bad(HDR "0,a,b,\n", 2, "bad bandwidth_bps ''", NULL);
	expect_bad(HDR "0,a,b,10M\n", 2, "'10M'", NULL);
	expect_bad(HDR "0,a,b,1.5e15\n", 2, "bandwidth_bps '1.5e15' too large", "1e+15");
	expect_bad(HDR "0,a,b,1e308\n", 2, "too large", NULL);
}

static void test_bad_time(void)
{
	expect_bad(HDR "0,a,b,1\n10,a,b,2\n# x\n5,a,b,3\n", 5, "time_s 5 goes backwards", "line 3 has time_s 10");
	expect_bad(HDR "-1,a,b,1\n", 2, "bad time_s '-1'", NULL);
	expect_bad(HDR "soon,a,b,1\n", 2, "bad time_s 'soon'", NULL);
	expect_bad(HDR "1e12,a,b,1\n", 2, "time_s '1e12' too large", NULL);
}

static void test_bad_rtt(void)
{
	expect_bad(HDR5 "0,a,b,1,-3\n", 2, "bad rtt_ms '-3'", NULL);
	expect_bad(HDR5 "0,a,b,1,x\n", 2, "bad rtt_ms 'x'", NULL);
	expect_bad(HDR5 "0,a,b,1,2e13\n", 2, "rtt_ms '2e13' too large", "8.64e+07");
	expect_bad(HDR5 "0,a,b,1,1e308\n", 2, "too large", NULL);
}

static void test_bad_empty(void)
{
	expect_bad("", 1, "no header line (empty file)", NULL);
	expect_bad("# only\n\n# comments\n", 4, "no header line", NULL);
}

static void test_bad_long_line(void)
{
	size_t n = 10u * 1000u * 1000u;
	char *text = malloc(n + 64);
	strcpy(text, HDR "0,a,b,1\n");
	size_t at = strlen(text);
	memset(text + at, '9', n);
	strcpy(text + at + n, "\n");
	expect_bad(text, 3, "longer than", NULL);
	free(text);
}

static void test_bad_missing_file(void)
{
	struct topology *t = load_topo("trace/t3.topo");
	diag_capture(msg, sizeof msg);
	struct trace *tr = trace_load("/nonexistent/dir/trace.csv", t);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NULL(tr);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "/nonexistent/dir/trace.csv"));
	topology_free(t);
}

/* ------------------------------------------------------------------------------------------ */
/* Generator                                                                                   */

/* Generate into a malloc'd string; NULL if trace_generate failed. */
static char *gen_text(const struct topology *t, const struct tracegen_params *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	int rc = trace_generate(t, p, f);
	fclose(f);
	if (rc < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Generate and parse back through trace_load. */
static struct trace *gen_trace(const struct topology *t, const struct tracegen_params *p)
{
	char *text = gen_text(t, p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	char *path = testutil_tmpfile(text);
	struct trace *tr = trace_load(path, t);
	CU_ASSERT_PTR_NOT_NULL(tr);
	unlink(path);
	free(path);
	free(text);
	return tr;
}

static void test_gen_deterministic(void)
{
	struct topology *t = load_topo("trace/t3.topo");
	struct tracegen_params p;
	tracegen_defaults(&p);
	p.duration_s = 7200;
	p.excursion_rate_per_h = 3;
	p.seed = 42;
	char *a = gen_text(t, &p), *b = gen_text(t, &p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_STRING_EQUAL(a, b);
	p.seed = 43;
	char *c = gen_text(t, &p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT(strcmp(a, c) != 0);
	free(a);
	free(b);
	free(c);
	topology_free(t);
}

/* Keep only the data rows (after the header) whose src and dst are both among `keep`. */
static char *filter_rows(const char *text, const char *const *keep, int nkeep)
{
	const char *body = strstr(text, "time_s,src,dst,bandwidth_bps\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(body);
	body = strchr(body, '\n') + 1;
	char *out = malloc(strlen(body) + 1);
	size_t o = 0;
	while (*body) {
		const char *nl = strchr(body, '\n');
		size_t len = nl ? (size_t)(nl - body) + 1 : strlen(body);
		char row[256];
		snprintf(row, sizeof row, "%.*s", (int)len, body);
		char *src = strchr(row, ',') + 1;
		char *dst = strchr(src, ',') + 1;
		*strchr(dst, ',') = '\0';
		dst[-1] = '\0';
		int ks = 0, kd = 0;
		for (int k = 0; k < nkeep; k++) {
			ks |= !strcmp(src, keep[k]);
			kd |= !strcmp(dst, keep[k]);
		}
		if (ks && kd) {
			memcpy(out + o, body, len);
			o += len;
		}
		body += len;
	}
	out[o] = '\0';
	return out;
}

static void test_gen_streams_per_pair(void)
{
	/* t4 = t3 plus region d appended: rows of the pairs among a, b, c must not change. */
	struct topology *t3 = load_topo("trace/t3.topo"), *t4 = load_topo("trace/t4.topo");
	struct tracegen_params p;
	tracegen_defaults(&p);
	p.duration_s = 20000;
	p.excursion_rate_per_h = 4;
	p.correlated_share = 0.5;
	p.seed = 7;
	char *a = gen_text(t3, &p), *b = gen_text(t4, &p);
	static const char *const abc[] = { "a", "b", "c" };
	char *ra = filter_rows(a, abc, 3), *rb = filter_rows(b, abc, 3);
	CU_ASSERT(strlen(ra) > 10000);
	CU_ASSERT_STRING_EQUAL(ra, rb);
	CU_ASSERT(strlen(b) > strlen(a));
	free(ra);
	free(rb);
	free(a);
	free(b);
	topology_free(t3);
	topology_free(t4);
}

/* Sample each directed pair's value at times k*step_ns, k = 0..nsteps-1. v[pair][k]. */
static double *sample_steps(const struct trace *tr, const struct topology *t, sim_time_t step_ns, size_t nsteps)
{
	int n = t->n;
	double *v = calloc((size_t)n * (size_t)n * nsteps, sizeof *v);
	double *cur = calloc((size_t)n * (size_t)n, sizeof *cur);
	size_t c = 0;
	for (size_t k = 0; k < nsteps; k++) {
		sim_time_t at = (sim_time_t)k * step_ns;
		while (c < tr->n && tr->changes[c].time <= at) {
			cur[tr->changes[c].src * n + tr->changes[c].dst] = tr->changes[c].bw_bps;
			c++;
		}
		for (int ij = 0; ij < n * n; ij++)
			v[(size_t)ij * nsteps + k] = cur[ij];
	}
	free(cur);
	return v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void test_gen_stationary_statistics(void)
{
	/* No excursions, no correlation: v_k = round(base * (1 + sigma z_k)), z_k iid N(0,1).
	 * (v_{k+1} - v_k) / base = sigma (z_{k+1} - z_k) ~ N(0, 2 sigma^2), so its absolute value
	 * has median 0.67449 * sqrt(2) * sigma. The level itself has mean base and sd sigma*base. */
	struct topology *t = load_topo("trace/t3.topo");
	struct tracegen_params p;
	tracegen_defaults(&p);
	p.sigma = 0.05;
	p.excursion_rate_per_h = 0;
	p.correlated_share = 0;
	p.step_s = 1;
	p.duration_s = 20000;
	p.seed = 2024;
	struct trace *tr = gen_trace(t, &p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tr);
	size_t nsteps = 20000;
	double *v = sample_steps(tr, t, SIMTIME_NS_PER_S, nsteps);
	size_t npairs = 6, nd = 0;
	double *d = malloc(npairs * (nsteps - 1) * sizeof *d);
	double sum = 0, sum2 = 0;
	for (int i = 0; i < t->n; i++)
		for (int j = 0; j < t->n; j++) {
			if (i == j)
				continue;
			double base = t->bw_bps[i * t->n + j];
			const double *s = v + (size_t)(i * t->n + j) * nsteps;
			for (size_t k = 0; k < nsteps; k++) {
				double r = s[k] / base - 1;
				sum += r;
				sum2 += r * r;
				if (k + 1 < nsteps)
					d[nd++] = fabs(s[k + 1] - s[k]) / base;
			}
		}
	qsort(d, nd, sizeof *d, cmp_double);
	double median = d[nd / 2];
	double want = 0.6744897501960817 * sqrt(2.0) * p.sigma;
	double m = sum / (double)(npairs * nsteps);
	double sd = sqrt(sum2 / (double)(npairs * nsteps) - m * m);
	printf("\n  median |diff|/base %.5f (want %.5f); mean-1 %.5f; sd %.5f (want %.3f)\n", median, want, m, sd,
	       p.sigma);
	CU_ASSERT(fabs(median - want) < 0.03 * want);
	CU_ASSERT(fabs(m) < 0.002);
	CU_ASSERT(fabs(sd - p.sigma) < 0.02 * p.sigma);
	free(d);
	free(v);
	trace_free(tr);
	topology_free(t);
}

static void test_gen_default_sigma_matches_data(void)
{
	/* The README's repeated single-stream runs differ by a median of 3%: with the default sigma
	 * the predicted median relative difference 0.67449 * sqrt(2) * sigma is within 3% +- 0.1%. */
	struct tracegen_params p;
	tracegen_defaults(&p);
	double pred = 0.6744897501960817 * sqrt(2.0) * p.sigma;
	CU_ASSERT(fabs(pred - 0.03) < 0.001);
}

static void test_gen_excursions(void)
{
	/* sigma = 0: the value is exactly base outside excursions and base*depth (depth < 1) inside,
	 * so each drop below base is one excursion. Excursions start at rate r while the link is
	 * normal and last Exp(mean): a renewal process with cycle 1/r + mean, so over duration D a
	 * pair sees about D / (1/r + mean) of them. */
	struct topology *t = load_topo("trace/t3.topo");
	struct tracegen_params p;
	tracegen_defaults(&p);
	p.sigma = 0;
	p.correlated_share = 0;
	p.excursion_rate_per_h = 6;
	p.excursion_mean_s = 30;
	p.excursion_depth_min = 0.2;
	p.excursion_depth_max = 0.6;
	p.duration_s = 100000;
	p.seed = 99;
	struct trace *tr = gen_trace(t, &p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tr);
	int n = t->n;
	double *cur = calloc((size_t)(n * n), sizeof *cur);
	sim_time_t *since = calloc((size_t)(n * n), sizeof *since);
	long count = 0, ended = 0, bad_depth = 0, repeats = 0;
	double sum_depth = 0, sum_len_s = 0;
	for (size_t k = 0; k < tr->n; k++) {
		const struct trace_change *c = &tr->changes[k];
		int ij = c->src * n + c->dst;
		double base = t->bw_bps[ij];
		if (c->time == 0) {
			if (c->bw_bps < base) { /* an excursion starting at time 0 */
				count++;
				since[ij] = 0;
			}
		} else if (c->bw_bps == cur[ij]) {
			repeats++;
		} else if (cur[ij] == base) {
			double depth = c->bw_bps / base;
			count++;
			sum_depth += depth;
			bad_depth += depth < 0.2 - 1e-7 || depth > 0.6 + 1e-7;
			since[ij] = c->time;
		} else if (c->bw_bps == base) {
			ended++;
			sum_len_s += simtime_to_s(c->time - since[ij]);
		}
		cur[ij] = c->bw_bps;
	}
	double expect = 6.0 * p.duration_s / (3600.0 / p.excursion_rate_per_h + p.excursion_mean_s);
	printf("\n  excursions %ld (expect %.1f), mean depth %.4f, mean length %.2f s\n", count, expect,
	       sum_depth / (double)count, sum_len_s / (double)ended);
	CU_ASSERT(fabs((double)count - expect) < 4 * sqrt(expect));
	CU_ASSERT_EQUAL(bad_depth, 0);
	CU_ASSERT_EQUAL(repeats, 0);
	/* mean of U[0.2, 0.6] = 0.4, sd 0.115; mean of Exp(30) = 30, sd 30 */
	CU_ASSERT(fabs(sum_depth / (double)count - 0.4) < 4 * 0.1155 / sqrt((double)count));
	CU_ASSERT(fabs(sum_len_s / (double)ended - 30) < 4 * 30 / sqrt((double)ended));
	free(cur);
	free(since);
	trace_free(tr);
	topology_free(t);
}

static void test_gen_rows_shape(void)
{
	/* Every pair has a row at time 0 (first, in pair order); times never decrease; a row is
	 * written only when the pair's value changes. */
	struct topology *t = load_topo("trace/t4.topo");
	struct tracegen_params p;
	tracegen_defaults(&p);
	p.duration_s = 3000;
	p.excursion_rate_per_h = 10;
	p.seed = 5;
	struct trace *tr = gen_trace(t, &p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tr);
	int n = t->n, k = 0;
	CU_ASSERT_FATAL(tr->n >= 12);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			if (i != j) {
				CU_ASSERT_EQUAL(tr->changes[k].time, 0);
				CU_ASSERT_EQUAL(tr->changes[k].src, i);
				CU_ASSERT_EQUAL(tr->changes[k].dst, j);
				k++;
			}
	double last[16];
	for (int x = 0; x < 16; x++)
		last[x] = -1;
	long repeats = 0, late = 0, lan = 0;
	for (size_t c = 0; c < tr->n; c++) {
		const struct trace_change *ch = &tr->changes[c];
		int ij = ch->src * n + ch->dst;
		repeats += ch->bw_bps == last[ij];
		last[ij] = ch->bw_bps;
		late += ch->time >= 3000 * SIMTIME_NS_PER_S;
		lan += ch->src == ch->dst;
		CU_ASSERT(ch->bw_bps == floor(ch->bw_bps)); /* whole bits/s */
	}
	CU_ASSERT_EQUAL(repeats, 0);
	CU_ASSERT_EQUAL(late, 0);
	CU_ASSERT_EQUAL(lan, 0);
	/* 12 pairs x 300 samples of which the first is the time-0 row: at least 12*300 rows */
	CU_ASSERT(tr->n >= 12 * 300);
	trace_free(tr);
	topology_free(t);
}

static void test_gen_correlated(void)
{
	/* correlated_share = 1: all pairs out of one source share one noise, so their values relative
	 * to base agree at every step; pairs out of different sources do not. share = 0: no pair
	 * agrees with another. */
	struct topology *t = load_topo("trace/t3.topo");
	struct tracegen_params p;
	tracegen_defaults(&p);
	p.sigma = 0.1;
	p.excursion_rate_per_h = 0;
	p.duration_s = 1000;
	p.seed = 11;
	for (int share = 1; share >= 0; share--) {
		p.correlated_share = share;
		struct trace *tr = gen_trace(t, &p);
		CU_ASSERT_PTR_NOT_NULL_FATAL(tr);
		size_t nsteps = 100;
		double *v = sample_steps(tr, t, 10 * SIMTIME_NS_PER_S, nsteps);
		long same_src_agree = 0, other_agree = 0;
		int n = t->n;
		for (size_t k = 0; k < nsteps; k++) {
			/* a->b vs a->c (same source), b->a vs c->a (different sources) */
			double ab = v[(size_t)(0 * n + 1) * nsteps + k] / t->bw_bps[0 * n + 1];
			double ac = v[(size_t)(0 * n + 2) * nsteps + k] / t->bw_bps[0 * n + 2];
			double ba = v[(size_t)(1 * n + 0) * nsteps + k] / t->bw_bps[1 * n + 0];
			double ca = v[(size_t)(2 * n + 0) * nsteps + k] / t->bw_bps[2 * n + 0];
			same_src_agree += fabs(ab - ac) < 1e-7;
			other_agree += fabs(ba - ca) < 1e-7;
		}
		CU_ASSERT_EQUAL(same_src_agree, share ? 100 : 0);
		CU_ASSERT_EQUAL(other_agree, 0);
		free(v);
		trace_free(tr);
	}
	topology_free(t);
}

static void test_gen_bad_params(void)
{
	struct topology *t = load_topo("trace/t3.topo");
	struct tracegen_params p;
	char why[256];
	tracegen_defaults(&p);
	CU_ASSERT_EQUAL(tracegen_check(&p, why, sizeof why), 0);
	struct {
		size_t off;      /* which field */
		double value;    /* bad value */
		const char *say; /* expected in the reason */
	} bad[] = {
		{ offsetof(struct tracegen_params, duration_s), 0, "duration 0" },
		{ offsetof(struct tracegen_params, duration_s), NAN, "duration" },
		{ offsetof(struct tracegen_params, step_s), 0, "step 0" },
		{ offsetof(struct tracegen_params, sigma), -0.1, "sigma -0.1" },
		{ offsetof(struct tracegen_params, excursion_rate_per_h), -1, "per hour -1" },
		{ offsetof(struct tracegen_params, excursion_mean_s), 0, "mean 0" },
		{ offsetof(struct tracegen_params, excursion_depth_min), 0.9, "depth 0.9..0.5" },
		{ offsetof(struct tracegen_params, excursion_depth_max), 1.5, "depth 0.1..1.5" },
		{ offsetof(struct tracegen_params, correlated_share), 2, "share 2" },
	};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		tracegen_defaults(&p);
		*(double *)((char *)&p + bad[k].off) = bad[k].value;
		CU_ASSERT_EQUAL(tracegen_check(&p, why, sizeof why), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(why, bad[k].say));
		diag_capture(msg, sizeof msg);
		char *text = gen_text(t, &p);
		diag_capture(NULL, 0);
		CU_ASSERT_PTR_NULL(text);
		CU_ASSERT_PTR_NOT_NULL(strstr(msg, bad[k].say));
	}
	topology_free(t);
}

/* ------------------------------------------------------------------------------------------ */
/* Shipped traces                                                                              */

static struct trace *load_shipped(const char *name, const struct topology *t)
{
	const char *dir = getenv("GAIASIM_TOPODIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/traces/%s.csv", dir ? dir : "topology", name);
	return trace_load(path, t);
}

/* Index of the change for (src, dst) at time `at`, or -1. */
static long find_change(const struct trace *tr, int src, int dst, sim_time_t at)
{
	for (size_t k = 0; k < tr->n; k++)
		if (tr->changes[k].src == src && tr->changes[k].dst == dst && tr->changes[k].time == at)
			return (long)k;
	return -1;
}

static void test_shipped_skyplane(void)
{
	struct topology *t = topology_load("ec2-11-64conn");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	struct trace *tr = load_shipped("skyplane-64conn-2022", t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tr);
	CU_ASSERT_EQUAL(t->n, 11);
	CU_ASSERT_EQUAL(tr->n, 2 * 110);
	/* every directed pair once at 0 and once at 600 s; the topology's link is their mean */
	long missing = 0, off = 0;
	for (int i = 0; i < t->n; i++)
		for (int j = 0; j < t->n; j++) {
			if (i == j)
				continue;
			long a = find_change(tr, i, j, 0), b = find_change(tr, i, j, 600 * SIMTIME_NS_PER_S);
			if (a < 0 || b < 0) {
				missing++;
				continue;
			}
			double mean = (tr->changes[a].bw_bps + tr->changes[b].bw_bps) / 2;
			off += fabs(mean - t->bw_bps[i * t->n + j]) > 1;
		}
	CU_ASSERT_EQUAL(missing, 0);
	CU_ASSERT_EQUAL(off, 0);
	/* us-east-1 -> us-west-1: 4362.8 Mbit/s received in January, 4367.0 in November (data CSVs) */
	int v = topology_region(t, "us-east-1"), c = topology_region(t, "us-west-1");
	long a = find_change(tr, v, c, 0), b = find_change(tr, v, c, 600 * SIMTIME_NS_PER_S);
	CU_ASSERT_FATAL(a >= 0 && b >= 0);
	CU_ASSERT_EQUAL(tr->changes[a].bw_bps, 4362.8e6);
	CU_ASSERT_EQUAL(tr->changes[b].bw_bps, 4367.0e6);
	trace_free(tr);
	topology_free(t);
}

static void test_shipped_doit(void)
{
	struct topology *t = topology_load("ec2-11");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	struct trace *tr = load_shipped("doit-1stream-repeats", t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tr);
	/* 34 pairs measured twice in the DoiT CSV: one row each at 0 and at 300 s, all with RTT */
	CU_ASSERT_EQUAL(tr->n, 68);
	long at0 = 0, at300 = 0, rtt = 0;
	for (size_t k = 0; k < tr->n; k++) {
		at0 += tr->changes[k].time == 0;
		at300 += tr->changes[k].time == 300 * SIMTIME_NS_PER_S;
		rtt += tr->changes[k].rtt_s > 0;
	}
	CU_ASSERT_EQUAL(at0, 34);
	CU_ASSERT_EQUAL(at300, 34);
	CU_ASSERT_EQUAL(rtt, 68);
	/* eu-west-1 -> eu-central-1: 350.4 Mbit/s, 23.541 ms on Feb 14; 361.9 Mbit/s, 23.605 ms on Feb 17 */
	int i = topology_region(t, "eu-west-1"), j = topology_region(t, "eu-central-1");
	long a = find_change(tr, i, j, 0), b = find_change(tr, i, j, 300 * SIMTIME_NS_PER_S);
	CU_ASSERT_FATAL(a >= 0 && b >= 0);
	CU_ASSERT_EQUAL(tr->changes[a].bw_bps, 350.4e6);
	CU_ASSERT_DOUBLE_EQUAL(tr->changes[a].rtt_s, 0.023541, 1e-12);
	CU_ASSERT_EQUAL(tr->changes[b].bw_bps, 361.9e6);
	CU_ASSERT_DOUBLE_EQUAL(tr->changes[b].rtt_s, 0.023605, 1e-12);
	trace_free(tr);
	topology_free(t);
}

int main(void)
{
	static const struct testutil_case parse[] = {
		{ "good trace: values, ns-exact times, codes, empty rtt", test_parse_good },
		{ "good trace without rtt column", test_parse_good_no_rtt_column },
		{ "header only", test_parse_header_only },
		{ "wrong field count", test_bad_field_count },
		{ "bad header", test_bad_header },
		{ "unknown region", test_bad_region },
		{ "bad bandwidth", test_bad_bandwidth },
		{ "bad or decreasing time", test_bad_time },
		{ "bad rtt", test_bad_rtt },
		{ "empty file", test_bad_empty },
		{ "10 MB line", test_bad_long_line },
		{ "nonexistent file", test_bad_missing_file },
		{ NULL, NULL },
	};
	static const struct testutil_case gen[] = {
		{ "same seed same bytes, other seed differs", test_gen_deterministic },
		{ "per-pair streams survive adding a region", test_gen_streams_per_pair },
		{ "stationary median diff and sd match sigma", test_gen_stationary_statistics },
		{ "default sigma gives the measured 3% median", test_gen_default_sigma_matches_data },
		{ "excursion count, depth and length", test_gen_excursions },
		{ "rows: all pairs at 0, changes only", test_gen_rows_shape },
		{ "correlated pairs share the source noise", test_gen_correlated },
		{ "bad parameters rejected", test_gen_bad_params },
		{ NULL, NULL },
	};
	static const struct testutil_case shipped[] = {
		{ "skyplane-64conn-2022 on ec2-11-64conn", test_shipped_skyplane },
		{ "doit-1stream-repeats on ec2-11", test_shipped_doit },
		{ NULL, NULL },
	};
	testutil_suite("trace parser", parse);
	testutil_suite("trace generator", gen);
	testutil_suite("shipped traces", shipped);
	return testutil_run();
}
