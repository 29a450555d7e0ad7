# Batch jobs on background workers: a multi-chunk job with two workers
# finishes with every row categorized and rows_done exact; jobs resume
# after a fast shutdown, an immediate shutdown, a worker killed with
# SIGKILL and the supervisor terminated or killed; cancel stops a job and keeps committed chunks; a full queue
# refuses new work at once; privileges, NOLOGIN roles and row-level
# security apply as for the submitting role.
#
# The large job has 1M rows in about 20 chunks of 50k rows on 2 workers;
# the other cases use 200k-row tables in about 20 chunks of 10k rows to
# keep the suite's runtime modest.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

my $rows = 200_000;
my $big_rows = 1_000_000;

my $node = PostgreSQL::Test::Cluster->new('batch');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'categorize'
max_worker_processes = 12
categorize.max_workers = 2
categorize.batch_chunk_rows = 10000
categorize.sync_batch_rows = 1000
categorize.queue_capacity = 30
log_min_messages = log
restart_after_crash = on
# a loaded CI machine must not turn a slow call into a NULL category here
categorize.time_budget = 0
});
$node->start;

$node->safe_psql('postgres', q{
    CREATE EXTENSION categorize;
    INSERT INTO categorize.categories (id, name) VALUES
        (1, 'Groceries'), (2, 'Transport'), (3, 'Dining'), (4, 'Utilities');
    INSERT INTO categorize.patterns (category_id, kind, value, weight) VALUES
        (1, 'merchant', 'whole foods', 4), (1, 'keyword', 'grocery', 4),
        (2, 'merchant', 'uber', 4), (2, 'keyword', 'taxi', 4),
        (3, 'merchant', 'starbucks', 4), (3, 'keyword', 'restaurant', 4),
        (4, 'keyword', 'electric bill', 4), (4, 'merchant', 'city water', 4);
    CREATE FUNCTION make_expenses(tab text, n int) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        EXECUTE format('CREATE TABLE %I (id bigint PRIMARY KEY, description text, merchant_name text,
                        amount numeric, owner_name text, category_id bigint)', tab);
        EXECUTE format($q$INSERT INTO %I
            SELECT g, (ARRAY['grocery run','taxi ride home','restaurant dinner','electric bill'])[1 + g %% 4] || ' #' || g,
                   (ARRAY['Whole Foods Market','Uber','Starbucks','City Water'])[1 + g %% 4],
                   (g %% 100) + 0.5, CASE WHEN g %% 2 = 0 THEN 'alice' ELSE 'bob' END, NULL
              FROM generate_series(1, %s) g$q$, tab, n);
    END $$;
});

sub submit
{
	my ($table, $role, $chunk_rows) = @_;
	my $set = $role ? "SET ROLE $role;" : '';
	$set .= "SET categorize.batch_chunk_rows = $chunk_rows;" if $chunk_rows;
	return $node->safe_psql('postgres', "$set CALL categorize.batch('$table')");
}

sub job_field
{
	my ($job, $field) = @_;
	return $node->safe_psql('postgres', "SELECT $field FROM categorize.jobs WHERE job_id = $job");
}

# every row categorized with the category its pattern gives, exactly once
sub check_complete
{
	my ($table, $job, $what, $n) = @_;
	$n //= $rows;
	is($node->safe_psql('postgres', "SELECT categorize.wait($job, '180 s')"), 'done', "$what: job done");
	is($node->safe_psql('postgres', qq{
		SELECT count(*) FROM $table
		 WHERE category_id IS DISTINCT FROM (id % 4) + 1}), '0',
	   "$what: every row categorized correctly");
	is(job_field($job, 'rows_done || \'/\' || rows_total || \'/\' || rows_failed'),
	   "$n/$n/0", "$what: rows_done exact");
	is(job_field($job, 'chunks_done = chunks_total'), 't', "$what: every chunk done");
}

sub wait_progress
{
	my ($job) = @_;
	$node->poll_query_until('postgres',
		"SELECT rows_done > 0 FROM categorize.jobs WHERE job_id = $job")
	  or die "job $job made no progress";
	return job_field($job, 'rows_done');
}

# poll_query_until dies ("ack Broken pipe") when psql exits before it has
# read the query, as it does while the server refuses connections during a
# crash restart: retry then.
sub poll_after_crash
{
	my ($query) = @_;
	for my $try (1 .. 5)
	{
		my $ok = eval { $node->poll_query_until('postgres', $query) };
		return $ok if defined $ok;
		note("poll_query_until failed during the crash restart, retrying: $@");
		sleep 1;
	}
	return 0;
}

# ---- a multi-chunk job on two workers ----
$node->safe_psql('postgres', "SELECT make_expenses('big', $big_rows)");
my $start = time;
my $job = submit('big', undef, 50000);
like($job, qr/^\d+$/, 'large table becomes a job');
like(job_field($job, 'chunks_total'), qr/^(20|21)$/, 'job split into chunks of about 10k rows');
$node->poll_query_until('postgres', "SELECT workers = 2 FROM categorize.batch_queue()")
  or diag('two workers were not seen at once');
check_complete('big', $job, 'large job', $big_rows);
note(sprintf('%d rows in %.1f s with 2 workers', $big_rows, time - $start));
is($node->safe_psql('postgres', q{SELECT queued_chunks || '/' || reserved_chunks FROM categorize.batch_queue()}),
   '0/0', 'queue empty afterwards');

# ---- resume after a fast shutdown, an immediate shutdown, a worker killed ----
# each chunk's UPDATE takes at least 0.2 s, so a job of 20 chunks is still
# running when the fault hits, however fast the machine
$node->safe_psql('postgres', q{
	CREATE FUNCTION slow_chunk() RETURNS trigger LANGUAGE plpgsql
	AS $$ BEGIN PERFORM pg_sleep(0.2); RETURN NULL; END $$;
});
for my $case ('fast', 'immediate', 'kill9', 'supervisor_term', 'supervisor_kill9')
{
	my $table = "resume_$case";
	$node->safe_psql('postgres', "SELECT make_expenses('$table', $rows)");
	$node->safe_psql('postgres',
		"CREATE TRIGGER slow BEFORE UPDATE ON $table FOR EACH STATEMENT EXECUTE FUNCTION slow_chunk()");
	my $job = submit($table);
	my $done_before = wait_progress($job);
	if ($case eq 'kill9')
	{
		my $pid = $node->safe_psql('postgres',
			"SELECT pid FROM pg_stat_activity WHERE backend_type = 'categorize batch worker' LIMIT 1");
		ok($pid =~ /^\d+$/, 'a batch worker is running');
		kill 'KILL', $pid;
		# the postmaster restarts every process; wait until it is back
		poll_after_crash('SELECT true') or die 'server did not come back';
	}
	elsif ($case =~ /^supervisor_(term|kill9)$/)
	{
		my $signal = $1 eq 'term' ? 'TERM' : 'KILL';
		my $supervisor = q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'categorize batch supervisor'};
		my $pid = $node->safe_psql('postgres', $supervisor);
		ok($pid =~ /^\d+$/, "$case: the supervisor is running");
		kill $signal, $pid;
		# SIGTERM: it restarts itself (bgw_restart_time); SIGKILL: crash restart
		poll_after_crash(
			"SELECT count(*) = 1 AND min(pid) <> $pid FROM pg_stat_activity WHERE backend_type = 'categorize batch supervisor'")
		  or die "$case: no new supervisor";
	}
	else
	{
		$node->stop($case);
		$node->start;
	}
	cmp_ok($done_before, '<', $rows, "$case: job was stopped mid-way ($done_before rows done)");
	check_complete($table, $job, "$case: resumed job");
}
like(slurp_file($node->logfile), qr/resuming \d+ pending chunks/, 'supervisor resumed pending chunks');

# ---- cancel: stops within a second, committed chunks stay ----
$node->safe_psql('postgres', "ALTER SYSTEM SET categorize.max_workers = 1; SELECT pg_reload_conf()");
$node->safe_psql('postgres', "SELECT make_expenses('to_cancel', $rows)");
$job = submit('to_cancel');
wait_progress($job);
$start = time;
is($node->safe_psql('postgres', "SELECT categorize.cancel($job)"), 't', 'cancel returns true');
is($node->safe_psql('postgres', "SELECT categorize.wait($job, '10 s')"), 'cancelled', 'wait returns cancelled');
$node->poll_query_until('postgres', "SELECT workers = 0 FROM categorize.batch_queue()")
  or die 'workers still busy';
my $stopped_after = time - $start;
cmp_ok($stopped_after, '<', 1.5, sprintf('workers stopped %.2f s after cancel', $stopped_after));
my $categorized = $node->safe_psql('postgres', "SELECT count(category_id) FROM to_cancel");
usleep(1_000_000);
is($node->safe_psql('postgres', "SELECT count(category_id) FROM to_cancel"), $categorized,
   'nothing categorized after cancel');
is(job_field($job, 'rows_done'), $categorized, 'committed chunks kept and counted');
cmp_ok($categorized, '<', $rows, 'job did not finish');
is($node->safe_psql('postgres', "SELECT categorize.cancel($job)"), 'f', 'second cancel returns false');

# ---- backpressure: a full queue refuses at once ----
$node->safe_psql('postgres', "ALTER SYSTEM SET categorize.max_workers = 0; SELECT pg_reload_conf()");
$node->safe_psql('postgres', "SELECT make_expenses('q1', $rows); SELECT make_expenses('q2', 100000)");
my $q1 = submit('q1');
my $q1_chunks = job_field($q1, 'chunks_total');
is(job_field($q1, 'state || \' \' || waiting_for'), 'queued categorize.max_workers is 0',
   'job waits in queued and says why');
my ($ret, $stdout, $stderr);
$start = time;
$ret = $node->psql('postgres', "CALL categorize.batch('q2')",
	stdout => \$stdout, stderr => \$stderr, extra_params => [ '-v', 'VERBOSITY=verbose' ]);
my $refused_after = time - $start;
isnt($ret, 0, 'submission to a full queue fails');
like($stderr, qr/53400: batch job queue is full: $q1_chunks of 30 chunks taken, this job needs 1[01]\b/,
	'full queue: SQLSTATE 53400 and how full');
like($stderr, qr/HINT:  Try again when running jobs have progressed/, 'full queue: hint');
cmp_ok($refused_after, '<', 2, 'refused at once');
$ret = $node->psql('postgres', "SET categorize.batch_chunk_rows = 3000; CALL categorize.batch('q2')",
	stderr => \$stderr);
like($stderr, qr/"q2" needs 3[345] chunks, more than the job queue holds \(30\)/, 'job larger than the queue refused');
like($stderr, qr/HINT:  Raise categorize.batch_chunk_rows \(now 3000\) or categorize.queue_capacity/,
	'job larger than the queue: hint');
is($node->safe_psql('postgres', q{SELECT count(*) FROM categorize.jobs WHERE target::text = 'q2'}),
   '0', 'refused jobs leave nothing behind');
$node->safe_psql('postgres', "ALTER SYSTEM SET categorize.max_workers = 2; SELECT pg_reload_conf()");
is($node->safe_psql('postgres', "SELECT categorize.wait($q1, '120 s')"), 'done', 'queued job runs once workers are allowed');
my $q2 = submit('q2');
is($node->safe_psql('postgres', "SELECT categorize.wait($q2, '120 s')"), 'done', 'queue accepts work again');

# ---- privileges, NOLOGIN roles, row-level security ----
$node->safe_psql('postgres', q{
    CREATE ROLE reader NOLOGIN;
    CREATE ROLE clerk NOLOGIN;
    CREATE ROLE alice NOLOGIN;
    SELECT make_expenses('priv', 20000);
    GRANT SELECT ON priv TO reader, clerk;
    GRANT UPDATE ON priv TO clerk;
    SELECT make_expenses('rls', 20000);
    ALTER TABLE rls ENABLE ROW LEVEL SECURITY;
    CREATE POLICY own_rows ON rls USING (owner_name = current_user);
    GRANT SELECT, UPDATE ON rls TO alice;
});
$ret = $node->psql('postgres', "SET ROLE reader; CALL categorize.batch('priv')", stderr => \$stderr);
like($stderr, qr/permission denied to categorize table "priv"/, 'role without UPDATE refused');

$job = submit('priv', 'clerk');
is($node->safe_psql('postgres', "SET ROLE clerk; SELECT categorize.wait($job, '120 s')"), 'done',
   'NOLOGIN role with UPDATE: job done');
is($node->safe_psql('postgres', "SELECT count(*) FROM priv WHERE category_id IS NULL"), '0',
   'NOLOGIN role: every row categorized');
is($node->safe_psql('postgres', "SET ROLE clerk; SELECT owner FROM categorize.jobs WHERE job_id = $job"),
   'clerk', 'job runs as the submitting role');
is($node->safe_psql('postgres', "SET ROLE reader; SELECT count(*) FROM categorize.jobs"), '0',
   'another role sees no job');
$ret = $node->psql('postgres', "SET ROLE reader; SELECT categorize.cancel($job)", stderr => \$stderr);
like($stderr, qr/batch job $job does not exist/, 'another role cannot cancel it');

$job = submit('rls', 'alice');
is($node->safe_psql('postgres', "SET ROLE alice; SELECT categorize.wait($job, '120 s')"), 'done',
   'RLS: job done');
is($node->safe_psql('postgres', q{
	SELECT owner_name || ':' || count(category_id) || '/' || count(*) FROM rls GROUP BY owner_name ORDER BY owner_name}),
   "alice:10000/10000\nbob:0/10000", 'RLS: only the rows the role may see are categorized');
is(job_field($job, 'rows_done || \'/\' || rows_total'), '10000/10000', 'RLS: rows counted as the role sees them');

# ---- the submitter's session settings go with the job ----
$node->safe_psql('postgres', "SELECT make_expenses('strict', 20000)");
$job = $node->safe_psql('postgres', "SET categorize.min_confidence = 1; CALL categorize.batch('strict')");
is($node->safe_psql('postgres', "SELECT categorize.wait($job, '120 s')"), 'done', 'job with strict settings done');
is($node->safe_psql('postgres', "SELECT settings->>'categorize.min_confidence' FROM categorize.batch_jobs WHERE job_id = $job"),
   '1', 'session setting recorded with the job');
is($node->safe_psql('postgres', "SELECT count(category_id) || '/' || count(*) FROM strict"),
   $node->safe_psql('postgres', "SET categorize.min_confidence = 1; SELECT count(categorize.categorize(s)) || '/' || count(*) FROM strict s"),
   'workers categorize with the submitter\'s min_confidence');

# ---- a chunk that fails is recorded and the job goes on ----
$node->safe_psql('postgres', q{
    SELECT make_expenses('failing', 20000);
    CREATE FUNCTION refuse_row() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.id = 12345 THEN
            RAISE EXCEPTION 'row 12345 is locked by the auditors';
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER refuse BEFORE UPDATE ON failing FOR EACH ROW EXECUTE FUNCTION refuse_row();
});
$job = submit('failing', undef, 5000);
is($node->safe_psql('postgres', "SELECT categorize.wait($job, '120 s')"), 'failed', 'job with a failing chunk ends failed');
my ($done, $failed, $chunks_failed, $error) = split /\|/, job_field($job,
	q{rows_done || '|' || rows_failed || '|' || chunks_failed || '|' || last_error});
is($chunks_failed, '1', 'one chunk failed');
is($done + $failed, 20000, 'rows_done + rows_failed = rows_total');
is($node->safe_psql('postgres', 'SELECT count(*) FROM failing WHERE category_id IS NULL'), $failed,
   'rows_failed are the rows left uncategorized');
is($error, 'row 12345 is locked by the auditors', "the chunk's error is recorded");

# ---- a worker stopped with SIGTERM gives its chunk back ----
$node->safe_psql('postgres', "SELECT make_expenses('sigterm', $rows)");
$job = submit('sigterm');
wait_progress($job);
my $pid = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'categorize batch worker' LIMIT 1");
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)") if $pid =~ /^\d+$/;
check_complete('sigterm', $job, 'worker terminated');

$node->stop;
done_testing();
