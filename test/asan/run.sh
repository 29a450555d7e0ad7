#!/usr/bin/env bash
# The word index (src/word_index.c) outside the server, under
# AddressSanitizer and UndefinedBehaviorSanitizer, against a naive search
# (word_index_check.c).  Usage: test/asan/run.sh [SEED [ITERATIONS]]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
inc=$(pg_config --includedir-server)
# three times: as built; with the first-word filter at every size (the
# server takes it only for large indexes, which the check's are not); and
# that again with the portable space masks instead of SSE2's
for variant in default first_word_filter portable_masks; do
    defs=
    [ $variant = first_word_filter ] && defs=-DWI_FIRST_MIN_FILTER=0
    [ $variant = portable_masks ] && defs="-DWI_FIRST_MIN_FILTER=0 -DWI_PORTABLE_MASK"
    gcc -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
        -fno-omit-frame-pointer -Wall -Werror $defs -I"$inc" -I"$root/src" \
        -o "$out/word_index_check" "$here/word_index_check.c" "$here/backend_shim.c" \
        "$root/src/word_index.c"
    echo "($variant)"
    ASAN_OPTIONS=detect_leaks=0 "$out/word_index_check" "${1:-1}" "${2:-300}"
done
