#!/usr/bin/env bash
# Accuracy benchmark of learning (not part of the test suite).
#   bash test/bench/accuracy.sh [ROWS=6000] [SEED=42] [PER_USER=0] [PORT=54399]
# Generates the labeled expense set (accuracy_data.py), starts a private
# PostgreSQL 15 with the extension preloaded (as test.sh does), loads the
# sample starter patterns and replays the set in date order: predict with
# categorize.categorize(), then categorize.learn() with the true label.
# Prints prequential accuracy, coverage and last-20% accuracy next to the
# starter patterns alone and the same-description baselines.  PER_USER=1
# gives each of the four households its own user_id, so each learns only
# from its own corrections.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
for a in "$@"; do export "$a"; done
ROWS=${ROWS:-6000}; SEED=${SEED:-42}; PORT=${PORT:-54399}; PER_USER=${PER_USER:-0}

scratch=$(mktemp -d /tmp/categorize-accuracy.XXXXXX)
source "$root/test/scripts/private-install.sh"
private_install "$root" "$scratch"
data="$scratch/data"
cleanup() {
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true
    [ -n "${KEEP_SCRATCH:-}" ] || rm -rf "$scratch"
}
trap cleanup EXIT

python3 "$root/test/bench/accuracy_data.py" "$ROWS" "$SEED" > "$scratch/expenses.csv"
chown postgres "$scratch/expenses.csv"
runuser -u postgres -- "$PGBIN/initdb" -D "$data" -A trust >/dev/null
cat >> "$data/postgresql.conf" <<CONF
shared_preload_libraries = 'categorize'
port = $PORT
unix_socket_directories = '$scratch'
listen_addresses = ''
CONF
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$data" -l "$scratch/log" -w start >/dev/null
runuser -u postgres -- "$PGBIN/psql" -h "$scratch" -p "$PORT" -X -q -d postgres \
    -v csv="$scratch/expenses.csv" -v per_user="$PER_USER" -f "$root/test/bench/accuracy_replay.sql"
