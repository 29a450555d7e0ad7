# Another session's pattern change is used as soon as its commit is visible,
# not only once the commit has announced it.  A committing transaction
# becomes visible before its commit callback bumps the pattern-set
# generation and before its relcache invalidation goes out;
# categorize.test_commit_delay holds a committing session in between.  A
# warm reader whose statement sees the new pattern must answer with it:
# in autocommit, and inside a transaction block (which processes no
# invalidations while it holds its locks).  While the commit is still in
# progress the reader keeps its index and answers as before.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $delay_s = 6;

my $node = PostgreSQL::Test::Cluster->new('commit_window');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'categorize'
categorize.time_budget = 0
});
$node->start;

$node->safe_psql('postgres', q{
    CREATE EXTENSION categorize;
    INSERT INTO categorize.categories (id, name) VALUES (1, 'Coffee'), (2, 'Tea');
    INSERT INTO categorize.patterns (category_id, kind, value, weight)
        VALUES (1, 'keyword', 'espresso', 4);
});

my $reader = $node->background_psql('postgres');
my $writer = $node->background_psql('postgres');
my $writer_pid = $writer->query_safe('SELECT pg_backend_pid()');

# One round: the writer adds a keyword for Tea and commits, held in its
# commit; the reader polls until its statements see the row.
sub round
{
	my ($word, $what) = @_;

	is($reader->query_safe("SELECT coalesce(categorize.categorize('$word latte'), 0)"),
		'0', "$what: the reader's warm index does not know '$word'");

	$writer->query_until(qr/committing/, qq{
SET categorize.test_commit_delay = '${delay_s}s';
\\echo committing
INSERT INTO categorize.patterns (category_id, kind, value, weight) VALUES (2, 'keyword', '$word', 4);
});

	# before the commit is visible the reader keeps answering as before
	# (the first poll may already see it: then there is nothing to check)
	my $row;
	my @before;
	for (my $i = 0; $i < 200; $i++)
	{
		$row = $reader->query_safe(qq{
			SELECT (SELECT count(*) FROM categorize.patterns WHERE value = '$word'),
			       coalesce(categorize.categorize('$word latte'), 0),
			       (SELECT state FROM pg_stat_activity WHERE pid = $writer_pid)});
		last if $row =~ /^1\|/;
		push @before, $row;
		usleep(20_000);
	}
	is(join(' ', grep { !/^0\|0\|/ } @before), '',
		"$what: not visible yet, old answer (" . scalar(@before) . " polls)");
	is($row, '1|2|active',
		"$what: the statement that first sees the commit answers with it, while the writer is still in its commit");

	# the writer finishes its commit
	$writer->query_safe('RESET categorize.test_commit_delay');
	is($reader->query_safe("SELECT categorize.categorize('$word latte')"), '2',
		"$what: and after the commit is announced");
}

round('rooibos', 'autocommit');

$reader->query_safe('BEGIN');
is($reader->query_safe("SELECT categorize.categorize('espresso')"), '1',
	'transaction block: warm index');
round('matcha', 'transaction block');
$reader->query_safe('COMMIT');

$reader->quit;
$writer->quit;
$node->stop;
done_testing();
