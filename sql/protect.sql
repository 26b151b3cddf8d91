--
-- protect: encrypted columns, transparent writes, blind-index search,
-- reveal for authorised roles, tampering, rotation and the SM suite.
--
-- The temporary instance's root key comes from customer_info.key_command
-- (test/regress.conf).  Envelopes are random, so only facts about them are
-- printed, never the envelopes themselves.
SET search_path = public, ci;
SET client_min_messages = warning;
CREATE ROLE regress_ci_admin LOGIN IN ROLE customer_info_admin;
CREATE ROLE regress_ci_app LOGIN;
CREATE ROLE regress_ci_analyst LOGIN;
RESET client_min_messages;

CREATE TABLE customers (
	id			integer PRIMARY KEY,
	name		text,
	id_number	ci.cn_id,
	mobile		text,
	note		text
);
GRANT SELECT, INSERT, UPDATE, DELETE ON customers TO regress_ci_app;
GRANT SELECT ON customers TO regress_ci_analyst;
INSERT INTO customers VALUES
	(1, '张三', '11010519491231002X', '13800138000', 'existing row'),
	(2, '李四', '440305199002280028', '+86 150 1234 5678', 'existing row');

-- Only customer_info_admin may protect a column.
SET ROLE regress_ci_app;
SELECT ci.protect('customers', 'id_number', 'cn_id');
RESET ROLE;

SET ROLE regress_ci_admin;
-- bad arguments
SELECT ci.protect('customers', 'id_number', 'passport');
SELECT ci.protect('customers', 'id_number', 'cn_id', 'C9');
SELECT ci.protect('customers', 'no_such_column', 'cn_id');
SELECT ci.protect('customers', 'id', 'text');
-- the ID number, searchable; the mobile number, not
SELECT ci.protect('customers', 'id_number', 'cn_id', 'C2', searchable => true);
SELECT ci.protect('customers', 'mobile', 'cn_mobile', 'C2');
SELECT ci.protect('customers', 'mobile', 'cn_mobile', 'C2');
RESET ROLE;

-- The column became text holding envelopes; a blind-index column was added.
\d customers
SELECT id, id_number LIKE 'ci:%' AS id_sealed, mobile LIKE 'ci:%' AS mobile_sealed,
       ci.envelope_key_id(id_number) AS key_id, id_number_bidx IS NOT NULL AS indexed
  FROM customers ORDER BY id;
-- the masked form is kept beside each value (masked views never decrypt)
SELECT id, id_number_mask, mobile_mask FROM customers ORDER BY id;
-- and a writer cannot change it apart from the value
UPDATE customers SET id_number_mask = '110105194912310000', mobile_mask = NULL WHERE id = 1;
SELECT id, id_number_mask, mobile_mask FROM customers WHERE id = 1;
-- no plaintext anywhere in the stored rows
SELECT count(*) AS rows_with_plaintext FROM customers c
 WHERE c::text LIKE '%19491231002X%' OR c::text LIKE '%199002280028%'
    OR c::text LIKE '%13800138000%' OR c::text LIKE '%15012345678%';

-- Transparent writes: INSERT, UPDATE, COPY, upsert, all validated by kind.
SET ROLE regress_ci_app;
INSERT INTO customers (id, name, id_number, mobile) VALUES
	(3, '王五', '110105491231002', '13912345678');
INSERT INTO customers (id, name, id_number) VALUES (4, '赵六', '110105194912310021');
INSERT INTO customers (id, name, mobile) VALUES (4, '赵六', '12800138000');
UPDATE customers SET mobile = '+86 139-0000-0000' WHERE id = 2;
COPY customers (id, name, id_number, mobile) FROM stdin;
5	孙七	310115198506150049	15900000001
6	周八	810000198001010014	\N
\.
INSERT INTO customers (id, name, id_number) VALUES (6, '周八', '330106200601010105')
	ON CONFLICT (id) DO UPDATE SET id_number = excluded.id_number, note = 'upserted';
SELECT id, id_number LIKE 'ci:%' AS sealed, mobile IS NULL OR mobile LIKE 'ci:%' AS mobile_ok,
       note
  FROM customers ORDER BY id;
RESET ROLE;

-- Reveal: superusers and roles at level clear only.
SELECT id, ci.reveal(c, 'id_number') AS id_number, ci.reveal(c, 'mobile') AS mobile
  FROM customers c ORDER BY id;
SET ROLE regress_ci_analyst;
SELECT ci.reveal(c, 'id_number') FROM customers c WHERE id = 1;
SELECT ci.grant_level('regress_ci_analyst', 'clear', 'C2');
RESET ROLE;
SET ROLE regress_ci_admin;
SELECT ci.grant_level('regress_ci_analyst', 'clear', tbl => 'customers', col => 'id_number');
RESET ROLE;
SET ROLE regress_ci_analyst;
SELECT ci.reveal(c, 'id_number') FROM customers c WHERE id = 1;
SELECT ci.reveal(c, 'mobile') FROM customers c WHERE id = 1;
RESET ROLE;
SET ROLE regress_ci_admin;
SELECT ci.revoke_level('regress_ci_analyst', tbl => 'customers', col => 'id_number');
SELECT ci.grant_level('regress_ci_analyst', 'clear', 'C3');
RESET ROLE;
SET ROLE regress_ci_analyst;
SELECT ci.reveal(c, 'id_number') FROM customers c WHERE id = 1;
RESET ROLE;
-- reveal needs a table row and a protected column
SELECT ci.reveal(ROW(1, 2), 'id_number');
SELECT ci.reveal(c, 'note') FROM customers c WHERE id = 1;
-- The keyed form: the stored value and its row's primary key, without
-- building the whole row (what views use).  Same levels, same binding.
SELECT id, ci.reveal('customers', 'id_number', id_number, id) AS id_number
  FROM customers ORDER BY id;
SELECT ci.reveal('customers', 'id_number', id_number, id + 1) FROM customers WHERE id = 1;
SELECT ci.reveal('customers', 'id_number', mobile, id) FROM customers WHERE id = 1;
SELECT ci.reveal('customers', 'mobile', id_number, id) FROM customers WHERE id = 1;
SELECT ci.reveal('customers', 'id_number', id_number) FROM customers WHERE id = 1;
SELECT ci.reveal('customers', 'id_number', id_number, id, id) FROM customers WHERE id = 1;
SELECT ci.reveal('customers', 'id_number', id_number, id::bigint) FROM customers WHERE id = 1;
SELECT ci.reveal('customers', 'id_number', id_number, VARIADIC ARRAY[id]) FROM customers WHERE id = 1;
SELECT ci.reveal('customers', 'id_number', NULL, 1);
SELECT ci.reveal('customers', 'id_number', id_number, NULL::integer) FROM customers WHERE id = 1;
SELECT ci.reveal('customers', 'note', note, id) FROM customers WHERE id = 1;
SELECT ci.reveal(NULL, 'id_number', id_number, id) FROM customers WHERE id = 1;
SET ROLE regress_ci_analyst;
SELECT ci.reveal('customers', 'mobile', mobile, id) FROM customers WHERE id = 1;
RESET ROLE;

-- Blind-index search: the legacy spelling finds the same person, by index.
-- Searching by value is a privilege of its own (EXECUTE on ci.lookup).
GRANT EXECUTE ON FUNCTION ci.lookup(regclass, name, text) TO regress_ci_app;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF)
SELECT id FROM customers WHERE id_number_bidx = ci.lookup('customers', 'id_number', '110105491231002');
RESET enable_seqscan;
SELECT id FROM customers
 WHERE id_number_bidx = ci.lookup('customers', 'id_number', '110105491231002') ORDER BY id;
-- duplicate registrations, without decrypting
SELECT array_agg(id ORDER BY id) AS same_person FROM customers
 GROUP BY id_number_bidx HAVING count(*) > 1;
SELECT ci.lookup('customers', 'id_number', 'not an id');
SELECT ci.lookup('customers', 'mobile', '13800138000');
SET ROLE regress_ci_app;
SELECT count(*) FROM customers
 WHERE id_number_bidx = ci.lookup('customers', 'id_number', '11010519491231002X');
RESET ROLE;
CREATE ROLE regress_ci_nobody LOGIN;
SET ROLE regress_ci_nobody;
SELECT ci.lookup('customers', 'id_number', '11010519491231002X');
RESET ROLE;

-- A writer cannot point a row's blind index at another value: lookups
-- would find the wrong customer.
SET ROLE regress_ci_app;
UPDATE customers SET id_number_bidx = (SELECT id_number_bidx FROM customers WHERE id = 2)
 WHERE id = 5;
INSERT INTO customers (id, name, id_number, id_number_bidx)
	VALUES (8, 'forged', '510107197710123454',
			(SELECT id_number_bidx FROM customers WHERE id = 2));
RESET ROLE;
SELECT id FROM customers
 WHERE id_number_bidx = ci.lookup('customers', 'id_number', '440305199002280028') ORDER BY id;
DELETE FROM customers WHERE id = 8;

-- An envelope moved to another row or column is refused.
UPDATE customers SET id_number = (SELECT id_number FROM customers WHERE id = 2) WHERE id = 1;
UPDATE customers SET mobile = (SELECT id_number FROM customers WHERE id = 1) WHERE id = 1;
-- Restoring a row with its own envelope keeps it unchanged.
CREATE TEMP TABLE saved AS SELECT * FROM customers WHERE id IN (1, 2);
DELETE FROM customers WHERE id IN (1, 2);
INSERT INTO customers SELECT * FROM saved;
SELECT count(*) AS unchanged FROM customers c JOIN saved s USING (id)
 WHERE c.id_number = s.id_number AND c.mobile = s.mobile
   AND c.id_number_bidx = s.id_number_bidx;

-- Tampering with stored values (trigger disabled, as a superuser could):
-- every change is detected when the value is read.
ALTER TABLE customers DISABLE TRIGGER zzz_customer_info_protect;
UPDATE customers SET id_number = (SELECT id_number FROM customers WHERE id = 2) WHERE id = 1;
UPDATE customers SET id_number = (SELECT mobile FROM customers WHERE id = 3) WHERE id = 3;
UPDATE customers SET id_number = overlay(id_number placing
	CASE substr(id_number, 30, 1) WHEN 'A' THEN 'B' ELSE 'A' END from 30 for 1) WHERE id = 5;
UPDATE customers SET id_number = left(id_number, length(id_number) - 8) WHERE id = 6;
UPDATE customers SET id_number = 'ci:Ag' || substr(id_number, 6) WHERE id = 2;
UPDATE customers SET mobile = 'not encrypted' WHERE id = 2;
ALTER TABLE customers ENABLE TRIGGER zzz_customer_info_protect;
SELECT ci.reveal(c, 'id_number') FROM customers c WHERE id = 1;
SELECT ci.reveal(c, 'id_number') FROM customers c WHERE id = 3;
SELECT ci.reveal(c, 'id_number') FROM customers c WHERE id = 5;
SELECT ci.reveal(c, 'id_number') FROM customers c WHERE id = 6;
SELECT ci.reveal(c, 'id_number') FROM customers c WHERE id = 2;
SELECT ci.reveal(c, 'mobile') FROM customers c WHERE id = 2;
-- repair by writing plaintext again
UPDATE customers SET id_number = '11010519491231002X' WHERE id = 1;
UPDATE customers SET id_number = '440305199002280028', mobile = '13900000000' WHERE id = 2;
UPDATE customers SET id_number = '310115198506150049' WHERE id = 5;
UPDATE customers SET id_number = '330106200601010105' WHERE id = 6;
UPDATE customers SET id_number = '11010519491231002X' WHERE id = 3;

-- Rotation: a new key seals new writes at once; old values still open.
SET ROLE regress_ci_app;
SELECT ci.rotate_key();
RESET ROLE;
SET ROLE regress_ci_admin;
SELECT ci.rotate_key('sm4-sm3') AS new_key;
SELECT key_id, suite, status FROM ci.data_key ORDER BY key_id;
-- key 1 still protects values: it is not retired
SELECT ci.retire_keys();
SELECT wrapped FROM ci.data_key;
RESET ROLE;
INSERT INTO customers (id, name, id_number, mobile) VALUES (7, '吴九', '510107197710123454', '18600000000');
SELECT id, ci.envelope_key_id(id_number) AS key_id, ci.reveal(c, 'id_number') AS id_number
  FROM customers c ORDER BY id;
SET ROLE regress_ci_admin;
SELECT * FROM ci.key_usage() ORDER BY tbl::text, column_name, key_id;
RESET ROLE;

-- Online re-encryption moves every value to the active key, in batches.
SET ROLE regress_ci_app;
CALL ci.reencrypt('customers', 'id_number');
RESET ROLE;
SELECT ci.reseal(c, 'id_number') FROM customers c WHERE id = 1;
SET ROLE regress_ci_admin;
CALL ci.reencrypt('customers', 'id_number', batch_size => 2);
CALL ci.reencrypt('customers', 'mobile');
CALL ci.reencrypt('customers', 'mobile', batch_size => 0);
SELECT * FROM ci.key_usage() ORDER BY tbl::text, column_name, key_id;
-- now nothing uses key 1: retired, and no longer unwrapped
SELECT ci.retire_keys();
SELECT key_id, suite, status, retired_at IS NOT NULL AS has_retired_at
  FROM ci.data_key ORDER BY key_id;
RESET ROLE;
SELECT id, ci.envelope_key_id(id_number) AS key_id, ci.reveal(c, 'id_number') AS id_number,
       ci.reveal(c, 'mobile') AS mobile
  FROM customers c ORDER BY id;
SELECT id FROM customers
 WHERE id_number_bidx = ci.lookup('customers', 'id_number', '11010519491231002X') ORDER BY id;

-- The national suite detects tampering too (key 2 is sm4-sm3).
ALTER TABLE customers DISABLE TRIGGER zzz_customer_info_protect;
UPDATE customers SET id_number = overlay(id_number placing
	CASE substr(id_number, 40, 1) WHEN 'A' THEN 'B' ELSE 'A' END from 40 for 1) WHERE id = 7;
ALTER TABLE customers ENABLE TRIGGER zzz_customer_info_protect;
SELECT ci.envelope_key_id(id_number) AS key_id FROM customers WHERE id = 7;
SELECT ci.reveal(c, 'id_number') FROM customers c WHERE id = 7;
UPDATE customers SET id_number = '510107197710123454' WHERE id = 7;
SELECT ci.reveal(c, 'id_number') FROM customers c WHERE id = 7;

-- Protecting a column validates what is already there: one bad value and
-- nothing changes.
CREATE TABLE legacy (id int PRIMARY KEY, id_number text);
INSERT INTO legacy VALUES (1, '11010519491231002X'), (2, '110105194912310021');
SET ROLE regress_ci_admin;
SELECT ci.protect('legacy', 'id_number', 'cn_id');
RESET ROLE;
SELECT id, id_number FROM legacy ORDER BY id;
SELECT count(*) FROM ci.protected_column WHERE relid = 'legacy'::regclass;
DROP TABLE legacy;

-- Unprotect: decrypted in place, policy, blind index and trigger gone.
SET ROLE regress_ci_admin;
SELECT ci.unprotect('customers', 'mobile');
SELECT ci.unprotect('customers', 'mobile');
SELECT ci.unprotect('customers', 'id_number');
RESET ROLE;
SELECT id, id_number, mobile FROM customers ORDER BY id;
\d customers
SELECT count(*) FROM ci.protected_column;

DROP TABLE customers;

-- INSERT ... ON CONFLICT on another unique key, setting a protected column
-- from EXCLUDED, is refused (README "Known limits"): the excluded row's
-- envelope is sealed for its own primary key, not for the row updated.
-- Setting the plaintext instead works, and so does a conflict on the
-- primary key itself.
CREATE TABLE accounts (id int PRIMARY KEY, account_no text UNIQUE, mobile text);
SET ROLE regress_ci_admin;
SELECT ci.protect('accounts', 'mobile', 'cn_mobile');
RESET ROLE;
INSERT INTO accounts VALUES (1, 'A-1', '13800138000');
INSERT INTO accounts VALUES (2, 'A-1', '13900139000')
	ON CONFLICT (account_no) DO UPDATE SET mobile = excluded.mobile;
SELECT id, account_no, ci.reveal(a, 'mobile') FROM accounts a ORDER BY id;
INSERT INTO accounts VALUES (2, 'A-1', '13900139000')
	ON CONFLICT (account_no) DO UPDATE SET mobile = '13900139000';
SELECT id, account_no, ci.reveal(a, 'mobile') FROM accounts a ORDER BY id;
INSERT INTO accounts VALUES (1, 'A-2', '13700137000')
	ON CONFLICT (id) DO UPDATE SET mobile = excluded.mobile, account_no = excluded.account_no;
SELECT id, account_no, ci.reveal(a, 'mobile') FROM accounts a ORDER BY id;
DROP TABLE accounts;

-------------------------------------------------------------------------------
-- Attacks on the privilege boundaries
-------------------------------------------------------------------------------
SET client_min_messages = warning;
CREATE ROLE regress_ci_owner LOGIN;
RESET client_min_messages;
CREATE SCHEMA regress_owned AUTHORIZATION regress_ci_owner;
GRANT USAGE ON SCHEMA regress_owned TO regress_ci_admin;

-- A search_path trojan: functions named like the ones customer_info's
-- internal queries use, in a schema first on the caller's path.  If any
-- ran as the extension's owner, the role would become superuser.
SET ROLE regress_ci_owner;
CREATE TABLE regress_owned.t (id int PRIMARY KEY, secret text, note text);
INSERT INTO regress_owned.t VALUES (1, '13800138000', 'Set By Owner');
CREATE FUNCTION regress_owned.escalate() RETURNS void LANGUAGE plpgsql AS
$$BEGIN EXECUTE 'ALTER ROLE regress_ci_owner SUPERUSER';
EXCEPTION WHEN insufficient_privilege THEN NULL; END$$;
CREATE FUNCTION regress_owned.uuid_send(uuid) RETURNS bytea LANGUAGE plpgsql AS
$$BEGIN PERFORM regress_owned.escalate(); RETURN pg_catalog.uuid_send($1); END$$;
CREATE FUNCTION regress_owned.lower(text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN PERFORM regress_owned.escalate(); RETURN pg_catalog.lower($1); END$$;
-- a trigger of the owner's that tries to leave its search_path behind
CREATE FUNCTION regress_owned.hijack() RETURNS trigger LANGUAGE plpgsql AS
$$BEGIN PERFORM pg_catalog.set_config('search_path', 'regress_owned, pg_catalog', false);
	NEW.note := lower(NEW.note); RETURN NEW; END$$;
CREATE TRIGGER aaa BEFORE UPDATE ON regress_owned.t
	FOR EACH ROW EXECUTE FUNCTION regress_owned.hijack();
RESET ROLE;
SET ROLE regress_ci_admin;
SELECT ci.protect('regress_owned.t', 'secret', 'cn_mobile', 'C2', searchable => true);
-- the owner's trigger ran (as the owner) but its settings did not stay
SHOW search_path;
RESET ROLE;
-- its effect is there: protecting updated the row and the trigger lowered
-- the note
SELECT id, note FROM regress_owned.t ORDER BY id;
SET ROLE regress_ci_owner;
SET search_path = regress_owned, pg_catalog;
SELECT ci.reveal(t, 'secret') FROM regress_owned.t t;
INSERT INTO regress_owned.t VALUES (2, '13900139000', 'Written By Owner');
UPDATE regress_owned.t SET secret = '13700137000' WHERE id = 2;
RESET search_path;
RESET ROLE;
SELECT rolsuper AS owner_became_superuser FROM pg_roles WHERE rolname = 'regress_ci_owner';
SELECT id, ci.reveal(t, 'secret'), note FROM regress_owned.t t ORDER BY id;

-- The owner cannot change a protected column's type (nor its helpers').
SET ROLE regress_ci_owner;
ALTER TABLE regress_owned.t ALTER COLUMN secret TYPE int USING 42;
INSERT INTO regress_owned.t VALUES (3, 7, 'z');
ALTER TABLE regress_owned.t ALTER COLUMN secret TYPE text;
RESET ROLE;

-- Tables that cannot be protected: inheritance, partitions, primary keys
-- whose text depends on settings or that are generated.
SET ROLE regress_ci_owner;
CREATE TABLE regress_owned.parent (id int PRIMARY KEY, s text);
CREATE TABLE regress_owned.child () INHERITS (regress_owned.parent);
CREATE TABLE regress_owned.parted (id int PRIMARY KEY, s text) PARTITION BY RANGE (id);
CREATE TABLE regress_owned.part1 PARTITION OF regress_owned.parted FOR VALUES FROM (0) TO (10);
CREATE TABLE regress_owned.tz (at timestamptz PRIMARY KEY, s text);
CREATE TABLE regress_owned.gen (a int, id int GENERATED ALWAYS AS (a * 2) STORED PRIMARY KEY, s text);
CREATE TABLE "regress_owned"."Odd ""name""; x" ("the id" int PRIMARY KEY, "id nr; --" text);
RESET ROLE;
SET ROLE regress_ci_admin;
SELECT ci.protect('regress_owned.parent', 's', 'text');
SELECT ci.protect('regress_owned.child', 's', 'text');
SELECT ci.protect('regress_owned.parted', 's', 'text');
SELECT ci.protect('regress_owned.part1', 's', 'text');
SELECT ci.protect('regress_owned.tz', 's', 'text');
SELECT ci.protect('regress_owned.gen', 's', 'text');
-- identifiers with quotes, spaces and semicolons are quoted, never pasted
SELECT ci.protect('regress_owned."Odd ""name""; x"', 'id nr; --', 'cn_id', searchable => true);
RESET ROLE;
INSERT INTO "regress_owned"."Odd ""name""; x" VALUES (1, '11010519491231002X');
SELECT "the id", "id nr; --" LIKE 'ci:%' AS sealed, ci.reveal(t, 'id nr; --')
  FROM "regress_owned"."Odd ""name""; x" t;
SELECT "the id" FROM "regress_owned"."Odd ""name""; x"
 WHERE "id nr; --_bidx" = ci.lookup('regress_owned."Odd ""name""; x"', 'id nr; --', '110105491231002');

-- Separation of duties: an admin cannot give itself (or the admin role)
-- the level clear; NULL arguments are refused.
SET ROLE regress_ci_admin;
SELECT ci.grant_level('regress_ci_admin', 'clear', 'C2');
SELECT ci.grant_level('customer_info_admin', 'clear', 'C2');
SELECT ci.grant_level('regress_ci_owner', NULL, 'C2');
SELECT ci.grant_level(NULL, 'clear', 'C2');
SELECT ci.grant_level(0::oid::regrole, 'clear', 'C2');
CALL ci.reencrypt('regress_owned.t', 'secret', NULL);
CALL ci.reencrypt(NULL, 'secret');
RESET ROLE;
-- nor through a role it can SET ROLE to (a session of its own)
SET SESSION AUTHORIZATION regress_ci_admin;
SET ROLE customer_info_admin;
SELECT ci.grant_level('regress_ci_admin', 'clear', 'C2');
RESET ROLE;
RESET SESSION AUTHORIZATION;
SET ROLE regress_ci_admin;

-- Row-level security must not hide rows from the extension's work on a
-- table: the work fails instead of skipping them.
SET ROLE regress_ci_owner;
CREATE TABLE regress_owned.rls (id int PRIMARY KEY, tenant text, card text);
INSERT INTO regress_owned.rls VALUES (1, 'a', '4111111111111111'), (2, 'b', '4111111111111111');
ALTER TABLE regress_owned.rls ENABLE ROW LEVEL SECURITY;
ALTER TABLE regress_owned.rls FORCE ROW LEVEL SECURITY;
CREATE POLICY only_a ON regress_owned.rls USING (tenant = 'a');
RESET ROLE;
SET ROLE regress_ci_admin;
SELECT ci.protect('regress_owned.rls', 'card', 'bank_card');
RESET ROLE;
SELECT count(*) AS plaintext_rows FROM regress_owned.rls WHERE card NOT LIKE 'ci:%';

-- Text that merely looks like an envelope is plaintext when a column is
-- protected: it is sealed, not left readable.
SET ROLE regress_ci_owner;
CREATE TABLE regress_owned.notes (id int PRIMARY KEY, note text);
INSERT INTO regress_owned.notes VALUES (1, 'ci:bXkgcGFzc3dvcmQgaXMgaHVudGVyMiBhbmQgbW9yZSB0ZXh0IGhlcmU=');
RESET ROLE;
SET ROLE regress_ci_admin;
SELECT ci.protect('regress_owned.notes', 'note', 'text', searchable => true);
RESET ROLE;
SELECT ci.envelope_key_id(note) IS NOT NULL AS sealed, note_bidx IS NOT NULL AS indexed,
       ci.reveal(n, 'note') FROM regress_owned.notes n;
RESET ROLE;

-- Dropping the tables (here with their schema) forgets their policy: no
-- row of ci.protected_column or ci.access_level is left naming them, and
-- the roles drop without a hand clean-up.
DROP SCHEMA regress_owned CASCADE;
SELECT count(*) AS policy_rows_left FROM ci.protected_column;
SELECT count(*) AS levels_of_dropped_tables FROM ci.access_level a
 WHERE a.relid IS NOT NULL AND NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = a.relid);
SELECT count(*) AS masked_views_left FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'masked';
DROP ROLE regress_ci_owner;
DROP ROLE regress_ci_nobody;
-- a role that still holds a level cannot be dropped, and says why; DROP
-- OWNED BY (as the hint says) takes the level away, then the role drops
SET ROLE regress_ci_admin;
SELECT ci.grant_level('regress_ci_analyst', 'masked', 'C2');
RESET ROLE;
DROP ROLE regress_ci_analyst;
DROP OWNED BY regress_ci_analyst;
SELECT count(*) AS levels_left FROM ci.access_level;
DROP ROLE regress_ci_analyst;
REVOKE EXECUTE ON FUNCTION ci.lookup(regclass, name, text) FROM regress_ci_app;
DROP ROLE regress_ci_app;
DROP ROLE regress_ci_admin;

-- A DBA who put ci first in the database's search_path: the next CREATE
-- TABLE lands in schema ci, and ci.protect says why it refuses and what to
-- do.  The extension's own tables are refused with a message of their own.
SELECT format('ALTER DATABASE %I SET search_path = ci, "$user", public', current_database())
\gexec
\c
SHOW search_path;
CREATE TABLE bank_customers (id int PRIMARY KEY, mobile text);
SELECT relnamespace::regnamespace FROM pg_class WHERE relname = 'bank_customers';
SELECT ci.protect('bank_customers', 'mobile', 'cn_mobile');
SELECT ci.protect('ci.data_key', 'wrapped', 'text');
-- done as the hint says, it works
ALTER TABLE ci.bank_customers SET SCHEMA public;
SELECT format('ALTER DATABASE %I SET search_path = "$user", public, ci', current_database())
\gexec
\c
CREATE TABLE bank_accounts (id int PRIMARY KEY, mobile text);
SELECT relnamespace::regnamespace FROM pg_class WHERE relname = 'bank_accounts';
SELECT ci.protect('bank_customers', 'mobile', 'cn_mobile');
SELECT count(*) AS protected FROM ci.protected_column;
DROP TABLE bank_customers, bank_accounts;
SELECT format('ALTER DATABASE %I RESET search_path', current_database())
\gexec
SELECT count(*) AS policy_rows_left FROM ci.protected_column;
