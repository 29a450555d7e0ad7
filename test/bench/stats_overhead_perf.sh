#!/usr/bin/env bash
# Where the time goes: profiles one backend running SELECT categorize(e) over
# the stats_overhead workload (library preloaded) with perf, and prints the
# share of CPU spent in the shared-state hot path (statistics, breaker,
# generation check) and in the regex time budget.  Independent of the load
# other processes put on the machine, unlike the A/B timing.
#   bash test/bench/stats_overhead_perf.sh [ROWS] [PATTERNS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rows=${1:-200000}
patterns=${2:-10000}
port=${BENCH_PORT:-54392}
command -v perf >/dev/null || { echo "perf is not installed (apt-get install linux-perf)"; exit 1; }

scratch=$(mktemp -d /tmp/categorize-bench.XXXXXX)
source "$root/test/scripts/private-install.sh"
private_install "$root" "$scratch"
data="$scratch/data"
pg() { runuser -u postgres -- "$PGBIN/$@"; }
psql_() { pg psql -X -q -h "$scratch" -p "$port" -d postgres -v ON_ERROR_STOP=1 "$@"; }
cleanup() { pg pg_ctl -D "$data" stop -m fast >/dev/null 2>&1 || true; rm -rf "$scratch"; }
trap cleanup EXIT

pg initdb -D "$data" >/dev/null
cat >> "$data/postgresql.conf" <<EOC
port = $port
unix_socket_directories = '$scratch'
shared_preload_libraries = 'categorize'
max_parallel_workers_per_gather = 0
jit = off
EOC
pg pg_ctl -D "$data" -l "$scratch/log" -w start >/dev/null
psql_ -v rows="$rows" -v patterns="$patterns" -f "$scratch/src/test/bench/stats_overhead_data.sql"

psql_ -At > "$scratch/out" <<EOSQL &
SELECT categorize.categorize('warm');
\o $scratch/pid
SELECT pg_backend_pid();
\o
SELECT pg_sleep(1);
SELECT count(categorize.categorize(e)) FROM expenses e;
EOSQL
client=$!
while [ ! -s "$scratch/pid" ]; do sleep 0.1; done
perf record -q -p "$(cat "$scratch/pid")" -o "$scratch/perf.data" 2>/dev/null &
recorder=$!
wait $client
kill -INT $recorder; wait $recorder || true

perf report -i "$scratch/perf.data" --no-children --sort symbol 2>/dev/null \
    | grep -E '^ +[0-9.]+%' > "$scratch/report"
share() { grep -E "\] ($1) " "$scratch/report" | awk '{s += $1} END {printf "%.2f", s}'; }
echo "samples' self time, percent of the backend's CPU over $rows calls:"
echo "  statistics (cz_stats_record_call):           $(share 'cz_stats_record_call')%"
echo "  breaker (cz_breaker_allow, cz_breaker_record): $(share 'cz_breaker_allow|cz_breaker_record')%"
echo "  generation check (cz_cache_generation_changed): $(share 'cz_cache_generation_changed')%"
echo "  regex time budget (cz_regexec_budgeted, cz_regex_budget_spent, cz_deadline_id, __sigsetjmp): $(share 'cz_regexec_budgeted|cz_regex_budget_spent|cz_deadline_id|__sigsetjmp')%"
echo "  top of the profile:"
head -8 "$scratch/report"
