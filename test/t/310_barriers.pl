# Commands that wait until every process has absorbed a procsignal barrier
# (on PostgreSQL 15: DROP DATABASE and ALTER DATABASE ... SET TABLESPACE,
# which make each process release its file handles) finish
# with categorize preloaded: its batch supervisor, which sleeps on its latch
# between rounds, absorbs them and stays up.  Before the supervisor did,
# DROP DATABASE waited on ProcSignalBarrier for ever.  A cancel sent to the
# supervisor is ignored.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('barriers');
$node->init;
$node->append_conf('postgresql.conf', q{shared_preload_libraries = 'categorize'});
$node->start;

my $supervisor = q{SELECT pid FROM pg_stat_activity
                   WHERE backend_type = 'categorize batch supervisor'};
$node->poll_query_until('postgres', "SELECT count(*) = 1 FROM ($supervisor) s")
  or die 'the batch supervisor did not start';
my $pid = $node->safe_psql('postgres', $supervisor);

my $tablespace_dir = $node->basedir . '/ts';
mkdir $tablespace_dir or die "mkdir $tablespace_dir: $!";

# each command in its own psql, with a time limit: a barrier nobody absorbs
# makes it wait for ever
sub finishes
{
	my ($sql, $what) = @_;
	my ($stdout, $stderr, $timed_out);
	my $ret = $node->psql('postgres', $sql,
		stdout => \$stdout, stderr => \$stderr,
		timeout => 60, timed_out => \$timed_out);
	ok(!$timed_out && defined $ret && $ret == 0, "$what finishes")
	  or diag("timed out: " . ($timed_out ? 'yes' : 'no') . "; $stderr");
}

$node->safe_psql('postgres', 'CREATE DATABASE scratch');
$node->safe_psql('scratch', 'CREATE EXTENSION categorize');
finishes('DROP DATABASE scratch', 'DROP DATABASE');

finishes("CREATE TABLESPACE ts LOCATION '$tablespace_dir'", 'CREATE TABLESPACE');
$node->safe_psql('postgres', 'CREATE DATABASE moving');
finishes('ALTER DATABASE moving SET TABLESPACE ts', 'ALTER DATABASE SET TABLESPACE');
finishes('DROP DATABASE moving', 'DROP DATABASE of a moved database');
$node->safe_psql('postgres', 'DROP TABLESPACE ts');

# a cancel means nothing to the supervisor (it used to exit, to be
# restarted 5 s later); its loop wakes at least once a second
is($node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)"), 't', 'supervisor sent a cancel');
sleep 2;
is($node->safe_psql('postgres', $supervisor), $pid,
	'the supervisor absorbed the barriers, ignored the cancel and kept running');

$node->stop;
done_testing();
