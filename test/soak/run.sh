#!/usr/bin/env bash
# Soak test, bounded in time, loopback only (a Unix socket in a scratch dir):
# 32 pgbench clients insert single expenses through the trigger for
# SOAK_SECONDS (default 60) while another client keeps adding, changing and
# deleting patterns and a 300k-row batch job runs.  Then it checks:
#   - pgbench saw no errors and every committed insert is in the table;
#   - every row's category equals what categorize() returns under the pattern
#     set it was inserted with (replayed from numbered snapshots), or the
#     set committed right after; none is categorized as under the set
#     before only (a commit its statement saw, missed);
#   - the batch job finished with every row done and none failed;
#   - the statistics add up (calls = categorized + uncategorized + errors +
#     timeouts + short-circuited; no errors, timeouts or short circuits).
# Prints one summary line per check; exits non-zero on any failure.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
seconds=${SOAK_SECONDS:-60}
clients=${SOAK_CLIENTS:-32}
bash "$root/test/scripts/deps.sh"

scratch=$(mktemp -d /tmp/categorize-soak.XXXXXX)
source "$root/test/scripts/private-install.sh"
private_install "$root" "$scratch"
port=${SOAK_PORT:-54391}
run() { runuser -u postgres -- "$@"; }
psql_() { run "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$scratch" -p "$port" -d postgres "$@"; }
cleanup() {
    [ -n "${mutator:-}" ] && kill "$mutator" 2>/dev/null || true
    run "$PGBIN/pg_ctl" -D "$scratch/data" -m fast stop >/dev/null 2>&1 || true
    [ -n "${KEEP_SCRATCH:-}" ] || rm -rf "$scratch"
}
trap cleanup EXIT

start_cluster "$scratch/data" "$scratch" "$port" \
    "max_connections = 100" "max_worker_processes = 16" \
    "categorize.max_workers = 2" "categorize.batch_chunk_rows = 20000" \
    "# 32 clients on 2 cores: wall-clock waits for a CPU are not categorization time" \
    "categorize.time_budget = 1000"
psql_ -f "$root/test/soak/setup.sql" >/dev/null
psql_ -c "SELECT categorize.stats_reset()" >/dev/null
job=$(psql_ -At -c "CALL categorize.batch('soak.backlog'::regclass)" | tail -1)
echo "soak: batch job $job submitted (300000 rows); $clients clients for ${seconds}s"

# the mutator: one committed pattern change every ~0.2 s, until told to stop
(
    step=1
    while [ ! -f "$scratch/stop" ]; do
        psql_ -c "SELECT soak.mutate($step)" >/dev/null
        step=$((step + 1))
        sleep 0.2
    done
    echo "$((step - 1))" > "$scratch/mutations"
) &
mutator=$!

run "$PGBIN/pgbench" -n -h "$scratch" -p "$port" -c "$clients" -j 2 -T "$seconds" \
    -f "$root/test/soak/insert.pgbench" postgres > "$scratch/pgbench.out" 2>&1 || {
    cat "$scratch/pgbench.out"; echo "soak: pgbench failed"; exit 1; }
touch "$scratch/stop"
wait "$mutator"; mutator=

committed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$scratch/pgbench.out")
failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$scratch/pgbench.out")
tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$scratch/pgbench.out" | head -1)
latency=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$scratch/pgbench.out")
state=$(psql_ -At -c "SELECT categorize.wait($job, '5 minutes')")
IFS='|' read -r rows_total rows_done rows_failed < <(psql_ -At -c \
    "SELECT rows_total, rows_done, rows_failed FROM categorize.jobs WHERE job_id = $job")
IFS='|' read -r calls categorized uncategorized errors timeouts short < <(psql_ -At -c \
    "SELECT calls, categorized, uncategorized, errors, timeouts, short_circuited FROM categorize.stats")

eval "$(psql_ -At -f "$root/test/soak/verify.sql" | sed -n 's/^\(rows_inserted\|consistent\|same_set\|set_before\|set_after\|only_before\|pattern_sets_seen\|backlog_rows\|backlog_categorized\)=/\1=/p' | tr ' ' '\n')"

status=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; status=1; fi; }
echo "soak: ${clients} clients, ${seconds}s, $committed inserts committed ($tps tps, ${latency} ms average),"
echo "      $(cat "$scratch/mutations") pattern changes committed, $pattern_sets_seen pattern sets seen by inserts,"
echo "      batch job $state: $rows_done/$rows_total rows, $rows_failed failed"
echo "      stats: calls=$calls categorized=$categorized uncategorized=$uncategorized errors=$errors timeouts=$timeouts short_circuited=$short"
check "pgbench: no failed transactions" '[ "${failed:-0}" -eq 0 ]'
check "every committed insert present ($rows_inserted rows)" '[ "$rows_inserted" -eq "$committed" ]'
check "every row categorized as under its pattern set ($consistent/$rows_inserted; $same_set under the very set its statement saw, $set_before under the one before, $set_after the one after)" \
    '[ "$consistent" -eq "$rows_inserted" ]'
check "no row missed a pattern commit its statement saw ($only_before rows only under the set before)" \
    '[ "$only_before" -eq 0 ]'
check "batch job done, every row done, none failed" \
    '[ "$state" = done ] && [ "$rows_done" -eq "$rows_total" ] && [ "$rows_total" -eq 300000 ] && [ "$rows_failed" -eq 0 ]'
check "stats add up" '[ "$calls" -eq $((categorized + uncategorized + errors + timeouts + short)) ]'
check "stats count every insert and every batch row" '[ "$calls" -ge $((committed + rows_total)) ]'
check "no errors, timeouts or short circuits" '[ "$errors" -eq 0 ] && [ "$timeouts" -eq 0 ] && [ "$short" -eq 0 ]'
exit $status
