--
-- access: temporary access with approval, purposes of use, and the
-- exposure report.
--
SET client_min_messages = warning;
CREATE ROLE regress_ac_admin LOGIN IN ROLE customer_info_admin;
CREATE ROLE regress_ac_approver LOGIN IN ROLE customer_info_approver;
CREATE ROLE regress_ac_team NOLOGIN;
CREATE ROLE regress_ac_clerk LOGIN IN ROLE regress_ac_team;
-- an approver who can act as the clerk
CREATE ROLE regress_ac_both LOGIN IN ROLE customer_info_approver, regress_ac_clerk;
CREATE ROLE regress_ac_other LOGIN;
-- a role with a level and no purposes listed, that the clerk can become
CREATE ROLE regress_ac_free NOLOGIN;
GRANT regress_ac_free TO regress_ac_clerk;
RESET client_min_messages;
CREATE TABLE ac_customers (id int PRIMARY KEY, id_number text, mobile text);
INSERT INTO ac_customers VALUES
	(1, '11010519491231002X', '13800138000'),
	(2, '440305199002280028', '15012345678');
SELECT ci.protect('ac_customers', 'id_number', 'cn_id', 'C3');
SELECT ci.protect('ac_customers', 'mobile', 'cn_mobile', 'C2');
GRANT SELECT ON ac_customers TO regress_ac_team, regress_ac_free;
GRANT USAGE ON SCHEMA masked TO regress_ac_team, regress_ac_other;
GRANT SELECT ON masked.ac_customers TO regress_ac_team, regress_ac_other;

-- C3 data is never granted "clear" for good, by category or by column.
SET ROLE regress_ac_admin;
SELECT ci.grant_level('regress_ac_team', 'clear', 'C3');
SELECT ci.grant_level('regress_ac_team', 'clear', tbl => 'ac_customers', col => 'id_number');
RESET ROLE;

-- A request, by the person, with a purpose, a window and a reason; not
-- as a group (every member would get it).
SET SESSION AUTHORIZATION regress_ac_clerk;
SET ROLE regress_ac_team;
SELECT ci.request_access('clear', 'risk_control', 'for the whole team',
                         now() + interval '1 hour', 'C2');
RESET ROLE;
SELECT ci.request_access('clear', 'risk_control', 'case 2026-117: verify identity',
                         now() + interval '1 hour', tbl => 'ac_customers', col => 'id_number')
       AS req1 \gset
-- requests that make no sense
SELECT ci.request_access('none', 'service', 'y', now() + interval '1 hour', 'C2');
SELECT ci.request_access('clear', '', 'y', now() + interval '1 hour', 'C2');
SELECT ci.request_access('clear', 'service', 'y', now() - interval '1 hour', 'C2');
SELECT ci.request_access('clear', 'service', 'y', now() + interval '1 hour');
SELECT ci.request_access('clear', 'service', 'y', now() + interval '1 hour', 'C9');
SELECT ci.request_access('clear', 'service', 'y', now() + interval '1 hour',
                         tbl => 'ac_customers', col => 'no_such_column');
SELECT ci.request_access('clear', 'service', NULL, now() + interval '1 hour', 'C2');
-- a purpose that is not in ci.purpose is refused at once (the masked
-- views would refuse it anyway, ci.reveal would not)
SELECT ci.request_access('clear', 'no_such_purpose', 'y', now() + interval '1 hour', 'C2');
\echo :LAST_ERROR_SQLSTATE
SELECT ci.request_access('clear', 'aml_investigation', 'case 2026-118', now() + interval '1 hour',
                         tbl => 'ac_customers', col => 'id_number');
\echo :LAST_ERROR_SQLSTATE
-- the requester can neither approve nor see others' requests
SELECT ci.approve_access(:req1);
SELECT role, level, attname, purpose, state FROM ci.access_requests;
-- until it is approved, nothing changes
SET customer_info.purpose = 'risk_control';
SELECT ci.reveal(c, 'id_number') FROM ac_customers c WHERE id = 1;
RESET SESSION AUTHORIZATION;

-- Approval: only an approver, never the requester nor whoever can act as it.
SET SESSION AUTHORIZATION regress_ac_other;
SELECT ci.approve_access(:req1);
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_ac_both;
SELECT ci.approve_access(:req1);
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_ac_approver;
SELECT ci.approve_access(:req1, note => 'case file checked');
SELECT ci.approve_access(:req1);
SELECT ci.approve_access(-1);
RESET SESSION AUTHORIZATION;

-- The access holds for the request's purpose, through ci.reveal; a view
-- still shows C3 data masked.
SET SESSION AUTHORIZATION regress_ac_clerk;
RESET customer_info.purpose;
SELECT ci.reveal(c, 'id_number') FROM ac_customers c WHERE id = 1;
SET customer_info.purpose = 'marketing';
SELECT ci.reveal(c, 'id_number') FROM ac_customers c WHERE id = 1;
SET customer_info.purpose = 'risk_control';
SELECT ci.reveal(c, 'id_number') FROM ac_customers c WHERE id = 1;
SELECT id_number FROM masked.ac_customers WHERE id = 1;
-- only for the column asked for
SELECT ci.reveal(c, 'mobile') FROM ac_customers c WHERE id = 1;
RESET SESSION AUTHORIZATION;

-- Revoked early: it ends at once.
SET SESSION AUTHORIZATION regress_ac_approver;
SELECT ci.revoke_access(:req1, 'case closed');
SELECT ci.revoke_access(:req1);
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_ac_clerk;
SET customer_info.purpose = 'risk_control';
SELECT ci.reveal(c, 'id_number') FROM ac_customers c WHERE id = 1;
RESET SESSION AUTHORIZATION;

-- A purpose removed from ci.purpose after the request: approving is
-- refused (rejecting is not).
SET ROLE regress_ac_admin;
INSERT INTO ci.purpose (purpose, legal_basis, description)
VALUES ('aml_case', 'legal_obligation', 'investigation of one AML case');
RESET ROLE;
SET SESSION AUTHORIZATION regress_ac_clerk;
SELECT ci.request_access('clear', 'aml_case', 'case 2026-119', now() + interval '1 hour', 'C2')
       AS req5 \gset
RESET SESSION AUTHORIZATION;
SET ROLE regress_ac_admin;
DELETE FROM ci.purpose WHERE purpose = 'aml_case';
RESET ROLE;
SET SESSION AUTHORIZATION regress_ac_approver;
SELECT ci.approve_access(:req5);
\echo :LAST_ERROR_SQLSTATE
SELECT ci.approve_access(:req5, false, 'purpose removed');
RESET SESSION AUTHORIZATION;

-- Expiry: a window that ends ends the access by itself.  The window is
-- long enough for the steps up to the first read on a slow machine; the
-- test then waits on the clock until the window has ended (not for a
-- fixed time) and asks again.
SET SESSION AUTHORIZATION regress_ac_clerk;
SELECT clock_timestamp() + interval '6 seconds' AS req2_until \gset
SELECT ci.request_access('clear', 'risk_control', 'short look', :'req2_until', 'C2') AS req2 \gset
SELECT ci.request_access('clear', 'marketing', 'campaign', now() + interval '1 day', 'C2')
       AS req3 \gset
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_ac_approver;
SELECT ci.approve_access(:req2);
SELECT ci.approve_access(:req3, false, 'no consent for marketing');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_ac_clerk;
SET customer_info.purpose = 'risk_control';
SELECT statement_timestamp() < :'req2_until' AS in_window, ci.reveal(c, 'mobile')
  FROM ac_customers c WHERE id = 1;
SELECT state FROM ci.access_requests WHERE request_id = :req2;
RESET SESSION AUTHORIZATION;
CREATE FUNCTION pg_temp.wait_past(t timestamptz) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	WHILE clock_timestamp() <= t LOOP
		PERFORM pg_sleep(0.1);
	END LOOP;
	RETURN true;
END
$$;
SELECT pg_temp.wait_past(:'req2_until') AS window_ended;
SET SESSION AUTHORIZATION regress_ac_clerk;
SELECT statement_timestamp() > :'req2_until' AS after_window;
SELECT ci.reveal(c, 'mobile') FROM ac_customers c WHERE id = 1;
SELECT state FROM ci.access_requests WHERE request_id = :req2;
-- the requester sees its requests and how they ended
SELECT request_id - :req1 AS n, level, coalesce(category, attname) AS what, purpose, state,
       decided_by, decision_note, revoked_by
  FROM ci.access_requests ORDER BY request_id;
-- the table itself is closed to it
SELECT count(*) FROM ci.access_request;
UPDATE ci.access_request SET status = 'approved';
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_ac_other;
SELECT count(*) AS others_requests_seen FROM ci.access_requests;
RESET SESSION AUTHORIZATION;

-- Purposes: a role with allowed purposes must declare one of them.
SET ROLE regress_ac_admin;
SELECT ci.grant_level('regress_ac_team', 'clear', 'C2');
SELECT ci.grant_level('regress_ac_free', 'clear', 'C2');
SELECT ci.allow_purpose('regress_ac_team', 'service');
SELECT ci.allow_purpose('regress_ac_team', 'risk_control');
SELECT ci.allow_purpose('regress_ac_team', '');
RESET ROLE;
SET SESSION AUTHORIZATION regress_ac_clerk;
RESET customer_info.purpose;
SELECT mobile FROM masked.ac_customers WHERE id = 1;
SET customer_info.purpose = 'marketing';
SELECT mobile FROM masked.ac_customers WHERE id = 1;
SELECT ci.reveal(c, 'mobile') FROM ac_customers c WHERE id = 1;
SET customer_info.purpose = 'service';
SELECT mobile FROM masked.ac_customers WHERE id = 1;
SELECT ci.reveal(c, 'mobile') FROM ac_customers c WHERE id = 1;
-- nor can it widen its own purposes
SELECT ci.allow_purpose('regress_ac_clerk', 'marketing');
-- nor shed them by becoming a role that has none
RESET ROLE;
SET customer_info.purpose = 'marketing';
SET ROLE regress_ac_free;
SELECT ci.reveal(c, 'mobile') FROM ac_customers c WHERE id = 1;
RESET ROLE;
RESET SESSION AUTHORIZATION;
-- a role with no purposes listed is not restricted
SET SESSION AUTHORIZATION regress_ac_other;
SET customer_info.purpose = 'anything';
SELECT mobile FROM masked.ac_customers WHERE id = 1;
RESET SESSION AUTHORIZATION;
SET ROLE regress_ac_admin;
SELECT ci.disallow_purpose('regress_ac_team', 'service');
SELECT role, purpose FROM ci.role_purpose ORDER BY 1, 2;
RESET ROLE;

-- The exposure report: who reads protected tables directly and why,
-- standing and temporary levels (clear on C2 flagged).
SET ROLE regress_ac_admin;
SELECT finding, role, tbl, col FROM ci.exposure_report()
 WHERE (role IS NULL OR role NOT IN (SELECT rolname FROM pg_roles WHERE rolsuper))
   AND (tbl IS NULL OR tbl = 'ac_customers'::regclass);
RESET ROLE;
SET ROLE regress_ac_clerk;
SELECT * FROM ci.exposure_report();
RESET ROLE;

-- Levels, purposes and requests name roles: a role that holds any cannot
-- be dropped (its OID could name another role one day); DROP OWNED BY
-- takes them away, revoking current temporary access.
CREATE ROLE regress_ac_leaver LOGIN;
SET ROLE regress_ac_admin;
SELECT ci.grant_level('regress_ac_leaver', 'clear', 'C2');
SELECT ci.allow_purpose('regress_ac_leaver', 'service');
RESET ROLE;
SET SESSION AUTHORIZATION regress_ac_leaver;
SELECT ci.request_access('clear', 'service', 'one look', now() + interval '1 hour',
						 tbl => 'ac_customers', col => 'id_number') AS req3 \gset
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_ac_approver;
SELECT ci.approve_access(:req3);
RESET SESSION AUTHORIZATION;
DROP ROLE regress_ac_leaver;
-- DROP OWNED needs the role's privileges, as ever
SET SESSION AUTHORIZATION regress_ac_other;
DROP OWNED BY regress_ac_leaver;
RESET SESSION AUTHORIZATION;
DROP OWNED BY regress_ac_leaver;
SELECT count(*) FROM ci.access_level WHERE role = 'regress_ac_leaver'::regrole;
SELECT count(*) FROM ci.role_purpose WHERE role = 'regress_ac_leaver'::regrole;
SELECT status, decision_note FROM ci.access_request WHERE request_id = :req3;
-- once nothing is current, DROP ROLE goes through and takes the role's
-- past requests along: no row names its OID any more
SELECT 'regress_ac_leaver'::regrole::oid AS leaver_oid \gset
DROP ROLE regress_ac_leaver;
SELECT (SELECT count(*) FROM ci.access_request
         WHERE :leaver_oid IN (role::oid, requested_by::oid, decided_by::oid, revoked_by::oid))
     + (SELECT count(*) FROM ci.access_level WHERE :leaver_oid IN (role::oid, granted_by::oid))
     + (SELECT count(*) FROM ci.role_purpose WHERE :leaver_oid IN (role::oid, allowed_by::oid))
       AS rows_naming_leaver;
-- but a role cannot shed its own restrictions with DROP OWNED BY itself:
-- its purposes and its level none stay
CREATE ROLE regress_ac_restricted LOGIN;
SET ROLE regress_ac_admin;
SELECT ci.allow_purpose('regress_ac_restricted', 'service');
SELECT ci.grant_level('regress_ac_restricted', 'none', 'C2');
RESET ROLE;
SET SESSION AUTHORIZATION regress_ac_restricted;
DROP OWNED BY CURRENT_USER;
RESET SESSION AUTHORIZATION;
SELECT purpose FROM ci.role_purpose WHERE role = 'regress_ac_restricted'::regrole;
SELECT level, category FROM ci.access_level WHERE role = 'regress_ac_restricted'::regrole;
DROP OWNED BY regress_ac_restricted;
DROP ROLE regress_ac_restricted;

SET ROLE regress_ac_admin;
SELECT ci.revoke_level('regress_ac_team', 'C2');
SELECT ci.revoke_level('regress_ac_free', 'C2');
SELECT ci.disallow_purpose('regress_ac_team', 'risk_control');
RESET ROLE;

-- A pending request blocks DROP ROLE; the product's own ways end it.
SET SESSION AUTHORIZATION regress_ac_other;
SELECT ci.request_access('clear', 'service', 'pending at the end', now() + interval '1 hour',
                         'C2') AS req4 \gset
RESET SESSION AUTHORIZATION;
DROP ROLE regress_ac_other;
SET SESSION AUTHORIZATION regress_ac_other;
SELECT ci.revoke_access(:req4, 'no longer needed');
RESET SESSION AUTHORIZATION;

-- Dropping the table and the roles leaves nothing in the extension's
-- tables that names them: requests on the table's columns go with the
-- table, a role's past requests with the role, and a dropped approver's
-- decisions keep its name in the note instead of its OID.
SELECT 'ac_customers'::regclass::oid AS ac_table \gset
SELECT array_agg(oid) AS ac_roles FROM pg_roles WHERE rolname LIKE 'regress\_ac\_%' \gset
SELECT count(*) AS requests_on_table FROM ci.access_request WHERE relid = :ac_table;
DROP TABLE ac_customers;
SELECT (SELECT count(*) FROM ci.access_request WHERE relid::oid = :ac_table)
     + (SELECT count(*) FROM ci.access_level WHERE relid::oid = :ac_table)
     + (SELECT count(*) FROM ci.protected_column WHERE relid::oid = :ac_table)
       AS rows_naming_table;
REVOKE USAGE ON SCHEMA masked FROM regress_ac_team, regress_ac_other;
DROP ROLE regress_ac_approver;
SELECT request_id - :req1 AS n, role, decided_by, decision_note FROM ci.access_request
 WHERE role::oid = ANY (:'ac_roles'::oid[]) ORDER BY request_id;
DROP ROLE regress_ac_admin;
DROP ROLE regress_ac_clerk;
DROP ROLE regress_ac_both;
DROP ROLE regress_ac_other;
DROP ROLE regress_ac_team;
DROP ROLE regress_ac_free;
SELECT (SELECT count(*) FROM ci.access_request
         WHERE ARRAY[role::oid, requested_by::oid, decided_by::oid, revoked_by::oid]
               && :'ac_roles'::oid[])
     + (SELECT count(*) FROM ci.access_level
         WHERE ARRAY[role::oid, granted_by::oid] && :'ac_roles'::oid[])
     + (SELECT count(*) FROM ci.role_purpose
         WHERE ARRAY[role::oid, allowed_by::oid] && :'ac_roles'::oid[])
       AS rows_naming_dropped_roles;
