--
-- read_audit: every clear read of a C2 or C3 value is recorded, per
-- statement, role, purpose, table and column, with the row keys of the
-- first customer_info.read_audit_keys rows.
--
\i test/regress_helpers.sql
SET client_min_messages = warning;
CREATE ROLE regress_ra_admin LOGIN IN ROLE customer_info_admin;
CREATE ROLE regress_ra_approver LOGIN IN ROLE customer_info_approver;
CREATE ROLE regress_ra_auditor LOGIN IN ROLE customer_info_auditor;
CREATE ROLE regress_ra_reader LOGIN;
CREATE ROLE regress_ra_masked LOGIN;
RESET client_min_messages;
CREATE TABLE ra_customers (id int PRIMARY KEY, name text, id_number text,
						   mobile text, note text);
INSERT INTO ra_customers
	SELECT g, 'Customer ' || g, '11010519491231002X', '13800138000', 'n' || g
	FROM generate_series(1, 250) g;
SELECT ci.protect('ra_customers', 'name', 'name', 'C1', encrypted => false);
SELECT ci.protect('ra_customers', 'id_number', 'cn_id', 'C3');
SELECT ci.protect('ra_customers', 'mobile', 'cn_mobile', 'C2');
SELECT ci.protect('ra_customers', 'note', 'text', 'C2', encrypted => false);
-- a composite key that needs quoting
CREATE TABLE ra_accounts (branch text, no int, mobile text, PRIMARY KEY (branch, no));
INSERT INTO ra_accounts VALUES ('Main, "North"', 7, '15012345678');
SELECT ci.protect('ra_accounts', 'mobile', 'cn_mobile', 'C2');
GRANT USAGE ON SCHEMA masked TO regress_ra_reader, regress_ra_masked;
GRANT SELECT ON masked.ra_customers, masked.ra_accounts
	TO regress_ra_reader, regress_ra_masked;
GRANT SELECT ON ra_customers TO regress_ra_reader;
SET ROLE regress_ra_admin;
SELECT ci.grant_level('regress_ra_reader', 'clear', 'C1');
SELECT ci.grant_level('regress_ra_reader', 'clear', 'C2');
SELECT ci.allow_purpose('regress_ra_reader', 'service');
RESET ROLE;

-- The records of this test are those after this one.
SELECT ci.read_audit_wait();
SELECT coalesce(max(record_id), 0) AS mark FROM ci.read_audit \gset
CREATE VIEW ra_records AS
	SELECT role_name, session_user_name,
		   statement_start <= recorded_at AS in_order,
		   purpose, table_name, column_name, row_count, row_keys
	FROM ci.read_audit WHERE record_id > :mark ORDER BY record_id;
CREATE FUNCTION ra_new() RETURNS SETOF ra_records LANGUAGE sql AS $$
	SELECT ci.read_audit_wait();
	SELECT * FROM ra_records;
$$;
CREATE FUNCTION ra_next_mark() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	PERFORM ci.read_audit_wait();
	EXECUTE format('CREATE OR REPLACE VIEW ra_records AS
		SELECT role_name, session_user_name,
		   statement_start <= recorded_at AS in_order,
			   purpose, table_name, column_name, row_count, row_keys
		FROM ci.read_audit WHERE record_id > %s ORDER BY record_id',
		(SELECT coalesce(max(record_id), 0) FROM ci.read_audit));
END
$$;

-- A view read in clear: one record per C2/C3 column read, with the keys;
-- C1 columns and masked reads are not recorded.
SET SESSION AUTHORIZATION regress_ra_reader;
SET customer_info.purpose = 'service';
SELECT id, name, mobile, note FROM masked.ra_customers WHERE id IN (1, 2) ORDER BY id;
SELECT id, id_number FROM masked.ra_customers WHERE id = 3;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_ra_masked;
SELECT id, mobile, note FROM masked.ra_customers WHERE id = 4;
RESET SESSION AUTHORIZATION;
SELECT * FROM ra_new();
SELECT ra_next_mark();

-- Columns the query does not return are not read.
SET SESSION AUTHORIZATION regress_ra_reader;
SET customer_info.purpose = 'service';
SELECT count(*) FROM masked.ra_customers;
SELECT count(id) FROM masked.ra_customers WHERE id < 10;
RESET SESSION AUTHORIZATION;
SELECT * FROM ra_new();

-- A large scan: one record per statement and column, with the row count
-- and the first customer_info.read_audit_keys keys.
SET customer_info.read_audit_keys = 5;
SET SESSION AUTHORIZATION regress_ra_reader;
SET customer_info.purpose = 'service';
SELECT count(mobile) FROM masked.ra_customers;
-- only a superuser sets the read audit
SET customer_info.read_audit = off;
SET customer_info.read_audit_keys = 0;
RESET SESSION AUTHORIZATION;
RESET customer_info.read_audit_keys;
SELECT * FROM ra_new();
SELECT ra_next_mark();

-- A read-only transaction that is rolled back, and one whose statement
-- fails after reading: the reads stay recorded.
SET SESSION AUTHORIZATION regress_ra_reader;
SET customer_info.purpose = 'service';
BEGIN READ ONLY;
SELECT mobile FROM masked.ra_customers WHERE id = 5;
ROLLBACK;
BEGIN;
SELECT mobile, 1 / (6 - id) FROM masked.ra_customers WHERE id IN (5, 6) ORDER BY id;
ROLLBACK;
RESET SESSION AUTHORIZATION;
-- (the failing statement's keys in key order: the plan may read them in
-- either order)
SELECT role_name, table_name, column_name, row_count,
	   ARRAY(SELECT k FROM unnest(row_keys) k ORDER BY k::int) AS keys_read
FROM ra_new();
SELECT ra_next_mark();

-- ci.reveal() directly, both forms; a cursor; a composite key; the same
-- statement through a function: one record per statement and column.
SET SESSION AUTHORIZATION regress_ra_reader;
SET customer_info.purpose = 'service';
SELECT ci.reveal(c, 'mobile') FROM ra_customers c WHERE id = 7;
SELECT ci.reveal('ra_customers', 'note', note, id) FROM ra_customers WHERE id = 8;
BEGIN;
DECLARE cur CURSOR FOR SELECT mobile FROM masked.ra_customers WHERE id BETWEEN 9 AND 11 ORDER BY id;
FETCH 2 FROM cur;
SELECT 1;
FETCH 1 FROM cur;
CLOSE cur;
COMMIT;
SELECT branch, no, mobile FROM masked.ra_accounts;
RESET SESSION AUTHORIZATION;
CREATE FUNCTION ra_mobile(int) RETURNS text LANGUAGE sql STABLE AS
	'SELECT mobile FROM masked.ra_customers WHERE id = $1';
SET SESSION AUTHORIZATION regress_ra_reader;
SET customer_info.purpose = 'service';
SELECT ra_mobile(g) FROM generate_series(12, 13) g;
RESET SESSION AUTHORIZATION;
SELECT * FROM ra_new();
SELECT ra_next_mark();

-- C3 data read in clear through temporary access: recorded with the
-- purpose the access was granted for.
SET SESSION AUTHORIZATION regress_ra_reader;
SELECT ci.request_access('clear', 'risk_control', 'case 2026-301',
						 now() + interval '1 hour', tbl => 'ra_customers',
						 col => 'id_number') AS req \gset
RESET SESSION AUTHORIZATION;
SET ROLE regress_ra_admin;
SELECT ci.allow_purpose('regress_ra_reader', 'risk_control');
RESET ROLE;
SET SESSION AUTHORIZATION regress_ra_approver;
SELECT ci.approve_access(:req);
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_ra_reader;
SET customer_info.purpose = 'risk_control';
SELECT ci.reveal(c, 'id_number') FROM ra_customers c WHERE id = 14;
RESET SESSION AUTHORIZATION;
SELECT * FROM ra_new();
SELECT ra_next_mark();

-- A superuser's reads are recorded too; turning the audit off (only a
-- superuser can) stops it.
SELECT ci.reveal(c, 'mobile') FROM ra_customers c WHERE id = 15;
SET customer_info.read_audit = off;
SELECT ci.reveal(c, 'mobile') FROM ra_customers c WHERE id = 16;
RESET customer_info.read_audit;
SELECT role_name = current_user AS me, column_name, row_count, row_keys FROM ra_new();
SELECT ra_next_mark();

-- ci.unprotect() decrypts in place: no one's read.
CREATE TABLE ra_scratch (id int PRIMARY KEY, mobile text);
INSERT INTO ra_scratch VALUES (1, '13800138000');
SELECT ci.protect('ra_scratch', 'mobile', 'cn_mobile', 'C2');
SELECT ci.unprotect('ra_scratch', 'mobile');
SELECT count(*) FROM ra_new();

-- The records: auditors read them; readers cannot; nobody changes them.
SET SESSION AUTHORIZATION regress_ra_reader;
SELECT count(*) FROM ci.read_audit;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_ra_auditor;
SELECT count(*) > 0 AS auditor_reads FROM ci.read_audit;
DELETE FROM ci.read_audit;
RESET SESSION AUTHORIZATION;
UPDATE ci.read_audit SET row_count = 1;
DELETE FROM ci.read_audit;
TRUNCATE ci.read_audit;
-- no plaintext in any record
SELECT count(*) AS records_with_plaintext FROM ci.read_audit r
WHERE r::text LIKE '%13800138000%' OR r::text LIKE '%11010519491231002X%'
   OR r::text LIKE '%Customer %';

SET ROLE regress_ra_admin;
SELECT ci.revoke_level('regress_ra_reader', 'C1');
SELECT ci.revoke_level('regress_ra_reader', 'C2');
SELECT ci.disallow_purpose('regress_ra_reader', 'service');
SELECT ci.disallow_purpose('regress_ra_reader', 'risk_control');
RESET ROLE;
REVOKE USAGE ON SCHEMA masked FROM regress_ra_reader, regress_ra_masked;
-- the temporary access still runs: the role cannot be dropped yet
\set VERBOSITY default
DROP ROLE regress_ra_reader;
-- the requester ends it early; then nothing current names the role, and
-- the role can go, its past requests with it (an OID can be reused)
SET SESSION AUTHORIZATION regress_ra_reader;
SELECT ci.revoke_access(:req, 'case closed');
RESET SESSION AUTHORIZATION;
SELECT request_id = :req AS the_request, state, revoked_by, decision_note
  FROM ci.access_requests WHERE role = 'regress_ra_reader'::regrole;
DROP FUNCTION ra_new(), ra_next_mark(), ra_mobile(int);
DROP VIEW ra_records;
DROP TABLE ra_customers, ra_accounts, ra_scratch;
DROP ROLE regress_ra_admin, regress_ra_approver, regress_ra_auditor,
	regress_ra_reader, regress_ra_masked;
SELECT (SELECT count(*) FROM ci.access_level l
		 WHERE NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = l.role)) AS levels_left,
	   (SELECT count(*) FROM ci.role_purpose p
		 WHERE NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = p.role)) AS purposes_left,
	   (SELECT count(*) FROM ci.access_request q
		 WHERE NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = q.role)
		   AND (q.status = 'pending'
				OR (q.status = 'approved' AND q.valid_until > now()))) AS open_requests_left,
	   (SELECT count(*) FROM ci.access_request q
		 WHERE q.request_id = :req) AS request_kept;
