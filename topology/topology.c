/*
 * Topology parser: reads the line-oriented format of docs/topology-format.md into a struct
 * topology, checking every value (names, numbers, that every directed pair has exactly one link,
 * group membership) and naming the file, line and offending value in each error. Directives
 * may come in any order, except that a region must be declared before a line refers to it;
 * links, prices and per-region settings are collected while reading and resolved at the end.
 */
#include "topology/topology.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/datadir.h"
#include "lib/diag.h"
#include "lib/lineio.h"
#include "lib/xmalloc.h"

#define TOPO_MAX_FIELDS 64        /* most whitespace-separated fields on one line (group lines) */
#define TOPO_MAX_MACHINES 1000000 /* sanity bound on machines per region */

/* One directed-pair value read from a `link` or `price` line, resolved at end of file. */
struct pair_entry {
	int src, dst;   /* region indices */
	double bps;     /* link: bandwidth, bits/s; unused for prices */
	double value;   /* link: RTT, seconds; price: USD per GB */
	long line;      /* line it came from */
};

/* Per-region settings from `machines` / `lan` lines, with where they came from. */
struct region_extra {
	long decl_line;      /* line of the `region` declaration */
	long machines_line;  /* line of this region's own `machines` line, 0 if none */
	long lan_line;       /* line of this region's own `lan` line, 0 if none */
};

/* Parser state for one file. */
struct parser {
	struct lineio *in;         /* the input */
	const char *path;          /* file name for messages */
	struct topology *t;        /* the topology being built */
	int cap;                   /* allocated entries in t->regions and extra */
	struct region_extra *extra; /* per-region bookkeeping, t->n entries */
	long topology_line;        /* line of the `topology` line, 0 if none yet */
	long star_machines_line;   /* line of `machines *`, 0 if none */
	int star_machines;         /* machines from `machines *` */
	double star_nic_bps;       /* NIC bits/s from `machines *` */
	long star_lan_line;        /* line of `lan *`, 0 if none */
	double star_lan_bps;       /* LAN bits/s from `lan *` */
	double star_lan_rtt_s;     /* LAN RTT seconds from `lan *` */
	struct pair_entry *links;  /* `link` lines read */
	int nlinks, links_cap;     /* used / allocated entries in links */
	struct pair_entry *prices; /* `price` lines read */
	int nprices, prices_cap;   /* used / allocated entries in prices */
	int groups_cap;            /* allocated entries in t->groups */
	long *group_line;          /* line of each group's declaration */
	int *names;                /* hash table of region names and codes: region index + 1, 0 = free */
	size_t names_cap;          /* slots in names, a power of two (0 before the first region) */
};

static long lineno(const struct parser *p)
{
	return lineio_lineno(p->in);
}

/* Report an error at the current line; returns -1. */
#define ERR(p, ...) diag_at((p)->path, lineno(p), __VA_ARGS__)

/* Names: 1..TOPO_NAME_MAX-1 bytes of letters, digits, '-', '_', '.'; not starting with '-'. */
static int valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= TOPO_NAME_MAX || s[0] == '-')
		return 0;
	for (const char *c = s; *c; c++) {
		int ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			 (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.';
		if (!ok)
			return 0;
	}
	return 1;
}

int topology_region(const struct topology *t, const char *s)
{
	for (int i = 0; i < t->n; i++)
		if (!strcmp(t->regions[i].name, s) || !strcmp(t->regions[i].code, s))
			return i;
	return -1;
}

/*
 * The parser looks regions up by name or code in a hash table, so that a file with many
 * regions costs time linear in its size (topology_region() scans; a 1 MB file of 60000
 * `region` lines took 36 s with it). Names and codes are unique across regions, so at most one
 * region matches and the table answers as topology_region() does.
 */
static size_t name_hash(const char *s)
{
	uint64_t h = 14695981039346656037u; /* FNV-1a, 64 bits */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return (size_t)h;
}

static void names_insert(struct parser *p, const char *key, int r)
{
	size_t h = name_hash(key) & (p->names_cap - 1);
	while (p->names[h])
		h = (h + 1) & (p->names_cap - 1);
	p->names[h] = r + 1;
}

/* Make room for region t->n (two more keys), keeping the table at most half full. */
static void names_grow(struct parser *p)
{
	if (2 * (2 * (size_t)p->t->n + 2) <= p->names_cap)
		return;
	free(p->names);
	p->names_cap = p->names_cap ? 2 * p->names_cap : 64;
	p->names = xcalloc(p->names_cap, sizeof *p->names);
	for (int i = 0; i < p->t->n; i++) {
		names_insert(p, p->t->regions[i].name, i);
		names_insert(p, p->t->regions[i].code, i);
	}
}

/* Index of the region whose name or code is s, or -1. */
static int find_region(const struct parser *p, const char *s)
{
	if (!p->names_cap)
		return -1;
	for (size_t h = name_hash(s) & (p->names_cap - 1); p->names[h]; h = (h + 1) & (p->names_cap - 1)) {
		const struct topo_region *r = &p->t->regions[p->names[h] - 1];
		if (!strcmp(r->name, s) || !strcmp(r->code, s))
			return p->names[h] - 1;
	}
	return -1;
}

/* Region named by field `s` of the current line, or -1 after an error naming it. */
static int ref_region(struct parser *p, const char *what, const char *s)
{
	int r = find_region(p, s);
	if (r < 0)
		ERR(p, "unknown region '%s' as %s (declare it with a `region` line first)", s, what);
	return r;
}

static int parse_bw(struct parser *p, const char *what, const char *s, double *out)
{
	if (parse_si(s, out) < 0)
		return ERR(p, "bad %s '%s': want bits/s as a number > 0 with optional k/M/G/T suffix", what, s);
	if (!(*out > 0))
		return ERR(p, "bad %s '%s': must be > 0 bits/s", what, s);
	if (*out > TOPO_MAX_BPS)
		return ERR(p, "bad %s '%s': at most %g bits/s (1 Pbit/s)", what, s, TOPO_MAX_BPS);
	return 0;
}

static int parse_ms(struct parser *p, const char *what, const char *s, double *out_s)
{
	double ms;
	if (parse_double(s, &ms) < 0 || ms < 0)
		return ERR(p, "bad %s '%s': want milliseconds as a number >= 0", what, s);
	if (ms > TOPO_MAX_RTT_MS)
		return ERR(p, "bad %s '%s': at most %g ms (one day)", what, s, TOPO_MAX_RTT_MS);
	*out_s = ms / 1e3;
	return 0;
}

static int want_fields(struct parser *p, char **f, int nf, int want, const char *form)
{
	if (nf < want)
		return ERR(p, "`%s` line has %d field%s, want %d: %s", f[0], nf, nf == 1 ? "" : "s", want, form);
	if (nf > want)
		return ERR(p, "extra field '%s' on `%s` line: want %s", f[want], f[0], form);
	return 0;
}

/* topology NAME */
static int do_topology(struct parser *p, char **f, int nf)
{
	if (want_fields(p, f, nf, 2, "topology NAME") < 0)
		return -1;
	if (p->topology_line)
		return ERR(p, "second `topology` line '%s' (first on line %ld)", f[1], p->topology_line);
	if (!valid_name(f[1]))
		return ERR(p, "bad topology name '%s': want 1-%d letters, digits, '-', '_', '.'", f[1], TOPO_NAME_MAX - 1);
	p->topology_line = lineno(p);
	p->t->name = xstrdup(f[1]);
	return 0;
}

/* region NAME CODE CITY... (the city is the rest of the line) */
static int do_region(struct parser *p, char **f, int nf, const char *city)
{
	if (nf < 4)
		return ERR(p, "`region` line has %d fields, want at least 4: region NAME EC2-CODE CITY", nf);
	if (!valid_name(f[1]) || !strcmp(f[1], "*"))
		return ERR(p, "bad region name '%s': want 1-%d letters, digits, '-', '_', '.'", f[1], TOPO_NAME_MAX - 1);
	if (!valid_name(f[2]))
		return ERR(p, "bad region code '%s': want 1-%d letters, digits, '-', '_', '.'", f[2], TOPO_NAME_MAX - 1);
	if (strlen(city) >= TOPO_CITY_MAX)
		return ERR(p, "city '%.*s...' longer than %d bytes", TOPO_CITY_MAX - 1, city, TOPO_CITY_MAX - 1);
	for (int k = 1; k <= 2; k++) {
		int old = find_region(p, f[k]);
		if (old >= 0)
			return ERR(p, "duplicate region '%s' (already declared on line %ld)", f[k],
				   p->extra[old].decl_line);
	}
	struct topology *t = p->t;
	if (t->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 16;
		t->regions = xreallocarray(t->regions, (size_t)p->cap, sizeof *t->regions);
		p->extra = xreallocarray(p->extra, (size_t)p->cap, sizeof *p->extra);
	}
	struct topo_region *r = &t->regions[t->n];
	memset(r, 0, sizeof *r);
	snprintf(r->name, sizeof r->name, "%s", f[1]);
	snprintf(r->code, sizeof r->code, "%s", f[2]);
	snprintf(r->city, sizeof r->city, "%s", city);
	r->group = -1;
	p->extra[t->n] = (struct region_extra){ .decl_line = lineno(p) };
	names_grow(p);
	names_insert(p, r->name, t->n);
	names_insert(p, r->code, t->n);
	t->n++;
	return 0;
}

/* machines REGION|* COUNT NIC_BPS */
static int do_machines(struct parser *p, char **f, int nf)
{
	if (want_fields(p, f, nf, 4, "machines REGION|* COUNT NIC-BITS/S") < 0)
		return -1;
	int64_t count;
	if (parse_int64(f[2], &count) < 0 || count < 1 || count > TOPO_MAX_MACHINES)
		return ERR(p, "bad machine count '%s': want an integer 1..%d", f[2], TOPO_MAX_MACHINES);
	double nic;
	if (parse_bw(p, "NIC bandwidth", f[3], &nic) < 0)
		return -1;
	if (!strcmp(f[1], "*")) {
		if (p->star_machines_line)
			return ERR(p, "second `machines *` line (first on line %ld)", p->star_machines_line);
		p->star_machines_line = lineno(p);
		p->star_machines = (int)count;
		p->star_nic_bps = nic;
		return 0;
	}
	int r = ref_region(p, "machines region", f[1]);
	if (r < 0)
		return -1;
	if (p->extra[r].machines_line)
		return ERR(p, "second `machines` line for region '%s' (first on line %ld)", f[1], p->extra[r].machines_line);
	p->extra[r].machines_line = lineno(p);
	p->t->regions[r].machines = (int)count;
	p->t->regions[r].nic_bps = nic;
	return 0;
}

/* lan REGION|* BPS RTT_MS */
static int do_lan(struct parser *p, char **f, int nf)
{
	if (want_fields(p, f, nf, 4, "lan REGION|* BITS/S RTT-MS") < 0)
		return -1;
	double bps, rtt_s;
	if (parse_bw(p, "LAN bandwidth", f[2], &bps) < 0 || parse_ms(p, "LAN RTT", f[3], &rtt_s) < 0)
		return -1;
	if (!strcmp(f[1], "*")) {
		if (p->star_lan_line)
			return ERR(p, "second `lan *` line (first on line %ld)", p->star_lan_line);
		p->star_lan_line = lineno(p);
		p->star_lan_bps = bps;
		p->star_lan_rtt_s = rtt_s;
		return 0;
	}
	int r = ref_region(p, "lan region", f[1]);
	if (r < 0)
		return -1;
	if (p->extra[r].lan_line)
		return ERR(p, "second `lan` line for region '%s' (first on line %ld)", f[1], p->extra[r].lan_line);
	p->extra[r].lan_line = lineno(p);
	p->t->regions[r].lan_bps = bps;
	p->t->regions[r].lan_rtt_s = rtt_s;
	return 0;
}

static struct pair_entry *push_pair(struct pair_entry **v, int *n, int *cap)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		*v = xreallocarray(*v, (size_t)*cap, sizeof **v);
	}
	return &(*v)[(*n)++];
}

static int pair_regions(struct parser *p, char **f, int *src, int *dst)
{
	if ((*src = ref_region(p, "source", f[1])) < 0 || (*dst = ref_region(p, "destination", f[2])) < 0)
		return -1;
	if (*src == *dst)
		return ERR(p, "`%s` from region '%s' to itself (the LAN is set with `lan`)", f[0], f[1]);
	return 0;
}

/* link SRC DST BPS RTT_MS */
static int do_link(struct parser *p, char **f, int nf)
{
	if (want_fields(p, f, nf, 5, "link SRC DST BITS/S RTT-MS") < 0)
		return -1;
	int src, dst;
	double bps, rtt_s;
	if (pair_regions(p, f, &src, &dst) < 0 || parse_bw(p, "link bandwidth", f[3], &bps) < 0 ||
	    parse_ms(p, "link RTT", f[4], &rtt_s) < 0)
		return -1;
	struct pair_entry *e = push_pair(&p->links, &p->nlinks, &p->links_cap);
	*e = (struct pair_entry){ .src = src, .dst = dst, .bps = bps, .value = rtt_s, .line = lineno(p) };
	return 0;
}

/* price SRC DST USD_PER_GB */
static int do_price(struct parser *p, char **f, int nf)
{
	if (want_fields(p, f, nf, 4, "price SRC DST USD-PER-GB") < 0)
		return -1;
	int src, dst;
	if (pair_regions(p, f, &src, &dst) < 0)
		return -1;
	double usd;
	if (parse_double(f[3], &usd) < 0 || usd < 0)
		return ERR(p, "bad price '%s': want USD per GB as a number >= 0", f[3]);
	struct pair_entry *e = push_pair(&p->prices, &p->nprices, &p->prices_cap);
	*e = (struct pair_entry){ .src = src, .dst = dst, .value = usd, .line = lineno(p) };
	return 0;
}

/* group NAME HUB MEMBER... */
static int do_group(struct parser *p, char **f, int nf)
{
	if (nf < 4)
		return ERR(p, "`group` line has %d fields, want at least 4: group NAME HUB MEMBER...", nf);
	if (nf > TOPO_MAX_FIELDS)
		return ERR(p, "`group` line has more than %d fields", TOPO_MAX_FIELDS);
	struct topology *t = p->t;
	if (!valid_name(f[1]))
		return ERR(p, "bad group name '%s': want 1-%d letters, digits, '-', '_', '.'", f[1], TOPO_NAME_MAX - 1);
	for (int g = 0; g < t->ngroups; g++)
		if (!strcmp(t->groups[g].name, f[1]))
			return ERR(p, "duplicate group '%s' (already declared on line %ld)", f[1], p->group_line[g]);
	int hub = ref_region(p, "hub", f[2]);
	if (hub < 0)
		return -1;
	int g = t->ngroups;
	int hub_member = 0;
	for (int k = 3; k < nf; k++) {
		int r = ref_region(p, "group member", f[k]);
		if (r < 0)
			return -1;
		if (t->regions[r].group == g)
			return ERR(p, "region '%s' listed twice in group '%s'", f[k], f[1]);
		if (t->regions[r].group >= 0)
			return ERR(p, "region '%s' already in group '%s' (line %ld); a region may be in one group only",
				   f[k], t->groups[t->regions[r].group].name, p->group_line[t->regions[r].group]);
		t->regions[r].group = g;
		hub_member |= r == hub;
	}
	if (!hub_member)
		return ERR(p, "hub '%s' is not a member of group '%s'", f[2], f[1]);
	if (g == p->groups_cap) {
		p->groups_cap = p->groups_cap ? 2 * p->groups_cap : 8;
		t->groups = xreallocarray(t->groups, (size_t)p->groups_cap, sizeof *t->groups);
		p->group_line = xreallocarray(p->group_line, (size_t)p->groups_cap, sizeof *p->group_line);
	}
	memset(&t->groups[g], 0, sizeof t->groups[g]);
	snprintf(t->groups[g].name, sizeof t->groups[g].name, "%s", f[1]);
	t->groups[g].hub = hub;
	p->group_line[g] = lineno(p);
	t->ngroups++;
	return 0;
}

/* Cut a trailing '#' comment and trailing blanks from line; returns line. */
static char *strip_comment(char *line)
{
	char *hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	size_t n = strlen(line);
	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		line[--n] = '\0';
	return line;
}

/* The city: the rest of the line after the first three fields, with blanks trimmed. */
static const char *rest_after_fields(const char *line, int skip)
{
	const char *s = line;
	for (int k = 0; k < skip; k++) {
		while (*s == ' ' || *s == '\t')
			s++;
		while (*s && *s != ' ' && *s != '\t')
			s++;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static int parse_line(struct parser *p, char *line)
{
	strip_comment(line);
	char city[TOPO_CITY_MAX + 1]; /* one byte more than fits, to detect a city too long */
	snprintf(city, sizeof city, "%s", rest_after_fields(line, 3));
	char *f[TOPO_MAX_FIELDS + 1];
	int nf = lineio_split_ws(line, f, TOPO_MAX_FIELDS + 1);
	if (nf == 0)
		return 0;
	if (nf > TOPO_MAX_FIELDS && strcmp(f[0], "region"))
		return ERR(p, "more than %d fields on one line", TOPO_MAX_FIELDS);
	if (!p->topology_line && strcmp(f[0], "topology"))
		return ERR(p, "'%s' before the `topology NAME` line (it must come first)", f[0]);
	if (!strcmp(f[0], "topology"))
		return do_topology(p, f, nf);
	if (!strcmp(f[0], "region"))
		return do_region(p, f, nf, city);
	if (!strcmp(f[0], "machines"))
		return do_machines(p, f, nf);
	if (!strcmp(f[0], "lan"))
		return do_lan(p, f, nf);
	if (!strcmp(f[0], "link"))
		return do_link(p, f, nf);
	if (!strcmp(f[0], "price"))
		return do_price(p, f, nf);
	if (!strcmp(f[0], "group"))
		return do_group(p, f, nf);
	return ERR(p, "unknown directive '%s' (want topology, region, machines, lan, link, price or group)", f[0]);
}

/* Fill machines / LAN from the `*` lines where a region has none of its own. */
static int resolve_regions(struct parser *p)
{
	struct topology *t = p->t;
	for (int i = 0; i < t->n; i++) {
		struct topo_region *r = &t->regions[i];
		long at = p->extra[i].decl_line;
		if (!p->extra[i].machines_line) {
			if (!p->star_machines_line)
				return diag_at(p->path, at, "region '%s' has no `machines` line (nor `machines *`)", r->name);
			r->machines = p->star_machines;
			r->nic_bps = p->star_nic_bps;
		}
		if (!p->extra[i].lan_line) {
			if (!p->star_lan_line)
				return diag_at(p->path, at, "region '%s' has no `lan` line (nor `lan *`)", r->name);
			r->lan_bps = p->star_lan_bps;
			r->lan_rtt_s = p->star_lan_rtt_s;
		}
		if (t->ngroups > 0 && r->group < 0)
			return diag_at(p->path, at, "region '%s' is in no group (when groups are given, every region needs one)",
				       r->name);
	}
	return 0;
}

/* Order of link entries: by source, destination, then line. */
static int cmp_pair(const void *a, const void *b)
{
	const struct pair_entry *x = a, *y = b;
	if (x->src != y->src)
		return x->src < y->src ? -1 : 1;
	if (x->dst != y->dst)
		return x->dst < y->dst ? -1 : 1;
	return (x->line > y->line) - (x->line < y->line);
}

/*
 * Check that every directed pair has exactly one link, in memory proportional to the links
 * read (not to n*n: a file of 60000 `region` lines and no links made the parser ask for
 * 28.8 GB and abort). Reports the same error as a scan in file order would: the duplicate
 * whose second line comes first, else the first missing pair in (source, destination) order.
 */
static int check_links(struct parser *p)
{
	struct topology *t = p->t;
	struct pair_entry *v = xmalloc((p->nlinks ? (size_t)p->nlinks : 1) * sizeof *v);
	if (p->nlinks)
		memcpy(v, p->links, (size_t)p->nlinks * sizeof *v);
	qsort(v, (size_t)p->nlinks, sizeof *v, cmp_pair);
	const struct pair_entry *dup = NULL; /* second line of the earliest duplicate */
	long dup_first = 0;                  /* ... and its first line */
	for (int k = 1; k < p->nlinks; k++)
		if (v[k].src == v[k - 1].src && v[k].dst == v[k - 1].dst &&
		    (k < 2 || v[k - 2].src != v[k].src || v[k - 2].dst != v[k].dst) &&
		    (!dup || v[k].line < dup->line)) {
			dup = &v[k];
			dup_first = v[k - 1].line;
		}
	int rc = 0;
	if (dup)
		rc = diag_at(p->path, dup->line, "duplicate link %s -> %s (first on line %ld)",
			     t->regions[dup->src].name, t->regions[dup->dst].name, dup_first);
	/* Without duplicates, the sorted links must be exactly (0,1), (0,2), ... (n-1,n-2). */
	int k = 0;
	for (int i = 0; i < t->n && rc == 0; i++)
		for (int j = 0; j < t->n && rc == 0; j++) {
			if (i == j)
				continue;
			if (k < p->nlinks && v[k].src == i && v[k].dst == j)
				k++;
			else
				rc = diag_at(p->path, p->extra[i].decl_line,
					     "no link from region '%s' to '%s' (every directed pair of distinct regions needs one `link` line)",
					     t->regions[i].name, t->regions[j].name);
		}
	free(v);
	return rc;
}

/* Place the checked links into the matrices (n*n is now at most links + n entries). */
static int resolve_links(struct parser *p)
{
	if (check_links(p) < 0)
		return -1;
	struct topology *t = p->t;
	size_t nn = (size_t)t->n * (size_t)t->n;
	t->bw_bps = xcalloc(nn, sizeof *t->bw_bps);
	t->rtt_s = xcalloc(nn, sizeof *t->rtt_s);
	for (int k = 0; k < p->nlinks; k++) {
		const struct pair_entry *e = &p->links[k];
		size_t ij = (size_t)e->src * (size_t)t->n + (size_t)e->dst;
		t->bw_bps[ij] = e->bps;
		t->rtt_s[ij] = e->value;
	}
	for (int i = 0; i < t->n; i++)
		t->rtt_s[(size_t)i * (size_t)t->n + (size_t)i] = t->regions[i].lan_rtt_s;
	return 0;
}

/* Place the collected prices: none at all means free transfer; otherwise every pair. */
static int resolve_prices(struct parser *p)
{
	struct topology *t = p->t;
	size_t nn = (size_t)t->n * (size_t)t->n;
	t->usd_per_gb = xcalloc(nn ? nn : 1, sizeof *t->usd_per_gb);
	if (p->nprices == 0)
		return 0;
	long *seen = xcalloc(nn ? nn : 1, sizeof *seen);
	int rc = 0;
	for (int k = 0; k < p->nprices && rc == 0; k++) {
		const struct pair_entry *e = &p->prices[k];
		size_t ij = (size_t)e->src * (size_t)t->n + (size_t)e->dst;
		if (seen[ij])
			rc = diag_at(p->path, e->line, "duplicate price %s -> %s (first on line %ld)",
				     t->regions[e->src].name, t->regions[e->dst].name, seen[ij]);
		seen[ij] = e->line;
		t->usd_per_gb[ij] = e->value;
	}
	for (int i = 0; i < t->n && rc == 0; i++)
		for (int j = 0; j < t->n && rc == 0; j++)
			if (i != j && !seen[(size_t)i * (size_t)t->n + (size_t)j])
				rc = diag_at(p->path, p->extra[i].decl_line,
					     "no price from region '%s' to '%s' (when any `price` line is given, every directed pair needs one)",
					     t->regions[i].name, t->regions[j].name);
	free(seen);
	return rc;
}

static int finish(struct parser *p)
{
	if (!p->topology_line)
		return diag_at(p->path, lineno(p) > 0 ? lineno(p) : 1,
			       "empty topology: no `topology NAME` line");
	if (p->t->n == 0)
		return diag_at(p->path, lineno(p), "topology '%s' declares no regions", p->t->name);
	if (resolve_regions(p) < 0 || resolve_links(p) < 0 || resolve_prices(p) < 0)
		return -1;
	return 0;
}

struct topology *topology_load_file(const char *path)
{
	struct parser p;
	memset(&p, 0, sizeof p);
	p.path = path;
	p.t = xcalloc(1, sizeof *p.t);
	p.t->path = xstrdup(path);
	int rc = -1;
	p.in = lineio_open(path);
	if (!p.in)
		goto done;
	char *line;
	int r;
	while ((r = lineio_next(p.in, &line)) == 1)
		if (parse_line(&p, line) < 0)
			goto done;
	if (r < 0 || finish(&p) < 0)
		goto done;
	lineio_sha256(p.in, p.t->sha256);
	rc = 0;
done:
	if (p.in)
		lineio_close(p.in);
	free(p.extra);
	free(p.links);
	free(p.prices);
	free(p.group_line);
	free(p.names);
	if (rc < 0) {
		topology_free(p.t);
		return NULL;
	}
	return p.t;
}

static int looks_like_path(const char *s)
{
	size_t n = strlen(s);
	return !strcmp(s, "-") || strchr(s, '/') || (n >= 5 && !strcmp(s + n - 5, ".topo"));
}

struct topology *topology_load(const char *name_or_path)
{
	if (looks_like_path(name_or_path))
		return topology_load_file(name_or_path);
	if (!valid_name(name_or_path)) {
		diag_error("bad topology name '%s' (a file path must contain '/' or end in .topo)", name_or_path);
		return NULL;
	}
	char searched[2048];
	char *path = datadir_find("GAIASIM_TOPODIR", "topology", "topology", name_or_path, ".topo",
	                          searched, sizeof searched);
	if (path) {
		struct topology *t = topology_load_file(path);
		free(path);
		return t;
	}
	diag_error("unknown topology '%s': no %s.topo in %s", name_or_path, name_or_path, searched);
	return NULL;
}

void topology_free(struct topology *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->path);
	free(t->regions);
	free(t->bw_bps);
	free(t->rtt_s);
	free(t->usd_per_gb);
	free(t->groups);
	free(t);
}

int topology_scale_wan(struct topology *t, double factor)
{
	size_t n = (size_t)t->n;
	if (!(factor > 0))
		return -1;
	for (size_t i = 0; i < n * n; i++)
		if (i / n != i % n && !(t->bw_bps[i] * factor > 0 && t->bw_bps[i] * factor <= TOPO_MAX_BPS))
			return -1;
	for (size_t i = 0; i < n * n; i++)
		if (i / n != i % n)
			t->bw_bps[i] *= factor;
	return 0;
}

double topology_one_way_s(const struct topology *t, int src, int dst)
{
	return t->rtt_s[(size_t)src * (size_t)t->n + (size_t)dst] / 2;
}

/* One matrix, rows = source, columns = destination, each value scaled by `scale`. */
static void print_matrix(const struct topology *t, FILE *out, const char *title, const double *m,
			 double scale, const char *fmt, int diag)
{
	fprintf(out, "\n%s (row = source, column = destination)\n%-11s", title, "");
	for (int j = 0; j < t->n; j++)
		fprintf(out, " %10.10s", t->regions[j].name);
	fputc('\n', out);
	for (int i = 0; i < t->n; i++) {
		fprintf(out, "%-11.11s", t->regions[i].name);
		for (int j = 0; j < t->n; j++) {
			if (i == j && !diag)
				fprintf(out, " %10s", "-");
			else
				fprintf(out, fmt, m[(size_t)i * (size_t)t->n + (size_t)j] * scale);
		}
		fputc('\n', out);
	}
}

void topology_print(const struct topology *t, FILE *out)
{
	fprintf(out, "topology %s: %d regions, %d hub groups\nfile %s\nsha256 %s\n\n", t->name, t->n,
		t->ngroups, t->path, t->sha256);
	fprintf(out, "%-11s %-15s %-22s %8s %12s %12s %12s  %s\n", "region", "code", "city", "machines",
		"NIC Mbit/s", "LAN Mbit/s", "LAN RTT ms", "group");
	for (int i = 0; i < t->n; i++) {
		const struct topo_region *r = &t->regions[i];
		const char *group = "-";
		char gbuf[TOPO_NAME_MAX + 8];
		if (r->group >= 0) {
			const struct topo_group *g = &t->groups[r->group];
			snprintf(gbuf, sizeof gbuf, "%s%s", g->name, g->hub == i ? " (hub)" : "");
			group = gbuf;
		}
		fprintf(out, "%-11s %-15s %-22s %8d %12.1f %12.1f %12.3f  %s\n", r->name, r->code, r->city,
			r->machines, r->nic_bps / 1e6, r->lan_bps / 1e6, r->lan_rtt_s * 1e3, group);
	}
	print_matrix(t, out, "WAN bandwidth, Mbit/s", t->bw_bps, 1e-6, " %10.1f", 0);
	print_matrix(t, out, "round-trip time, ms (diagonal = LAN RTT)", t->rtt_s, 1e3, " %10.3f", 1);
	print_matrix(t, out, "price, USD per GB sent (charged at the source)", t->usd_per_gb, 1, " %10.4f", 0);
}
