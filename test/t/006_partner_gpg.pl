# An export to a partner, opened with real gpg: the partner reads the
# agreed columns of the customers who consent, and nothing else.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my ($gpgdir) = grep { -x "$_/gpg" } split /:/, $ENV{PATH};
plan skip_all => 'gpg is not installed (Debian package gnupg)' unless $gpgdir;
my $gpg = "$gpgdir/gpg";

# the partner's side: a key pair of its own (RSA, an encryption subkey)
my $home = PostgreSQL::Test::Utils::tempdir;
chmod 0700, $home;
$ENV{GNUPGHOME} = $home;
my @batch = ($gpg, '--batch', '--quiet', '--pinentry-mode', 'loopback', '--passphrase', '');
ok(system(@batch, '--quick-gen-key', 'Bureau <exports@bureau.example>', 'rsa2048', 'sign', 'never') == 0,
	'partner key generated');
my $fpr = (grep { /^fpr:/ } split /\n/, `$gpg --batch --with-colons --list-keys exports\@bureau.example`)[0];
$fpr = (split /:/, $fpr)[9];
ok(system(@batch, '--quick-add-key', $fpr, 'rsa2048', 'encr', 'never') == 0,
	'partner encryption subkey added');
my $pubkey = `$gpg --batch --armor --export exports\@bureau.example`;
like($pubkey, qr/BEGIN PGP PUBLIC KEY BLOCK/, 'partner public key exported');

my $key = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
my $node = PostgreSQL::Test::Cluster->new('partner');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'customer_info'\ncustomer_info.key_command = 'echo $key'");
$node->start;
$node->safe_psql('postgres', q{
	SET client_min_messages = warning;
	CREATE EXTENSION customer_info CASCADE;
	CREATE TABLE customers (id int PRIMARY KEY, name text, id_number text, mobile text);
	INSERT INTO customers VALUES
		(1, 'Ann', '11010519491231002X', '13800138000'),
		(2, 'Bo, "the elder"', '440305199002280028', '13900139000'),
		(3, 'Cai', '310115198506150049', '15012345678'),
		(4, 'Dan', '810000198001010014', '15112345678'),
		(5, 'Eve', '110105200002290013', '18612345678');
	SELECT ci.protect('customers', 'id_number', 'cn_id', 'C3');
	SELECT ci.protect('customers', 'mobile', 'cn_mobile', 'C2');
	SELECT ci.customer_column('customers', 'id');
});
$node->safe_psql('postgres',
	"SELECT ci.add_partner('bureau', 'exports\@bureau.example', \$k\$$pubkey\$k\$)");
$node->safe_psql('postgres', q{
	SELECT ci.add_agreement('bureau', 'customers', '{id,name,mobile}', '{credit_check}',
							now() + interval '1 year', 'contract 2026-9');
	-- consent to the purpose: 1, 2, 3; to sharing with the bureau: 2, 3, 4
	SELECT ci.give_consent(c::text, 'credit_check', 'branch', 'notice-7') FROM generate_series(1, 3) c;
	SELECT ci.give_consent(c::text, 'third_party_sharing', 'branch', 'notice-7', partner => 'bureau')
	  FROM generate_series(2, 4) c;
});

my $armored = $node->safe_psql('postgres',
	q{SELECT ci.export_to_partner('bureau', 'credit_check', 'customers', '{id,name,mobile}')});
like($armored, qr/^-----BEGIN PGP MESSAGE-----/, 'the export is an armored OpenPGP message');
unlike($armored, qr/13900139000|Cai/, 'the export carries no plaintext');
my $file = "$home/export.asc";
open(my $fh, '>', $file) or die "cannot write $file: $!";
print $fh "$armored\n";
close $fh;

my $csv = `$gpg --batch --quiet --decrypt $file 2>/dev/null`;
is($? >> 8, 0, 'gpg opens the export with the partner key');
is($csv, qq{id,name,mobile\n2,"Bo, ""the elder""",13900139000\n3,Cai,15012345678\n},
	'the partner reads the agreed columns of the consenting customers only');
unlike($csv, qr/4403|3101|Ann|Dan|Eve/, 'nothing outside the agreement or the consents');

is($node->safe_psql('postgres', q{
		SELECT row_count || ' ' || array_to_string(customers, ',') || ' ' || length(payload_sha256)
		  FROM ci.partner_export}),
	'2 2,3 64', 'the export is recorded with its rows, customers and digest');

$node->stop;
done_testing(9);
