# Sourced.  private_install ROOT SCRATCH: copies the tree to SCRATCH/src,
# builds it as postgres, and makes SCRATCH/pg a copy of the PostgreSQL 15
# installation with the extension installed into it.  Sets PGBIN.
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
    runuser -u postgres -- make -s -C "$scratch/src" -j2 >/dev/null
    runuser -u postgres -- make -s -C "$scratch/src" install DESTDIR="$scratch/pg" >/dev/null
    PGBIN="$scratch/pg/usr/lib/postgresql/15/bin"
    export PGBIN
}
