#!/usr/bin/env python3
"""Derive gaiasim's shipped topology files from the measured network data.

Usage: derive_topologies.py [DATA_DIR] [-o OUT_DIR]

DATA_DIR defaults to topology/derive/data (copies of the measured CSVs, with their sources, in
its README.md); OUT_DIR defaults to the repository's topology/.
Standard library only; the output is deterministic (same CSVs -> same bytes), and the
generated .topo files are committed so that building gaiasim never needs Python.

What each number is (see also docs/topology-format.md):

ec2-11, vc, ss
  RTT        cloudping.co P50 over one year (snapshot 2025-05), directed src->dst.
  bandwidth  what ONE default TCP connection gets: the DoiT iperf2 single-stream measurement
             (Feb 2022) of the directed pair, the mean when a pair was measured more than once.
             DoiT measured 88 of the 110 directed pairs; the other 22 are filled with the
             window-limited model throughput = W / RTT, where W is the least-squares fit through
             the origin of throughput on 1/RTT over the 88 measured pairs, using DoiT's own
             avg_rtt_ms (mean over repeats):  W = sum(b_i / r_i) / sum(1 / r_i^2).
             The fill uses the cloudping 2025 RTT of the missing pair.
  price      Skyplane's AWS transfer-cost grid (2023-04), USD per GB charged at the source.
  groups     Gaia's three hub groups (ec2-11 only; vc and ss are two-region and have none).
ec2-11-2017
  RTT        the April-2017 blog table (Gaia's era) where it has the pair. It has no Mumbai
             (ap-south-1) at all: every pair involving Mumbai uses the cloudping 2025 value.
             Its Sao Paulo FROM-row is missing: sa-east-1 -> X uses the published X -> sa-east-1
             value (the table is near-symmetric: |a->b - b->a| has median 0.05 ms, max 1.8 ms).
  bandwidth  W / RTT for every pair, with the same W fitted above (2017 had no single-stream
             grid; a window-limited TCP flow scales as 1/RTT).
  price      as ec2-11 (2023 grid; 2017 inter-region prices are not in the data).
  machines   the paper's setting: 22 machines, 2 per region (the repository's ec2-11 configs).
  NIC, LAN   the paper's per-machine LAN bandwidth L, derived from the paper's WAN/LAN contrast
             (shared/GAIA.md: WAN ~15x below LAN on average, ~60x for the worst pair,
             Singapore <-> Sao Paulo) and THESE 2017 WAN links: L_avg = 15 x mean(link bw over
             the 110 directed links), L_worst = 60 x bw(singapore<->saopaulo), and
             L = sqrt(L_avg x L_worst), the value whose log-errors against the two statements
             are equal and opposite (least squares in log space). NIC = L (one machine's port);
             the region's LAN resource (shared by its machines in the flow model) = 22 x L,
             the paper setting's 22 machines on one non-blocking switch (the `lan` reference
             places all 22 in one region). The file's comments print the computation and the
             ratios it implies.
vc-2017, ss-2017
  Gaia's two-region settings with the ec2-11-2017 derivation (2017 RTTs, W / RTT, the same L);
  22 machines, 11 per region.
ec2-11-64conn
  bandwidth  per-machine aggregate with 64 parallel TCP connections: the mean of Skyplane's
             Jan-2022 and Nov-2022 iperf3 grids, column throughput_received_mbps (what the
             receiver got; the sender-side figure also counts bytes still queued in socket
             buffers when the 5 s test stops, and is a median 1.4x higher in these grids).
  RTT, price, groups as ec2-11.

ec2-11, vc, ss, ec2-11-64conn: one machine per region with a 10 Gb/s NIC (the sync-model
configs set the real machine counts), LAN 10 Gb/s (today's instances). All files: LAN RTT
0.2 ms (see the LAN comment written into each file).
"""

import argparse
import csv
import os
import sys
import textwrap

# Gaia's DC order (shared/GAIA.md): short name, EC2 code, city.
REGIONS = [
    ("virginia", "us-east-1", "N. Virginia"),
    ("california", "us-west-1", "N. California"),
    ("oregon", "us-west-2", "Oregon"),
    ("ireland", "eu-west-1", "Ireland"),
    ("frankfurt", "eu-central-1", "Frankfurt"),
    ("tokyo", "ap-northeast-1", "Tokyo"),
    ("seoul", "ap-northeast-2", "Seoul"),
    ("singapore", "ap-southeast-1", "Singapore"),
    ("sydney", "ap-southeast-2", "Sydney"),
    ("mumbai", "ap-south-1", "Mumbai"),
    ("saopaulo", "sa-east-1", "Sao Paulo"),
]
CODE_OF = {name: code for name, code, _ in REGIONS}
NAME_OF = {code: name for name, code, _ in REGIONS}

# Gaia's hub groups (shared/GAIA.md "Overlay network and hubs"): name, hub, members.
GROUPS = [
    ("americas", "virginia", ["virginia", "california", "oregon", "saopaulo"]),
    ("asia", "tokyo", ["tokyo", "seoul", "singapore", "sydney"]),
    ("europe", "frankfurt", ["frankfurt", "ireland", "mumbai"]),
]

MACHINES = 1          # machines per region in the topology file (configs override)
NIC = "10G"           # NIC bits/s of each machine
LAN_BPS = "10G"       # LAN bits/s inside a region
LAN_RTT_MS = "0.2"    # LAN round-trip time, ms

# The paper's WAN/LAN contrast (shared/GAIA.md, "The problem"): LAN bandwidth per machine over
# WAN bandwidth, on average over region pairs and for the worst pair.
PAPER_LAN_OVER_WAN_AVG = 15.0
PAPER_LAN_OVER_WAN_WORST = 60.0
PAPER_WORST_PAIR = ("ap-southeast-1", "sa-east-1")   # Singapore <-> Sao Paulo
PAPER_MACHINES = 22   # the paper setting's machines (2 per region on 11 regions)

FILES = {
    "cloudping": "cloudping_p50_1y_rtt_2025-05.csv",
    "blog2017": "blog2017_aws_avg_latency_ms_2017-04.csv",
    "doit": "doit_aws_throughput_iperf2_1stream_2022-02.csv",
    "sky_jan": "skyplane_aws_throughput_iperf3_64conn_2022-01.csv",
    "sky_nov": "skyplane_aws_throughput_iperf3_64conn_2022-11.csv",
    "price": "aws_interregion_price_usd_per_gb_skyplane_2023-04.csv",
}


def read_csv(data_dir, key):
    """Return (source line without '# ', list of dict rows) of one data file."""
    path = os.path.join(data_dir, FILES[key])
    with open(path, newline="") as fp:
        first = fp.readline()
        if not first.startswith("#"):
            sys.exit(f"{path}:1: expected a '# source' line")
        rows = list(csv.DictReader(fp))
    return first[1:].strip(), rows


def read_matrix(data_dir, key):
    """A FROM-row / TO-column matrix CSV as {(src, dst): value or None}."""
    src_line, rows = read_csv(data_dir, key)
    m = {}
    for row in rows:
        src = row["src_region"]
        for dst, v in row.items():
            if dst == "src_region":
                continue
            m[(src, dst)] = float(v) if v.strip() else None
    return src_line, m


def fmt(x, digits):
    """Fixed decimals with trailing zeros trimmed: deterministic and short."""
    s = f"{x:.{digits}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def pairs(names):
    return [(a, b) for a in names for b in names if a != b]


class Data:
    """Everything read from the CSVs, keyed by EC2 codes."""

    def __init__(self, data_dir):
        self.src = {}
        self.src["cloudping"], self.cloudping = read_matrix(data_dir, "cloudping")
        self.src["blog2017"], self.blog2017 = read_matrix(data_dir, "blog2017")
        self.src["doit"], doit_rows = read_csv(data_dir, "doit")
        self.doit = {}  # (src, dst) -> list of (mbps, rtt_ms)
        for r in doit_rows:
            key = (r["src_region"], r["dst_region"])
            self.doit.setdefault(key, []).append((float(r["throughput_mbps"]), float(r["avg_rtt_ms"])))
        self.sky = {}
        for k in ("sky_jan", "sky_nov"):
            self.src[k], rows = read_csv(data_dir, k)
            grid = {}
            for r in rows:
                if r["success"] != "True":
                    continue
                grid[(r["src_region"], r["dst_region"])] = float(r["throughput_received_mbps"])
            self.sky[k] = grid
        self.src["price"], rows = read_csv(data_dir, "price")
        self.price = {(r["src_region"], r["dst_region"]): r["usd_per_gb"] for r in rows}
        self.W_bits = self.fit_window()

    def doit_mean(self, key):
        runs = self.doit[key]
        return (sum(m for m, _ in runs) / len(runs), sum(r for _, r in runs) / len(runs))

    def fit_window(self):
        """Least squares of b = W / r through the origin over the measured pairs (bits)."""
        num = den = 0.0
        codes = [c for _, c, _ in REGIONS]
        for key in pairs(codes):
            if key not in self.doit:
                continue
            mbps, rtt_ms = self.doit_mean(key)
            b, x = mbps * 1e6, 1.0 / (rtt_ms / 1e3)
            num += b * x
            den += x * x
        return num / den

    def single_stream(self, key, rtt_ms):
        """(Mbit/s, comment) of one default TCP connection for an EC2-code pair."""
        if key in self.doit:
            runs = self.doit[key]
            mbps, _ = self.doit_mean(key)
            if len(runs) == 1:
                return mbps, "bw: doit"
            each = ", ".join(fmt(m, 3) for m, _ in runs)
            return mbps, f"bw: doit mean of {len(runs)} runs ({each})"
        return self.fit(rtt_ms), "bw: fit W/rtt"

    def fit(self, rtt_ms):
        return self.W_bits / (rtt_ms / 1e3) / 1e6


def header(out, name, title, data, sources, notes):
    out.append(f"# {name}: {title}")
    out.append("# Generated by topology/derive/derive_topologies.py from shared/data/network (do not edit;")
    out.append("# re-run the script). Format: docs/topology-format.md. Units: link bits/s (SI suffix")
    out.append("# M = 1e6), RTT ms, price USD per GB (1e9 bytes) charged at the source region.")
    out.append("#")
    out.append("# Sources (each CSV's own source line):")
    for tag in sources:
        out.append(f"#   [{tag}] {FILES[tag]}:")
        for line in textwrap.wrap(data.src[tag], 92, break_on_hyphens=False, break_long_words=False):
            out.append(f"#       {line}")
    out.append("#")
    for line in notes:
        out.append(f"# {line}" if line else "#")
    out.append("")
    out.append(f"topology {name}")
    out.append("")


def regions_block(out, names, data, paper=None):
    """Regions, machines and LAN. paper: None (today's figures) or (machines, lan notes, L)."""
    out.append("# Regions in Gaia's DC order (shared/GAIA.md): short name, EC2 code, city.")
    for name, code, city in REGIONS:
        if name in names:
            out.append(f"region {name:<10} {code:<14} {city}")
    out.append("")
    cp = data.cloudping
    intra = [f"{c} {fmt(cp[(c, c)], 2)}" for n, c, _ in REGIONS if n in names]
    if paper is None:
        out.append(f"# One machine per region with a {NIC}b/s NIC: a neutral default (an m5-class instance's")
        out.append("# 'up to 10 Gigabit'); the sync-model configs set the real machine counts.")
        out.append(f"machines * {MACHINES} {NIC}")
        out.append("")
        out.append(f"# LAN: {LAN_BPS}b/s and {LAN_RTT_MS} ms RTT, a sub-millisecond data-center LAN (no better-sourced")
        out.append("# figure in the data). The [cloudping] same-region medians (ms) are RTTs across")
        out.append("# availability zones, an upper bound for machines in one zone:")
        lan_bps = LAN_BPS
    else:
        machines, notes, lan_mbps = paper
        for line in notes:
            out.append(f"# {line}" if line else "#")
        out.append(f"machines * {machines} {fmt(lan_mbps, 3)}M")
        out.append("")
        out.append(f"# LAN: {PAPER_MACHINES} x L = {fmt(PAPER_MACHINES * lan_mbps, 3)} Mb/s shared by the region's machines (the")
        out.append(f"# flow model's LAN is one resource per region): the paper setting's {PAPER_MACHINES} machines on one")
        out.append("# non-blocking switch, as the `lan` reference places them all in one region. A region")
        out.append(f"# with fewer machines shares the same aggregate, so one flow there may exceed L (the")
        out.append("# model has no per-machine cap on LAN traffic: docs/network-model.md).")
        out.append(f"# RTT: {LAN_RTT_MS} ms, a sub-millisecond data-center LAN.")
        out.append("# The [cloudping] same-region medians (ms) are RTTs across availability zones, an")
        out.append("# upper bound for machines in one zone:")
        lan_bps = fmt(PAPER_MACHINES * lan_mbps, 3) + "M"
    for k in range(0, len(intra), 4):
        out.append("#   " + ", ".join(intra[k:k + 4]))
    out.append(f"lan * {lan_bps} {LAN_RTT_MS}")
    out.append("")


def links_block(out, names, link_of):
    out.append("# Directed WAN links: src dst bandwidth(bits/s) RTT(ms); trailing comment = source.")
    rows = []
    for a, b in pairs(names):
        mbps, rtt_ms, comment = link_of(CODE_OF[a], CODE_OF[b])
        rows.append((f"link {a:<10} {b:<10} {fmt(mbps, 3) + 'M':>10} {fmt(rtt_ms, 6):>9}", comment))
    for text, comment in rows:
        out.append(f"{text}  # {comment}")
    out.append("")


def prices_block(out, names, data):
    out.append("# Price per GB sent src -> dst, USD, charged at the source [price].")
    for a, b in pairs(names):
        out.append(f"price {a:<10} {b:<10} {data.price[(CODE_OF[a], CODE_OF[b])]}")
    out.append("")


def groups_block(out):
    out.append("# Gaia's hub groups (shared/GAIA.md, 'Overlay network and hubs'): name hub members...")
    for g, hub, members in GROUPS:
        out.append(f"group {g} {hub} {' '.join(members)}")
    out.append("")


def fit_notes(data):
    n = sum(1 for k in pairs([c for _, c, _ in REGIONS]) if k in data.doit)
    return [
        f"W/RTT fit: W = {data.W_bits / 8:.0f} bytes ({data.W_bits / 8 / 2**20:.3f} MiB), the least-squares fit",
        f"through the origin of DoiT throughput on 1/RTT over the {n} measured directed pairs",
        "(repeated runs of a pair averaged; RTT = DoiT's own avg_rtt_ms): W = sum(b/r) / sum(1/r^2).",
        "A window-limited TCP connection gets W / RTT.",
    ]


def ec2_like(data, names, name, title, notes_extra):
    cp = data.cloudping

    def link_of(a, b):
        rtt = cp[(a, b)]
        mbps, comment = data.single_stream((a, b), rtt)
        return mbps, rtt, comment + "; rtt: cloudping"

    out = []
    notes = [
        "Bandwidth = what ONE default TCP connection gets: [doit] single-stream iperf2 Mbit/s,",
        "the mean when a pair was measured twice. Pairs DoiT did not measure are filled with",
        "W / RTT(cloudping) (marked 'fit W/rtt'). RTT = [cloudping] P50 over one year.",
    ] + fit_notes(data) + notes_extra
    header(out, name, title, data, ["cloudping", "doit", "price"], notes)
    regions_block(out, names, data)
    links_block(out, names, link_of)
    prices_block(out, names, data)
    return out


def ec2_11(data):
    names = [n for n, _, _ in REGIONS]
    out = ec2_like(data, names, "ec2-11", "Gaia's 11 EC2 regions, one TCP connection per link", [])
    groups_block(out)
    return out


def two_region(data, a, b, name, title):
    return ec2_like(data, [a, b], name, title, [
        "",
        "Same derivation as ec2-11 (same W, fitted over all measured pairs). Two regions, so",
        "no hub groups.",
    ])


def link_2017(data):
    """link_of for the Gaia-era topologies: 2017 RTT where known, bandwidth W / RTT."""
    blog, cp = data.blog2017, data.cloudping

    def rtt_2017(a, b):
        if (a, b) in blog and blog[(a, b)] is not None:
            return blog[(a, b)], "rtt: blog2017"
        if (b, a) in blog and blog[(b, a)] is not None and a == "sa-east-1":
            return blog[(b, a)], "rtt: blog2017 transposed (sa-east-1 row missing)"
        return cp[(a, b)], "rtt: cloudping 2025 (not in the 2017 table)"

    def link_of(a, b):
        rtt, comment = rtt_2017(a, b)
        return data.fit(rtt), rtt, "bw: fit W/rtt; " + comment

    return link_of


def paper_lan(data):
    """(L Mb/s, comment lines): the per-machine LAN implied by the paper's contrast."""
    link_of = link_2017(data)
    codes = [c for _, c, _ in REGIONS]
    bws = [link_of(a, b)[0] for a, b in pairs(codes)]
    mean = sum(bws) / len(bws)
    a, b = PAPER_WORST_PAIR
    worst = (link_of(a, b)[0] + link_of(b, a)[0]) / 2
    lan_avg = PAPER_LAN_OVER_WAN_AVG * mean
    lan_worst = PAPER_LAN_OVER_WAN_WORST * worst
    lan = (lan_avg * lan_worst) ** 0.5
    r_avg, r_worst = lan / mean, lan / worst
    notes = [
        "Machines and NIC: the paper's setting (docs/paper-regime.md). L = the per-machine LAN",
        "bandwidth implied by the paper's WAN/LAN contrast (shared/GAIA.md: WAN ~15x below LAN",
        "on average, ~60x for the worst pair, Singapore <-> Sao Paulo) and the 2017 links of",
        f"ec2-11-2017 (below): mean over the {len(bws)} directed links {fmt(mean, 3)} Mb/s, worst pair",
        f"{fmt(worst, 3)} Mb/s (singapore<->saopaulo, the least of all links, as in the paper).",
        f"  from 15x the mean:  L_avg   = 15 x {fmt(mean, 3)} = {fmt(lan_avg, 3)} Mb/s",
        f"  from 60x the worst: L_worst = 60 x {fmt(worst, 3)} = {fmt(lan_worst, 3)} Mb/s",
        f"  L = sqrt(L_avg x L_worst) = {fmt(lan, 3)} Mb/s (equal log-errors against both statements)",
        f"  implied: L / mean = {r_avg:.2f}x ({100 * (r_avg / 15 - 1):+.1f}% against 15x),"
        f" L / worst = {r_worst:.2f}x ({100 * (r_worst / 60 - 1):+.1f}% against 60x)",
        f"NIC = L per machine; {PAPER_MACHINES} machines in the setting (the configs set machines).",
    ]
    return lan, notes


def gaia_era(data, names, name, title, machines, groups):
    """A 2017 topology over names, with the paper's machines, NIC and LAN."""
    lan, lan_notes = paper_lan(data)
    out = []
    notes = [
        "Gaia-era (April 2017) RTTs where known, with bandwidth = W / RTT for every pair.",
        "RTT = [blog2017] average latency FROM row TO column. That table has no Mumbai",
        "(ap-south-1): all pairs involving mumbai use the [cloudping] 2025 value. Its Sao Paulo",
        "FROM-row is missing: saopaulo -> X uses the published X -> saopaulo value (the table is",
        "near-symmetric). Each link says which applies.",
    ] + fit_notes(data) + [
        "Prices: the 2023 [price] grid (2017 prices are not in the data).",
    ]
    header(out, name, title, data, ["blog2017", "cloudping", "doit", "price"], notes)
    regions_block(out, names, data, (machines, lan_notes, lan))
    links_block(out, names, link_2017(data))
    prices_block(out, names, data)
    if groups:
        groups_block(out)
    return out


def ec2_11_2017(data):
    names = [n for n, _, _ in REGIONS]
    return gaia_era(data, names, "ec2-11-2017",
                    "Gaia's 11 EC2 regions with April-2017 RTTs and the paper's LAN",
                    PAPER_MACHINES // len(names), True)


def ec2_11_64conn(data):
    names = [n for n, _, _ in REGIONS]
    cp = data.cloudping
    jan, nov = data.sky["sky_jan"], data.sky["sky_nov"]

    def link_of(a, b):
        j, n = jan[(a, b)], nov[(a, b)]
        return (j + n) / 2, cp[(a, b)], f"bw: mean(jan {fmt(j, 1)}, nov {fmt(n, 1)}); rtt: cloudping"

    out = []
    notes = [
        "Bandwidth = per-machine aggregate with 64 parallel TCP connections (m5.8xlarge, iperf3,",
        "5 s): the mean of the [sky_jan] and [sky_nov] grids, column throughput_received_mbps",
        "(what arrives at the receiver; the sender-side column also counts bytes still queued",
        "when the test stops; a median 1.4x higher). Capped near AWS's 5 Gb/s per-instance",
        "limit for traffic leaving a region.",
        "RTT = [cloudping] P50 over one year.",
    ]
    header(out, "ec2-11-64conn", "Gaia's 11 EC2 regions, 64 TCP connections per machine", data,
           ["cloudping", "sky_jan", "sky_nov", "price"], notes)
    regions_block(out, names, data)
    links_block(out, names, link_of)
    prices_block(out, names, data)
    groups_block(out)
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data_dir", nargs="?", default=os.path.join(repo, "topology", "derive", "data"))
    ap.add_argument("-o", "--out", default=os.path.join(repo, "topology"))
    args = ap.parse_args()
    data = Data(args.data_dir)
    outputs = {
        "ec2-11": ec2_11(data),
        "ec2-11-2017": ec2_11_2017(data),
        "ec2-11-64conn": ec2_11_64conn(data),
        "vc": two_region(data, "virginia", "california", "vc",
                         "Virginia-California (Gaia's V/C WAN, a close, fast pair)"),
        "ss": two_region(data, "singapore", "saopaulo", "ss",
                         "Singapore-Sao Paulo (Gaia's S/S WAN, the slowest pair)"),
        "vc-2017": gaia_era(data, ["virginia", "california"], "vc-2017",
                            "Virginia-California (V/C WAN) with April-2017 RTTs and the paper's LAN",
                            PAPER_MACHINES // 2, False),
        "ss-2017": gaia_era(data, ["singapore", "saopaulo"], "ss-2017",
                            "Singapore-Sao Paulo (S/S WAN) with April-2017 RTTs and the paper's LAN",
                            PAPER_MACHINES // 2, False),
    }
    for name, lines in outputs.items():
        while lines and lines[-1] == "":
            lines.pop()
        path = os.path.join(args.out, name + ".topo")
        with open(path, "w", newline="\n") as fp:
            fp.write("\n".join(lines) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
