#!/usr/bin/env bash
# The whole test suite.  Installs dependencies (Debian 12), builds with
# -Werror, and runs as the postgres OS user:
#   - pg_regress (sql/, expected/) on a temp instance with the library preloaded,
#   - isolation specs (test/isolation/specs),
#   - TAP tests (test/t/*.pl, each with its own clusters).
# Runs in a scratch copy of the tree against a private copy of the
# PostgreSQL installation with the extension installed into it (PostgreSQL
# finds share/ and lib/ relative to its binaries), so the checkout stays
# clean and nothing system-wide is touched beyond the packages.
# Then the word index under AddressSanitizer (test/asan/run.sh), the
# per-user regression tests with colliding user hashes, the soak test
# (test/soak/run.sh) and the regression suite once more under valgrind
# (test/scripts/valgrind.sh).
# Extra arguments go to make installcheck (e.g. REGRESS=... PROVE_TESTS=...)
# and skip those four stages (as do SKIP_ASAN=1, SKIP_COLLISIONS=1,
# SKIP_SOAK=1 and SKIP_VALGRIND=1).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bash "$root/test/scripts/deps.sh"

scratch=$(mktemp -d /tmp/categorize-test.XXXXXX)
[ -n "${KEEP_SCRATCH:-}" ] || trap 'rm -rf "$scratch"' EXIT
source "$root/test/scripts/private-install.sh"
private_install "$root" "$scratch"

cd "$scratch/src"
status=0
runuser -u postgres -- env PATH="$PGBIN:$PATH" make -s installcheck bindir="$PGBIN" "$@" || status=$?

# Developers: copy the actual outputs back to ./results/ (git-ignored) to review them.
if [ -n "${COPY_RESULTS:-}" ]; then
    mkdir -p "$root/results"
    cp results/*.out "$root/results/" 2>/dev/null || true
    cp output_iso/results/*.out "$root/results/" 2>/dev/null || true
fi

if [ $status -ne 0 ]; then
    for f in regression.diffs output_iso/regression.diffs; do
        [ -f "$f" ] && { echo "=== $f"; head -c 20000 "$f"; }
    done
    for f in tmp_check/log/regress_log_*; do
        [ -f "$f" ] && { echo "=== $f (tail)"; tail -n 80 "$f"; }
    done
fi

# The word index outside the server under AddressSanitizer, against a naive
# search (test/asan/run.sh; about 15 s).
if [ $status -eq 0 ] && [ -z "${SKIP_ASAN:-}" ] && [ $# -eq 0 ]; then
    echo "=== word index under AddressSanitizer"
    bash "$root/test/asan/run.sh" || status=$?
fi

# Users' patterns, boosters and regexes are found by the hash of the user
# id; a build that keeps 2 bits of it makes thousands of users collide,
# which must change no answer: the per-user regression tests once more.
if [ $status -eq 0 ] && [ -z "${SKIP_COLLISIONS:-}" ] && [ $# -eq 0 ]; then
    echo "=== per-user tests with colliding user hashes"
    CZ_CPPFLAGS=-DCZ_OWNER_HASH_MASK=3 bash "$root/test/scripts/test.sh" \
        REGRESS="000_setup 035_booster_masks 045_fuzzy_cache 054_delta 400_learn 410_learn_users 415_many_users" \
        ISOLATION= PROVE_TESTS= || status=$?
fi

# The soak test: 32 clients through the trigger for 60 s while patterns
# change and a batch job runs (test/soak/run.sh).
if [ $status -eq 0 ] && [ -z "${SKIP_SOAK:-}" ] && [ $# -eq 0 ]; then
    echo "=== soak"
    bash "$root/test/soak/run.sh" || status=$?
fi

# The regression suite again with every server process under valgrind
# (skip with SKIP_VALGRIND=1 while iterating; CI runs it).
if [ $status -eq 0 ] && [ -z "${SKIP_VALGRIND:-}" ] && [ $# -eq 0 ]; then
    echo "=== pg_regress under valgrind"
    bash "$root/test/scripts/valgrind.sh" || status=$?
fi
exit $status
