/*
 * Tests for topology/topology: the shipped topologies against facts read by hand from the CSVs
 * in shared/data/network and from shared/GAIA.md (each expected value names its CSV row), the
 * invariants every topology must satisfy, and the parser's error messages for bad input (each
 * must name FILE:LINE and the offending value).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lineio.h"
#include "tests/testutil.h"
#include "topology/topology.h"

/* Gaia's DC order, shared/GAIA.md "Overlay network and hubs". */
static const char *const names11[11] = {
	"virginia", "california", "oregon", "ireland", "frankfurt", "tokyo",
	"seoul", "singapore", "sydney", "mumbai", "saopaulo",
};
static const char *const codes11[11] = {
	"us-east-1", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1",
	"ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "ap-south-1", "sa-east-1",
};

#define NEAR(a, b, tol) CU_ASSERT(fabs((a) - (b)) <= (tol))

static struct topology *load(const char *name)
{
	struct topology *t = topology_load(name);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	return t;
}

static double bw(const struct topology *t, const char *a, const char *b)
{
	int i = topology_region(t, a), j = topology_region(t, b);
	CU_ASSERT_FATAL(i >= 0 && j >= 0);
	return t->bw_bps[i * t->n + j];
}

static double rtt(const struct topology *t, const char *a, const char *b)
{
	int i = topology_region(t, a), j = topology_region(t, b);
	CU_ASSERT_FATAL(i >= 0 && j >= 0);
	return t->rtt_s[i * t->n + j];
}

static double price(const struct topology *t, const char *a, const char *b)
{
	int i = topology_region(t, a), j = topology_region(t, b);
	CU_ASSERT_FATAL(i >= 0 && j >= 0);
	return t->usd_per_gb[i * t->n + j];
}

/* Invariants of any loaded topology. */
static void check_invariants(const struct topology *t)
{
	CU_ASSERT_EQUAL(strlen(t->sha256), 64);
	CU_ASSERT_EQUAL(strspn(t->sha256, "0123456789abcdef"), 64);
	for (int i = 0; i < t->n; i++) {
		const struct topo_region *r = &t->regions[i];
		CU_ASSERT(r->machines >= 1);
		CU_ASSERT(r->nic_bps > 0 && r->lan_bps > 0 && r->lan_rtt_s >= 0);
		CU_ASSERT_EQUAL(topology_region(t, r->name), i);
		CU_ASSERT_EQUAL(topology_region(t, r->code), i);
		CU_ASSERT_EQUAL(t->bw_bps[i * t->n + i], 0);
		CU_ASSERT_EQUAL(t->rtt_s[i * t->n + i], r->lan_rtt_s);
		NEAR(topology_one_way_s(t, i, i), r->lan_rtt_s / 2, 1e-15);
		for (int j = 0; j < t->n; j++) {
			if (i == j)
				continue;
			/* every directed pair present, with a finite positive bandwidth and RTT */
			CU_ASSERT(t->bw_bps[i * t->n + j] > 0 && isfinite(t->bw_bps[i * t->n + j]));
			CU_ASSERT(t->rtt_s[i * t->n + j] > 0);
			CU_ASSERT(t->usd_per_gb[i * t->n + j] >= 0);
			NEAR(topology_one_way_s(t, i, j), t->rtt_s[i * t->n + j] / 2, 1e-15);
		}
	}
}

/* The 11 regions in GAIA.md order, Gaia's hub groups, a LAN of lan_bps (+- tol_bps) with
 * 0.2 ms RTT. */
static void check_ec2_11_layout_lan(const struct topology *t, double lan_bps, double tol_bps)
{
	CU_ASSERT_EQUAL_FATAL(t->n, 11);
	for (int i = 0; i < 11; i++) {
		CU_ASSERT_STRING_EQUAL(t->regions[i].name, names11[i]);
		CU_ASSERT_STRING_EQUAL(t->regions[i].code, codes11[i]);
		NEAR(t->regions[i].lan_bps, lan_bps, tol_bps);
		NEAR(t->regions[i].lan_rtt_s, 0.2e-3, 1e-12);
	}
	CU_ASSERT_EQUAL_FATAL(t->ngroups, 3);
	static const struct {
		const char *name, *hub;
		const char *members[5];
	} g[3] = {
		{ "americas", "virginia", { "virginia", "california", "oregon", "saopaulo", NULL } },
		{ "asia", "tokyo", { "tokyo", "seoul", "singapore", "sydney", NULL } },
		{ "europe", "frankfurt", { "frankfurt", "ireland", "mumbai", NULL } },
	};
	int counted = 0;
	for (int k = 0; k < 3; k++) {
		CU_ASSERT_STRING_EQUAL(t->groups[k].name, g[k].name);
		CU_ASSERT_EQUAL(t->groups[k].hub, topology_region(t, g[k].hub));
		for (int m = 0; g[k].members[m]; m++, counted++)
			CU_ASSERT_EQUAL(t->regions[topology_region(t, g[k].members[m])].group, k);
	}
	CU_ASSERT_EQUAL(counted, 11);
	/* Skyplane price grid rows: us-east-1,us-west-1,0.02; sa-east-1,ap-southeast-1,0.138;
	 * ap-southeast-1,sa-east-1,0.09. */
	NEAR(price(t, "virginia", "california"), 0.02, 1e-12);
	NEAR(price(t, "saopaulo", "singapore"), 0.138, 1e-12);
	NEAR(price(t, "singapore", "saopaulo"), 0.09, 1e-12);
}

/* Today's files: 10 Gb/s LAN. */
static void check_ec2_11_layout(const struct topology *t)
{
	check_ec2_11_layout_lan(t, 10e9, 1);
}

static void test_ec2_11(void)
{
	struct topology *t = load("ec2-11");
	check_invariants(t);
	check_ec2_11_layout(t);
	/* DoiT row 2022-02-14T08:56:20Z,emosav,us-east-1,us-west-1,139.9,61.254 (one run). */
	NEAR(bw(t, "virginia", "california"), 139.9e6, 1);
	/* DoiT rows ap-northeast-1,ap-northeast-2: 239.7 and 245.6 Mbit/s -> mean 242.65. */
	NEAR(bw(t, "tokyo", "seoul"), (239.7 + 245.6) / 2 * 1e6, 1);
	/* DoiT rows ap-southeast-1,sa-east-1 24.9 and sa-east-1,ap-southeast-1 25.8: the S/S pair
	 * is the slowest in the paper; here too no link is slower. */
	NEAR(bw(t, "singapore", "saopaulo"), 24.9e6, 1);
	/* cloudping row us-east-1, column us-west-1: 63.932 ms; row sa-east-1 col ap-southeast-1. */
	NEAR(rtt(t, "virginia", "california"), 63.932e-3, 1e-9);
	NEAR(rtt(t, "us-west-1", "us-east-1"), 63.80095e-3, 1e-9);
	NEAR(rtt(t, "saopaulo", "singapore"), 327.396e-3, 1e-9);
	NEAR(topology_one_way_s(t, 0, 1), 63.932e-3 / 2, 1e-9);
	/* RTT is near-symmetric (cloudping medians differ by < 3 ms each way). */
	for (int i = 0; i < t->n; i++)
		for (int j = 0; j < t->n; j++)
			CU_ASSERT(fabs(t->rtt_s[i * t->n + j] - t->rtt_s[j * t->n + i]) < 3e-3);
	/* DoiT has no us-east-1 -> ap-* rows: those are W / RTT with one fitted W, so the
	 * bandwidth-delay product is the same for all of them ... */
	const char *asia[] = { "tokyo", "seoul", "singapore", "sydney", "mumbai" };
	double w0 = bw(t, "virginia", "tokyo") * rtt(t, "virginia", "tokyo");
	for (int k = 1; k < 5; k++)
		NEAR(bw(t, "virginia", asia[k]) * rtt(t, "virginia", asia[k]), w0, w0 * 1e-4);
	/* ... and W is ~1 MB, like a measured pair: us-west-1 -> us-west-2 392.4 Mbit/s at
	 * 20.902 ms is 392.4e6 * 0.020902 / 8 = 1.025 MB. */
	CU_ASSERT(w0 / 8 > 0.9e6 && w0 / 8 < 1.2e6);
	double slowest = INFINITY;
	for (int i = 0; i < t->n; i++)
		for (int j = 0; j < t->n; j++)
			if (i != j && t->bw_bps[i * t->n + j] < slowest)
				slowest = t->bw_bps[i * t->n + j];
	/* DoiT ap-south-1,sa-east-1 23.9 (sa-east-1 -> ap-south-1) is the smallest single run. */
	NEAR(slowest, 23.9e6, 1);
	topology_free(t);
}

static void test_ec2_11_2017(void)
{
	struct topology *t = load("ec2-11-2017");
	check_invariants(t);
	/* The paper's machines (docs/paper-regime.md): NIC L per machine with L / mean link = 15 r
	 * and L / (Singapore <-> Sao Paulo) = 60 / r for one r (L = sqrt(15 mean x 60 worst)), a
	 * LAN of 22 L, 2 machines per region. */
	double sum = 0, ss = (bw(t, "singapore", "saopaulo") + bw(t, "saopaulo", "singapore")) / 2;
	for (int i = 0; i < t->n; i++)
		for (int j = 0; j < t->n; j++)
			if (i != j)
				sum += t->bw_bps[i * t->n + j];
	double mean = sum / 110, L = t->regions[0].nic_bps;
	NEAR(L, sqrt(15 * mean * 60 * ss), 1e3);
	NEAR((L / mean / 15) * (L / ss / 60), 1, 1e-5);
	for (int i = 0; i < t->n; i++) {
		NEAR(t->regions[i].nic_bps, L, 1);
		CU_ASSERT_EQUAL(t->regions[i].machines, 2);
	}
	/* both written to 1 kbit/s: 22 x L to within 22 x 500 + 500 bits/s */
	check_ec2_11_layout_lan(t, 22 * L, 11.5e3);
	/* blog2017 row ap-southeast-1, column ap-southeast-2: 175.3 ms (vs ~94.7 in 2025). */
	NEAR(rtt(t, "singapore", "sydney"), 175.3e-3, 1e-9);
	/* No sa-east-1 row: saopaulo -> virginia is the published us-east-1 -> sa-east-1 119.5. */
	NEAR(rtt(t, "saopaulo", "virginia"), 119.5e-3, 1e-9);
	NEAR(rtt(t, "virginia", "saopaulo"), 119.5e-3, 1e-9);
	/* No Mumbai in 2017: cloudping 2025 row ap-south-1, column us-east-1: 189.708 ms. */
	NEAR(rtt(t, "mumbai", "virginia"), 189.708e-3, 1e-9);
	/* Every link is W / RTT with one W: constant bandwidth-delay product. */
	double w0 = t->bw_bps[1] * t->rtt_s[1];
	for (int i = 0; i < t->n; i++)
		for (int j = 0; j < t->n; j++)
			if (i != j)
				NEAR(t->bw_bps[i * t->n + j] * t->rtt_s[i * t->n + j], w0, w0 * 1e-4);
	/* Same W as ec2-11 (its virginia -> tokyo is a fitted pair). */
	struct topology *now = load("ec2-11");
	double w_now = bw(now, "virginia", "tokyo") * rtt(now, "virginia", "tokyo");
	NEAR(w0, w_now, w_now * 1e-4);
	topology_free(now);
	topology_free(t);
}

static void test_ec2_11_64conn(void)
{
	struct topology *t = load("ec2-11-64conn");
	check_invariants(t);
	check_ec2_11_layout(t);
	/* Skyplane us-east-1,us-west-1 throughput_received_mbps: Jan 4362.8, Nov 4367.0. */
	NEAR(bw(t, "virginia", "california"), (4362.8 + 4367.0) / 2 * 1e6, 1);
	/* sa-east-1,ap-southeast-1: Jan 1923.6, Nov 1970.5. */
	NEAR(bw(t, "saopaulo", "singapore"), (1923.6 + 1970.5) / 2 * 1e6, 1);
	NEAR(rtt(t, "virginia", "california"), 63.932e-3, 1e-9);
	/* Every aggregate is below the 5 Gb/s per-instance cap and above one stream's 24 Mb/s. */
	for (int i = 0; i < t->n; i++)
		for (int j = 0; j < t->n; j++)
			if (i != j)
				CU_ASSERT(t->bw_bps[i * t->n + j] < 5e9 && t->bw_bps[i * t->n + j] > 1e9);
	topology_free(t);
}

static void test_two_region(void)
{
	struct topology *vc = load("vc");
	check_invariants(vc);
	CU_ASSERT_EQUAL(vc->n, 2);
	CU_ASSERT_EQUAL(vc->ngroups, 0);
	CU_ASSERT_STRING_EQUAL(vc->regions[0].name, "virginia");
	CU_ASSERT_STRING_EQUAL(vc->regions[1].name, "california");
	/* DoiT us-east-1,us-west-1 139.9 and us-west-1,us-east-1 147.7. */
	NEAR(vc->bw_bps[0 * 2 + 1], 139.9e6, 1);
	NEAR(vc->bw_bps[1 * 2 + 0], 147.7e6, 1);
	topology_free(vc);

	struct topology *ss = load("ss");
	check_invariants(ss);
	CU_ASSERT_EQUAL(ss->n, 2);
	CU_ASSERT_STRING_EQUAL(ss->regions[0].code, "ap-southeast-1");
	CU_ASSERT_STRING_EQUAL(ss->regions[1].code, "sa-east-1");
	/* DoiT ap-southeast-1,sa-east-1 24.9 and sa-east-1,ap-southeast-1 25.8. */
	NEAR(ss->bw_bps[1], 24.9e6, 1);
	NEAR(ss->bw_bps[2], 25.8e6, 1);
	/* cloudping ap-southeast-1 -> sa-east-1 327.4 ms. */
	NEAR(ss->rtt_s[1], 327.4e-3, 1e-9);
	NEAR(topology_one_way_s(ss, 0, 1), 327.4e-3 / 2, 1e-9);
	topology_free(ss);
}

/* net.bw_scale: WAN links scaled exactly, everything else untouched; out-of-range refused whole. */
static void test_scale_wan(void)
{
	struct topology *a = load("vc"), *b = load("vc");
	CU_ASSERT_EQUAL(topology_scale_wan(b, 0.0625), 0);
	/* 139.9 Mbit/s / 16 = 8.74375 Mbit/s (a power of two: exact in binary) */
	CU_ASSERT_EQUAL(b->bw_bps[0 * 2 + 1], a->bw_bps[0 * 2 + 1] / 16);
	CU_ASSERT_EQUAL(b->bw_bps[1 * 2 + 0], a->bw_bps[1 * 2 + 0] / 16);
	CU_ASSERT_EQUAL(b->bw_bps[0], 0);
	CU_ASSERT_EQUAL(b->bw_bps[3], 0);
	for (int r = 0; r < 2; r++) {
		CU_ASSERT_EQUAL(b->regions[r].lan_bps, a->regions[r].lan_bps);
		CU_ASSERT_EQUAL(b->regions[r].nic_bps, a->regions[r].nic_bps);
	}
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(b->rtt_s[i], a->rtt_s[i]);
		CU_ASSERT_EQUAL(b->usd_per_gb[i], a->usd_per_gb[i]);
	}
	CU_ASSERT_EQUAL(topology_scale_wan(b, 16), 0);
	CU_ASSERT_EQUAL(b->bw_bps[1], a->bw_bps[1]);
	/* refused, nothing changed: factor <= 0, or a link above TOPO_MAX_BPS */
	CU_ASSERT_EQUAL(topology_scale_wan(b, 0), -1);
	CU_ASSERT_EQUAL(topology_scale_wan(b, -2), -1);
	CU_ASSERT_EQUAL(topology_scale_wan(b, TOPO_MAX_BPS / 147.7e6 * 1.01), -1);
	CU_ASSERT_EQUAL(b->bw_bps[1], a->bw_bps[1]);
	CU_ASSERT_EQUAL(b->bw_bps[2], a->bw_bps[2]);
	topology_free(a);
	topology_free(b);
}

/* A minimal valid file; error cases below are variations of it. Line numbers:
 * 1 topology, 2-3 regions, 4 machines, 5 lan, 6-7 links. */
static const char base[] =
	"topology t\n"
	"region a us-east-1 N. Virginia  # trailing comment\n"
	"region b us-west-1 N. California\n"
	"machines * 2 10G\n"
	"lan * 10G 0.5\n"
	"link a b 100M 60\n"
	"link b a 120M 61.5\n";

static void test_small_file(void)
{
	char *path = testutil_tmpfile(base);
	struct topology *t = topology_load(path); /* contains '/': a path */
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	check_invariants(t);
	CU_ASSERT_STRING_EQUAL(t->name, "t");
	CU_ASSERT_STRING_EQUAL(t->path, path);
	CU_ASSERT_STRING_EQUAL(t->regions[0].city, "N. Virginia");
	CU_ASSERT_STRING_EQUAL(t->regions[1].city, "N. California");
	CU_ASSERT_EQUAL(t->regions[0].machines, 2);
	NEAR(t->regions[1].lan_rtt_s, 0.5e-3, 1e-15);
	NEAR(t->bw_bps[1], 100e6, 1e-6);
	NEAR(t->bw_bps[2], 120e6, 1e-6);
	NEAR(t->rtt_s[2], 61.5e-3, 1e-15);
	NEAR(topology_one_way_s(t, 1, 0), 30.75e-3, 1e-15);
	CU_ASSERT_EQUAL(t->usd_per_gb[1], 0); /* no price lines: free */
	CU_ASSERT_EQUAL(t->ngroups, 0);
	CU_ASSERT_EQUAL(t->regions[0].group, -1);
	CU_ASSERT_EQUAL(topology_region(t, "c"), -1);
	topology_free(t);
	unlink(path);
	free(path);

	/* per-region overrides, CRLF endings, prices, a group */
	path = testutil_tmpfile("topology t2\r\n"
				"region a us-east-1 X\r\n"
				"region b us-west-1 Y\r\n"
				"machines * 1 1G\r\n"
				"machines b 3 25G\r\n"
				"lan * 10G 0.2\r\n"
				"lan a 40G 0.1\r\n"
				"link a b 1e8 10\r\n"
				"link b a 1.5e8 10\r\n"
				"price a b 0.02\r\n"
				"price b a 0.09\r\n"
				"group g b a b\r\n");
	t = topology_load_file(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(t->regions[0].machines, 1);
	CU_ASSERT_EQUAL(t->regions[1].machines, 3);
	NEAR(t->regions[1].nic_bps, 25e9, 1e-3);
	NEAR(t->regions[0].lan_bps, 40e9, 1e-3);
	NEAR(t->regions[1].lan_bps, 10e9, 1e-3);
	NEAR(t->rtt_s[0], 0.1e-3, 1e-15);
	NEAR(t->rtt_s[3], 0.2e-3, 1e-15);
	NEAR(t->bw_bps[2], 150e6, 1e-6);
	NEAR(t->usd_per_gb[2], 0.09, 1e-15);
	CU_ASSERT_EQUAL(t->groups[0].hub, 1);
	CU_ASSERT_EQUAL(t->regions[0].group, 0);
	topology_free(t);
	unlink(path);
	free(path);
}

/*
 * Load `text` from a temporary file; it must fail with a message naming "PATH:LINE:" and
 * containing `needle` (the offending value).
 */
static void expect_error(const char *text, long line, const char *needle)
{
	char *path = testutil_tmpfile(text);
	char msg[4096];
	diag_capture(msg, sizeof msg);
	struct topology *t = topology_load_file(path);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NULL(t);
	topology_free(t);
	char where[512];
	snprintf(where, sizeof where, "%s:%ld: ", path, line);
	int ok = strstr(msg, where) != NULL && strstr(msg, needle) != NULL;
	if (!ok)
		printf("\n  want '%s' ... '%s', got: %s\n", where, needle, msg);
	CU_ASSERT(ok);
	unlink(path);
	free(path);
}

/* base with `line` appended */
static char *plus(const char *line)
{
	size_t n = strlen(base) + strlen(line) + 2;
	char *s = malloc(n);
	snprintf(s, n, "%s%s\n", base, line);
	return s;
}

/* base with line number k (1-based) replaced by `line` */
static char *replace(int k, const char *line)
{
	size_t n = strlen(base) + strlen(line) + 2;
	char *s = malloc(n);
	s[0] = '\0';
	const char *p = base;
	for (int i = 1; *p; i++) {
		const char *nl = strchr(p, '\n');
		if (i == k) {
			strcat(s, line);
			strcat(s, "\n");
		} else {
			strncat(s, p, (size_t)(nl - p + 1));
		}
		p = nl + 1;
	}
	return s;
}

#define CASE(text_expr, line, needle) do { \
		char *txt_ = (text_expr); \
		expect_error(txt_, line, needle); \
		free(txt_); \
	} while (0)

static void test_errors_fields(void)
{
	CASE(replace(6, "link a b 100M"), 6, "`link` line has 4 fields, want 5");
	CASE(replace(2, "region a us-east-1"), 2, "want at least 4");
	CASE(replace(4, "machines * 2"), 4, "want 4");
	CASE(replace(6, "link a b 100M 60 7"), 6, "extra field '7'");
	CASE(replace(1, "topology"), 1, "topology NAME");
	CASE(plus("bogus a b"), 8, "unknown directive 'bogus'");
	CASE(replace(1, "# no topology line first"), 2, "'region' before the `topology NAME` line");
	CASE(plus("topology again"), 8, "second `topology` line 'again'");
}

static void test_errors_regions(void)
{
	CASE(replace(6, "link a mars 100M 60"), 6, "unknown region 'mars'");
	CASE(plus("machines zz 1 1G"), 8, "unknown region 'zz'");
	CASE(replace(3, "region a us-west-1 Dup"), 3, "duplicate region 'a' (already declared on line 2)");
	CASE(replace(3, "region b us-east-1 Dup code"), 3, "duplicate region 'us-east-1'");
	CASE(replace(3, "region b/x us-west-1 Bad"), 3, "bad region name 'b/x'");
	CASE(replace(3, "region b us-west-1 "
			"A city name that is much longer than sixty-three bytes, which is the limit"),
	     3, "longer than 63 bytes");
	CASE(replace(4, "machines a 1 1G"), 3, "region 'b' has no `machines` line");
	CASE(replace(5, "lan a 1G 0.1"), 3, "region 'b' has no `lan` line");
	CASE(replace(4, "machines * 0 10G"), 4, "bad machine count '0'");
	CASE(replace(4, "machines * 1.5 10G"), 4, "bad machine count '1.5'");
	CASE(plus("machines * 1 1G"), 8, "second `machines *` line (first on line 4)");
}

static void test_errors_numbers(void)
{
	CASE(replace(6, "link a b -5M 60"), 6, "bad link bandwidth '-5M'");
	CASE(replace(6, "link a b fast 60"), 6, "bad link bandwidth 'fast'");
	CASE(replace(6, "link a b 0 60"), 6, "bad link bandwidth '0': must be > 0");
	CASE(replace(6, "link a b nan 60"), 6, "'nan'");
	CASE(replace(6, "link a b inf 60"), 6, "'inf'");
	CASE(replace(6, "link a b 1e999 60"), 6, "'1e999'");
	CASE(replace(6, "link a b 100X 60"), 6, "'100X'");
	CASE(replace(6, "link a b 100M -1"), 6, "bad link RTT '-1'");
	CASE(replace(6, "link a b 100M 6o"), 6, "bad link RTT '6o'");
	CASE(replace(5, "lan * 10G soon"), 5, "bad LAN RTT 'soon'");
	CASE(replace(5, "lan * -10G 0.2"), 5, "bad LAN bandwidth '-10G'");
	CASE(replace(4, "machines * 1 0x10"), 4, "bad NIC bandwidth '0x10'");
	/* limits: every accepted value must fit the simulator's int64 ns clock and finite rates */
	CASE(replace(6, "link a b 1.1e15 60"), 6, "at most 1e+15 bits/s");
	CASE(replace(6, "link a b 1e308 60"), 6, "at most 1e+15 bits/s");
	CASE(replace(4, "machines * 2 1e308"), 4, "bad NIC bandwidth '1e308': at most");
	CASE(replace(5, "lan * 1e308 0.2"), 5, "bad LAN bandwidth '1e308': at most");
	CASE(replace(6, "link a b 100M 2e13"), 6, "bad link RTT '2e13': at most 8.64e+07 ms");
	CASE(replace(6, "link a b 100M 1e308"), 6, "bad link RTT '1e308'");
	CASE(replace(5, "lan * 10G 86400001"), 5, "bad LAN RTT '86400001'");
}

static void test_errors_links(void)
{
	CASE(plus("link a b 1M 1"), 8, "duplicate link a -> b (first on line 6)");
	CASE(replace(7, "# b -> a missing"), 3, "no link from region 'b' to 'a'");
	CASE(replace(7, "link b b 1M 1"), 7, "to itself");
	CASE(plus("price a b 0.02"), 3, "no price from region 'b' to 'a'");
	CASE(plus("price a b -0.02"), 8, "bad price '-0.02'");
	CASE(plus("price a b 0.02\nprice b a 0.02\nprice a b 0.03"), 10, "duplicate price a -> b (first on line 8)");
	CASE(plus("region c eu-west-1 Ireland"), 2, "no link from region 'a' to 'c'");
	/* The first duplicate in file order is reported, whatever the order of the pairs. */
	CASE(plus("link b a 1M 1\nlink a b 1M 1"), 8, "duplicate link b -> a (first on line 7)");
	CASE(plus("link a b 1M 1\nlink a b 2M 1"), 8, "duplicate link a -> b (first on line 6)");
	/* Links in any order: the first missing pair by (source, destination) is reported. */
	CASE(plus("region c eu-west-1 Ireland\nlink c a 1M 1\nlink b c 1M 1\nlink a c 1M 1"), 8,
	     "no link from region 'c' to 'b'");
}

static void test_errors_groups(void)
{
	CASE(plus("group g a b"), 8, "hub 'a' is not a member of group 'g'");
	CASE(plus("group g a a\ngroup h b b a"), 9, "region 'a' already in group 'g' (line 8)");
	CASE(plus("group g a a a b"), 8, "region 'a' listed twice");
	CASE(plus("group g a a\ngroup g b b"), 9, "duplicate group 'g'");
	CASE(plus("group g a a"), 3, "region 'b' is in no group");
	CASE(plus("group g x a"), 8, "unknown region 'x'");
	CASE(plus("group g a"), 8, "want at least 4");
}

static void test_errors_files(void)
{
	expect_error("", 1, "empty topology");
	expect_error("# only a comment\n\n", 2, "empty topology");
	expect_error("topology t\n", 1, "declares no regions");

	/* A 10 MB line. */
	size_t big = 10u << 20;
	char *text = malloc(big + 32);
	strcpy(text, "topology t\nregion ");
	size_t off = strlen(text);
	memset(text + off, 'x', big);
	strcpy(text + off + big, "\n");
	char needle[64];
	snprintf(needle, sizeof needle, "line longer than %d bytes", LINEIO_MAX_LINE);
	expect_error(text, 2, needle);
	free(text);

	/* A nonexistent file: the message names it (there is no line to name). */
	char msg[1024];
	diag_capture(msg, sizeof msg);
	struct topology *t = topology_load_file("/nonexistent/dir/x.topo");
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NULL(t);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "/nonexistent/dir/x.topo: cannot open"));

	/* An unknown name, and a name that is not a valid name. */
	diag_capture(msg, sizeof msg);
	t = topology_load("no-such-topology");
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NULL(t);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "unknown topology 'no-such-topology'"));
	diag_capture(msg, sizeof msg);
	t = topology_load("bad name");
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NULL(t);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "bad topology name 'bad name'"));

	/* A NUL byte is rejected, not truncated silently. */
	char *path = testutil_tmpfile("topology t\n");
	FILE *fp = fopen(path, "ab");
	fwrite("region a\0 b c\n", 1, 14, fp);
	fclose(fp);
	diag_capture(msg, sizeof msg);
	t = topology_load_file(path);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NULL(t);
	unlink(path);
	free(path);
}

static void test_print(void)
{
	struct topology *t = load("vc");
	char *buf = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&buf, &n);
	topology_print(t, fp);
	fclose(fp);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "Mbit/s"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "ms"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "USD per GB"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "139.9"));  /* virginia -> california, Mbit/s */
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "63.932")); /* its RTT, ms */
	free(buf);
	topology_free(t);
}

int main(void)
{
	static const struct testutil_case shipped[] = {
		{ "ec2-11", test_ec2_11 },
		{ "ec2-11-2017", test_ec2_11_2017 },
		{ "ec2-11-64conn", test_ec2_11_64conn },
		{ "vc and ss", test_two_region },
		{ "scale WAN bandwidth", test_scale_wan },
		{ "print", test_print },
		{ NULL, NULL },
	};
	static const struct testutil_case parser[] = {
		{ "small valid files", test_small_file },
		{ "errors: fields and directives", test_errors_fields },
		{ "errors: regions, machines, lan", test_errors_regions },
		{ "errors: numbers", test_errors_numbers },
		{ "errors: links and prices", test_errors_links },
		{ "errors: groups", test_errors_groups },
		{ "errors: files", test_errors_files },
		{ NULL, NULL },
	};
	testutil_suite("shipped topologies", shipped);
	testutil_suite("parser", parser);
	return testutil_run();
}
