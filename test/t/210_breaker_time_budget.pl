# A tiny time budget makes every call on a hostile input time out: the
# breaker opens after exactly breaker_failure_threshold of them, inserts
# through the trigger still succeed (uncategorized) while it is open, it
# turns half-open after breaker_reset_timeout and one good call closes it.
# The budget is enforced inside the regex engine without swallowing a
# user's cancel.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $node = PostgreSQL::Test::Cluster->new('breaker');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'categorize'
categorize.time_budget = '5ms'
categorize.breaker_failure_threshold = 4
categorize.breaker_reset_timeout = '2s'
});
$node->start;

# (\w{3,})\1z backtracks for seconds on 1 kB of text without a repeat
$node->safe_psql('postgres', q{
    CREATE EXTENSION categorize;
    INSERT INTO categorize.categories (id, name) VALUES (1, 'Coffee'), (2, 'Puzzles');
    INSERT INTO categorize.patterns (id, category_id, kind, value, weight) VALUES
        (1, 1, 'merchant', 'Starbucks', 3),
        (2, 2, 'regex', '(\w{3,})\1z', 3);
    CREATE TABLE hostile AS
        SELECT (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 40) i) || 'z' AS description;
    CREATE TABLE expenses (id serial PRIMARY KEY, description text, category_id bigint);
    CREATE TRIGGER categorize_expense BEFORE INSERT ON expenses
        FOR EACH ROW EXECUTE FUNCTION categorize.trigger('category_id');
});

my $stats = sub {
    $node->safe_psql('postgres',
        'SELECT breaker_state, breaker_failures, timeouts, short_circuited FROM categorize.stats');
};

# every call times out; each is stopped early by the budget
for my $i (1 .. 3)
{
    my $start = time;
    is($node->safe_psql('postgres', 'SELECT categorize.categorize(h) IS NULL FROM hostile h'),
        't', "hostile call $i answers NULL");
    cmp_ok(time - $start, '<', 2, "hostile call $i stopped by the time budget");
    is($stats->(), "closed|$i|$i|0", "closed after $i of 4 failures");
}
$node->safe_psql('postgres', 'SELECT categorize.categorize(h) FROM hostile h');
is($stats->(), 'open|4|4|0', 'open after exactly 4 failures');

# open: good calls answer NULL at once; trigger inserts succeed, uncategorized
is($node->safe_psql('postgres', q{SELECT categorize.categorize('Starbucks') IS NULL}),
    't', 'open: a good call is short-circuited');
$node->safe_psql('postgres', q{
    INSERT INTO expenses (description) VALUES ('Starbucks'), ('Starbucks 2');
    INSERT INTO expenses (description) SELECT description FROM hostile;
});
is($node->safe_psql('postgres', 'SELECT count(*), count(category_id) FROM expenses'),
    '3|0', 'open: inserts through the trigger succeed and stay uncategorized');
is($stats->(), 'open|4|4|4', 'open: the calls were short-circuited, not run');

# half-open after the reset timeout
ok($node->poll_query_until('postgres',
        q{SELECT breaker_state = 'half_open' FROM categorize.stats}),
    'half-open after breaker_reset_timeout');
is($node->safe_psql('postgres',
        q{SELECT status FROM categorize.health() WHERE metric = 'breaker_state'}),
    'warning', 'health: half-open is a warning');

# one good call (the probe) closes it
# (good calls get a roomier budget: a busy machine may preempt one for 5 ms)
is($node->safe_psql('postgres',
        q{SET categorize.time_budget = '10s'; SELECT categorize.categorize('Starbucks')}),
    '1', 'the probe is categorized');
is($stats->(), 'closed|0|4|4', 'closed after a good probe');
$node->safe_psql('postgres',
    q{SET categorize.time_budget = '10s'; INSERT INTO expenses (description) VALUES ('Starbucks 3')});
is($node->safe_psql('postgres', q{SELECT category_id FROM expenses WHERE description = 'Starbucks 3'}),
    '1', 'closed: the trigger categorizes again');

# a user's cancel during a regex under a (long) budget is not swallowed
my ($out, $err) = ('', '');
my $h = IPC::Run::start(
    [ 'psql', '-X', '-d', $node->connstr('postgres'), '-c',
      q{SET categorize.time_budget = '60s'; SELECT categorize.categorize(h) FROM hostile h} ],
    '>', \$out, '2>', \$err);
ok($node->poll_query_until('postgres',
        q{SELECT count(*) = 1 FROM pg_stat_activity WHERE query LIKE '%FROM hostile h' AND state = 'active'}),
    'hostile call running');
sleep 0.2;
$node->safe_psql('postgres',
    q{SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%FROM hostile h' AND state = 'active'});
$h->finish;
like($err, qr/canceling statement due to user request/, 'user cancel reaches the user');
is($stats->(), 'closed|0|4|4', 'a cancelled call is no breaker failure');

$node->stop;
done_testing();
