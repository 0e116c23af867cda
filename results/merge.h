/*
 * Merging results databases: copy every complete run of one or more input databases, with all
 * of its rows in every table, into an open store, in ONE transaction. The tables and their
 * columns are discovered from the output's schema (sqlite_master, PRAGMA table_info), so a
 * table added to results/schema.sql is merged without a change here; a run's rows are those
 * whose `run_id` column holds its id, and run_ids are renumbered by the output.
 *
 * A run's identity is (kind, label, config_text, seed, program_version, topology_sha256,
 * trace_sha256): two runs equal in all of them are the same run (results/schema.sql makes
 * every other column but started_at_utc, wall_s and run_id a function of these), so a run
 * whose identity is already in the output, or in an earlier input of the same merge, is
 * refused. docs/results-schema.md documents the rules.
 */
#ifndef GAIA_MERGE_H
#define GAIA_MERGE_H

struct store;

struct merge_stats {
	int runs_copied;      /* runs added to the output */
	int runs_skipped;     /* incomplete runs (status 'running') left out, each with a note */
	long long rows_copied; /* rows added to the output, over all tables, runs included */
};

/*
 * Check that path is an existing gaiasim results database of this program's schema version,
 * readable and not corrupt (PRAGMA quick_check). 0, or -1 with a message naming the file.
 */
int merge_check_input(const char *path);

/*
 * Copy the complete runs of inputs[0..n-1] into out (whose file is out_path, for messages and
 * to refuse merging a file into itself). Everything is refused, and nothing written, when an
 * input fails merge_check_input(), a run is already present (same identity), or an input
 * holds rows the output has no place for. Returns 0 and fills *stats, or -1 with a message.
 */
int merge_runs(struct store *out, const char *out_path, const char *const *inputs, int n,
               struct merge_stats *stats);

#endif
