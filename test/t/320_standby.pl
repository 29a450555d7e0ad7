# A streaming standby with categorize preloaded: it answers from the
# patterns it has replayed, and a pattern change on the primary (a new
# pattern, a weight change, a deactivation) reaches a standby session's
# warm index once replayed, through the invalidations the commit records
# carry (the primary's shared memory is not the standby's).  What writes
# (learn(), batch()) fails with the read-only error; the batch supervisor
# waits for the end of recovery.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', q{shared_preload_libraries = 'categorize'});
$primary->start;
$primary->safe_psql('postgres', q{
    CREATE EXTENSION categorize;
    INSERT INTO categorize.categories (id, name) VALUES (1, 'Coffee'), (2, 'Tea');
    INSERT INTO categorize.patterns (id, category_id, kind, value, weight) VALUES
        (1, 1, 'keyword', 'espresso', 2),
        (2, 2, 'keyword', 'espresso', 1);
    CREATE TABLE expenses (id int, description text, category_id bigint);
    INSERT INTO expenses VALUES (1, 'espresso bar', NULL), (2, 'matcha latte', NULL);
});
$primary->backup('backup');

my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'backup', has_streaming => 1);
$standby->start;

# one session on the standby, kept open, so its index stays warm
my $reader = $standby->background_psql('postgres');
my $answers = q{SELECT string_agg(e.id || ':' || coalesce(categorize.categorize(e)::text, '-'), ' ' ORDER BY e.id)
                  FROM expenses e};
is($reader->query_safe($answers), '1:1 2:-', 'the standby answers from the replayed patterns');
my $builds = q{SELECT index_builds || '/' || index_refreshes FROM categorize.stats};
is($reader->query_safe($builds), '1/0', 'one index built on the standby');

# each change on the primary, once replayed, is in the standby session's answers
sub after_replay
{
	my ($sql, $expected, $what) = @_;
	$primary->safe_psql('postgres', $sql);
	$primary->wait_for_catchup($standby, 'replay');
	is($reader->query_safe($answers), $expected, $what);
}

after_replay(q{INSERT INTO categorize.patterns (id, category_id, kind, value, weight)
                   VALUES (3, 2, 'keyword', 'matcha', 3)},
	'1:1 2:2', 'a new pattern on the primary');
after_replay(q{UPDATE categorize.patterns SET weight = 5 WHERE id = 2},
	'1:2 2:2', 'a weight change on the primary');
is($reader->query_safe($builds), '2/1', 'the weight change was taken in place');
after_replay(q{UPDATE categorize.patterns SET active = false WHERE id = 3},
	'1:2 2:-', 'a pattern deactivated on the primary');

# a transaction on the standby sees changes replayed while it is open, as
# a new snapshot does
$reader->query_safe('BEGIN');
is($reader->query_safe($answers), '1:2 2:-', 'inside a transaction on the standby');
after_replay(q{UPDATE categorize.patterns SET weight = 0.5 WHERE id = 2},
	'1:1 2:-', 'a change replayed while the standby transaction is open');
$reader->query_safe('COMMIT');

# writes fail as on any standby: SQLSTATE 25006, nothing half done
for my $q (q{SELECT categorize.learn(e, 1) FROM expenses e WHERE id = 2},
	q{CALL categorize.batch('expenses')})
{
	my ($ret, $out, $err) = $standby->psql('postgres', "\\set VERBOSITY verbose\n$q");
	like($err, qr/ERROR:\s+25006:/, "$q: read-only error on the standby");
}
is($standby->safe_psql('postgres', q{SELECT count(*) FROM pg_stat_activity
                                     WHERE backend_type = 'categorize batch supervisor'}),
	'0', 'no batch supervisor on the standby');

# promoted, the standby starts its supervisor and runs a batch
$reader->quit;
$standby->promote;
$standby->poll_query_until('postgres', q{SELECT count(*) = 1 FROM pg_stat_activity
                                         WHERE backend_type = 'categorize batch supervisor'})
  or die 'no supervisor after promotion';
$standby->safe_psql('postgres', q{CALL categorize.batch('expenses')});
is($standby->safe_psql('postgres', q{SELECT string_agg(id || ':' || coalesce(category_id::text, '-'), ' ' ORDER BY id)
                                     FROM expenses}),
	'1:1 2:-', 'after promotion: a batch writes the categories');

$standby->stop;
$primary->stop;
done_testing();
