#!/bin/sh
# Mutation check (docs/testing.md): apply each source mutation below, one at a time, to a copy
# of the tree, rebuild, run the tests that should notice it, and count the mutants killed (a
# test failed) and the survivors (every test passed: a gap in the tests). Not part of
# `make check` (it rebuilds ~30 times); run it by hand:
#
#   sh tests/mutation.sh [SRCDIR]        (default: the tree this script is in)
#
# Each mutant is FILE@sed expression@tests to run (make check TESTS=...)@description.
# A sed expression that fails or changes nothing, or a mutant that does not compile, is
# reported as an error and not scored (update the list when the source moves on).
# Prints one line per mutant, the survivors, and `mutation score: K/N killed`.

SRC=$(cd "${1:-$(dirname "$0")/..}" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gaiasim-mutation.XXXXXX") || exit 99
trap 'rm -rf "$WORK"' EXIT
trap 'exit 1' INT TERM HUP
J=${JOBS:-2}

H='tests/cli_hard.sh'
R='tests/cli_report.sh'
RUN='tests/cli_run.sh'
MUTANTS=$(cat <<'LIST'
cli/cmd_run.c@s/fmt_ratio(sp, sizeof sp, t_bsp, r->time_to_target_s)/fmt_ratio(sp, sizeof sp, r->time_to_target_s, t_bsp)/@R@reporting: speedup_vs_bsp inverted
cli/cmd_run.c@s/target = obj\[tn - 1\] + (1 - frac) \* (obj\[0\] - obj\[tn - 1\])/target = obj[0] + (1 - frac) * (obj[tn - 1] - obj[0])/@R@reporting: compare's target from the wrong end of the LAN trajectory
cli/run.c@s|bytes / 1e9 \* s->topo->usd_per_gb|bytes * 8 / 1e9 * s->topo->usd_per_gb|@R@reporting: WAN cost per Gbit instead of per GB
cli/run.c@s|(double)st->updates_pushed_wan / (double)st->updates_pushed|(double)st->updates_pushed_wan / (double)st->updates_pushed / 2|@R@reporting: share of updates halved
ps/observer.c@s|o->target_time = e->time;|o->target_time = o->evals[o->nevals - o->cfg.nreplicas].time;|@R@observer: target time of the first replica, not the last
ps/sync_gaia.c@s|sigfilter_significant(a\[k\], x\[k\], thr)|sigfilter_significant(a[k], x[k] - (p->apply == GAIA_APPLY_IMMEDIATE ? a[k] : 0), thr)|@tests/test_sigfilter tests/test_sync R@filter: relative change against the pre-update value
ps/observer.c@s|t->count == o->cfg.nreplicas \&\&|t->count >= 1 \&\&|@R@observer: target when the first replica reaches it
ps/observer.c@s|if (isnan(v)) /\* a NaN|if (0) /* a NaN|@H@observer: a NaN objective can reach the target
ps/observer.c@s|if (isfinite(e->objective) \|\| o->diverged_clock >= 0)|if (1)|@H@observer: divergence not detected
ps/ps.c@s|if (ns >= 0 \&\& ns < (double)(SIMTIME_HORIZON - t))|if (1)|@H@engine: no check of the simulated-time horizon
ps/ps.c@s|w->clock >= ps->cfg.max_clocks|w->clock > ps->cfg.max_clocks|@H RUN@engine: one clock too many
ps/ps.c@s|if (ps->error \|\| ps->obs.ops->stopping|if (ps->obs.ops->stopping|@H@engine: workers go on after a fatal error
cli/run.c@s|if (!p->finished)|if (0)|@H@status: a stalled run reported as completed
cli/run.c@s|return st == RUN_DIVERGED \|\| st == RUN_STALLED;|return st == RUN_DIVERGED;|@H@status: stalled exits 0
cli/run.c@s|if (res->clocks < s->max_clocks)|if (0)|@H@status: time_limit reported as completed
cli/run.c@s|if (!s->wl \|\| check_memory(cfg, s) < 0)|if (!s->wl)|@H@sizes: no parameter-server memory estimate
lib/memlimit.c@s|if (need <= gb)|if (need <= 1e30)|@H@sizes: the limit ignored
results/store.c@s|return isnan(v) ? sqlite3_bind_null(st, i) : sqlite3_bind_double(st, i, v);|return sqlite3_bind_double(st, i, v);|@H tests/test_store@store: NaN not stored as NULL
results/store.c@s|sum->end_status ? sum->end_status : "completed"|"completed"|@H@store: end status not stored
cli/compare_db.c@s|comparison_has_run(d->st, d->id, model, \&run_id) != 1|comparison_has_run(d->st, d->id, model, \&run_id) != 2|@H@resume: nothing skipped
cli/cmd_run.c@s|compare_db_close(\&cdb, "failed");|compare_db_close(\&cdb, "complete");|@H@compare: a failed comparison marked complete
sim/netrun.c@s|if (delta < 1 \&\& !(last \&\& delta > 0)) {|if (delta < 1 \&\& !(last \&\& delta > 0)) { s->last_bits[l] += delta;|@H tests/test_net@net: sub-bit residue dropped
sim/netrun.c@s|sim_time_t next = all_idle(s) ? sim_next_time(sim) : now;|sim_time_t next = now;|@H@net: idle bins not skipped (a hang until the test's guard)
sim/sim.c@s|sim_time_t at = delay > SIMTIME_NEVER - sim->now ? SIMTIME_NEVER : sim->now + delay;|sim_time_t at = sim->now + delay / 2;|@tests/test_sim tests/test_net@simulator: delays halved
ps/sync_ps.c@s|s->clock >= r->clock - p->staleness|s->clock >= r->clock - p->staleness - 1|@tests/test_sync tests/test_cluster RUN@flow: SSP bound one clock looser
ps/sigfilter.c@s|return f->p.v / sqrt((double)t + 1);|return f->p.v / ((double)t + 1);|@tests/test_sigfilter@filter: v/t instead of v/sqrt(t)
ps/sigfilter.h@s|if (x == 0)$|if (x == 0 \&\& 0)|@tests/test_sigfilter tests/test_sync@filter: a zero parameter not always significant
ps/observer.c@s|o->pushes_delivered == o->pushes_sent|1|@tests/test_cluster tests/test_sync RUN@observer: finish before the last pushes arrive
cli/run.c@s|res->lan_bytes += bytes;|res->wan_bytes += bytes;|@RUN R@reporting: LAN bytes counted as WAN
ps/observer.c@s|o->stats.updates_pushed_wan += m->entries \* o->row_len;|o->stats.updates_pushed_wan += m->entries;|@R@observer: WAN share counts rows, not values
LIST
)

echo "mutation: copying $SRC and building once" >&2
mkdir -p "$WORK/src" "$WORK/build"
(cd "$SRC" && git ls-files -z | xargs -0 tar cf - ) | (cd "$WORK/src" && tar xf -) || exit 99
(cd "$WORK/src" && autoreconf -fi >/dev/null 2>&1) || exit 99
(cd "$WORK/build" && "$WORK/src/configure" -q >/dev/null && make -j"$J" >/dev/null 2>&1) || {
	echo "mutation: the unmutated tree does not build" >&2
	exit 99
}
total=0
killed=0
errors=0
survivors=""
IFS_SAVE=$IFS
echo "$MUTANTS" | while IFS='@' read -r file expr tests desc; do
	[ -n "$file" ] || continue
	IFS=$IFS_SAVE
	t=""
	for x in $tests; do
		case $x in
		H) t="$t $H" ;;
		R) t="$t $R" ;;
		RUN) t="$t $RUN" ;;
		*) t="$t $x" ;;
		esac
	done
	f="$WORK/src/$file"
	cp "$f" "$f.orig"
	if ! sed -e "$expr" "$f.orig" >"$f" || cmp -s "$f" "$f.orig"; then
		echo "ERROR  $file: $desc (the expression failed or matched nothing)"
		echo error >>"$WORK/tally"
	elif ! (cd "$WORK/build" && make -j"$J" >/dev/null 2>&1); then
		echo "ERROR  $file: $desc (the mutant does not compile)"
		echo error >>"$WORK/tally"
	elif (cd "$WORK/build" && make -j"$J" check TESTS="$t" >/dev/null 2>&1); then
		echo "SURVIVED $file: $desc [$t ]"
		echo "survived $file: $desc" >>"$WORK/tally"
	else
		echo "KILLED $file: $desc"
		echo killed >>"$WORK/tally"
	fi
	cp "$f.orig" "$f"
	touch "$f"
done
total=$(grep -c . "$WORK/tally")
killed=$(grep -c '^killed' "$WORK/tally")
errors=$(grep -c '^error' "$WORK/tally")
echo "survivors:"
grep '^survived' "$WORK/tally" | sed 's/^survived /  /'
echo "mutation score: $killed/$((total - errors)) killed ($errors not applied or not compiled)"
[ "$errors" = 0 ] && [ "$killed" = "$((total - errors))" ]
