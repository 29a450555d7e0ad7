#!/usr/bin/env bash
# Batch benchmark: categorize a 1M-row table
#   (a) with one plain UPDATE t SET category_id = categorize.categorize(t),
#   (b) with CALL categorize.batch and categorize.max_workers = 1,
#   (c) the same with categorize.max_workers = 2,
# each on a freshly loaded copy of the same rows (no free space, same layout),
# and prints the three times and the ratios.  Not part of the test suite.
# Usage: bash test/bench/batch_bench.sh [rows] [runs]   (as root; uses a
# private install and a scratch cluster on port 55491)
set -euo pipefail
rows=${1:-1000000}
runs=${2:-1}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
scratch=$(mktemp -d /tmp/categorize-bench.XXXXXX)
source "$root/test/scripts/private-install.sh"
private_install "$root" "$scratch"
data=$scratch/data
port=55491
as_pg() { runuser -u postgres -- "$@"; }
as_pg "$PGBIN/initdb" -D "$data" >/dev/null
cat >> "$data/postgresql.conf" <<CONF
port = $port
unix_socket_directories = '$scratch'
shared_preload_libraries = 'categorize'
max_worker_processes = 16
categorize.batch_chunk_rows = 20000
categorize.sync_batch_rows = 1000
shared_buffers = 256MB
max_wal_size = 4GB
checkpoint_timeout = 30min
CONF
as_pg "$PGBIN/pg_ctl" -D "$data" -l "$scratch/log" -w start >/dev/null
trap 'as_pg "$PGBIN/pg_ctl" -D "$data" -m fast stop >/dev/null; rm -rf "$scratch"' EXIT
psql() { as_pg "$PGBIN/psql" -h "$scratch" -p $port -X -q -v ON_ERROR_STOP=1 -At "$@" postgres; }

psql <<SQL
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
SQL

fresh_table() {
    psql -c "DROP TABLE IF EXISTS expenses" \
         -c "CREATE TABLE expenses (id bigint PRIMARY KEY, description text, merchant_name text,
                                    amount numeric, transaction_date timestamptz, category_id bigint)" \
         -c "INSERT INTO expenses SELECT *, NULL FROM source_rows" \
         -c "VACUUM ANALYZE expenses" -c "SELECT categorize.stats_reset()" -c "CHECKPOINT"
}
now_ms() { date +%s%3N; }

declare -A best
for run in $(seq 1 "$runs"); do
    fresh_table
    t0=$(now_ms)
    psql -c "UPDATE expenses t SET category_id = categorize.categorize(t)"
    t=$(( $(now_ms) - t0 ))
    check=$(psql -c "SELECT 'left NULL ' || count(*) FROM expenses WHERE category_id IS NULL")
    echo "run $run plain UPDATE: ${t} ms ($check)"
    [ -z "${best[plain]:-}" ] || [ "$t" -lt "${best[plain]}" ] && best[plain]=$t

    for w in 1 2; do
        fresh_table
        psql -c "ALTER SYSTEM SET categorize.max_workers = $w" -c "SELECT pg_reload_conf()" >/dev/null
        sleep 1
        t0=$(now_ms)
        job=$(psql -c "CALL categorize.batch('expenses')")
        state=$(psql -c "SELECT categorize.wait($job)")
        t=$(( $(now_ms) - t0 ))
        check=$(psql -c "SELECT 'rows_done ' || rows_done || ', left NULL ' || (SELECT count(*) FROM expenses WHERE category_id IS NULL) FROM categorize.jobs WHERE job_id = $job")
        stats=$(psql -c "SELECT 'timeouts ' || timeouts || ', short-circuited ' || short_circuited FROM categorize.stats")
        echo "run $run batch, $w worker(s): ${t} ms (job $job $state; $check; $stats)"
        [ -z "${best[w$w]:-}" ] || [ "$t" -lt "${best[w$w]}" ] && best[w$w]=$t
    done
done
echo "best of $runs, $rows rows: plain UPDATE ${best[plain]} ms, 1 worker ${best[w1]} ms, 2 workers ${best[w2]} ms"
awk -v p="${best[plain]}" -v a="${best[w1]}" -v b="${best[w2]}" 'BEGIN {
    printf "speed-up 2 workers vs 1 worker: %.2fx (target >= 1.5x)\n", a / b;
    printf "plain UPDATE vs 1 worker: %.2fx, vs 2 workers: %.2fx (time ratio worker/plain)\n", a / p, b / p }'
