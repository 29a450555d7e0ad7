#!/usr/bin/env bash
# Corrections while others categorize: what a stream of learn() calls
# costs the sessions that only read.  N patterns (the bench's mix,
# test/bench/setup.sql), 20k expenses; READERS pgbench clients categorize
# one random expense per transaction for SECS seconds, first alone, then
# while one more client confirms RATE expenses a second with
# categorize.learn(e, categorize(e)) (weights and usage counts change on
# every call, a pattern now and then).  Prints, per phase, the readers'
# tps, mean / p99 / max latency (leaving out each client's first call,
# which builds its index), and the index builds (READERS of them those
# first calls) and in-place refreshes counted in categorize.stats.
#   bash test/bench/learn_churn.sh [N [READERS [SECS [RATE]]]]
# BENCH_SRC=<tree> measures another checkout of the extension (one from
# before refreshes counts no refreshes).  Not part of the test suite.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
npatterns=${1:-100000}
readers=${2:-4}
secs=${3:-20}
rate=${4:-5}
port=${BENCH_PORT:-54393}
src=${BENCH_SRC:-$root}

scratch=$(mktemp -d /tmp/categorize-bench.XXXXXX)
source "$root/test/scripts/private-install.sh"
pg() { runuser -u postgres -- "$PGBIN/$@"; }
psql_() { pg psql -X -q -At -h "$scratch" -p "$port" -d postgres -v ON_ERROR_STOP=1 "$@"; }
cleanup() { pg pg_ctl -D "$scratch/data" stop -m fast >/dev/null 2>&1 || true; rm -rf "$scratch"; }
trap cleanup EXIT
private_install "$src" "$scratch"
start_cluster "$scratch/data" "$scratch" "$port" \
    "max_parallel_workers_per_gather = 0" "jit = off" "shared_buffers = 256MB" \
    "fsync = off" "synchronous_commit = off"

cp "$root/test/bench/setup.sql" "$scratch/setup.sql"
chown postgres "$scratch/setup.sql"
psql_ -c "SET client_min_messages = warning" -c "CREATE EXTENSION categorize" \
      -f "$scratch/setup.sql" >/dev/null
psql_ >/dev/null <<EOSQL
SET client_min_messages = warning;
SELECT bench.load_patterns($npatterns);
SELECT bench.make_expenses('expenses', 20000);
VACUUM ANALYZE categorize.categories, categorize.patterns, expenses;
-- the expenses learn() confirms: those categorize() answers
CREATE TABLE learn_rows AS
    SELECT row_number() OVER (ORDER BY id) AS n, id
      FROM expenses e WHERE categorize.categorize(e) IS NOT NULL;
EOSQL
nlearn=$(psql_ -c "SELECT count(*) FROM learn_rows")

cat > "$scratch/read.sql" <<'EOF'
\set id random(1, 20000)
SELECT categorize.categorize(e) FROM expenses e WHERE id = :id;
EOF
cat > "$scratch/learn.sql" <<EOF
\set n random(1, $nlearn)
SELECT categorize.learn(e, categorize.categorize(e)) FROM expenses e
 WHERE id = (SELECT id FROM learn_rows WHERE n = :n);
EOF
chown postgres "$scratch"/*.sql

counters() {
    psql_ -F ' ' -c "SELECT index_builds, coalesce((to_jsonb(s) ->> 'index_refreshes')::bigint, 0)
                     FROM categorize.stats s"
}

# phase NAME WITH_LEARNER
phase() {
    local name=$1 learner=$2 before after logdir
    logdir="$scratch/log_$name"
    mkdir -p "$logdir"; chown postgres "$logdir"
    before=$(counters)
    if [ "$learner" = 1 ]; then
        (cd "$logdir" && pg pgbench -n -h "$scratch" -p "$port" -c 1 -T "$secs" -R "$rate" \
            -f "$scratch/learn.sql" postgres > "$logdir/learn.out" 2>&1) &
    fi
    (cd "$logdir" && pg pgbench -n -h "$scratch" -p "$port" -c "$readers" -j "$readers" \
        -T "$secs" -l --log-prefix=read -f "$scratch/read.sql" postgres > "$logdir/read.out" 2>&1)
    wait
    after=$(counters)
    python3 - "$name" "$logdir" "$before" "$after" "$secs" <<'EOF'
import glob, sys
name, logdir, before, after, secs = sys.argv[1:]
lat = []
for f in glob.glob(logdir + "/read*"):
    if f.endswith(".out"):
        continue
    seen = set()
    for line in open(f):
        parts = line.split()
        if parts[0] in seen:    # a client's first call builds its index
            lat.append(int(parts[2]) / 1000.0)
        seen.add(parts[0])
lat.sort()
b0, r0 = map(int, before.split())
b1, r1 = map(int, after.split())
p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))]
print(f"{name:<16} {len(lat) / float(secs):>9.0f} {sum(lat) / len(lat):>9.3f} {p99:>9.3f} "
      f"{lat[-1]:>9.1f} {b1 - b0:>8} {r1 - r0:>10}")
EOF
}

echo "$npatterns patterns, $readers readers, ${secs}s a phase, learner at $rate/s ($(cd "$src" && git rev-parse --short HEAD 2>/dev/null || echo '?'))"
printf '%-16s %9s %9s %9s %9s %8s %10s\n' phase tps mean_ms p99_ms max_ms builds refreshes
phase readers_alone 0
phase with_learner 1
echo "patterns learned: $(psql_ -c "SELECT count(*) FROM categorize.patterns WHERE user_created")"
