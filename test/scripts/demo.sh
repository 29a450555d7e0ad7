#!/usr/bin/env bash
# Demo: installs dependencies (Debian 12), builds the extension into a
# private copy of the PostgreSQL installation, starts a throwaway cluster
# with categorize preloaded, loads the starter categories and patterns,
# inserts sample expenses through the trigger and prints them.  The cluster
# is stopped and removed at the end.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bash "$root/test/scripts/deps.sh"

scratch=$(mktemp -d /tmp/categorize-demo.XXXXXX)
source "$root/test/scripts/private-install.sh"
private_install "$root" "$scratch"
port=${DEMO_PORT:-54329}
pg() { runuser -u postgres -- "$PGBIN/$@"; }
cleanup() {
    pg pg_ctl -D "$scratch/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$scratch"
}
trap cleanup EXIT

start_cluster "$scratch/data" "$scratch" "$port"
runuser -u postgres -- "$PGBIN/psql" -X -q -h "$scratch" -p "$port" -d postgres \
    -f "$root/test/scripts/demo.sql"
