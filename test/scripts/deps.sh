#!/usr/bin/env bash
# Installs what building and testing categorize needs on Debian 12
# (PostgreSQL 15 server and headers, TAP test modules, gnuplot for charts).
# Skips apt when everything is already there.
set -euo pipefail
pkgs=(postgresql-15 postgresql-server-dev-15 postgresql-contrib libipc-run-perl
      make gcc gnuplot-nox valgrind)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing packages: ${missing[*]} (run as root to install them)" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
