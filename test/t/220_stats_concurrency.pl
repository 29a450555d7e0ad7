# Statistics are exact under concurrency: 8 pgbench clients make a known
# number of calls, and categorize.stats counts every one of them.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('stats');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'categorize'");
$node->start;

$node->safe_psql('postgres', q{
    CREATE EXTENSION categorize;
    SELECT categorize.load_sample_data();
    CREATE TABLE expenses (description text, merchant_name text, amount numeric);
    INSERT INTO expenses VALUES ('STARBUCKS 12', NULL, 4), ('card', 'Shell', 60),
                                ('nothing we know', NULL, 1);
    SELECT categorize.stats_reset();
});

my $clients = 8;
my $transactions = 250;
# per transaction: 3 row calls and 1 text call
my $script = "$PostgreSQL::Test::Utils::tmp_check/categorize_calls.sql";
open(my $fh, '>', $script) or die $!;
print $fh "SELECT count(categorize.categorize(e)) FROM expenses e;\n";
print $fh "SELECT categorize.categorize('coffee at starbucks ' || :client_id);\n";
close $fh;

$node->command_ok(
    [ 'pgbench', '-n', '-c', $clients, '-j', 2, '-t', $transactions, '-f', $script, 'postgres' ],
    'pgbench with 8 clients');

my $calls = $clients * $transactions * 4;
my ($c, $outcomes, $lookups, $misses, $builds, $latency) = split /\|/,
  $node->safe_psql('postgres', q{
    SELECT calls, categorized + uncategorized + errors + timeouts + short_circuited,
           cache_hits + cache_misses, cache_misses, index_builds,
           p50_us <= p95_us AND p95_us <= p99_us AND mean_us > 0
      FROM categorize.stats});
is($c, $calls, "calls = $calls");
is($outcomes, $calls, 'every call has exactly one outcome');
is($lookups, $calls, 'every call is a cache hit or a miss');
is($misses, $clients, 'one miss per client connection (its first call builds the index)');
is($builds, $clients, 'one index build per client connection');
is($latency, 't', 'latency percentiles are ordered');

$node->stop;
done_testing();
