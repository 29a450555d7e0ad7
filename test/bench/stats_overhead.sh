#!/usr/bin/env bash
# Overhead of statistics + circuit breaker on SELECT categorize(e) over
# 200k rows with 10k patterns: the same build, with shared state (library in
# shared_preload_libraries: every call counts into its backend's statistics
# slot and checks the breaker) versus without it (the same calls return at
# their first branch, as if compiled out).  Runs alternate between the two
# configurations; prints each run's backend CPU time and the medians, and
# also the cost of the time budget (time_budget = 0 versus the default).
#   bash test/bench/stats_overhead.sh [ROWS] [PATTERNS] [RUNS]
# Not part of the test suite (it takes minutes).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rows=${1:-200000}
patterns=${2:-10000}
runs=${3:-5}
port=${BENCH_PORT:-54391}

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
max_parallel_workers_per_gather = 0
jit = off
shared_buffers = 256MB
EOC

start() {		# start PRELOAD: "on" or "off"
    sed -i '/^shared_preload_libraries/d' "$data/postgresql.conf"
    [ "$1" = on ] && echo "shared_preload_libraries = 'categorize'" >> "$data/postgresql.conf"
    pg pg_ctl -D "$data" -l "$scratch/log" -w start >/dev/null
}
stop() { pg pg_ctl -D "$data" -w stop -m fast >/dev/null; }

start on
psql_ -v rows="$rows" -v patterns="$patterns" -f "$scratch/src/test/bench/stats_overhead_data.sql"
stop

query="SELECT count(categorize.categorize(e)) FROM expenses e"
# CPU time of the backend (utime + stime from /proc, in ms) around the query:
# steadier than wall time on a shared machine.
timed_query() {		# timed_query [SET ...;]
    psql_ -At <<EOSQL
$1
SELECT categorize.categorize('warm');
SELECT count(*) FROM expenses;
SELECT pg_backend_pid() AS pid \gset
\setenv CZPID :pid
\! awk '{print (\$14 + \$15)}' /proc/\$CZPID/stat > $scratch/cpu0
$query;
\! awk '{print (\$14 + \$15)}' /proc/\$CZPID/stat > $scratch/cpu1
EOSQL
    tick=$(getconf CLK_TCK)
    echo $(( ( $(cat $scratch/cpu1) - $(cat $scratch/cpu0) ) * 1000 / tick ))
}
declare -A times
for cfg in on off budget_off; do times[$cfg]=""; done
for run in $(seq 1 "$runs"); do
    for cfg in on off; do
        start $cfg
        ms=$(timed_query "" | tail -1)
        echo "run $run preload=$cfg: $ms ms CPU"
        times[$cfg]="${times[$cfg]} $ms"
        if [ $cfg = on ]; then
            if [ $run = 1 ]; then
                psql_ -c "SELECT calls, categorized, uncategorized, timeouts, short_circuited, round(mean_us::numeric,2) AS mean_us, round(p50_us::numeric,2) AS p50_us, round(p99_us::numeric,2) AS p99_us, patterns_loaded FROM categorize.stats"
            fi
            ms=$(timed_query "SET categorize.time_budget = 0;" | tail -1)
            echo "run $run preload=on, time_budget=0: $ms ms CPU"
            times[budget_off]="${times[budget_off]} $ms"
        fi
        stop
    done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
on=$(echo "${times[on]}" | median)
off=$(echo "${times[off]}" | median)
nobudget=$(echo "${times[budget_off]}" | median)
echo "median CPU with stats+breaker (preloaded):      $on ms"
echo "median CPU without (not preloaded):             $off ms"
echo "median CPU preloaded, time_budget = 0:          $nobudget ms"
awk -v a="$on" -v b="$off" -v c="$nobudget" -v n="$rows" 'BEGIN {
    printf "stats+breaker overhead: %.2f%%  (%.3f us per call; %.3f us per call in total)\n", (a-b)/b*100, (a-b)*1000/n, a*1000/n
    printf "time budget (timer armed once per call with regexes) overhead: %.2f%%\n", (a-c)/c*100 }'
