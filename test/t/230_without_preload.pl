# Without shared_preload_libraries categorize() works (no statistics, the
# breaker always allows) and everything needing shared state fails with
# SQLSTATE 55000 and a hint naming shared_preload_libraries.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('nopreload');
$node->init;
$node->start;

$node->safe_psql('postgres', q{
    CREATE EXTENSION categorize;
    INSERT INTO categorize.categories (id, name) VALUES (1, 'Coffee');
    INSERT INTO categorize.patterns (category_id, kind, value, weight) VALUES (1, 'merchant', 'Starbucks', 3);
});
is($node->safe_psql('postgres', q{SELECT categorize.categorize('Starbucks #5')}),
    '1', 'categorize() works without preload');
is($node->safe_psql('postgres', q{
    CREATE TABLE expenses (description text, category_id bigint);
    CREATE TRIGGER c BEFORE INSERT ON expenses FOR EACH ROW EXECUTE FUNCTION categorize.trigger('category_id');
    INSERT INTO expenses (description) VALUES ('Starbucks');
    SELECT category_id FROM expenses}), '1', 'the trigger works without preload');

for my $q ('SELECT * FROM categorize.stats', 'SELECT * FROM categorize.health()',
    'SELECT categorize.stats_reset()', 'SELECT categorize.breaker_reset()',
    'SELECT * FROM categorize.index_cache')
{
    my ($ret, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\n$q");
    isnt($ret, 0, "$q fails");
    like($err, qr/ERROR:\s+55000: .*needs categorize's shared memory/, "$q: SQLSTATE 55000");
    like($err, qr/HINT:\s+Add categorize to shared_preload_libraries/, "$q: hint names shared_preload_libraries");
}

$node->stop;
done_testing();
