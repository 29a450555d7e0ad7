# A scan whose work per byte of text is large still answers a cancel and
# the time budget within moments.  Ticks every 64 kB of text are not
# enough where one byte costs thousands of steps, so three kinds of work
# tick on their own count (65,536 steps each), and a tick checks for
# interrupts and the time budget.  Each case below does a billion steps or
# so within the text's first 64 kB (seconds on the development machine)
# and fails without its tick:
#
# - word steps: a keyword of 30,000 words in the word index, and a text of
#   62,000 such words;
# - output chains: description values "a", "aa", ... up to 12,000 bytes,
#   all reported at every byte of a text of "a"s;
# - shared values: 60,000 patterns with the same keyword, all visited at
#   every word of a text made of it.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $node = PostgreSQL::Test::Cluster->new('long_scan_interrupt');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'categorize'
categorize.time_budget = 0
});
$node->start;

my %setup = (
	word_steps => q{
        INSERT INTO categorize.patterns (category_id, kind, value)
            SELECT 1, 'keyword', 'filler' || i || ' word' FROM generate_series(1, 20000) i;
        INSERT INTO categorize.patterns (category_id, kind, value)
            VALUES (2, 'keyword', repeat('a ', 30000));
    },
	output_chains => q{
        INSERT INTO categorize.patterns (category_id, kind, value)
            SELECT 2, 'description', repeat('a', k) FROM generate_series(1, 12000) k;
    },
	shared_values => q{
        INSERT INTO categorize.patterns (category_id, kind, value)
            SELECT 2, 'keyword', 'b' FROM generate_series(1, 60000) i;
    });
foreach my $db (sort keys %setup)
{
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, qq{
        CREATE EXTENSION categorize;
        INSERT INTO categorize.categories (id, name) VALUES (1, 'Filler'), (2, 'Long');
        $setup{$db}
    });
}
is($node->safe_psql('word_steps', 'SELECT word_index_keys FROM categorize.index_info()'),
   '20001', 'word_steps: the keywords are in the word index');

# Each session builds its index first (a warm-up call), then the timed
# statement runs; the elapsed time covers the statement only.
sub timed
{
	my ($db, $settings, $query) = @_;
	my ($stdout, $stderr);
	$node->psql($db, qq{
        SELECT categorize.categorize('warm up') IS NULL;
        $settings
        SELECT extract(epoch FROM clock_timestamp());
        $query;
        SELECT extract(epoch FROM clock_timestamp());
    }, stdout => \$stdout, stderr => \$stderr, on_error_stop => 0);
	my @t = grep { /^\d+\.\d+$/ } split /\n/, $stdout;
	return ($t[1] - $t[0], $stdout, $stderr);
}

my %text = (
	word_steps => q{repeat('a ', 62000)},
	output_chains => q{repeat('a', 62000)},
	shared_values => q{repeat('b ', 31000)});
foreach my $db (sort keys %text)
{
	my ($elapsed, $stdout, $stderr) = timed($db, q{SET statement_timeout = '300ms';},
		qq{SELECT count(*) FROM categorize.explain($text{$db})});
	like($stderr, qr/canceling statement due to statement timeout/,
		 "$db: statement_timeout cancels the scan");
	cmp_ok($elapsed, '<', 1.0, "$db: canceled within moments ($elapsed s)");

	($elapsed, $stdout, $stderr) = timed($db, q{SET categorize.time_budget = '300ms';},
		qq{SELECT 'answers:' || count(*) FROM categorize.explain($text{$db})});
	like($stdout, qr/^answers:0$/m, "$db: over the time budget: no answer");
	cmp_ok($elapsed, '<', 1.0, "$db: stopped within moments of the budget ($elapsed s)");
}

# Without either, a scan runs to its end and finds the long keys.
is($node->safe_psql('word_steps', q{
    SELECT category FROM categorize.explain(repeat('a ', 30000)) WHERE rank = 1}),
   'Long', 'word_steps: the long key is found');
is($node->safe_psql('output_chains', q{
    SELECT category || ' ' || cardinality(pattern_ids)
    FROM categorize.explain(repeat('a', 12000)) WHERE rank = 1}),
   'Long 12000', 'output_chains: every key is found');
is($node->safe_psql('shared_values', q{
    SELECT category || ' ' || cardinality(pattern_ids)
    FROM categorize.explain('b b') WHERE rank = 1}),
   'Long 60000', 'shared_values: every pattern is found');

$node->stop;
done_testing();
