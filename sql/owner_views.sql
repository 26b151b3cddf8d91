--
-- owner_views: no code of a table's owner runs with the rights of the
-- readers of its masked view (issue 14).  The consent filter takes the
-- customer key without a cast; only built-in and ci types hold customer
-- keys, and the key column keeps its type; row-level security and rules
-- are refused on the tables customer_info manages; the declared purpose is
-- checked at the first read of a view, whatever it selects; custom mask
-- functions run as their owner.  Each trojan is shown firing where it
-- still can (a positive control), so that the refusals can fail.
--
SET client_min_messages = warning;
CREATE ROLE regress_ov_owner LOGIN;		-- owns the tables, nothing else
CREATE ROLE regress_ov_admin LOGIN IN ROLE customer_info_admin;
CREATE ROLE regress_ov_auditor LOGIN IN ROLE customer_info_auditor;
CREATE ROLE regress_ov_report LOGIN;
CREATE ROLE regress_ov_marketer LOGIN;
CREATE ROLE regress_ov_maskowner LOGIN;
CREATE ROLE regress_ov_writer LOGIN;
RESET client_min_messages;
CREATE SCHEMA ov AUTHORIZATION regress_ov_owner;
GRANT USAGE ON SCHEMA ov TO PUBLIC;

-- The trojan: the owner's enum and her cast of it to text, which records
-- who runs it and escalates when that is a superuser (ALTER ROLE) or an
-- administrator (a level for herself).
SET ROLE regress_ov_owner;
CREATE TABLE ov.trojan_log (who text, was_superuser boolean, via text);
GRANT INSERT ON ov.trojan_log TO PUBLIC;
CREATE TYPE ov.cust AS ENUM ('ov_c1', 'ov_c2', 'ov_c3', 'ov_c4');
CREATE FUNCTION ov.cust_text(ov.cust) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	su boolean := (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user);
BEGIN
	INSERT INTO ov.trojan_log VALUES (current_user, su, 'cast');
	IF su THEN
		EXECUTE 'ALTER ROLE regress_ov_owner SUPERUSER';
	END IF;
	IF pg_catalog.pg_has_role(current_user, 'customer_info_admin', 'USAGE') THEN
		PERFORM ci.grant_level('regress_ov_owner', 'clear', 'C2');
	END IF;
	RETURN pg_catalog.format('%s', $1);
END $$;
CREATE CAST (ov.cust AS text) WITH FUNCTION ov.cust_text(ov.cust) AS IMPLICIT;
CREATE TABLE ov.ov_accounts (id integer PRIMARY KEY, cust ov.cust, mobile text, note text);
INSERT INTO ov.ov_accounts VALUES
	(1, 'ov_c1', '13800138000', 'one'), (2, 'ov_c2', '13900139000', 'two'),
	(3, 'ov_c3', '15012345678', 'three'), (4, 'ov_c4', '15112345678', 'four');
CREATE TABLE ov.ov_keyed (id integer PRIMARY KEY, cust text, note text);
INSERT INTO ov.ov_keyed VALUES (1, 'ov_c1', 'one');
CREATE TABLE ov.ov_fixed (id integer PRIMARY KEY, cust char(8), mobile text);
INSERT INTO ov.ov_fixed VALUES (1, 'ov_c1', '13800138000'), (2, 'ov_c2', '13900139000'),
	(3, 'ov_c3', '15012345678');
CREATE DOMAIN ov.cust_code AS text CHECK (VALUE ~ '^ov_');
CREATE TABLE ov.ov_domain (id integer PRIMARY KEY, cust ov.cust_code);
RESET ROLE;

-- Positive controls: the cast runs as whoever casts, the owner herself ...
SET ROLE regress_ov_owner;
SELECT 'ov_c1'::ov.cust::text AS cast_by_owner;
RESET ROLE;
-- ... or a superuser, whom it makes her a superuser (rolled back here).
BEGIN;
SELECT 'ov_c2'::ov.cust::text AS cast_by_superuser;
SELECT rolsuper AS owner_became_superuser FROM pg_roles WHERE rolname = 'regress_ov_owner';
SELECT count(*) AS superuser_entries FROM ov.trojan_log WHERE was_superuser;
ROLLBACK;
SELECT who, was_superuser, via FROM ov.trojan_log ORDER BY who;

-- Her enum (or a domain) cannot hold a table's customer keys; the
-- server's types and customer_info's can.
SET ROLE regress_ov_admin;
SELECT ci.protect('ov.ov_accounts', 'mobile', 'cn_mobile', 'C2');
SELECT ci.customer_column('ov.ov_accounts', 'cust');
SELECT ci.customer_column('ov.ov_domain', 'cust');
SELECT ci.customer_column('ov.ov_keyed', 'cust');
SELECT ci.customer_column('ov.ov_accounts', 'id');
SELECT ci.protect('ov.ov_fixed', 'mobile', 'cn_mobile', 'C2');
SELECT ci.customer_column('ov.ov_fixed', 'cust');
SELECT relid, attname FROM ci.customer_table WHERE relid::text LIKE 'ov.%' ORDER BY 1;
SELECT ci.customer_column('ov.ov_accounts', NULL);
RESET ROLE;
-- Nor can the customer column become her type afterwards: not by her,
-- not by a superuser.  Her other columns can change type.
SET ROLE regress_ov_owner;
ALTER TABLE ov.ov_keyed ALTER COLUMN cust TYPE ov.cust USING cust::ov.cust;
ALTER TABLE ov.ov_keyed ALTER COLUMN note TYPE varchar(100);
RESET ROLE;
ALTER TABLE ov.ov_keyed ALTER COLUMN cust TYPE ov.cust USING cust::ov.cust;
SELECT atttypid::regtype FROM pg_attribute WHERE attrelid = 'ov.ov_keyed'::regclass AND attname = 'cust';

-- Attack 3.  Suppose her enum column was registered all the same (by hand
-- here, as a registration older than the type check would be): the view
-- hands the column to the filter as it is, with no cast, and the filter
-- converts it by the type's built-in output function.
INSERT INTO ci.customer_table VALUES ('ov.ov_accounts', 'cust');
SELECT ci.refresh_masked_view('ov.ov_accounts');
SELECT pg_get_viewdef('masked.ov_accounts') ~ 'consent_filter\(t\.cust\)' AS filter_takes_the_column,
       pg_get_viewdef('masked.ov_accounts') ~ 'WHERE \(\( SELECT ci\.check_purpose\(\)' AS purpose_gate;
GRANT USAGE ON SCHEMA masked TO regress_ov_admin, regress_ov_auditor, regress_ov_report;
GRANT SELECT ON masked.ov_accounts TO regress_ov_admin, regress_ov_auditor, regress_ov_report;
-- Under a purpose that rests on consent, every reader sees the consenting
-- customers only, and her cast never runs.  (The consent ledger is
-- append-only and other tests count it: these consents are rolled back,
-- and its event counter set back.)
CREATE TEMP TABLE ov_ledger_counter AS
SELECT s.seq, pg_sequence_last_value(s.seq) AS last
  FROM (SELECT pg_get_serial_sequence('ci.consent_event', 'event_id')::regclass AS seq) s;
BEGIN;
SET LOCAL ROLE regress_ov_admin;
SELECT ci.give_consent('ov_c1', 'marketing', 'app', 'ov-notice-1') > 0 AS given;
SELECT ci.give_consent('ov_c3', 'marketing', 'app', 'ov-notice-1') > 0 AS given;
RESET ROLE;
SET LOCAL customer_info.purpose = 'marketing';
SELECT id, cust, mobile FROM masked.ov_accounts ORDER BY id;
SELECT id, ci.consent_filter(cust) AS passes FROM ov.ov_accounts ORDER BY id;
-- a char(n) key is compared without its padding, as its cast to text does
SELECT id, cust FROM masked.ov_fixed ORDER BY id;
SET LOCAL ROLE regress_ov_admin;
SELECT id, cust, mobile FROM masked.ov_accounts ORDER BY id;
RESET ROLE;
SET LOCAL ROLE regress_ov_auditor;
SELECT id, cust, mobile FROM masked.ov_accounts ORDER BY id;
RESET ROLE;
SET LOCAL ROLE regress_ov_report;
SELECT id, cust, mobile FROM masked.ov_accounts ORDER BY id;
SELECT count(*) FROM masked.ov_accounts WHERE note <> '';
RESET ROLE;
SELECT who, was_superuser FROM ov.trojan_log WHERE via = 'cast' AND who <> 'regress_ov_owner';
SELECT rolsuper AS owner_is_superuser FROM pg_roles WHERE rolname = 'regress_ov_owner';
SELECT count(*) AS owner_levels FROM ci.access_level WHERE role = 'regress_ov_owner'::regrole;
ROLLBACK;
SELECT setval(seq, coalesce(last, 1), last IS NOT NULL) IS NOT NULL AS counter_set_back
  FROM ov_ledger_counter;
DROP TABLE ov_ledger_counter;

-- Row-level security.  Positive control: on a table customer_info does not
-- manage, her policy's function runs as whoever reads the table.
SET ROLE regress_ov_owner;
CREATE FUNCTION ov.spy() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO ov.trojan_log VALUES (current_user, NULL, 'policy');
	RETURN true;
END $$;
CREATE TABLE ov.ov_plain (id integer PRIMARY KEY, mobile text);
INSERT INTO ov.ov_plain VALUES (1, '13800138000');
ALTER TABLE ov.ov_plain ENABLE ROW LEVEL SECURITY;
CREATE POLICY spy ON ov.ov_plain USING (ov.spy());
GRANT SELECT ON ov.ov_plain TO regress_ov_report;
RESET ROLE;
SET ROLE regress_ov_report;
SELECT count(*) FROM ov.ov_plain;
RESET ROLE;
SELECT who FROM ov.trojan_log WHERE via = 'policy';
-- Such a table is neither protected nor given a customer column (its
-- masked view would run the policy as each reader), enabled or forced.
SET ROLE regress_ov_admin;
SELECT ci.protect('ov.ov_plain', 'mobile', 'cn_mobile', 'C2');
SELECT ci.customer_column('ov.ov_plain', 'id');
RESET ROLE;
SET ROLE regress_ov_owner;
ALTER TABLE ov.ov_plain DISABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
RESET ROLE;
SET ROLE regress_ov_admin;
SELECT ci.protect('ov.ov_plain', 'mobile', 'cn_mobile', 'C2');
RESET ROLE;
SET ROLE regress_ov_owner;
ALTER TABLE ov.ov_plain NO FORCE ROW LEVEL SECURITY;
RESET ROLE;
SET ROLE regress_ov_admin;
SELECT ci.protect('ov.ov_plain', 'mobile', 'cn_mobile', 'C2');
RESET ROLE;
-- Once managed (protected, or with a customer column only), RLS cannot be
-- turned on, policies and rules cannot be added or changed: not by her,
-- not by a superuser.  Turning RLS off stays possible.
SET ROLE regress_ov_owner;
ALTER TABLE ov.ov_plain ENABLE ROW LEVEL SECURITY;
ALTER TABLE ov.ov_plain FORCE ROW LEVEL SECURITY;
CREATE POLICY spy2 ON ov.ov_plain USING (ov.spy());
ALTER POLICY spy ON ov.ov_plain USING (ov.spy() AND id > 0);
CREATE RULE ov_rule AS ON INSERT TO ov.ov_plain DO INSTEAD NOTHING;
ALTER TABLE ov.ov_keyed ENABLE ROW LEVEL SECURITY;
CREATE POLICY spy ON ov.ov_keyed USING (ov.spy());
CREATE RULE ov_rule AS ON UPDATE TO ov.ov_keyed DO INSTEAD NOTHING;
ALTER TABLE ov.ov_plain DISABLE ROW LEVEL SECURITY, NO FORCE ROW LEVEL SECURITY;
RESET ROLE;
ALTER TABLE ov.ov_plain ENABLE ROW LEVEL SECURITY;
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies,
       (SELECT count(*) FROM pg_rewrite r WHERE r.ev_class = c.oid) AS rules
  FROM pg_class c WHERE c.relnamespace = 'ov'::regnamespace AND c.relname IN ('ov_plain', 'ov_keyed')
 ORDER BY 1;
GRANT USAGE ON SCHEMA masked TO regress_ov_report;
GRANT SELECT ON masked.ov_plain TO regress_ov_report;
SET ROLE regress_ov_report;
SELECT count(*) FROM masked.ov_plain;
RESET ROLE;
SELECT count(*) AS policy_runs FROM ov.trojan_log WHERE via = 'policy';

-- The declared purpose: a role limited to marketing is refused at its
-- first read of any masked view under another purpose, or none, whatever
-- it selects (a count included), also of a table with no customer column
-- and of an empty one.
SET ROLE regress_ov_admin;
SELECT ci.allow_purpose('regress_ov_marketer', 'marketing');
RESET ROLE;
SET ROLE regress_ov_owner;
CREATE TABLE ov.ov_empty (id integer PRIMARY KEY, mobile text);
RESET ROLE;
SET ROLE regress_ov_admin;
SELECT ci.protect('ov.ov_empty', 'mobile', 'cn_mobile', 'C2');
RESET ROLE;
GRANT USAGE ON SCHEMA masked TO regress_ov_marketer;
GRANT SELECT ON masked.ov_accounts, masked.ov_plain, masked.ov_empty TO regress_ov_marketer;
SET SESSION AUTHORIZATION regress_ov_marketer;
SET customer_info.purpose = 'marketing';
SELECT count(*) FROM masked.ov_accounts;
SELECT count(*) FROM masked.ov_plain;
SELECT count(*) FROM masked.ov_empty;
SET customer_info.purpose = 'service';
SELECT count(*) FROM masked.ov_accounts;
SELECT id FROM masked.ov_accounts ORDER BY id;
SELECT count(*) FROM masked.ov_plain;
SELECT count(*) FROM masked.ov_empty;
SELECT ci.check_purpose();
SET customer_info.purpose = '';
SELECT count(*) FROM masked.ov_accounts;
SELECT count(*) FROM masked.ov_empty;
RESET customer_info.purpose;
SELECT count(*) FROM masked.ov_accounts;
RESET SESSION AUTHORIZATION;
-- a role with no purposes listed is not limited
SET SESSION AUTHORIZATION regress_ov_report;
SET customer_info.purpose = 'service';
SELECT count(*) FROM masked.ov_accounts;
RESET customer_info.purpose;
SELECT count(*) FROM masked.ov_accounts;
SELECT ci.check_purpose();
RESET SESSION AUTHORIZATION;

-- Custom masks run as the mask function's owner: not as the table owner
-- whose rewrite first computes the masks, not as the writers.  Positive
-- control: called directly, the function runs as its caller.
CREATE SCHEMA ov_masks;
GRANT USAGE ON SCHEMA ov_masks TO PUBLIC;
CREATE TABLE ov_masks.mask_log (n serial, who text, was_superuser boolean);
ALTER TABLE ov_masks.mask_log OWNER TO regress_ov_maskowner;
GRANT INSERT ON ov_masks.mask_log TO PUBLIC;
GRANT USAGE ON SEQUENCE ov_masks.mask_log_n_seq TO PUBLIC;
CREATE FUNCTION ov_masks.first_char(text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO ov_masks.mask_log (who, was_superuser)
	VALUES (current_user, (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user));
	RETURN pg_catalog.left($1, 1) OPERATOR(pg_catalog.||) '*';
END $$;
ALTER FUNCTION ov_masks.first_char(text) OWNER TO regress_ov_maskowner;
SELECT ci.trust_mask_schema('ov_masks');
SELECT ov_masks.first_char('x') AS direct;
SET ROLE regress_ov_writer;
SELECT ov_masks.first_char('y') AS direct;
RESET ROLE;
SET ROLE regress_ov_owner;
CREATE TABLE ov.ov_people (id integer PRIMARY KEY, nick text);
INSERT INTO ov.ov_people VALUES (1, '张三');
GRANT INSERT, UPDATE, SELECT ON ov.ov_people TO regress_ov_writer;
RESET ROLE;
SET ROLE regress_ov_admin;
SELECT ci.protect('ov.ov_people', 'nick', 'name', 'C2', mask => 'ov_masks.first_char(text)');
RESET ROLE;
SET ROLE regress_ov_writer;
INSERT INTO ov.ov_people VALUES (2, '欧阳明月');
UPDATE ov.ov_people SET nick = '李四' WHERE id = 1;
RESET ROLE;
SELECT id, nick_mask FROM ov.ov_people ORDER BY id;
SELECT n, CASE WHEN was_superuser THEN '(a superuser)' ELSE who END AS ran_as
  FROM ov_masks.mask_log ORDER BY n;

-- clean up
DROP TABLE ov.ov_people;
SELECT ci.trust_mask_schema('ov_masks', false);
DROP SCHEMA ov_masks CASCADE;
SET ROLE regress_ov_admin;
SELECT ci.disallow_purpose('regress_ov_marketer', 'marketing');
RESET ROLE;
DROP SCHEMA ov CASCADE;
SELECT count(*) AS left_behind FROM ci.customer_table WHERE relid::text LIKE 'ov.%';
REVOKE USAGE ON SCHEMA masked FROM regress_ov_admin, regress_ov_auditor, regress_ov_report,
	regress_ov_marketer;
DROP ROLE regress_ov_owner, regress_ov_admin, regress_ov_auditor, regress_ov_report,
	regress_ov_marketer, regress_ov_maskowner, regress_ov_writer;
