--
-- migrate: protecting a populated table online (ci.protect with
-- encrypt_existing => false, then CALL ci.reencrypt for every protected
-- column at once), and converting pgcrypto pgp_sym_encrypt() columns with
-- ci.migrate_pgcrypto().  Data are synthetic (test/synthetic.sql).
--
-- (the generator of synthetic customers, not echoed)
\set ECHO none
SET client_min_messages = warning;
\i test/synthetic.sql
\set ECHO all
SET client_min_messages = warning;
CREATE ROLE regress_mig_admin LOGIN IN ROLE customer_info_admin;
CREATE ROLE regress_mig_owner LOGIN IN ROLE customer_info_admin;
CREATE ROLE regress_mig_app LOGIN;
RESET client_min_messages;
CREATE SCHEMA mig AUTHORIZATION regress_mig_owner;
GRANT USAGE ON SCHEMA mig TO regress_mig_admin, regress_mig_app;
CREATE TABLE mig.source AS
	SELECT customer_id::int AS id, cn_id, mobile, email
	  FROM synthetic.customers(200, 11);
GRANT SELECT ON mig.source TO regress_mig_app;

-- Deferred protection: the policy and trigger at once, the existing
-- values left for ci.reencrypt()'s committed batches.
SET ROLE regress_mig_owner;
CREATE TABLE mig.people (id int PRIMARY KEY, id_number text, mobile text, email text, note text);
RESET ROLE;
INSERT INTO mig.people SELECT id, cn_id, mobile, email, 'old' FROM mig.source;
SET ROLE regress_mig_owner;
SELECT ci.protect('mig.people', 'id_number', 'cn_id', 'C3', searchable => true,
                  encrypt_existing => false);
SELECT ci.protect('mig.people', 'mobile', 'cn_mobile', encrypt_existing => false);
SELECT ci.protect('mig.people', 'email', 'email');
RESET ROLE;
SELECT count(*) FILTER (WHERE id_number LIKE 'ci:%') AS id_sealed,
       count(*) FILTER (WHERE mobile LIKE 'ci:%') AS mobile_sealed,
       count(*) FILTER (WHERE email LIKE 'ci:%') AS email_sealed
  FROM mig.people;
SELECT column_name, CASE WHEN key_id IS NULL THEN 'plaintext'
                         WHEN key_id = (SELECT key_id FROM ci.data_key WHERE status = 'active')
                         THEN 'active key' ELSE 'older key' END AS under, "values"
  FROM ci.key_usage() WHERE tbl = 'mig.people'::regclass ORDER BY column_name, key_id;
-- meanwhile: a plaintext value cannot be revealed, other columns can be
-- written, and new or rewritten values are sealed
SELECT ci.reveal(p, 'id_number') FROM mig.people p WHERE id = 1;
UPDATE mig.people SET note = 'touched' WHERE id = 1;
UPDATE mig.people SET mobile = mobile WHERE id = 2;
UPDATE mig.people SET mobile = '13800138000' WHERE id = 3;
SELECT id, id_number LIKE 'ci:%' AS id_sealed, mobile LIKE 'ci:%' AS mobile_sealed
  FROM mig.people WHERE id <= 3 ORDER BY id;

-- One pass rewrites each row once, all its stale columns together.
SET ROLE regress_mig_app;
CALL ci.reencrypt('mig.people');
RESET ROLE;
SET ROLE regress_mig_admin;
CALL ci.reencrypt(NULL);
CALL ci.reencrypt('mig.source');
CALL ci.reencrypt('mig.people', batch_size => 30);
RESET ROLE;
SELECT count(*) AS plaintext_rows FROM mig.people p JOIN mig.source s USING (id)
 WHERE p::text LIKE '%' || s.cn_id || '%' OR p::text LIKE '%' || s.mobile || '%'
    OR p::text LIKE '%' || s.email || '%';
SELECT count(*) AS wrong_values FROM mig.people p JOIN mig.source s USING (id)
 WHERE ci.reveal(p, 'id_number') <> s.cn_id
    OR ci.reveal(p, 'mobile') <> CASE WHEN id = 3 THEN '13800138000' ELSE s.mobile END
    OR ci.reveal(p, 'email') <> lower(s.email);
SELECT count(*) AS found FROM mig.people
 WHERE id_number_bidx = ci.lookup('mig.people', 'id_number',
                                  (SELECT cn_id FROM mig.source WHERE id = 42));
SELECT column_name, CASE WHEN key_id IS NULL THEN 'plaintext'
                         WHEN key_id = (SELECT key_id FROM ci.data_key WHERE status = 'active')
                         THEN 'active key' ELSE 'older key' END AS under, "values"
  FROM ci.key_usage() WHERE tbl = 'mig.people'::regclass ORDER BY column_name, key_id;

-- after a rotation, one call moves all three columns to the new key
SELECT ci.rotate_key() > 0 AS rotated;
SET ROLE regress_mig_admin;
CALL ci.reencrypt('mig.people', batch_size => 1000);
RESET ROLE;
SELECT count(DISTINCT ci.envelope_key_id(id_number)) AS id_keys,
       count(DISTINCT ci.envelope_key_id(mobile)) AS mobile_keys,
       count(DISTINCT ci.envelope_key_id(email)) AS email_keys,
       bool_and(ci.envelope_key_id(id_number) = (SELECT key_id FROM ci.data_key
                                                 WHERE status = 'active')) AS all_active
  FROM mig.people;

-- Migration from pgcrypto: pgp_sym_encrypt() messages in a bytea column.
SET ROLE regress_mig_owner;
CREATE TABLE mig.legacy (id int PRIMARY KEY, id_number bytea, note text);
RESET ROLE;
GRANT SELECT, INSERT, UPDATE ON mig.legacy TO regress_mig_app;
INSERT INTO mig.legacy
	SELECT id, pgp_sym_encrypt(cn_id, 'correct horse battery staple'), 'legacy'
	  FROM mig.source WHERE id <= 100;
INSERT INTO mig.legacy VALUES (101, NULL, 'no id on file');
-- refused: not an administrator, not the owner, a wrong passphrase, a
-- column that is not bytea, null arguments; the table stays as it was
SET ROLE regress_mig_app;
CALL ci.migrate_pgcrypto('mig.legacy', 'id_number', 'correct horse battery staple', 'cn_id');
RESET ROLE;
SET ROLE regress_mig_admin;
CALL ci.migrate_pgcrypto('mig.legacy', 'id_number', 'correct horse battery staple', 'cn_id');
RESET ROLE;
SET ROLE regress_mig_owner;
CALL ci.migrate_pgcrypto('mig.legacy', 'id_number', 'wrong passphrase', 'cn_id');
CALL ci.migrate_pgcrypto('mig.legacy', 'note', 'correct horse battery staple', 'text');
CALL ci.migrate_pgcrypto('mig.legacy', 'no_such_column', 'x', 'cn_id');
CALL ci.migrate_pgcrypto('mig.legacy', 'id_number', NULL, 'cn_id');
CALL ci.migrate_pgcrypto('mig.legacy', 'id_number', 'correct horse battery staple', 'passport');
RESET ROLE;
\d mig.legacy

-- A value that fails validation stops the migration after its setup; the
-- message does not show the value.  Meanwhile the application keeps
-- writing the old column: the migration's trigger empties the new column
-- of any row it rewrites, and the next call picks that row up again.
UPDATE mig.legacy SET id_number = pgp_sym_encrypt('1101051949123100', 'correct horse battery staple')
 WHERE id = 50;
SET ROLE regress_mig_owner;
CALL ci.migrate_pgcrypto('mig.legacy', 'id_number', 'correct horse battery staple', 'cn_id',
                         'C3', searchable => true, batch_size => 30);
RESET ROLE;
SELECT count(*) FILTER (WHERE id_number_ci IS NOT NULL) > 0 AS some_converted,
       count(*) FILTER (WHERE id_number_ci IS NOT NULL AND id_number_ci NOT LIKE 'ci:%') AS plaintext
  FROM mig.legacy;
SET ROLE regress_mig_app;
UPDATE mig.legacy SET id_number = pgp_sym_encrypt(s.cn_id, 'correct horse battery staple')
  FROM mig.source s WHERE s.id = 50 AND legacy.id = 50;
UPDATE mig.legacy SET id_number = pgp_sym_encrypt(s.cn_id, 'correct horse battery staple')
  FROM mig.source s WHERE s.id = 101 AND legacy.id = 2;
UPDATE mig.legacy SET note = 'still legacy' WHERE id = 3;
INSERT INTO mig.legacy VALUES (102, pgp_sym_encrypt((SELECT cn_id FROM mig.source WHERE id = 102),
                                                    'correct horse battery staple'), 'new');
SELECT id, id_number_ci IS NULL AS pending FROM mig.legacy WHERE id IN (2, 3, 50, 102) ORDER BY id;
RESET ROLE;
SET ROLE regress_mig_owner;
CALL ci.migrate_pgcrypto('mig.legacy', 'id_number', 'correct horse battery staple', 'cn_id',
                         'C3', searchable => true, batch_size => 30);
RESET ROLE;
-- the old column is gone; the protected one has its name and a blind index
\d mig.legacy
SELECT attname, kind, category, searchable, index_attname FROM ci.protected_column
 WHERE relid = 'mig.legacy'::regclass;
SELECT count(*) AS rows, count(id_number) AS with_id,
       count(*) FILTER (WHERE id_number LIKE 'ci:%') AS sealed
  FROM mig.legacy;
SELECT count(*) AS wrong_values FROM mig.legacy l JOIN mig.source s
    ON s.id = CASE l.id WHEN 2 THEN 101 ELSE l.id END
 WHERE l.id <> 101 AND ci.reveal(l, 'id_number') IS DISTINCT FROM s.cn_id;
SELECT id, note FROM mig.legacy
 WHERE id_number_bidx = ci.lookup('mig.legacy', 'id_number',
                                  (SELECT cn_id FROM mig.source WHERE id = 7));
-- applications now write plaintext to it, like any protected column
SET ROLE regress_mig_app;
UPDATE mig.legacy SET id_number = '11010519491231002X' WHERE id = 101;
RESET ROLE;
SELECT ci.reveal(l, 'id_number'), id_number LIKE 'ci:%' AS sealed FROM mig.legacy l WHERE id = 101;
-- nothing is left of the migration, and it cannot run twice
SELECT count(*) AS migrate_triggers FROM pg_trigger
 WHERE tgrelid = 'mig.legacy'::regclass AND tgname = 'customer_info_migrate';
SET ROLE regress_mig_owner;
CALL ci.migrate_pgcrypto('mig.legacy', 'id_number', 'correct horse battery staple', 'cn_id');
RESET ROLE;
-- the masked view followed the swap
SELECT attname FROM pg_attribute
 WHERE attrelid = 'masked.legacy'::regclass AND attnum > 0 ORDER BY attnum;
SELECT id, id_number FROM masked.legacy WHERE id IN (1, 101) ORDER BY id;

-- Dropping the schema forgets the policy of its tables: nothing is left.
DROP SCHEMA mig CASCADE;
SELECT count(*) AS policy_rows_left FROM ci.protected_column;
SELECT count(*) AS levels_of_dropped_tables FROM ci.access_level a
 WHERE a.relid IS NOT NULL AND NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = a.relid);
DROP ROLE regress_mig_admin;
DROP ROLE regress_mig_owner;
DROP ROLE regress_mig_app;
