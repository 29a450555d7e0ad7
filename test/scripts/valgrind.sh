#!/usr/bin/env bash
# The pg_regress suite with every server process under valgrind memcheck.
# Reports memory errors, and leaks definitely lost, whose stacks involve
# categorize.so; exits non-zero if there is any.  (PostgreSQL itself is not
# built for valgrind here, so palloc'd chunks are not tracked one by one;
# malloc'd memory, such as compiled regexes, is.)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bash "$root/test/scripts/deps.sh"

scratch=$(mktemp -d /tmp/categorize-valgrind.XXXXXX)
[ -n "${KEEP_SCRATCH:-}" ] || trap 'rm -rf "$scratch"' EXIT
source "$root/test/scripts/private-install.sh"
private_install "$root" "$scratch"

# valgrind is ~30x slower: no time budget, or answers would depend on it
echo "categorize.time_budget = 0" >> "$scratch/src/test/categorize.conf"

logs="$scratch/vglogs"
mkdir -p "$logs"
chown postgres "$logs"
mv "$PGBIN/postgres" "$PGBIN/postgres.real"
cat > "$PGBIN/postgres" <<WRAP
#!/bin/sh
# bootstrap and single-user runs (initdb) stay native: they do not load categorize
case "\$1" in
    --boot|--single|-C|--check|-V|--version|--describe-config)
        exec "$PGBIN/postgres.real" "\$@" ;;
esac
exec valgrind --quiet --trace-children=no --error-limit=no \
    --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
    --suppressions="$root/test/scripts/valgrind.supp" \
    --log-file="$logs/vg.%p.log" "$PGBIN/postgres.real" "\$@"
WRAP
chmod 755 "$PGBIN/postgres"
chown postgres "$PGBIN/postgres"

cd "$scratch/src"
status=0
# Tests whose answers depend on elapsed time (a first line containing
# "timing-sensitive") run natively only: valgrind is ~30x slower.
tests=$(cd sql && for f in [0-9]*.sql; do
    head -1 "$f" | grep -q timing-sensitive || echo "${f%.sql}"; done | paste -sd' ')
runuser -u postgres -- env PATH="$PGBIN:$PATH" make -s installcheck bindir="$PGBIN" \
    ISOLATION= PROVE_TESTS= REGRESS="$tests" "$@" || status=$?
[ $status -eq 0 ] || { [ -f regression.diffs ] && head -c 20000 regression.diffs; }

# valgrind reports whose stack has a frame in the extension: its shared
# object, or (symbolized) one of its source files
ours="categorize\\.so|\\(($(cd "$root/src" && ls *.c | sed 's/\.c$//' | paste -sd'|'))\\.c:[0-9]+\\)"
reports=0
for f in "$logs"/vg.*.log; do
    [ -s "$f" ] || continue
    if awk -v ours="$ours" '
        /^==[0-9]+== .*(Invalid|uninitialised|definitely lost|Mismatched|overlap|Jump to the invalid)/ { inblock = 1 }
        inblock && $0 ~ ours { found = 1 }
        /^==[0-9]+== $/ { inblock = 0 }
        END { exit !found }' "$f"; then
        echo "=== $f"; cat "$f"
        reports=$((reports + 1))
    fi
done
echo "valgrind: $(ls "$logs" | wc -l) server processes checked, $reports with reports involving categorize.so"
[ $status -eq 0 ] && [ $reports -eq 0 ]
