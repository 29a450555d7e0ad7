#!/usr/bin/env bash
# Many users, one value: what per-user patterns cost a call.  The sample
# patterns, 200k expenses of 10,000 users mentioning 50 sample merchants
# (one row in ten with a typo, so fuzzy matching runs), and then U users
# each with their own merchant pattern for 5 of those merchants (what
# learn() makes when users correct the same merchants), an amount range of
# their own on the categories of those 5 and a regex of their own for one
# of them, for U = 0, 1,000 and 10,000.  Prints, per U, the median wall time of SELECT
# count(categorize.categorize(e)) over the 200k rows, rows/s and the
# rows categorized.
#   bash test/bench/many_users.sh [RUNS]
# Not part of the test suite.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
runs=${1:-5}
port=${BENCH_PORT:-54392}

scratch=$(mktemp -d /tmp/categorize-bench.XXXXXX)
source "$root/test/scripts/private-install.sh"
pg() { runuser -u postgres -- "$PGBIN/$@"; }
psql_() { pg psql -X -q -h "$scratch" -p "$port" -d postgres -v ON_ERROR_STOP=1 "$@"; }
cleanup() { pg pg_ctl -D "$scratch/data" stop -m fast >/dev/null 2>&1 || true; rm -rf "$scratch"; }
trap cleanup EXIT
private_install "$root" "$scratch"
start_cluster "$scratch/data" "$scratch" "$port" \
    "max_parallel_workers_per_gather = 0" "jit = off" "shared_buffers = 256MB"

psql_ >/dev/null <<'EOSQL'
CREATE EXTENSION categorize;
SELECT categorize.load_sample_data();
CREATE TABLE merchants AS
    SELECT row_number() OVER (ORDER BY id) - 1 AS i, value
    FROM categorize.patterns WHERE kind = 'merchant' AND user_id IS NULL
    ORDER BY id LIMIT 50;
CREATE TABLE expenses AS
    SELECT g AS id, 'u' || (g % 10000) AS user_id,
           'CARD ' || CASE WHEN g % 10 = 0
                           THEN overlay(upper(m.value) PLACING '' FROM 3 FOR 1)
                           ELSE upper(m.value) END || ' #' || (g % 997) AS description,
           ((g * 37) % 20000) / 100.0 AS amount
    FROM generate_series(1, 200000) g JOIN merchants m ON m.i = g % 50;
ANALYZE expenses;
EOSQL

query="SELECT count(categorize.categorize(e)) FROM expenses e"
printf '%-8s %-10s %12s %12s %12s\n' users patterns median_ms rows/s categorized
for users in 0 1000 10000; do
    psql_ -c "DELETE FROM categorize.patterns WHERE user_id IS NOT NULL" \
          -c "INSERT INTO categorize.patterns (category_id, kind, value, weight, user_id)
              SELECT (SELECT category_id FROM categorize.patterns p WHERE p.value = m.value
                      AND p.user_id IS NULL LIMIT 1) % 5 + 1, 'merchant', m.value, 3, 'u' || u
              FROM generate_series(0, $users - 1) u, merchants m WHERE m.i < 5" \
          -c "INSERT INTO categorize.patterns (category_id, kind, value, user_id)
              SELECT DISTINCT p.category_id, 'amount_range',
                     (u % 100) || '.00-' || (u % 100 + 20) || '.00', 'u' || u
              FROM generate_series(0, $users - 1) u, merchants m
              JOIN categorize.patterns p ON p.value = m.value AND p.user_id IS NULL
              WHERE m.i < 5" \
          -c "INSERT INTO categorize.patterns (category_id, kind, value, weight, user_id)
              SELECT (u % 5) + 1, 'regex', '^card ' || lower(m.value) || ' #[0-9]+\$', 2, 'u' || u
              FROM generate_series(0, $users - 1) u, merchants m WHERE m.i = 0" >/dev/null
    out=$(psql_ -At <<EOSQL
SELECT count(*) FROM categorize.patterns;
SELECT count(categorize.categorize(e)) FROM expenses e;
EOSQL
)
    npatterns=$(echo "$out" | sed -n 1p)
    categorized=$(echo "$out" | sed -n 2p)
    times=""
    for r in $(seq "$runs"); do
        ms=$(psql_ -At <<EOSQL | tail -1
SELECT categorize.categorize('warm up');
\timing on
$query;
EOSQL
)
        times="$times $(echo "$ms" | awk '{print $2}')"
    done
    median=$(echo $times | tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
    printf '%-8s %-10s %12.1f %12.0f %12s\n' "$users" "$npatterns" "$median" \
        "$(echo "200000 / $median * 1000" | bc -l)" "$categorized"
done
