# Sourced.  private_install ROOT SCRATCH: copies the tree to SCRATCH/src,
# builds it as postgres (with CZ_CPPFLAGS added to the preprocessor flags,
# if set), and makes SCRATCH/pg a copy of the PostgreSQL 15 installation
# with the extension installed into it.  Sets PGBIN.
private_install() {
    local root=$1 scratch=$2
    mkdir -p "$scratch/src" "$scratch/pg/usr/lib/postgresql" "$scratch/pg/usr/share/postgresql"
    tar -C "$root" --exclude=.git --exclude='*.o' --exclude='*.so' --exclude=tmp_check \
        --exclude=tmp_regress --exclude=tmp_isolation --exclude=results --exclude=output_iso \
        -cf - . | tar -C "$scratch/src" -xf -
    cp -a /usr/lib/postgresql/15 "$scratch/pg/usr/lib/postgresql/"
    cp -a /usr/share/postgresql/15 "$scratch/pg/usr/share/postgresql/"
    chown -R postgres "$scratch"
    chmod 755 "$scratch"
    runuser -u postgres -- make -s -C "$scratch/src" -j2 \
        ${CZ_CPPFLAGS:+"PG_CPPFLAGS=-Isrc $CZ_CPPFLAGS"} >/dev/null
    runuser -u postgres -- make -s -C "$scratch/src" install DESTDIR="$scratch/pg" >/dev/null
    PGBIN="$scratch/pg/usr/lib/postgresql/15/bin"
    export PGBIN
}

# start_cluster DATADIR SOCKETDIR PORT [postgresql.conf lines...]: a
# throwaway cluster run by the postgres OS user with categorize preloaded,
# reachable only through a Unix socket in SOCKETDIR; its log is
# DATADIR/../server.log.  Needs PGBIN (private_install).
start_cluster() {
    local data=$1 sock=$2 port=$3
    shift 3
    runuser -u postgres -- "$PGBIN/initdb" -D "$data" -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
    {
        echo "shared_preload_libraries = 'categorize'"
        echo "port = $port"
        echo "unix_socket_directories = '$sock'"
        echo "listen_addresses = ''"
        printf '%s\n' "$@"
    } >> "$data/postgresql.conf"
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$data" -l "$(dirname "$data")/server.log" -w start >/dev/null
}
