# ALTER EXTENSION categorize UPDATE, from the oldest version this tree can
# install to the default one, keeps the user's data, and leaves the same
# schema as a fresh install of the default version.  (While 1.0 is the only
# version there is nothing to update; the test then checks exactly that,
# and it starts checking real upgrades as soon as an upgrade script lands.)
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'categorize'");
$node->start;

my $default = $node->safe_psql('postgres',
    q{SELECT default_version FROM pg_available_extensions WHERE name = 'categorize'});
my @versions = split /\n/, $node->safe_psql('postgres',
    q{SELECT version FROM pg_available_extension_versions WHERE name = 'categorize'
      ORDER BY string_to_array(version, '.')::int[]});
my $oldest = $versions[0];
note "versions available: @versions; default $default";

$node->safe_psql('postgres', 'CREATE DATABASE upgraded');
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('upgraded', qq{
    CREATE EXTENSION categorize VERSION '$oldest';
    SELECT categorize.load_sample_data();
    INSERT INTO categorize.categories (name) VALUES ('Board Games');
    INSERT INTO categorize.patterns (category_id, kind, value, weight, usage_count, success_count)
        SELECT id, 'merchant', 'Meeple Corner', 4, 3, 2 FROM categorize.categories WHERE name = 'Board Games';
});
my $data = q{
    SELECT md5(string_agg(format('%s|%s|%s|%s|%s|%s|%s', p.id, c.name, p.kind, p.value, p.weight,
                                 p.usage_count, p.success_count), ',' ORDER BY p.id))
      FROM categorize.patterns p JOIN categorize.categories c ON c.id = p.category_id
};
my $before = $node->safe_psql('upgraded', $data);
my $answer = q{SELECT categorize.categorize('card', 'Meeple Corner') IS NOT NULL};
is($node->safe_psql('upgraded', $answer), 't', "version $oldest categorizes");

$node->safe_psql('upgraded', 'ALTER EXTENSION categorize UPDATE');
is($node->safe_psql('upgraded', q{SELECT extversion FROM pg_extension WHERE extname = 'categorize'}),
   $default, "updated from $oldest to $default");
is($node->safe_psql('upgraded', $data), $before, 'patterns and categories kept');
is($node->safe_psql('upgraded', $answer), 't', 'still categorizes after the update');

# same objects as a fresh install
$node->safe_psql('fresh', 'CREATE EXTENSION categorize');
my $objects = q{
    SELECT string_agg(pg_describe_object(classid, objid, objsubid), E'\n' ORDER BY 1)
      FROM pg_depend
     WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
       AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'categorize')
};
is($node->safe_psql('upgraded', $objects), $node->safe_psql('fresh', $objects),
   'the updated extension has the same objects as a fresh install');
my $columns = q{
    SELECT string_agg(format('%s.%s %s %s %s', c.relname, a.attname,
                             format_type(a.atttypid, a.atttypmod), a.attnotnull,
                             pg_get_expr(d.adbin, d.adrelid)), E'\n' ORDER BY c.relname, a.attname)
      FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
     WHERE c.relnamespace = 'categorize'::regnamespace
};
is($node->safe_psql('upgraded', $columns), $node->safe_psql('fresh', $columns),
   'the updated tables and views have the same columns as a fresh install');

$node->stop;
done_testing();
