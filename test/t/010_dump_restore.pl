# Categories and patterns are user data: they survive pg_dump / pg_restore,
# and the restored database categorizes exactly as the original.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'categorize'");
$node->start;

$node->safe_psql('postgres', q{
    CREATE DATABASE src;
    CREATE DATABASE dst;
});
$node->safe_psql('src', q{
    CREATE EXTENSION categorize;
    SELECT categorize.load_sample_data();
    INSERT INTO categorize.categories (name) VALUES ('Board Games');
    INSERT INTO categorize.patterns (category_id, kind, value, weight, usage_count, success_count, user_created)
        SELECT id, 'merchant', 'Meeple Corner', 4, 7, 6, true FROM categorize.categories WHERE name = 'Board Games';
    UPDATE categorize.patterns SET active = false WHERE value = 'Subway';
    CREATE TABLE expenses (description text, merchant_name text, amount numeric);
    INSERT INTO expenses VALUES ('card', 'Meeple Corner', 30), ('STARBUCKS 12', NULL, 4),
                                ('SUBWAY 0042', NULL, 9), ('nothing', NULL, 1);
});

my $query = q{
    SELECT string_agg(coalesce(c.name, '-'), ',' ORDER BY e.description)
      FROM expenses e LEFT JOIN categorize.categories c ON c.id = categorize.categorize(e)
};
my $before = $node->safe_psql('src', $query);
my $counts = q{
    SELECT (SELECT count(*) FROM categorize.categories) || '/' ||
           (SELECT count(*) FROM categorize.patterns) || '/' ||
           (SELECT count(*) FROM categorize.patterns WHERE NOT active) || '/' ||
           (SELECT sum(usage_count) FROM categorize.patterns)
};
my $counts_before = $node->safe_psql('src', $counts);

my $dump = $node->basedir . '/src.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('src'), '-f', $dump ], 'pg_dump');
$node->command_ok([ 'pg_restore', '-d', $node->connstr('dst'), $dump ], 'pg_restore');

is($node->safe_psql('dst', $counts), $counts_before, 'categories and patterns restored');
is($node->safe_psql('dst', $query), $before, 'restored database categorizes the same');
like($before, qr/Board Games/, 'user pattern used before dump');

# sequences were restored too: new rows get fresh ids
$node->safe_psql('dst', q{
    INSERT INTO categorize.categories (name) VALUES ('After Restore');
});
is($node->safe_psql('dst', q{SELECT count(*) FROM categorize.categories}),
   $node->safe_psql('src', q{SELECT count(*) FROM categorize.categories}) + 1,
   'new category after restore');

$node->stop;
done_testing();
