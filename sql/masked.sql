--
-- masked: one masked view per protected table, levels by role, C3 never
-- clear in a view, DDL followed in the same transaction, odd names, and
-- what a reporting role can and cannot do with a view.
--
SET client_min_messages = warning;
CREATE ROLE regress_mv_admin LOGIN IN ROLE customer_info_admin;
CREATE ROLE regress_mv_owner LOGIN;
CREATE ROLE regress_mv_report LOGIN;	-- no grant: masked
CREATE ROLE regress_mv_clerk LOGIN;		-- clear on C2 (C3 cannot be granted clear)
CREATE ROLE regress_mv_none LOGIN;		-- none on C2
RESET client_min_messages;
CREATE SCHEMA "Odd; Schema" AUTHORIZATION regress_mv_owner;
GRANT USAGE ON SCHEMA "Odd; Schema" TO regress_mv_admin;
SET ROLE regress_mv_owner;
CREATE TABLE "Odd; Schema"."客户 ""list""" (
	id			integer PRIMARY KEY,
	"full name"	text,
	id_number	text,
	mobile		text,
	note		text
);
INSERT INTO "Odd; Schema"."客户 ""list""" VALUES
	(1, '张三', '11010519491231002X', '13800138000', 'first'),
	(2, '欧阳明月', '440305199002280028', '+86 150 1234 5678', 'second'),
	(3, NULL, NULL, NULL, 'third');
RESET ROLE;

SET ROLE regress_mv_admin;
SELECT ci.protect('"Odd; Schema"."客户 ""list"""', 'id_number', 'cn_id', 'C3', searchable => true);
SELECT ci.protect('"Odd; Schema"."客户 ""list"""', 'mobile', 'cn_mobile', 'C2');
SELECT ci.protect('"Odd; Schema"."客户 ""list"""', 'full name', 'name', 'C2');
SELECT ci.grant_level('regress_mv_clerk', 'clear', 'C2');
SELECT ci.grant_level('regress_mv_clerk', 'clear', 'C3');
SELECT ci.grant_level('regress_mv_none', 'none', 'C2');
RESET ROLE;

-- The view: same name, same columns in the same order (without the
-- extension's helper columns), security_barrier, owned by a NOLOGIN role.
SELECT c.oid::regclass AS view, c.reloptions, pg_get_userbyid(c.relowner) AS owner,
       r.rolcanlogin AS owner_can_login
  FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
 WHERE c.relnamespace = 'masked'::regnamespace;
SELECT attnum, attname, atttypid::regtype FROM pg_attribute
 WHERE attrelid = 'masked."客户 ""list"""'::regclass AND attnum > 0 ORDER BY attnum;
-- nobody but the view owner may read the table
SELECT grantee, privilege_type FROM information_schema.role_table_grants
 WHERE table_schema = 'Odd; Schema' AND grantee NOT IN ('regress_mv_owner')
 ORDER BY 1, 2;

GRANT USAGE ON SCHEMA masked TO regress_mv_report, regress_mv_clerk, regress_mv_none;
GRANT SELECT ON masked."客户 ""list""" TO regress_mv_report, regress_mv_clerk, regress_mv_none;

-- Levels: masked by default, clear where granted (C3 stays masked in a
-- view), none shows NULL.  Superusers see C2 clear, C3 masked.
SET ROLE regress_mv_report;
SELECT * FROM masked."客户 ""list""" ORDER BY id;
RESET ROLE;
SET ROLE regress_mv_clerk;
SELECT * FROM masked."客户 ""list""" ORDER BY id;
SELECT ci.level(c.oid, 'id_number') AS c3_level,
       ci.level(c.oid, 'id_number', true) AS c3_level_in_views,
       ci.level(c.oid, 'note') AS unprotected_level
  FROM pg_class c WHERE c.relname = '客户 "list"' AND c.relkind = 'r';
RESET ROLE;
SET ROLE regress_mv_none;
SELECT * FROM masked."客户 ""list""" ORDER BY id;
RESET ROLE;
SELECT * FROM masked."客户 ""list""" ORDER BY id;
-- Reading a masked value does not decrypt: at level masked the view calls
-- no decryption function (ci.reveal), in clear it calls it once per value.
-- The oracle is the server's count of function calls in this transaction
-- (track_functions = all counts C functions too).
CREATE FUNCTION pg_temp.reveal_calls() RETURNS bigint LANGUAGE sql AS $$
	SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_xact_user_functions
	 WHERE schemaname = 'ci' AND funcname = 'reveal'
$$;
BEGIN;
SET LOCAL track_functions = 'all';
SELECT pg_temp.reveal_calls() AS before \gset
SET LOCAL ROLE regress_mv_report;
SELECT id, "full name", id_number, mobile FROM masked."客户 ""list""" ORDER BY id;
RESET ROLE;
SELECT pg_temp.reveal_calls() - :before AS reveal_calls_at_masked;
SELECT pg_temp.reveal_calls() AS before \gset
SET LOCAL ROLE regress_mv_clerk;
SELECT id, "full name", mobile FROM masked."客户 ""list""" ORDER BY id;
RESET ROLE;
SELECT pg_temp.reveal_calls() - :before AS reveal_calls_in_clear;
COMMIT;
DROP FUNCTION pg_temp.reveal_calls();

-- NOINHERIT is honoured: a member of the clerk's role that does not
-- inherit its privileges holds the level masked, and clear only after
-- SET ROLE; a member that inherits holds clear.
SET client_min_messages = warning;
CREATE ROLE regress_mv_noinherit LOGIN NOINHERIT IN ROLE regress_mv_clerk;
CREATE ROLE regress_mv_inherit LOGIN INHERIT IN ROLE regress_mv_clerk;
RESET client_min_messages;
GRANT USAGE ON SCHEMA masked TO regress_mv_noinherit;
GRANT SELECT ON masked."客户 ""list""" TO regress_mv_noinherit;
SET SESSION AUTHORIZATION regress_mv_noinherit;
SELECT ci.level(c.oid, 'mobile') AS noinherit_level FROM pg_class c
 WHERE c.relname = '客户 "list"' AND c.relkind = 'r';
SELECT id, mobile FROM masked."客户 ""list""" WHERE id = 1;
SET ROLE regress_mv_clerk;
SELECT ci.level(c.oid, 'mobile') AS after_set_role FROM pg_class c
 WHERE c.relname = '客户 "list"' AND c.relkind = 'r';
SELECT id, mobile FROM masked."客户 ""list""" WHERE id = 1;
RESET ROLE;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_mv_inherit;
SELECT ci.level(c.oid, 'mobile') AS inherit_level FROM pg_class c
 WHERE c.relname = '客户 "list"' AND c.relkind = 'r';
RESET SESSION AUTHORIZATION;
REVOKE SELECT ON masked."客户 ""list""" FROM regress_mv_noinherit;
REVOKE USAGE ON SCHEMA masked FROM regress_mv_noinherit;
DROP ROLE regress_mv_noinherit, regress_mv_inherit;

-- A reporting role cannot get around the view.
SET ROLE regress_mv_report;
SELECT * FROM "Odd; Schema"."客户 ""list""";
COPY "Odd; Schema"."客户 ""list""" TO STDOUT;
SELECT * FROM ci.protected_column;
SELECT * FROM ci.data_key;
SELECT ci.reveal(c.oid, 'mobile', 'ci:AAAA', 1) FROM pg_class c
 WHERE c.relname = '客户 "list"' AND c.relkind = 'r';
-- predicates, aggregates and ordering see the masked values only
SELECT count(*) AS matches FROM masked."客户 ""list""" WHERE mobile = '13800138000';
SELECT count(*) AS matches FROM masked."客户 ""list""" WHERE id_number LIKE '%1231002X';
SELECT min(mobile), max(id_number) FROM masked."客户 ""list""";
SELECT id FROM masked."客户 ""list""" ORDER BY mobile, id;
-- a leaky function in WHERE sees masked values
CREATE FUNCTION pg_temp.leak(text) RETURNS boolean LANGUAGE plpgsql COST 0.0001 AS $$
BEGIN
	RAISE NOTICE 'leak: %', $1;
	RETURN true;
END
$$;
SELECT id FROM masked."客户 ""list""" WHERE pg_temp.leak(mobile) AND pg_temp.leak(id_number) ORDER BY id;
COPY (SELECT id, mobile FROM masked."客户 ""list""" ORDER BY id) TO STDOUT;
BEGIN;
DECLARE c CURSOR FOR SELECT id, id_number FROM masked."客户 ""list""" ORDER BY id;
FETCH 2 FROM c;
COMMIT;
PREPARE q AS SELECT mobile FROM masked."客户 ""list""" WHERE id = $1;
EXECUTE q(1);
DEALLOCATE q;
-- the view cannot be dropped, replaced or extended by a reporting role
DROP VIEW masked."客户 ""list""";
CREATE OR REPLACE VIEW masked."客户 ""list""" AS SELECT 1 AS id;
CREATE VIEW masked.mine AS SELECT 1 AS id;
ALTER VIEW masked."客户 ""list""" OWNER TO regress_mv_report;
-- nor can it raise its own level or call the view's internals to do so
SELECT ci.grant_level('regress_mv_report', 'clear', 'C2');
SELECT ci.refresh_masked_view(c.oid) FROM pg_class c
 WHERE c.relname = '客户 "list"' AND c.relkind = 'r';
DROP FUNCTION pg_temp.leak(text);
RESET ROLE;
-- nor become the view owner
SET SESSION AUTHORIZATION regress_mv_report;
SET ROLE customer_info_views;
RESET SESSION AUTHORIZATION;

-- DDL on the table regenerates the view in the same transaction; grants
-- on the view survive; the policy follows a renamed column.
SET ROLE regress_mv_owner;
ALTER TABLE "Odd; Schema"."客户 ""list""" ADD COLUMN "e-mail; x" text;
ALTER TABLE "Odd; Schema"."客户 ""list""" RENAME COLUMN mobile TO "手机 ""号""";
ALTER TABLE "Odd; Schema"."客户 ""list""" DROP COLUMN note;
ALTER TABLE "Odd; Schema"."客户 ""list""" RENAME TO customers2;
RESET ROLE;
SELECT c.oid::regclass AS view FROM pg_class c WHERE c.relnamespace = 'masked'::regnamespace;
SELECT attnum, attname FROM pg_attribute
 WHERE attrelid = 'masked.customers2'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum;
SELECT attname, mask_attname, index_attname FROM ci.protected_column
 WHERE relid = '"Odd; Schema".customers2'::regclass ORDER BY attname;
SET ROLE regress_mv_clerk;
SELECT id, "手机 ""号""" FROM masked.customers2 ORDER BY id;
RESET ROLE;
-- writes go on through the renamed column
INSERT INTO "Odd; Schema".customers2 (id, "手机 ""号""") VALUES (4, '+86 139 0000 1111');
SET ROLE regress_mv_report;
SELECT id, "手机 ""号""" FROM masked.customers2 WHERE id = 4;
RESET ROLE;
-- a rolled-back ALTER leaves the old view
BEGIN;
ALTER TABLE "Odd; Schema".customers2 ADD COLUMN temporary int;
ROLLBACK;
SELECT count(*) AS view_columns FROM pg_attribute
 WHERE attrelid = 'masked.customers2'::regclass AND attnum > 0;
-- a protected column's type cannot change, nor the primary key
ALTER TABLE "Odd; Schema".customers2 ALTER COLUMN "full name" TYPE varchar(10);
SET ROLE regress_mv_owner;
ALTER TABLE "Odd; Schema".customers2 ALTER COLUMN id TYPE bigint;
ALTER TABLE "Odd; Schema".customers2 DROP CONSTRAINT "客户 ""list""_pkey";
-- nor can anyone but the owner make the hook act (the server refuses)
RESET ROLE;
SET ROLE regress_mv_report;
ALTER TABLE "Odd; Schema".customers2 ADD COLUMN x int;
RESET ROLE;
-- dropping a protected column takes its policy and helper columns along
SET ROLE regress_mv_owner;
ALTER TABLE "Odd; Schema".customers2 DROP COLUMN "full name";
RESET ROLE;
SELECT attname FROM pg_attribute
 WHERE attrelid = '"Odd; Schema".customers2'::regclass AND attnum > 0 AND NOT attisdropped
 ORDER BY attnum;
SELECT attname FROM ci.protected_column WHERE relid = '"Odd; Schema".customers2'::regclass
 ORDER BY attname;

-- Another schema's protected table of the same name would take over the
-- view's name (and its grants): refused.
CREATE TABLE public.customers2 (id int PRIMARY KEY, secret text);
SELECT ci.protect('public.customers2', 'secret', 'text');
DROP TABLE public.customers2;

-- ci.refresh_masked_view() makes a view that was dropped by hand again.
CREATE TABLE mv_moved (id int PRIMARY KEY, mobile text);
INSERT INTO mv_moved VALUES (1, '13800138000');
SET ROLE regress_mv_admin;
SELECT ci.protect('mv_moved', 'mobile', 'cn_mobile', 'C2');
RESET ROLE;
DROP VIEW masked.mv_moved;
SET ROLE regress_mv_admin;
SELECT finding, tbl FROM ci.exposure_report() WHERE tbl = 'mv_moved'::regclass AND role IS NULL;
SELECT ci.refresh_masked_view('mv_moved');
SELECT finding, tbl FROM ci.exposure_report() WHERE tbl = 'mv_moved'::regclass AND role IS NULL;
RESET ROLE;
SELECT c.oid::regclass AS view, c.reloptions, pg_get_userbyid(c.relowner) AS owner
  FROM pg_class c WHERE c.relname = 'mv_moved' AND c.relkind = 'v';
GRANT SELECT ON masked.mv_moved TO regress_mv_report;
SET ROLE regress_mv_report;
SELECT * FROM masked.mv_moved;
RESET ROLE;

-- customer_info.masked_schema: views are made in the configured schema
-- (created if missing), by ci.refresh_masked_view() and by the policy
-- functions and DDL; the view in the former schema stays until dropped.
-- A backend sees a reload between statements: \watch polls until it does
-- (the query fails once the setting has its new value, or after 60 s).
CREATE FUNCTION pg_temp.stop_when(want text, deadline timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	IF current_setting('customer_info.masked_schema') = want THEN
		RAISE EXCEPTION 'customer_info.masked_schema is now %', want;
	ELSIF clock_timestamp() > deadline THEN
		RAISE EXCEPTION 'customer_info.masked_schema is still %',
			current_setting('customer_info.masked_schema');
	END IF;
END
$$;
\set SHOW_CONTEXT never
ALTER SYSTEM SET customer_info.masked_schema = 'regress_masked2';
SELECT pg_reload_conf();
SELECT clock_timestamp() + interval '60 seconds' AS deadline \gset
\o /dev/null
SELECT pg_temp.stop_when('regress_masked2', :'deadline') \watch 0.05
\o
SET ROLE regress_mv_admin;
SELECT ci.refresh_masked_view('mv_moved');
RESET ROLE;
CREATE TABLE mv_moved2 (id int PRIMARY KEY, mobile text);
INSERT INTO mv_moved2 VALUES (1, '15012345678');
SET ROLE regress_mv_admin;
SELECT ci.protect('mv_moved2', 'mobile', 'cn_mobile', 'C2');
RESET ROLE;
ALTER TABLE mv_moved ADD COLUMN note text;
SELECT c.oid::regclass AS view, pg_get_userbyid(c.relowner) AS owner,
       (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0) AS columns
  FROM pg_class c WHERE c.relname IN ('mv_moved', 'mv_moved2') AND c.relkind = 'v'
 ORDER BY c.oid::regclass::text COLLATE "C";
SELECT nspname, pg_get_userbyid(nspowner) AS owner FROM pg_namespace
 WHERE nspname = 'regress_masked2';
GRANT USAGE ON SCHEMA regress_masked2 TO regress_mv_report;
GRANT SELECT ON regress_masked2.mv_moved2 TO regress_mv_report;
SET ROLE regress_mv_report;
SELECT * FROM regress_masked2.mv_moved2;
RESET ROLE;
ALTER SYSTEM RESET customer_info.masked_schema;
SELECT pg_reload_conf();
SELECT clock_timestamp() + interval '60 seconds' AS deadline \gset
\o /dev/null
SELECT pg_temp.stop_when('masked', :'deadline') \watch 0.05
\o
\set SHOW_CONTEXT errors
DROP FUNCTION pg_temp.stop_when(text, timestamptz);
DROP SCHEMA regress_masked2 CASCADE;
DROP TABLE mv_moved, mv_moved2;
SELECT count(*) AS views_left FROM pg_class WHERE relname IN ('mv_moved', 'mv_moved2');

-- Unprotecting the last column drops the view; dropping the table drops
-- view and policy.
SET ROLE regress_mv_admin;
SELECT ci.unprotect('"Odd; Schema".customers2', '手机 "号"');
SELECT ci.unprotect('"Odd; Schema".customers2', 'id_number');
RESET ROLE;
SELECT count(*) AS masked_views FROM pg_class WHERE relnamespace = 'masked'::regnamespace;
SET ROLE regress_mv_admin;
SELECT ci.protect('"Odd; Schema".customers2', 'id_number', 'cn_id', 'C3');
RESET ROLE;
SELECT count(*) AS masked_views FROM pg_class WHERE relnamespace = 'masked'::regnamespace;
SET ROLE regress_mv_owner;
DROP TABLE "Odd; Schema".customers2;
RESET ROLE;
SELECT count(*) AS masked_views FROM pg_class WHERE relnamespace = 'masked'::regnamespace;
SELECT count(*) AS dangling_policy FROM ci.protected_column
 WHERE NOT EXISTS (SELECT FROM pg_class WHERE oid = relid);
-- dropping a schema with protected tables drops their policy and views
CREATE SCHEMA mv_gone;
CREATE TABLE mv_gone.t (id int PRIMARY KEY, secret text);
SELECT ci.protect('mv_gone.t', 'secret', 'text');
DROP SCHEMA mv_gone CASCADE;
SELECT count(*) AS dangling_policy FROM ci.protected_column
 WHERE NOT EXISTS (SELECT FROM pg_class WHERE oid = relid);
SELECT count(*) AS masked_views FROM pg_class WHERE relnamespace = 'masked'::regnamespace;

-- Columns classified but stored in clear (encrypted => false): a birth
-- date keeps its year, an amount its order of magnitude, text its kind's
-- mask; the view shows them like the others, in clear as text.
CREATE TABLE mv_profile (id int PRIMARY KEY, birth date, income numeric(12, 2),
                         nickname text, contact text, idn text);
INSERT INTO mv_profile VALUES
	(1, '1949-12-31', 12345.67, 'Zhang', 'zhang@example.com', '11010519491231002X'),
	(2, NULL, 0, NULL, NULL, NULL),
	(3, '2001-02-03', -5, 'x', 'li@example.cn', '440305199002280028');
GRANT SELECT ON mv_profile TO regress_mv_admin;
SET ROLE regress_mv_admin;
SELECT ci.protect('mv_profile', 'birth', 'birth_date', 'C2', encrypted => false);
SELECT ci.protect('mv_profile', 'income', 'amount', 'C1', encrypted => false);
SELECT ci.protect('mv_profile', 'contact', 'email', 'C2', encrypted => false);
-- a kind that cannot be encrypted, a search on a clear column, a wrong type
SELECT ci.protect('mv_profile', 'nickname', 'amount', 'C1');
SELECT ci.protect('mv_profile', 'nickname', 'name', 'C2', searchable => true, encrypted => false);
SELECT ci.protect('mv_profile', 'nickname', 'birth_date', 'C2', encrypted => false);
RESET ROLE;
SELECT id, birth, birth_mask, income, income_mask, contact, contact_mask
  FROM mv_profile ORDER BY id;
GRANT SELECT ON masked.mv_profile TO regress_mv_report, regress_mv_clerk;
SET ROLE regress_mv_report;
SELECT * FROM masked.mv_profile ORDER BY id;
RESET ROLE;
SET ROLE regress_mv_clerk;
SELECT * FROM masked.mv_profile ORDER BY id;
RESET ROLE;
-- writes keep the masked form in step, and values are validated by kind
UPDATE mv_profile SET income = 250000, birth = '1990-06-01' WHERE id = 2;
UPDATE mv_profile SET contact = 'not an email' WHERE id = 2;
SELECT id, birth_mask, income_mask FROM mv_profile ORDER BY id;
SELECT ci.reveal(p, 'birth') AS birth, ci.reveal(p, 'income') AS income
  FROM mv_profile p WHERE id = 1;

-- A custom mask only from a schema a superuser trusted; ci.reclassify
-- changes category or mask in one call, and the stored forms follow
-- (for an encrypted column, computed from the decrypted values).
CREATE SCHEMA mv_masks;
CREATE FUNCTION mv_masks.initial(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT
	AS $$SELECT left($1, 1) || '.'$$;
CREATE FUNCTION mv_masks.two(text, text) RETURNS text LANGUAGE sql AS 'SELECT $1';
GRANT USAGE ON SCHEMA mv_masks TO PUBLIC;
SET ROLE regress_mv_admin;
SELECT ci.protect('mv_profile', 'nickname', 'name', 'C2', encrypted => false,
                  mask => 'mv_masks.initial(text)');
SELECT ci.trust_mask_schema('mv_masks');
RESET ROLE;
SELECT ci.trust_mask_schema('mv_masks');
SET ROLE regress_mv_admin;
SELECT ci.protect('mv_profile', 'nickname', 'name', 'C2', encrypted => false,
                  mask => 'mv_masks.initial(text)');
SELECT ci.protect('mv_profile', 'idn', 'cn_id', 'C2');
SELECT ci.reclassify('mv_profile', 'idn', mask => 'mv_masks.two(text, text)');
SELECT ci.reclassify('mv_profile', 'idn', mask => 'pg_catalog.upper(text)');
SELECT ci.reclassify('mv_profile', 'idn', mask => 'mv_masks.initial(text)');
SELECT ci.reclassify('mv_profile', 'income', category => 'C2');
SELECT ci.reclassify('mv_profile', 'income', category => 'C9');
SELECT ci.reclassify('mv_profile', 'idn', mask => 'mv_masks.initial(text)', builtin_mask => true);
RESET ROLE;
SELECT id, nickname_mask, idn_mask, ci.reveal(p, 'idn') AS idn FROM mv_profile p ORDER BY id;
SELECT attname, category, mask_function FROM ci.protected_column
 WHERE relid = 'mv_profile'::regclass ORDER BY attname;
-- a schema in use stays trusted; back to the built-in mask
SELECT ci.trust_mask_schema('mv_masks', false);
SET ROLE regress_mv_admin;
SELECT ci.reclassify('mv_profile', 'idn', builtin_mask => true);
SELECT ci.unprotect('mv_profile', 'nickname');
RESET ROLE;
SELECT id, idn_mask FROM mv_profile ORDER BY id;
SELECT ci.trust_mask_schema('mv_masks', false);
DROP SCHEMA mv_masks CASCADE;
SET ROLE regress_mv_admin;
CALL ci.reencrypt('mv_profile');
CALL ci.reencrypt('mv_profile', 'income');
SELECT ci.unprotect('mv_profile', 'income');
RESET ROLE;
SELECT attname FROM pg_attribute WHERE attrelid = 'mv_profile'::regclass AND attnum > 0
   AND NOT attisdropped ORDER BY attnum;
SELECT id, income FROM mv_profile ORDER BY id;
DROP TABLE mv_profile;

-- A protected table takes no part in inheritance or partitioning: a
-- child's rows would bypass the trigger, a parent's DDL the view.
CREATE TABLE mv_inh (id int PRIMARY KEY, mobile text);
SELECT ci.protect('mv_inh', 'mobile', 'cn_mobile', 'C2');
CREATE TABLE mv_inh_child () INHERITS (mv_inh);
CREATE TABLE mv_inh_parent (id int, mobile text);
ALTER TABLE mv_inh INHERIT mv_inh_parent;
CREATE TABLE mv_parted (id int PRIMARY KEY, mobile text, mobile_mask text)
	PARTITION BY RANGE (id);
ALTER TABLE mv_parted ATTACH PARTITION mv_inh FOR VALUES FROM (1) TO (100);
-- once unprotected, it can
SELECT ci.unprotect('mv_inh', 'mobile');
ALTER TABLE mv_inh INHERIT mv_inh_parent;
DROP TABLE mv_inh, mv_inh_parent, mv_parted;

SET ROLE regress_mv_admin;
SELECT ci.revoke_level('regress_mv_clerk', 'C2');
SELECT ci.revoke_level('regress_mv_clerk', 'C3');
SELECT ci.revoke_level('regress_mv_none', 'C2');
RESET ROLE;
DROP SCHEMA "Odd; Schema" CASCADE;
REVOKE USAGE ON SCHEMA masked FROM regress_mv_report, regress_mv_clerk, regress_mv_none;
DROP ROLE regress_mv_admin;
DROP ROLE regress_mv_owner;
DROP ROLE regress_mv_report;
DROP ROLE regress_mv_clerk;
DROP ROLE regress_mv_none;
