# The word index's scan answers a cancel and the time budget within
# moments, even where its work per byte of text is large.  A key of 30,000
# words and a text of 62,000 such words make about a billion word steps
# before the text's first 64 kB tick (several seconds on the development
# machine); the scan also ticks every 65,536 steps, and a tick checks for
# interrupts and the time budget.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $node = PostgreSQL::Test::Cluster->new('word_index_interrupt');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'categorize'
categorize.time_budget = 0
});
$node->start;

$node->safe_psql('postgres', q{
    CREATE EXTENSION categorize;
    INSERT INTO categorize.categories (id, name) VALUES (1, 'Filler'), (2, 'Long');
    INSERT INTO categorize.patterns (category_id, kind, value)
        SELECT 1, 'keyword', 'filler' || i || ' word' FROM generate_series(1, 20000) i;
    INSERT INTO categorize.patterns (category_id, kind, value)
        VALUES (2, 'keyword', repeat('a ', 30000));
});
is($node->safe_psql('postgres', 'SELECT word_index_keys FROM categorize.index_info()'),
   '20001', 'the keywords are in the word index');

# Each session builds its index first (a warm-up call), then the timed
# statement runs; the elapsed time covers the statement only.
sub timed
{
	my ($settings, $query) = @_;
	my ($stdout, $stderr);
	$node->psql('postgres', qq{
        SELECT categorize.categorize('warm up') IS NULL;
        $settings
        SELECT extract(epoch FROM clock_timestamp());
        $query;
        SELECT extract(epoch FROM clock_timestamp());
    }, stdout => \$stdout, stderr => \$stderr, on_error_stop => 0);
	my @t = grep { /^\d+\.\d+$/ } split /\n/, $stdout;
	return ($t[1] - $t[0], $stdout, $stderr);
}

my ($elapsed, $stdout, $stderr) = timed(q{SET statement_timeout = '300ms';},
	q{SELECT count(*) FROM categorize.explain(repeat('a ', 62000))});
like($stderr, qr/canceling statement due to statement timeout/,
	 'statement_timeout cancels the scan');
cmp_ok($elapsed, '<', 2.5, "canceled within moments ($elapsed s)");

($elapsed, $stdout, $stderr) = timed(q{SET categorize.time_budget = '300ms';},
	q{SELECT 'answers:' || count(*) FROM categorize.explain(repeat('a ', 62000))});
like($stdout, qr/^answers:0$/m, 'over the time budget: no answer');
cmp_ok($elapsed, '<', 2.5, "stopped within moments of the budget ($elapsed s)");

# Without either, the same scan runs to its end and finds the long key.
is($node->safe_psql('postgres', q{
    SELECT category FROM categorize.explain(repeat('a ', 30000)) WHERE rank = 1}),
   'Long', 'the long key is found');

$node->stop;
done_testing();
