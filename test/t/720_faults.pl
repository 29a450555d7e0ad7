# Faults while categorizing: a backend terminated (SIGTERM) or killed
# (SIGKILL, crash restart) at varying points of an index build or a long
# categorizing scan.  Afterwards the server answers, no lock is left held
# (later calls and stats_reset proceed), the statistics add up and the
# breaker is closed.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = PostgreSQL::Test::Cluster->new('faults');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'categorize'
restart_after_crash = on
categorize.time_budget = 0
});
$node->start;

$node->safe_psql('postgres', q{
    CREATE EXTENSION categorize;
    SELECT categorize.load_sample_data();
    -- enough patterns that an index build takes a while
    INSERT INTO categorize.patterns (category_id, kind, value, weight)
        SELECT (SELECT min(id) FROM categorize.categories), 'merchant', 'fault merchant ' || g, 2
          FROM generate_series(1, 50000) g;
    CREATE TABLE big AS
        SELECT g AS id, (ARRAY['STARBUCKS 1', 'UBER TRIP', 'fault merchant 77', 'nothing'])[1 + g % 4] AS description
          FROM generate_series(1, 400000) g;
});

my $consistent = q{
    SELECT calls = categorized + uncategorized + errors + timeouts + short_circuited
           AND breaker_state = 'closed'
      FROM categorize.stats
};
my $works = q{SELECT categorize.categorize('x', 'Starbucks') IS NOT NULL};

# Start a categorizing query in the background; return its session and pid.
sub start_scan
{
    my ($tag) = @_;
    my $bg = $node->background_psql('postgres', on_error_stop => 0);
    # touch the patterns so the query starts with an index build
    $node->safe_psql('postgres', q{UPDATE categorize.patterns SET weight = weight WHERE id = (SELECT min(id) FROM categorize.patterns)});
    $bg->query_until(qr/go/, qq{
\\echo go
SELECT '$tag', count(categorize.categorize(b)) FROM big b;
});
    my $pid;
    for (1 .. 200)
    {
        $pid = $node->safe_psql('postgres',
            qq{SELECT pid FROM pg_stat_activity WHERE query LIKE '%$tag%' AND pid <> pg_backend_pid() AND state = 'active' AND backend_type = 'client backend'});
        last if $pid;
        usleep(20_000);
    }
    return ($bg, $pid);
}

# SIGTERM at several points: during the index build and during the scan
for my $delay_ms (0, 50, 150, 400, 900)
{
    my ($bg, $pid) = start_scan("term_$delay_ms");
    ok($pid, "scan running (terminate after ${delay_ms}ms)");
    usleep($delay_ms * 1000);
    $node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
    eval { $bg->quit };	# the session may already be gone
    is($node->safe_psql('postgres', $works), 't', "categorizes after SIGTERM at ${delay_ms}ms");
    is($node->safe_psql('postgres', $consistent), 't', "stats consistent, breaker closed after SIGTERM at ${delay_ms}ms");
}
$node->safe_psql('postgres', 'SELECT categorize.stats_reset()');
pass('stats_reset takes the lock after the terminations');

# SIGKILL: the postmaster restarts every backend and reinitializes shared memory
for my $delay_ms (30, 600)
{
    my ($bg, $pid) = start_scan("kill_$delay_ms");
    ok($pid, "scan running (kill after ${delay_ms}ms)");
    usleep($delay_ms * 1000);
    kill 'KILL', $pid;
    eval { $bg->quit };	# the session may already be gone
    $node->poll_query_until('postgres', 'SELECT 1', '1')
      or die "server did not come back";
    is($node->safe_psql('postgres', $works), 't', "categorizes after SIGKILL at ${delay_ms}ms");
    is($node->safe_psql('postgres', $consistent), 't', "stats consistent, breaker closed after SIGKILL at ${delay_ms}ms");
    is($node->safe_psql('postgres', 'SELECT count(*) FROM big'), '400000', 'data intact');
}
like(slurp_file($node->logfile), qr/terminated by signal 9/, 'the kills caused crash restarts');

# the counters keep counting exactly after all that
$node->safe_psql('postgres', 'SELECT categorize.stats_reset()');
$node->safe_psql('postgres', 'SELECT count(categorize.categorize(b)) FROM big b WHERE id <= 1000');
is($node->safe_psql('postgres', 'SELECT calls FROM categorize.stats'), '1000', 'exact counts after the faults');

$node->stop;
done_testing();
