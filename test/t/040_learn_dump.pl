# What learning produced is user data: the feedback log, the learned
# patterns and their provenance survive pg_dump / pg_restore, and the
# restored database keeps learning where the original left off.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('learn_dump');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'categorize'");
$node->start;

$node->safe_psql('postgres', q{
    CREATE DATABASE src;
    CREATE DATABASE dst;
});
$node->safe_psql('src', q{
    CREATE EXTENSION categorize;
    INSERT INTO categorize.categories (name) VALUES ('Restaurants'), ('Hobbies');
    CREATE TABLE expenses (id int, user_id text, description text);
    INSERT INTO expenses VALUES
        (1, NULL, 'SQ *ALPHA BISTRO OAKLAND CA'), (2, NULL, 'BETA BISTRO #4 SF'),
        (3, NULL, 'GAMMA BISTRO 0042'), (4, 'ann', 'CLAYWORKS STUDIO #1'),
        (5, NULL, 'DELTA BISTRO');
    SELECT categorize.learn(e, (SELECT id FROM categorize.categories WHERE name = 'Restaurants'))
      FROM expenses e WHERE id <= 3 ORDER BY id;
    SELECT categorize.learn(e, (SELECT id FROM categorize.categories WHERE name = 'Hobbies'))
      FROM expenses e WHERE id = 4;
});

my $state = q{
    SELECT (SELECT count(*) FROM categorize.feedback) || '/' ||
           (SELECT count(*) FROM categorize.learned_from) || '/' ||
           (SELECT string_agg(kind || ':' || value || ':' || coalesce(user_id, '-'), ',' ORDER BY id)
              FROM categorize.patterns) || '/' ||
           (SELECT string_agg(pattern_id || ':' || action, ',' ORDER BY feedback_id, pattern_id, action)
              FROM categorize.pattern_feedback)
};
my $answers = q{
    SELECT string_agg(coalesce(categorize.categorize(e)::text, '-'), ',' ORDER BY id) FROM expenses e
};
my $state_before = $node->safe_psql('src', $state);
my $answers_before = $node->safe_psql('src', $answers);
like($state_before, qr/^4\/7\/.*keyword:bistro:-.*merchant:clayworks studio:ann/,
     'learned merchant, keyword and per-user patterns before dump');

my $dump = $node->basedir . '/src.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('src'), '-f', $dump ], 'pg_dump');
$node->command_ok([ 'pg_restore', '-d', $node->connstr('dst'), $dump ], 'pg_restore');

is($node->safe_psql('dst', $state), $state_before, 'feedback, provenance and learned patterns restored');
is($node->safe_psql('dst', $answers), $answers_before, 'restored database categorizes the same');

# the feedback sequence was restored: learning continues with fresh ids
$node->safe_psql('dst', q{
    SELECT categorize.learn(e, (SELECT id FROM categorize.categories WHERE name = 'Restaurants'))
      FROM expenses e WHERE id = 5;
});
is($node->safe_psql('dst', q{SELECT count(DISTINCT id) FROM categorize.feedback}), '5',
   'learning continues after restore');

$node->stop;
done_testing();
