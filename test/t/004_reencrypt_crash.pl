# An immediate shutdown in the middle of online re-encryption: after the
# restart nothing is lost or sealed twice, and calling ci.reencrypt()
# again finishes the job.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use Time::HiRes qw(usleep);

my $key = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'customer_info'\n"
	  . "customer_info.key_command = 'echo $key'\nlog_statement = none");
$node->start;

my $rows = 20000;
$node->safe_psql('postgres', qq{
	CREATE EXTENSION customer_info CASCADE;
	CREATE TABLE t (id int PRIMARY KEY, v text);
	SELECT ci.protect('t', 'v', 'cn_mobile');
	INSERT INTO t SELECT i, (13800000000 + i)::text FROM generate_series(1, $rows) i;
	-- slow each batch down, so that the shutdown lands in the middle
	CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS
		'BEGIN PERFORM pg_sleep(0.05); RETURN NULL; END';
	CREATE TRIGGER slow AFTER UPDATE ON t FOR EACH STATEMENT EXECUTE FUNCTION slow();
	SELECT ci.rotate_key();
});
my $digest = q{SELECT count(*), md5(string_agg(ci.reveal(t, 'v'), ',' ORDER BY id)) FROM t};
my $before = $node->safe_psql('postgres', $digest);
my $usage = q{SELECT string_agg(key_id || ':' || "values", ' ' ORDER BY key_id)
	FROM ci.key_usage()};
is($node->safe_psql('postgres', $usage), "1:$rows", 'all values under the first key');

my ($out, $err) = ('', '');
my $h = IPC::Run::start(
	[ 'psql', '-X', '-d', $node->connstr('postgres'),
	  '-c', "CALL ci.reencrypt('t', 'v', 500)" ],
	'>', \$out, '2>', \$err);

# wait until some batches have committed, then pull the plug
my $moved = 0;
foreach my $i (1 .. 600)
{
	$moved = $node->safe_psql('postgres',
		q{SELECT count(*) FROM t WHERE ci.envelope_key_id(v) = 2});
	last if $moved >= 1000;
	usleep(100_000);
}
cmp_ok($moved, '>=', 1000, 'some batches committed before the crash');
$node->stop('immediate');
$h->finish;
$node->start;

my $after_crash = $node->safe_psql('postgres', $usage);
like($after_crash, qr/^1:\d+ 2:\d+$/, "after the crash the values are under both keys ($after_crash)");
is($node->safe_psql('postgres', $digest), $before,
	'after the crash every value opens and none is lost or changed');

$node->safe_psql('postgres', "CALL ci.reencrypt('t', 'v', 5000)");
is($node->safe_psql('postgres', $usage), "2:$rows",
	'calling it again finishes: every value under the new key');
is($node->safe_psql('postgres', $digest), $before,
	'and every value is the same plaintext as before');

$node->stop;
done_testing();
