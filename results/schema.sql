-- gaiasim results store: the SQLite schema. This file is the schema's documentation too.
--
-- The build compiles this text into the program (results/local.am turns it into a C string),
-- and store_open() (results/store.c) applies it to every database it opens, so this file is
-- never read at run time. docs/results-schema.md has an overview and example queries.
--
-- Conventions
--   * Every quantity carries its unit in its column name: _s seconds, _bytes bytes, _bps bits
--     per second, _usd US dollars, _sha256 a 64-character lowercase hex SHA-256 digest,
--     _utc an ISO-8601 UTC timestamp. Counts are named after what they count (messages,
--     episodes, values_pushed, filter_sent, clock); dimensionless values say so in their
--     comment, and a share_* column says what it divides by what.
--   * Times ending in _s are simulated time, seconds since the run's start, unless the
--     column comment says wall-clock.
--   * Regions are named by their short topology name (e.g. 'virginia'); a directed pair is
--     (src_region, dst_region).
--   * Byte counts are REAL: the fluid network model moves fractional bytes.
--   * Every measurement table references runs(run_id) with ON DELETE CASCADE, so
--     `DELETE FROM runs WHERE run_id = N` removes a run with all its rows (the store turns
--     PRAGMA foreign_keys on for its own connection; other clients must do so themselves).
--   * started_at_utc is the only column whose value depends on when the run was made: two
--     runs of the same configuration, seed, program version, topology and trace write
--     identical rows everywhere else.
--
-- Atomicity: the store writes a run and all its rows in ONE transaction (BEGIN IMMEDIATE in
-- store_run_begin, COMMIT in store_run_commit). A run that fails, is aborted, or whose
-- process dies before the commit leaves no row in any table. A committed run therefore
-- always has status 'complete'; 'running' is only ever visible inside the writing
-- transaction itself.
--
-- Versioning: PRAGMA user_version holds the schema version below. store_open() refuses a
-- database whose version differs (newer or older: there are no migrations; use a new file)
-- and one with version 0 that already holds tables (not a gaiasim results database).
-- Any change to a table here must bump this number.

PRAGMA user_version = 7;

-- One row per run.
CREATE TABLE IF NOT EXISTS runs (
	run_id INTEGER PRIMARY KEY AUTOINCREMENT,  -- run identifier, > 0; never reused, even after a run is deleted
	kind TEXT NOT NULL                         -- what made the run: 'net' (gaiasim net), 'run' (one training run), 'compare' (one run of a comparison), 'emu' (one training run emulated in real time over sockets: gaiasim emu run; times are emulated seconds)
		CHECK (kind IN ('net', 'run', 'compare', 'emu')),
	label TEXT,                                -- free text chosen by the runner (e.g. the sync model name); NULL if none
	started_at_utc TEXT NOT NULL,              -- wall-clock start, 'YYYY-MM-DDTHH:MM:SSZ' (UTC); the only nondeterministic column
	program_version TEXT NOT NULL,             -- program that wrote the run, e.g. 'gaiasim 0.1.0'
	seed INTEGER NOT NULL,                     -- run seed (a uint64 stored as its two's-complement int64: seeds >= 2^63 read back negative)
	config_text TEXT NOT NULL,                 -- the full effective configuration as text (every key, defaults included)
	topology_name TEXT NOT NULL                -- topology name (its `topology` line)
		CHECK (topology_name <> ''),
	topology_sha256 TEXT NOT NULL              -- SHA-256 of the topology file's bytes, 64 lowercase hex digits
		CHECK (length(topology_sha256) = 64 AND topology_sha256 NOT GLOB '*[^0-9a-f]*'),
	trace_name TEXT,                           -- bandwidth trace name; NULL when the run used no trace
	trace_sha256 TEXT                          -- SHA-256 of the trace file's bytes, 64 lowercase hex digits; NULL exactly when trace_name is
		CHECK (trace_sha256 IS NULL OR (length(trace_sha256) = 64 AND trace_sha256 NOT GLOB '*[^0-9a-f]*')),
	sim_end_s REAL                             -- simulated time at which the run ended, s; NULL only while status = 'running'
		CHECK (sim_end_s IS NULL OR sim_end_s >= 0),
	wall_s REAL                                -- wall-clock time the run took, s; NULL only while status = 'running'
		CHECK (wall_s IS NULL OR wall_s >= 0),
	status TEXT NOT NULL DEFAULT 'running'     -- 'running' inside the writing transaction, 'complete' once committed
		CHECK (status IN ('running', 'complete')),
	comparison_id INTEGER,                     -- the comparison (comparisons.comparison_id) this run is part of; NULL for a run not made by `gaiasim compare` (not a foreign key: `gaiasim merge` copies runs, not comparisons, so in a merged file it names the source file's comparison)
	CHECK ((trace_name IS NULL) = (trace_sha256 IS NULL)),
	CHECK (status = 'running' OR (sim_end_s IS NOT NULL AND wall_s IS NOT NULL))
);

-- One row per `gaiasim compare` invocation written to this database (its runs point here by
-- runs.comparison_id). The row is committed before the first model runs, so a comparison
-- that was interrupted (signal, crash) stays 'running' with fewer complete runs than models,
-- and one whose run failed is 'failed'; `gaiasim compare ... --resume` continues the latest
-- unfinished comparison of the same models and configuration.
CREATE TABLE IF NOT EXISTS comparisons (
	comparison_id INTEGER PRIMARY KEY AUTOINCREMENT, -- comparison identifier, > 0
	started_at_utc TEXT NOT NULL,              -- wall-clock start, 'YYYY-MM-DDTHH:MM:SSZ' (UTC)
	models TEXT NOT NULL                       -- the --sync list as given, e.g. 'bsp,gaia,lan'
		CHECK (models <> ''),
	config_text TEXT NOT NULL,                 -- the effective configuration (what runs.config_text holds, without sync_effective)
	target_objective REAL,                     -- the common target of its runs (given or derived from the LAN run); NULL: none
	status TEXT NOT NULL DEFAULT 'running'     -- 'running' (under way, or interrupted), 'complete' (every model's run stored), 'failed' (a run failed)
		CHECK (status IN ('running', 'complete', 'failed'))
);

-- One row per simulated transfer (gaiasim net): a message of size_bytes sent src -> dst.
CREATE TABLE IF NOT EXISTS transfers (
	run_id INTEGER NOT NULL                    -- the run (runs.run_id)
		REFERENCES runs (run_id) ON DELETE CASCADE,
	transfer_id INTEGER NOT NULL,              -- the transfer's id within the run (as given in the input list)
	src_region TEXT NOT NULL                   -- sending region
		CHECK (src_region <> ''),
	dst_region TEXT NOT NULL                   -- receiving region (equal to src_region: a transfer over the LAN)
		CHECK (dst_region <> ''),
	size_bytes REAL NOT NULL                   -- bytes transferred
		CHECK (size_bytes >= 0),
	start_s REAL NOT NULL                      -- simulated time the sender started the transfer, s
		CHECK (start_s >= 0),
	first_byte_s REAL NOT NULL                 -- simulated time the first byte arrived at the receiver, s
		CHECK (first_byte_s >= start_s),
	finish_s REAL NOT NULL                     -- simulated time the last byte arrived at the receiver, s
		CHECK (finish_s >= first_byte_s),
	PRIMARY KEY (run_id, transfer_id)
) WITHOUT ROWID;

-- Bytes carried by each directed link over time: one row per link and time interval
-- [t0_s, t1_s). The intervals of one link do not overlap; intervals in which a link carried
-- nothing may be omitted. Summing carried_bytes over a link's rows gives its total.
CREATE TABLE IF NOT EXISTS link_bytes (
	run_id INTEGER NOT NULL                    -- the run (runs.run_id)
		REFERENCES runs (run_id) ON DELETE CASCADE,
	src_region TEXT NOT NULL                   -- link source region
		CHECK (src_region <> ''),
	dst_region TEXT NOT NULL                   -- link destination region (equal to src_region: the region's LAN)
		CHECK (dst_region <> ''),
	t0_s REAL NOT NULL                         -- interval start, simulated time, s (inclusive)
		CHECK (t0_s >= 0),
	t1_s REAL NOT NULL                         -- interval end, simulated time, s (exclusive)
		CHECK (t1_s > t0_s),
	carried_bytes REAL NOT NULL                -- bytes the link carried during [t0_s, t1_s)
		CHECK (carried_bytes >= 0),
	PRIMARY KEY (run_id, src_region, dst_region, t0_s)
) WITHOUT ROWID;

-- Training progress: one row per region and clock, the model as seen by that region's
-- parameter server once the region's workers finished the clock. Runners with a single
-- global model (no per-region replicas) write it under the region name 'global'.
CREATE TABLE IF NOT EXISTS clocks (
	run_id INTEGER NOT NULL                    -- the run (runs.run_id)
		REFERENCES runs (run_id) ON DELETE CASCADE,
	region TEXT NOT NULL                       -- region whose model was evaluated, or 'global'
		CHECK (region <> ''),
	clock INTEGER NOT NULL                     -- clocks (iterations) completed, >= 0 (0: the initial model)
		CHECK (clock >= 0),
	sim_time_s REAL NOT NULL                   -- simulated time at which the clock completed in that region, s
		CHECK (sim_time_s >= 0),
	objective REAL,                            -- training objective (loss) of that model, dimensionless; lower is better; NULL when it was not a number (the run diverged: summary.end_status = 'diverged')
	metric REAL,                               -- the workload's reported metric of that model (named in summary.metric_name, e.g. RMSE); NULL when not a number
	test_metric REAL,                          -- held-out metric of that model (named in summary.test_metric_name, e.g. test RMSE); NULL when the workload has none
	PRIMARY KEY (run_id, region, clock)
) WITHOUT ROWID;

-- Time workers spent blocked, per worker and cause, summed over the run. A row exists only
-- for causes that blocked the worker at least once.
CREATE TABLE IF NOT EXISTS blocked (
	run_id INTEGER NOT NULL                    -- the run (runs.run_id)
		REFERENCES runs (run_id) ON DELETE CASCADE,
	worker INTEGER NOT NULL                    -- worker index within the run, 0-based over all regions
		CHECK (worker >= 0),
	region TEXT NOT NULL                       -- the worker's region
		CHECK (region <> ''),
	reason TEXT NOT NULL                       -- why it waited, a wait reason named by the sync models (ps/ps.h ps_wait_names): today 'bsp_barrier' (BSP end-of-clock barrier), 'ssp_bound' (SSP staleness bound), 'mirror_clock' (waiting for other regions' mirror clock), 'selective_barrier' (Gaia's selective barrier)
		CHECK (reason <> ''),
	blocked_s REAL NOT NULL                    -- total simulated time blocked for this reason, s
		CHECK (blocked_s >= 0),
	episodes INTEGER NOT NULL                  -- number of times the worker blocked for this reason
		CHECK (episodes >= 1),
	PRIMARY KEY (run_id, worker, reason)
) WITHOUT ROWID;

-- WAN traffic per directed region pair and message kind, summed over the run.
CREATE TABLE IF NOT EXISTS wan_bytes (
	run_id INTEGER NOT NULL                    -- the run (runs.run_id)
		REFERENCES runs (run_id) ON DELETE CASCADE,
	src_region TEXT NOT NULL                   -- sending region
		CHECK (src_region <> ''),
	dst_region TEXT NOT NULL                   -- receiving region (always a different region: this is WAN traffic)
		CHECK (dst_region <> '' AND dst_region <> src_region),
	kind TEXT NOT NULL                         -- message kind as named by the sync model, e.g. 'update', 'clock', 'barrier', 'model'
		CHECK (kind <> ''),
	sent_bytes REAL NOT NULL                   -- bytes the network model carried for these messages (payload plus modelled headers)
		CHECK (sent_bytes >= 0),
	messages INTEGER NOT NULL                  -- number of messages
		CHECK (messages >= 0),
	PRIMARY KEY (run_id, src_region, dst_region, kind)
) WITHOUT ROWID;

-- Gaia's significance filter: nonzero single-clock updates entering a region's filters
-- (updates_produced) vs. accumulated updates its parameter servers sent to other regions
-- (updates_sent), per clock. One update is one parameter value.
-- Per clock updates_sent may exceed updates_produced: an accumulated update made of earlier,
-- individually insignificant updates can become significant later.
CREATE TABLE IF NOT EXISTS filter_updates (
	run_id INTEGER NOT NULL                    -- the run (runs.run_id)
		REFERENCES runs (run_id) ON DELETE CASCADE,
	region TEXT NOT NULL                       -- region whose parameter server filtered
		CHECK (region <> ''),
	clock INTEGER NOT NULL                     -- clock during which the updates were produced and sent
		CHECK (clock >= 0),
	updates_produced INTEGER NOT NULL          -- parameter values updated by the region's workers in this clock
		CHECK (updates_produced >= 0),
	updates_sent INTEGER NOT NULL              -- parameter values the region sent over the WAN in this clock (to any region, counted once)
		CHECK (updates_sent >= 0),
	threshold REAL,                            -- significance threshold in force for this clock (|update / value| above it is significant), dimensionless; NULL if unknown
	PRIMARY KEY (run_id, region, clock)
) WITHOUT ROWID;

-- The paper's significance statistic as a per-clock distribution: for each clock and region,
-- the nonzero single-clock parameter updates (a shard's workers' pushes of the clock summed,
-- one per parameter) and how many change their parameter by less than `level` of its value
-- before the update. Counted by every shard at its clock boundary, for every sync model that
-- sums a clock's pushes (not async); region is that of the shard's machine (lan: the first
-- region). A parameter whose value is 0 is below no level. Levels: 0.0001, 0.0005, 0.001,
-- 0.005, 0.01, 0.05, 0.1 (ps/sigfilter.h).
CREATE TABLE IF NOT EXISTS significance (
	run_id INTEGER NOT NULL                    -- the run (runs.run_id)
		REFERENCES runs (run_id) ON DELETE CASCADE,
	region TEXT NOT NULL                       -- region of the shards that counted
		CHECK (region <> ''),
	clock INTEGER NOT NULL                     -- clock whose updates these are
		CHECK (clock >= 0),
	level REAL NOT NULL                        -- |update / value| bound, a fraction (0.01 = 1%)
		CHECK (level > 0),
	updates_below INTEGER NOT NULL             -- updates with |update / value| < level
		CHECK (updates_below >= 0 AND updates_below <= updates),
	updates INTEGER NOT NULL                   -- nonzero single-clock parameter updates of the region in the clock
		CHECK (updates >= 0),
	PRIMARY KEY (run_id, region, clock, level)
) WITHOUT ROWID;

-- One summary row per training run: the numbers a comparison plots.
CREATE TABLE IF NOT EXISTS summary (
	run_id INTEGER PRIMARY KEY                 -- the run (runs.run_id)
		REFERENCES runs (run_id) ON DELETE CASCADE,
	sync_model TEXT NOT NULL                   -- synchronization model, e.g. 'bsp', 'ssp', 'gaia', 'lan'
		CHECK (sync_model <> ''),
	workload TEXT NOT NULL                     -- workload name, e.g. 'mf'
		CHECK (workload <> ''),
	metric_name TEXT NOT NULL                  -- name of the metric in clocks.metric and final_metric, e.g. 'rmse'
		CHECK (metric_name <> ''),
	target_objective REAL,                     -- objective value counted as converged, dimensionless; NULL when the run had no target
	time_to_target_s REAL                      -- simulated time at which the objective first reached target_objective, s; NULL if never
		CHECK (time_to_target_s IS NULL OR (time_to_target_s >= 0 AND target_objective IS NOT NULL)),
	-- reached_target: 1 if the target was reached, else 0 (derived from time_to_target_s)
	reached_target INTEGER GENERATED ALWAYS AS (time_to_target_s IS NOT NULL) VIRTUAL,
	clocks_completed INTEGER NOT NULL          -- clocks completed by every worker by the end of the run
		CHECK (clocks_completed >= 0),
	final_objective REAL,                      -- objective of the final model, dimensionless; NULL when not a number (a diverged run)
	final_metric REAL,                         -- metric of the final model (named by metric_name); NULL when not a number
	wan_bytes REAL NOT NULL                    -- total bytes sent between different regions
		CHECK (wan_bytes >= 0),
	lan_bytes REAL NOT NULL                    -- total bytes sent within regions
		CHECK (lan_bytes >= 0),
	values_pushed INTEGER NOT NULL             -- parameter values workers pushed to shards over the run (rows x values per row, per PUSH), every model
		CHECK (values_pushed >= 0),
	values_pushed_wan INTEGER NOT NULL         -- of values_pushed, those pushed to a shard in another region (the baseline; 0 under gaia and lan)
		CHECK (values_pushed_wan >= 0 AND values_pushed_wan <= values_pushed),
	-- share_pushed_wan: values_pushed_wan / values_pushed, a fraction in [0, 1]; NULL when
	-- nothing was pushed (derived)
	share_pushed_wan REAL GENERATED ALWAYS AS
		(CASE WHEN values_pushed > 0 THEN CAST(values_pushed_wan AS REAL) / values_pushed END) VIRTUAL,
	filter_produced INTEGER                    -- Gaia: nonzero single-clock updates entering the significance filters (one per parameter, clock and region), over the run; NULL for models without the filter
		CHECK (filter_produced IS NULL OR filter_produced >= 0),
	filter_sent INTEGER                        -- Gaia: accumulated updates the filters sent to other regions (one per parameter and batch, not per destination), over the run; NULL exactly when filter_produced is
		CHECK ((filter_sent IS NULL) = (filter_produced IS NULL) AND (filter_sent IS NULL OR filter_sent >= 0)),
	-- share_filter_sent: filter_sent / filter_produced, a fraction, normally in [0, 1] (an
	-- accumulated update can go after several clocks' single updates); NULL without the filter
	-- or when nothing was produced (derived)
	share_filter_sent REAL GENERATED ALWAYS AS
		(CASE WHEN filter_produced > 0 THEN CAST(filter_sent AS REAL) / filter_produced END) VIRTUAL,
	sig_updates INTEGER NOT NULL               -- nonzero single-clock parameter updates counted for the significance statistic over the run (table significance; 0 for async, which applies pushes on receipt)
		CHECK (sig_updates >= 0),
	sig_below_1pct INTEGER NOT NULL            -- of sig_updates, those with |update / value| < 1% (the paper's statistic)
		CHECK (sig_below_1pct >= 0 AND sig_below_1pct <= sig_updates),
	-- share_below_1pct: sig_below_1pct / sig_updates, a fraction in [0, 1], the paper's ">95% of
	-- updates change a parameter by <1%"; NULL when nothing was counted (derived)
	share_below_1pct REAL GENERATED ALWAYS AS
		(CASE WHEN sig_updates > 0 THEN CAST(sig_below_1pct AS REAL) / sig_updates END) VIRTUAL,
	cost_machine_usd REAL NOT NULL             -- cost of the machines for the run's duration, USD
		CHECK (cost_machine_usd >= 0),
	cost_transfer_usd REAL NOT NULL            -- cost of the WAN data transfer, USD
		CHECK (cost_transfer_usd >= 0),
	-- cost_total_usd: cost_machine_usd + cost_transfer_usd, USD (derived)
	cost_total_usd REAL GENERATED ALWAYS AS (cost_machine_usd + cost_transfer_usd) VIRTUAL,
	test_metric_name TEXT                      -- name of the held-out metric in clocks.test_metric and final_test_metric (e.g. 'test_rmse'); NULL when the workload has none
		CHECK (test_metric_name IS NULL OR test_metric_name <> ''),
	final_test_metric REAL                     -- held-out metric of the final model (mean over replicas); NULL when test_metric_name is, or when it was not a number (a diverged run)
		CHECK (final_test_metric IS NULL OR test_metric_name IS NOT NULL),
	end_status TEXT NOT NULL DEFAULT 'completed' -- how the run ended: 'completed' (every clock ran), 'target_reached', 'time_limit' (stop.time_s), 'diverged' (a non-finite objective stopped it), 'stalled' (no event could make progress, e.g. a link down for good); gaiasim exits 1 after storing a diverged or stalled run
		CHECK (end_status IN ('completed', 'target_reached', 'time_limit', 'diverged', 'stalled')),
	CHECK (end_status = 'diverged' OR (final_objective IS NOT NULL AND final_metric IS NOT NULL)),
	CHECK (end_status <> 'target_reached' OR time_to_target_s IS NOT NULL)
);

-- ------------------------------------------------------------------------------------------
-- Views read by `gaiasim plot` (cli/cmd_plot.c, plot/*.gp, docs/plots.md). Each figure reads
-- exactly one view (plus the topology and trace files the runs name). Views hold no data, so
-- adding one does not change any table (and does not bump user_version); `gaiasim plot`
-- recreates them as TEMP views when it reads a database written before they existed.
-- A run's "label" below is runs.label, or the sync model (or the run kind) when it has none.

-- One row per run: its inputs, for the topology and trace-replay figures.
CREATE VIEW IF NOT EXISTS plot_runs AS
SELECT r.run_id, r.kind,
       coalesce(r.label, s.sync_model, r.kind) AS label,
       s.sync_model, s.workload,
       r.topology_name, r.topology_sha256, r.trace_name, r.trace_sha256, r.sim_end_s
FROM runs r LEFT JOIN summary s USING (run_id);

-- Convergence: one row per training run and clock. A run with per-region models (Gaia) has
-- one clocks row per region: objective_mean is their mean, objective_min/max the spread,
-- sim_time_s the mean time at which the regions completed the clock; a run with one global
-- model has n_regions = 1 and min = mean = max. target_objective is summary's (NULL: none);
-- trace_name is the run's (runs with different traces are different settings).
CREATE VIEW IF NOT EXISTS plot_convergence AS
SELECT c.run_id, coalesce(r.label, s.sync_model) AS label, s.sync_model, s.workload,
       r.topology_name, c.clock,
       avg(c.sim_time_s) AS sim_time_s,
       avg(c.objective) AS objective_mean,
       min(c.objective) AS objective_min,
       max(c.objective) AS objective_max,
       avg(c.metric) AS metric_mean,
       s.metric_name, s.target_objective, r.trace_name,
       count(*) AS n_regions
FROM clocks c JOIN runs r USING (run_id) JOIN summary s USING (run_id)
GROUP BY c.run_id, c.clock;

-- Time to target, normalized to the baseline: a training run's time_to_target_s divided by
-- that of the BSP run (sync_model 'bsp') of the same workload, topology and target objective
-- (the latest such run when there are several). normalized_time is NULL when either run did
-- not reach the target or no baseline run exists.
CREATE VIEW IF NOT EXISTS plot_time_to_target AS
SELECT s.run_id, coalesce(r.label, s.sync_model) AS label, s.sync_model, s.workload,
       r.topology_name, s.target_objective, s.time_to_target_s,
       b.time_to_target_s AS baseline_time_to_target_s,
       s.time_to_target_s / b.time_to_target_s AS normalized_time
FROM summary s JOIN runs r USING (run_id)
LEFT JOIN summary b ON b.run_id = (
	SELECT max(s2.run_id) FROM summary s2 JOIN runs r2 USING (run_id)
	WHERE s2.sync_model = 'bsp' AND s2.workload = s.workload
	  AND r2.topology_name = r.topology_name AND s2.target_objective IS s.target_objective);

-- WAN traffic per training run and message kind, summed over the directed pairs.
CREATE VIEW IF NOT EXISTS plot_wan_by_kind AS
SELECT w.run_id, coalesce(r.label, s.sync_model, r.kind) AS label, w.kind,
       sum(w.sent_bytes) AS sent_bytes, sum(w.messages) AS messages
FROM wan_bytes w JOIN runs r USING (run_id) LEFT JOIN summary s USING (run_id)
GROUP BY w.run_id, w.kind;

-- WAN traffic per run and directed region pair, summed over the message kinds.
CREATE VIEW IF NOT EXISTS plot_wan_by_pair AS
SELECT w.run_id, coalesce(r.label, s.sync_model, r.kind) AS label, r.topology_name,
       w.src_region, w.dst_region, sum(w.sent_bytes) AS sent_bytes
FROM wan_bytes w JOIN runs r USING (run_id) LEFT JOIN summary s USING (run_id)
GROUP BY w.run_id, w.src_region, w.dst_region;

-- Cost per training run, USD: machine time and inter-region transfer.
CREATE VIEW IF NOT EXISTS plot_cost AS
SELECT s.run_id, coalesce(r.label, s.sync_model) AS label, s.sync_model, s.workload,
       r.topology_name, s.cost_machine_usd, s.cost_transfer_usd, s.cost_total_usd
FROM summary s JOIN runs r USING (run_id);

-- The significance filter per run and clock, summed over regions: share_sent is
-- updates_sent / updates_produced (a fraction; NULL when nothing was produced).
CREATE VIEW IF NOT EXISTS plot_filter_share AS
SELECT f.run_id, coalesce(r.label, s.sync_model, r.kind) AS label, f.clock,
       sum(f.updates_produced) AS updates_produced, sum(f.updates_sent) AS updates_sent,
       CASE WHEN sum(f.updates_produced) > 0
            THEN CAST(sum(f.updates_sent) AS REAL) / sum(f.updates_produced) END AS share_sent
FROM filter_updates f JOIN runs r USING (run_id) LEFT JOIN summary s USING (run_id)
GROUP BY f.run_id, f.clock;

-- The significance distribution per run and level, summed over regions and clocks:
-- share_below is updates_below / updates (a fraction; NULL when nothing was counted).
CREATE VIEW IF NOT EXISTS plot_significance AS
SELECT g.run_id, coalesce(r.label, s.sync_model, r.kind) AS label, s.sync_model, g.level,
       sum(g.updates_below) AS updates_below, sum(g.updates) AS updates,
       CASE WHEN sum(g.updates) > 0
            THEN CAST(sum(g.updates_below) AS REAL) / sum(g.updates) END AS share_below
FROM significance g JOIN runs r USING (run_id) LEFT JOIN summary s USING (run_id)
GROUP BY g.run_id, g.level;

-- Throughput of each directed link per time interval (gaiasim net runs), bits/s.
CREATE VIEW IF NOT EXISTS plot_link_rate AS
SELECT l.run_id, l.src_region, l.dst_region, l.t0_s, l.t1_s,
       8 * l.carried_bytes / (l.t1_s - l.t0_s) AS rate_bps
FROM link_bytes l;

-- Sensitivity sweeps. A training run's parameters, parsed from its stored configuration
-- (runs.config_text, `key = value` lines; the value is the text after "key = " up to the end
-- of the line): threshold = gaia.threshold, schedule = gaia.schedule, bw_scale = net.bw_scale
-- (1 when the line is absent: the key is recorded only when given), gaia_slack = gaia.slack,
-- ssp_slack = S of the sync model ssp:S (NULL for other models). setting_KEY is the
-- configuration with the `sync`, `sync_effective` and KEY lines removed: two runs with the
-- same setting_KEY differ at most in KEY and in their sync model, so runs sharing it are one
-- sweep of KEY (the slack setting removes gaia.slack, so gaia.slack and ssp:S sweeps of one
-- configuration share it).
CREATE VIEW IF NOT EXISTS plot_sweep_params AS
SELECT run_id, label, sync_model, workload, topology_name, target_objective, time_to_target_s,
       final_objective, final_test_metric, test_metric_name,
       CAST(v_threshold AS REAL) AS threshold, v_schedule AS schedule,
       coalesce(CAST(v_bw AS REAL), 1.0) AS bw_scale,
       CAST(v_slack AS INTEGER) AS gaia_slack,
       CASE WHEN sync_model LIKE 'ssp:%' THEN CAST(substr(sync_model, 5) AS INTEGER) END AS ssp_slack,
       coalesce(replace(base, char(10) || 'gaia.threshold = ' || v_threshold || char(10), char(10)), base)
           AS setting_threshold,
       coalesce(replace(base, char(10) || 'net.bw_scale = ' || v_bw || char(10), char(10)), base)
           AS setting_bandwidth,
       coalesce(replace(base, char(10) || 'gaia.slack = ' || v_slack || char(10), char(10)), base)
           AS setting_slack
FROM (SELECT *, coalesce(replace(coalesce(replace(t, char(10) || 'sync_effective = ' || v_eff || char(10),
                                                  char(10)), t),
                                 char(10) || 'sync = ' || v_sync || char(10), char(10)),
                         coalesce(replace(t, char(10) || 'sync_effective = ' || v_eff || char(10), char(10)), t))
                AS base
      FROM (SELECT *, substr(t, p_threshold, instr(substr(t, p_threshold), char(10)) - 1) AS v_threshold,
                   substr(t, p_schedule, instr(substr(t, p_schedule), char(10)) - 1) AS v_schedule,
                   substr(t, p_bw, instr(substr(t, p_bw), char(10)) - 1) AS v_bw,
                   substr(t, p_slack, instr(substr(t, p_slack), char(10)) - 1) AS v_slack,
                   substr(t, p_sync, instr(substr(t, p_sync), char(10)) - 1) AS v_sync,
                   substr(t, p_eff, instr(substr(t, p_eff), char(10)) - 1) AS v_eff
            FROM (SELECT *, nullif(instr(t, char(10) || 'gaia.threshold = '), 0) + 18 AS p_threshold,
                         nullif(instr(t, char(10) || 'gaia.schedule = '), 0) + 17 AS p_schedule,
                         nullif(instr(t, char(10) || 'net.bw_scale = '), 0) + 16 AS p_bw,
                         nullif(instr(t, char(10) || 'gaia.slack = '), 0) + 14 AS p_slack,
                         nullif(instr(t, char(10) || 'sync = '), 0) + 8 AS p_sync,
                         nullif(instr(t, char(10) || 'sync_effective = '), 0) + 18 AS p_eff
                  FROM (SELECT s.run_id, coalesce(r.label, s.sync_model) AS label, s.sync_model,
                               s.workload, r.topology_name, s.target_objective, s.time_to_target_s,
                               s.final_objective, s.final_test_metric, s.test_metric_name,
                               char(10) || r.config_text || char(10) AS t
                        FROM summary s JOIN runs r USING (run_id)))));

-- The sweeps the sensitivity figures draw, one row per (sweep, training run):
--   sweep 'threshold': gaia and lan runs, x = threshold (a fraction), setting = setting_threshold;
--   sweep 'bandwidth': bsp, gaia and lan runs, x = bw_scale, setting = setting_bandwidth;
--   sweep 'slack': gaia, bsp and lan runs with x = gaia_slack, and ssp:S runs (series 'ssp')
--     with x = S, setting = setting_slack.
-- series is the sync model ('ssp' for every ssp:S). swept is 1 for the series whose x is the
-- swept parameter (threshold: gaia; bandwidth: all; slack: gaia and ssp); lan (and bsp under
-- threshold and slack) do not read it and are references. A sweep is a (sweep, setting) in
-- which one swept series has at least two distinct x.
CREATE VIEW IF NOT EXISTS plot_sweep AS
SELECT 'threshold' AS sweep, run_id, label, sync_model AS series, sync_model = 'gaia' AS swept,
       workload, topology_name, setting_threshold AS setting, threshold AS x, target_objective,
       time_to_target_s, final_objective, final_test_metric, test_metric_name
FROM plot_sweep_params WHERE sync_model IN ('gaia', 'lan') AND threshold IS NOT NULL
UNION ALL
SELECT 'bandwidth', run_id, label, sync_model, 1, workload, topology_name, setting_bandwidth,
       bw_scale, target_objective, time_to_target_s, final_objective, final_test_metric,
       test_metric_name
FROM plot_sweep_params WHERE sync_model IN ('bsp', 'gaia', 'lan')
UNION ALL
SELECT 'slack', run_id, label, CASE WHEN ssp_slack IS NULL THEN sync_model ELSE 'ssp' END,
       sync_model = 'gaia' OR ssp_slack IS NOT NULL, workload, topology_name, setting_slack,
       coalesce(ssp_slack, gaia_slack), target_objective, time_to_target_s, final_objective,
       final_test_metric, test_metric_name
FROM plot_sweep_params
WHERE ssp_slack IS NOT NULL OR (sync_model IN ('gaia', 'bsp', 'lan') AND gaia_slack IS NOT NULL);

-- Emulated runs beside their simulated twins (the emulated-vs-simulated figure). An emulated
-- run (kind 'emu', gaiasim emu run / emu collect) and a simulated training run (kind 'run' or
-- 'compare') form a pair when they are the same experiment:
--   * the same seed;
--   * the same topology file (topology_name and topology_sha256) and the same trace file
--     (trace_sha256, both NULL without a trace);
--   * the same configuration apart from emulation-only keys: runs.config_text split into
--     lines, every line that starts with 'emu.' (e.g. emu.compute) and every empty line
--     dropped, gives the same set of lines for both runs (each key has one line, so equal
--     sets mean equal configurations; the order of the lines does not matter).
-- An emulated run has one row per simulated run it pairs with (none: it has no row).
-- rel_diff_X = emulated / simulated - 1 (a fraction; NULL when either value is NULL or the
-- simulated one is 0): X = end_time (runs.sim_end_s; emulated seconds against simulated),
-- final_objective, wan_bytes (summary.wan_bytes) and time_to_target (summary).
CREATE VIEW IF NOT EXISTS plot_emu_pairs AS
WITH RECURSIVE cfg_lines(run_id, line, rest) AS (
	SELECT run_id, NULL, config_text || char(10) FROM runs WHERE kind IN ('emu', 'run', 'compare')
	UNION ALL
	SELECT run_id, substr(rest, 1, instr(rest, char(10)) - 1), substr(rest, instr(rest, char(10)) + 1)
	FROM cfg_lines WHERE rest <> ''
),
kept(run_id, line) AS (
	SELECT run_id, line FROM cfg_lines WHERE line <> '' AND substr(line, 1, 4) <> 'emu.'
),
pairs(emu_run_id, sim_run_id) AS (
	SELECT e.run_id, s.run_id FROM runs e JOIN runs s
	  ON s.kind IN ('run', 'compare') AND s.seed = e.seed AND s.topology_name = e.topology_name
	 AND s.topology_sha256 = e.topology_sha256 AND s.trace_sha256 IS e.trace_sha256
	WHERE e.kind = 'emu'
	  AND NOT EXISTS (SELECT line FROM kept WHERE run_id = e.run_id
	                  EXCEPT SELECT line FROM kept WHERE run_id = s.run_id)
	  AND NOT EXISTS (SELECT line FROM kept WHERE run_id = s.run_id
	                  EXCEPT SELECT line FROM kept WHERE run_id = e.run_id)
)
SELECT p.emu_run_id, p.sim_run_id,
       coalesce(re.label, se.sync_model) AS emu_label, coalesce(rs.label, ss.sync_model) AS sim_label,
       rs.kind AS sim_kind, ss.sync_model, ss.workload, rs.topology_name, rs.trace_name, rs.seed,
       re.sim_end_s AS emu_end_s, rs.sim_end_s AS sim_end_s,
       re.sim_end_s / nullif(rs.sim_end_s, 0) - 1 AS rel_diff_end_time,
       se.final_objective AS emu_final_objective, ss.final_objective AS sim_final_objective,
       se.final_objective / nullif(ss.final_objective, 0) - 1 AS rel_diff_final_objective,
       se.wan_bytes AS emu_wan_bytes, ss.wan_bytes AS sim_wan_bytes,
       se.wan_bytes / nullif(ss.wan_bytes, 0) - 1 AS rel_diff_wan_bytes,
       se.time_to_target_s AS emu_time_to_target_s, ss.time_to_target_s AS sim_time_to_target_s,
       se.time_to_target_s / nullif(ss.time_to_target_s, 0) - 1 AS rel_diff_time_to_target
FROM pairs p
JOIN runs re ON re.run_id = p.emu_run_id JOIN summary se ON se.run_id = p.emu_run_id
JOIN runs rs ON rs.run_id = p.sim_run_id JOIN summary ss ON ss.run_id = p.sim_run_id;

-- The paper-style summary table (`gaiasim summary`, cli/cmd_summary.c): one row per setting,
-- i.e. workload, topology, trace (NULL: none) and target objective (NULL: none), of the
-- training runs under the baseline (sync_model 'bsp'), Gaia ('gaia') and LAN ('lan'); the
-- latest run (largest run_id) of each model when a setting has several. A *_run_id is NULL
-- when the setting has no run of that model. Times are summary.time_to_target_s (NULL: not
-- reached); gaia_speedup is bsp_time_s / gaia_time_s, gaia_lan_ratio gaia_time_s /
-- lan_time_s (NULL unless both reached the target); *_test_metric the held-out metric of the
-- final model, named by test_metric_name (NULL when the workload has none); *_wan_bytes the
-- run's WAN bytes.
CREATE VIEW IF NOT EXISTS summary_table AS
WITH latest AS (
	SELECT s.workload, r.topology_name, r.trace_name, s.target_objective, s.sync_model,
	       max(s.run_id) AS run_id
	FROM summary s JOIN runs r USING (run_id)
	WHERE s.sync_model IN ('bsp', 'gaia', 'lan')
	GROUP BY s.workload, r.topology_name, r.trace_name, s.target_objective, s.sync_model),
settings AS (
	SELECT DISTINCT workload, topology_name, trace_name, target_objective FROM latest),
cells AS (
	SELECT g.workload, g.topology_name, g.trace_name, g.target_objective,
	       (SELECT run_id FROM latest l WHERE l.workload = g.workload
	          AND l.topology_name = g.topology_name AND l.trace_name IS g.trace_name
	          AND l.target_objective IS g.target_objective AND l.sync_model = 'bsp') AS bsp_run_id,
	       (SELECT run_id FROM latest l WHERE l.workload = g.workload
	          AND l.topology_name = g.topology_name AND l.trace_name IS g.trace_name
	          AND l.target_objective IS g.target_objective AND l.sync_model = 'gaia') AS gaia_run_id,
	       (SELECT run_id FROM latest l WHERE l.workload = g.workload
	          AND l.topology_name = g.topology_name AND l.trace_name IS g.trace_name
	          AND l.target_objective IS g.target_objective AND l.sync_model = 'lan') AS lan_run_id
	FROM settings g)
SELECT c.workload, c.topology_name, c.trace_name, c.target_objective,
       coalesce(b.test_metric_name, a.test_metric_name, l.test_metric_name) AS test_metric_name,
       c.bsp_run_id, c.gaia_run_id, c.lan_run_id,
       b.time_to_target_s AS bsp_time_s, a.time_to_target_s AS gaia_time_s,
       l.time_to_target_s AS lan_time_s,
       b.time_to_target_s / a.time_to_target_s AS gaia_speedup,
       a.time_to_target_s / l.time_to_target_s AS gaia_lan_ratio,
       b.final_test_metric AS bsp_test_metric, a.final_test_metric AS gaia_test_metric,
       l.final_test_metric AS lan_test_metric,
       b.wan_bytes AS bsp_wan_bytes, a.wan_bytes AS gaia_wan_bytes, l.wan_bytes AS lan_wan_bytes
FROM cells c
LEFT JOIN summary b ON b.run_id = c.bsp_run_id
LEFT JOIN summary a ON a.run_id = c.gaia_run_id
LEFT JOIN summary l ON l.run_id = c.lan_run_id;
