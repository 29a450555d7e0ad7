#!/usr/bin/env bash
# Batch benchmark: categorize a 1M-row table
#   (a) with one plain UPDATE t SET category_id = categorize.categorize(t),
#   (b) with CALL categorize.batch and categorize.max_workers = 1,
#   (c) the same with categorize.max_workers = 2,
# each on a freshly loaded, vacuumed and checkpointed copy of the same rows
# (no free space, same layout, same WAL position relative to the last
# checkpoint), and prints the three times and the ratios.  Not part of the
# test suite.
#
# Usage: bash test/bench/batch_bench.sh [rows] [runs]   (as root; uses a
# private install and a scratch cluster on port $BENCH_PORT, default 55491)
#
# Settings, the same for all three kinds of run (printed at the start):
# shared_buffers 256MB, max_wal_size 4GB and checkpoint_timeout 30min (no
# checkpoint inside a run: each run starts right after a CHECKPOINT),
# autovacuum off (it would vacuum source_rows or the previous run's table
# during a timed run; every table is vacuumed by hand before it is timed),
# fsync, synchronous_commit and wal_buffers at their defaults,
# categorize.batch_chunk_rows 20000.
#
# Timing.  "wall" is from the start of the statement (UPDATE, or CALL) to
# the end of the job (categorize.wait).  The machine may be shared: other
# runnable processes take CPU time from the run, and more so from two
# workers than from one (the scheduler shares the CPUs between process
# groups, and a second worker of ours competes with everybody else's
# processes, not only with the first).  So each run also samples
# /proc/PID/schedstat of the processes doing the work (the backend running
# the UPDATE, or the batch workers) every 0.1 s and prints
#   cpu     on-CPU time of those processes, summed,
#   rqwait  time they were runnable but waiting for a CPU (mean per process),
#   net     wall - rqwait: the time the run would have taken had the work
#           never waited for a CPU (an estimate; the last 0.1 s of a worker
#           may be missed by the sampling).
# The summary gives best and median of the runs, for wall and for net, and
# the load average before each run says how busy the machine was.
set -euo pipefail
rows=${1:-1000000}
runs=${2:-1}
port=${BENCH_PORT:-55491}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
scratch=$(mktemp -d /tmp/categorize-bench.XXXXXX)
source "$root/test/scripts/private-install.sh"
private_install "$root" "$scratch"
data=$scratch/data
as_pg() { runuser -u postgres -- "$@"; }
as_pg "$PGBIN/initdb" -D "$data" -A trust >/dev/null
cat >> "$data/postgresql.conf" <<CONF
port = $port
unix_socket_directories = '$scratch'
listen_addresses = ''
shared_preload_libraries = 'categorize'
max_worker_processes = 16
categorize.batch_chunk_rows = 20000
categorize.sync_batch_rows = 1000
shared_buffers = 256MB
max_wal_size = 4GB
checkpoint_timeout = 30min
autovacuum = off
CONF
as_pg "$PGBIN/pg_ctl" -D "$data" -l "$scratch/log" -w start >/dev/null
trap 'as_pg "$PGBIN/pg_ctl" -D "$data" -m fast stop >/dev/null; rm -rf "$scratch"' EXIT
psql() { as_pg "$PGBIN/psql" -h "$scratch" -p $port -X -q -v ON_ERROR_STOP=1 -At "$@" postgres; }
postmaster=$(head -1 "$data/postmaster.pid")

echo "settings: $(psql -c "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name)
  FROM pg_settings WHERE name IN ('shared_buffers', 'max_wal_size', 'checkpoint_timeout', 'autovacuum',
  'fsync', 'synchronous_commit', 'wal_buffers', 'full_page_writes', 'categorize.batch_chunk_rows')")"
echo "machine: $(nproc) CPUs, $(uptime | sed 's/.*load/load/')"

psql >/dev/null <<SQL
CREATE EXTENSION categorize;
INSERT INTO categorize.categories (id, name) VALUES (1,'Groceries'),(2,'Transport'),(3,'Dining'),(4,'Utilities');
INSERT INTO categorize.patterns (category_id, kind, value, weight) VALUES
 (1,'merchant','whole foods',4),(1,'keyword','grocery',4),
 (2,'merchant','uber',4),(2,'keyword','taxi',4),
 (3,'merchant','starbucks',4),(3,'keyword','restaurant',4),
 (4,'keyword','electric bill',4),(4,'merchant','city water',4);
CREATE TABLE source_rows AS
SELECT g AS id,
       (ARRAY['grocery run','taxi ride home','restaurant dinner','electric bill march'])[1 + g % 4] || ' #' || g AS description,
       (ARRAY['Whole Foods Market','Uber','Starbucks','City Water'])[1 + g % 4] AS merchant_name,
       (g % 100) + 0.5 AS amount,
       '2024-01-01'::timestamptz + g * interval '1 minute' AS transaction_date
  FROM generate_series(1, $rows) g;
VACUUM ANALYZE source_rows;
SQL

fresh_table() {
    psql -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS expenses" \
         -c "CREATE TABLE expenses (id bigint PRIMARY KEY, description text, merchant_name text,
                                    amount numeric, transaction_date timestamptz, category_id bigint)" \
         -c "INSERT INTO expenses SELECT *, NULL FROM source_rows" \
         -c "VACUUM ANALYZE expenses" -c "VACUUM categorize.batch_jobs, categorize.batch_chunks" \
         -c "SELECT categorize.stats_reset()" -c "CHECKPOINT" >/dev/null
}
now_ms() { date +%s%3N; }

# sample_start PATTERN: every 0.1 s, "pid on-cpu-ns rqwait-ns" of each child
# of the postmaster whose process title matches PATTERN.
sample_start() {
    local pattern=$1
    (
        while :; do
            for pid in $(pgrep -P "$postmaster"); do
                title=$(tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline") || continue
                [[ $title =~ $pattern ]] || continue
                read -r run wait _ 2>/dev/null < "/proc/$pid/schedstat" && echo "$pid $run $wait"
            done
            sleep 0.1
        done
    ) > "$scratch/sched" &
    sampler=$!
}
# sample_stop: sets cpu_ms (sum) and rqwait_ms (mean per process)
sample_stop() {
    kill "$sampler"
    wait "$sampler" 2>/dev/null || true
    read -r cpu_ms rqwait_ms < <(awk '{ run[$1] = $2; w[$1] = $3 }
        END { n = 0; r = 0; q = 0; for (p in run) { n++; r += run[p]; q += w[p] }
              printf "%d %d\n", r / 1e6, n ? q / n / 1e6 : 0 }' "$scratch/sched")
}

declare -A wall net
record() {    # record KIND WALL_MS DESCRIPTION
    local kind=$1 t=$2
    wall[$kind]="${wall[$kind]:-} $t"
    net[$kind]="${net[$kind]:-} $((t - rqwait_ms))"
    printf "run %d %-16s wall %6d ms, net %6d ms (cpu %6d ms, rqwait %5d ms, load before %s; %s)\n" \
        "$run" "$kind:" "$t" "$((t - rqwait_ms))" "$cpu_ms" "$rqwait_ms" "$load" "$3"
}

run_plain() {
    fresh_table
    load=$(cut -d' ' -f1 /proc/loadavg)
    sample_start 'postgres: .*UPDATE'
    t0=$(now_ms)
    psql -c "UPDATE expenses t SET category_id = categorize.categorize(t)"
    t=$(( $(now_ms) - t0 ))
    sample_stop
    record "plain UPDATE" "$t" "$(psql -c "SELECT 'left NULL ' || count(*) FROM expenses WHERE category_id IS NULL")"
}

run_batch() {
    local w=$1
    fresh_table
    psql -c "ALTER SYSTEM SET categorize.max_workers = $w" -c "SELECT pg_reload_conf()" >/dev/null
    sleep 1
    load=$(cut -d' ' -f1 /proc/loadavg)
    sample_start 'categorize batch worker'
    t0=$(now_ms)
    job=$(psql -c "CALL categorize.batch('expenses')")
    state=$(psql -c "SELECT categorize.wait($job)")
    t=$(( $(now_ms) - t0 ))
    sample_stop
    record "$w worker(s)" "$t" "job $job $state; $(psql -c "
        SELECT 'rows_done ' || rows_done || ', left NULL '
               || (SELECT count(*) FROM expenses WHERE category_id IS NULL)
               || ', timeouts ' || (SELECT timeouts FROM categorize.stats)
          FROM categorize.jobs WHERE job_id = $job")"
}

# the three kinds in a different order each round, so that a drift in the
# machine's load does not always favour the same kind
kinds=(plain 1 2)
for run in $(seq 1 "$runs"); do
    for k in 0 1 2; do
        kind=${kinds[$(( (k + run - 1) % 3 ))]}
        if [ "$kind" = plain ]; then run_plain; else run_batch "$kind"; fi
    done
done

best_median() {     # best_median "v1 v2 ...": prints best and median
    tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ v[NR] = $1 } END {
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%d %d\n", v[1], m }'
}
echo "$rows rows, $runs runs, machine: $(uptime | sed 's/.*load/load/')"
for measure in wall net; do
    declare -n m=$measure
    read -r pb pm < <(best_median "${m[plain UPDATE]}")
    read -r ab am < <(best_median "${m[1 worker(s)]}")
    read -r bb bm < <(best_median "${m[2 worker(s)]}")
    echo "$measure, best / median: plain UPDATE $pb / $pm ms, 1 worker $ab / $am ms, 2 workers $bb / $bm ms"
    awk -v pb="$pb" -v pm="$pm" -v ab="$ab" -v am="$am" -v bb="$bb" -v bm="$bm" -v what="$measure" 'BEGIN {
        printf "%s speed-up 2 workers vs 1 worker: best %.2fx, median %.2fx (target >= 1.5x)\n", what, ab / bb, am / bm;
        printf "%s time ratio worker/plain, median: 1 worker %.2f, 2 workers %.2f\n", what, am / pm, bm / pm }'
    unset -n m
done
