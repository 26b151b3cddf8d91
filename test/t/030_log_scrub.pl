# Errors while writing a protected table do not carry its plaintext into
# the server log: failing COPYs, INSERTs and UPDATEs (NOT NULL, bad input,
# unique violations, syntax errors, through a function and a prepared
# statement), then the server log is searched for every plaintext of the
# fixtures.  The same failures on an unprotected table do log their values,
# so the search can fail.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $key = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';

# A synthetic resident ID number: 17 digits and their GB 11643 check
# character.
sub cn_id
{
	my ($body) = @_;
	my @w = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2);
	my $sum = 0;
	$sum += substr($body, $_, 1) * $w[$_] for 0 .. 16;
	return $body . substr('10X98765432', $sum % 11, 1);
}

my $node = PostgreSQL::Test::Cluster->new('log_scrub');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'customer_info'
customer_info.key_command = 'echo $key'
log_min_duration_statement = 0
log_min_error_statement = error
log_statement = none
});
$node->start;

# customers is protected (id_number and mobile encrypted, name classified
# and kept in clear, unique); plain is the same table unprotected.
$node->safe_psql('postgres', q{
	CREATE EXTENSION customer_info CASCADE;
	CREATE TABLE customers (id int PRIMARY KEY, id_number text, mobile text,
		name text UNIQUE, note text NOT NULL);
	CREATE TABLE plain (LIKE customers INCLUDING ALL);
	SELECT ci.protect('customers', 'id_number', 'cn_id');
	SELECT ci.protect('customers', 'mobile', 'cn_mobile');
	SELECT ci.protect('customers', 'name', 'name', 'C1', encrypted => false);
	CREATE FUNCTION add_customer(tbl regclass, id int, idn text, mob text, nm text)
	RETURNS void LANGUAGE plpgsql AS $$
	BEGIN
		EXECUTE format('INSERT INTO %s (id, id_number, mobile, name) VALUES ($1, $2, $3, $4)', tbl)
			USING id, idn, mob, nm;
	END $$;
});

# Fixtures, one set per table: [ id_number, mobile, name ] per case.
my @cases = qw(copy_not_null copy_unique_name copy_bad_mobile insert_not_null
  insert_bad_literal insert_unique update_not_null update_syntax function prepared
  logged_ok);
my (%prot, %plain);
my $n = 100;
foreach my $case (@cases)
{
	$n++;
	$prot{$case} = [ cn_id("11010519900101$n"), "1376666$n" . '1', "Prot $case" ];
	$plain{$case} = [ cn_id("44030519850201$n"), "1590000$n" . '2', "Plain $case" ];
}

# The protected table's invalid mobile number (mainland numbers start 13-19).
$prot{copy_bad_mobile}[1] = '12766661061';

# A row of each table that later cases collide with (id 1, name "Taken").
foreach my $t ('customers', 'plain')
{
	$node->safe_psql('postgres', qq{INSERT INTO $t (id, id_number, mobile, name, note)
		VALUES (1, '@{[cn_id('31011519850615004')]}', '13912345678', 'Taken', 'x')});
}

# Run each failing statement against both tables; the client's errors stay
# as PostgreSQL makes them.
my %client;
foreach my $t ('customers', 'plain')
{
	my $f = $t eq 'customers' ? \%prot : \%plain;
	my %sql = (
		copy_not_null => "COPY $t (id, id_number, mobile, name, note) FROM STDIN;\n"
		  . "10\t$f->{copy_not_null}[0]\t$f->{copy_not_null}[1]\t$f->{copy_not_null}[2]\t\\N\n\\.\n",
		copy_unique_name => "COPY $t (id, id_number, mobile, name, note) FROM STDIN;\n"
		  . "12\t$f->{copy_unique_name}[0]\t$f->{copy_unique_name}[1]\t$f->{copy_unique_name}[2]\tn\n"
		  . "13\t$f->{copy_unique_name}[0]\t$f->{copy_unique_name}[1]\t$f->{copy_unique_name}[2]\tn\n\\.\n",
		copy_bad_mobile => "COPY $t (id, id_number, mobile, name, note) FROM STDIN;\n"
		  . "16\t$f->{copy_bad_mobile}[0]\t$f->{copy_bad_mobile}[1]\t$f->{copy_bad_mobile}[2]\tn\n\\.\n",
		insert_not_null => "INSERT INTO $t (id, id_number, mobile, name) VALUES "
		  . "(20, '$f->{insert_not_null}[0]', '$f->{insert_not_null}[1]', '$f->{insert_not_null}[2]');",
		insert_bad_literal => "INSERT INTO $t (id, id_number, mobile, name, note) VALUES "
		  . "('x21', '$f->{insert_bad_literal}[0]', '$f->{insert_bad_literal}[1]', '$f->{insert_bad_literal}[2]', 'n');",
		insert_unique => "INSERT INTO $t (id, id_number, mobile, name, note) VALUES "
		  . "(22, '$f->{insert_unique}[0]', '$f->{insert_unique}[1]', '$f->{insert_unique}[2]', 'n'), "
		  . "(23, '$f->{insert_unique}[0]', '$f->{insert_unique}[1]', '$f->{insert_unique}[2]', 'n');",
		update_not_null => "UPDATE $t SET id_number = '$f->{update_not_null}[0]', "
		  . "mobile = '$f->{update_not_null}[1]', name = '$f->{update_not_null}[2]', note = NULL WHERE id = 1;",
		update_syntax => "UPDATE $t SET id_number = '$f->{update_syntax}[0]', "
		  . "mobile = '$f->{update_syntax}[1]', name = '$f->{update_syntax}[2]' WHERE id = 1 AND;",
		function => "SELECT add_customer('$t', 24, '$f->{function}[0]', '$f->{function}[1]', '$f->{function}[2]');",
		prepared => "PREPARE p AS INSERT INTO $t (id, id_number, mobile, name) VALUES (\$1, \$2, \$3, \$4);\n"
		  . "EXECUTE p(25, '$f->{prepared}[0]', '$f->{prepared}[1]', '$f->{prepared}[2]');",
	);
	# only the protected table validates mobile numbers
	delete $sql{copy_bad_mobile} if $t eq 'plain';
	foreach my $case (sort keys %sql)
	{
		# SELECT 1 first: the session learns its protected tables
		my ($ret, $stdout, $stderr) = $node->psql('postgres', "SELECT 1;\n$sql{$case}");
		$client{$t}{$case} = $stderr;
	}
}

# A statement that succeeds, logged by log_min_duration_statement and by
# log_statement = 'mod'.
foreach my $t ('customers', 'plain')
{
	my $f = $t eq 'customers' ? \%prot : \%plain;
	$node->safe_psql('postgres', qq{SET log_statement = 'mod';
		INSERT INTO $t (id, id_number, mobile, name, note)
		VALUES (30, '$f->{logged_ok}[0]', '$f->{logged_ok}[1]', '$f->{logged_ok}[2]', 'n')});
}

# Every case failed on both tables, with its own error.
my %expect = (
	copy_not_null => qr/null value in column "note"/,
	copy_unique_name => qr/duplicate key value violates unique constraint "(customers|plain)_name_key"/,
	copy_bad_mobile => qr/invalid input syntax for type ci.cn_mobile: "127\*\*\*\*1061"/,
	insert_not_null => qr/null value in column "note"/,
	insert_bad_literal => qr/invalid input syntax for type integer: "x21"/,
	insert_unique => qr/duplicate key value violates unique constraint "(customers|plain)_name_key"/,
	update_not_null => qr/null value in column "note"/,
	update_syntax => qr/syntax error at or near ";"/,
	function => qr/null value in column "note"/,
	prepared => qr/null value in column "note"/,
);
foreach my $t ('customers', 'plain')
{
	foreach my $case (sort keys %expect)
	{
		next if $case eq 'copy_bad_mobile' && $t eq 'plain';
		like($client{$t}{$case}, $expect{$case}, "$t, $case: the statement fails");
	}
}
# The client still gets the context of COPY, with the whole line: what the
# server log would show without scrubbing.
like($client{customers}{copy_not_null},
	qr/CONTEXT:  COPY customers, line 1: "10\t\Q$prot{copy_not_null}[0]\E/,
	'the client still sees the COPY context');
like($client{customers}{copy_bad_mobile},
	qr/\nCOPY customers, line 1: "16\t\Q$prot{copy_bad_mobile}[0]\E/,
	'a value the protect trigger refuses: the context holds the whole line');

my $log = slurp_file($node->logfile);

# The errors are logged, with the scrubbed detail in place of the values.
like($log, qr/ERROR:  null value in column "note" of relation "customers"/,
	'the error on the protected table is logged');
like($log, qr/DETAIL:  Values are not logged for statements on tables protected by customer_info\./,
	'its detail says values are not logged');
like($log, qr/customer_info: log_statement = mod can write plaintext of protected columns/,
	'log_statement = mod is flagged in the log');

# No plaintext of the protected table's fixtures anywhere in the log.
foreach my $case (@cases)
{
	my ($idn, $mob, $name) = @{ $prot{$case} };
	unlike($log, qr/\Q$idn\E/, "customers, $case: ID number not in the log");
	unlike($log, qr/\Q$mob\E/, "customers, $case: mobile not in the log");
	unlike($log, qr/\Q$name\E/, "customers, $case: name not in the log");
}

# Positive controls: the unprotected table's values are in the log, for the
# cases whose text PostgreSQL logs (the COPY context, details, statements).
foreach my $case (@cases)
{
	next if $case eq 'copy_bad_mobile';		# plain does not validate mobiles
	my ($idn, $mob, $name) = @{ $plain{$case} };
	like($log, qr/\Q$idn\E|\Q$mob\E|\Q$name\E/, "plain, $case: its values are in the log");
}
like($log, qr/DETAIL:  Key \(name\)=\(Plain copy_unique_name\) already exists/,
	'plain: the unique violation detail shows the value');
like($log, qr/CONTEXT:  COPY plain, line 1: "10\t\Q$plain{copy_not_null}[0]\E/,
	'plain: the COPY context shows the whole line');

done_testing(69);
