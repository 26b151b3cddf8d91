--
-- limits: what neither an administrator nor a role at level clear can
-- cross.  The audit trail's minimum retention, the longest windows of
-- temporary access, and read-audit records of reads that never happened.
--
SET client_min_messages = warning;
CREATE ROLE regress_li_admin LOGIN IN ROLE customer_info_admin;
CREATE ROLE regress_li_approver LOGIN IN ROLE customer_info_approver;
CREATE ROLE regress_li_clerk LOGIN;
CREATE ROLE regress_li_reader LOGIN;
RESET client_min_messages;
-- windows are compared in calendar time: no daylight-saving hour in between
SET TimeZone = 'UTC';

--
-- 1. Retention floor: purges of records younger than
-- customer_info.audit_min_retention (10 years by default) are refused, to
-- administrators and superusers alike; only a superuser can lower it.
--
CREATE TABLE li_ledger (id int PRIMARY KEY, amount numeric);
SET ROLE regress_li_admin;
SELECT ci.audit('li_ledger');
RESET ROLE;
INSERT INTO li_ledger VALUES (1, 10), (2, 20);
UPDATE li_ledger SET amount = 30 WHERE id = 2;
SELECT ci.audit_seal() > 0 AS sealed;
SELECT count(*) AS changes FROM ci.audit_log WHERE relid = 'li_ledger'::regclass;
SHOW customer_info.audit_min_retention;
SET ROLE regress_li_admin;
SELECT ci.audit_purge(interval '1 second');
\echo :LAST_ERROR_SQLSTATE
SELECT ci.audit_purge(interval '9 years 11 months');
SELECT ci.audit_purge(interval '-1 day');
\echo :LAST_ERROR_SQLSTATE
-- the setting is the superuser's: an administrator can neither lower nor read it
SET customer_info.audit_min_retention = '1 second';
SELECT set_config('customer_info.audit_min_retention', '0', false);
SHOW customer_info.audit_min_retention;
-- at the floor a purge runs (nothing here is that old)
SELECT ci.audit_purge(interval '10 years') AS purged_at_floor;
RESET ROLE;
SELECT count(*) AS changes_kept FROM ci.audit_log WHERE relid = 'li_ledger'::regclass;
-- a superuser is held by it too, until it lowers it
SELECT ci.audit_purge(interval '0');
SET customer_info.audit_min_retention = '-1 day';
SET customer_info.audit_min_retention = 'ten years';
SET customer_info.audit_min_retention = '0';
SET ROLE regress_li_admin;
SELECT ci.audit_purge(interval '0') > 0 AS purged;
RESET ROLE;
SELECT count(*) AS changes_left FROM ci.audit_log WHERE relid = 'li_ledger'::regclass;
SELECT ok FROM ci.audit_verify();
RESET customer_info.audit_min_retention;
SHOW customer_info.audit_min_retention;
SET ROLE regress_li_admin;
SELECT ci.unaudit('li_ledger');
RESET ROLE;

--
-- 2. Temporary means temporary: a window ends, starts no earlier than the
-- request, and lasts at most customer_info.max_access_window_c1/c2/c3
-- (90, 90 and 30 days by default), at request and again at approval.
--
CREATE TABLE li_cards (id int PRIMARY KEY, card text, mobile text);
INSERT INTO li_cards VALUES (1, '6222021234567890128', '13800138000');
SELECT ci.protect('li_cards', 'card', 'bank_card', 'C3');
SELECT ci.protect('li_cards', 'mobile', 'cn_mobile', 'C2');
SHOW customer_info.max_access_window_c1;
SHOW customer_info.max_access_window_c2;
SHOW customer_info.max_access_window_c3;
SET SESSION AUTHORIZATION regress_li_clerk;
-- for good, or for ten years: refused
SELECT ci.request_access('clear', 'risk_control', 'card check', 'infinity', 'C3');
\echo :LAST_ERROR_SQLSTATE
SELECT ci.request_access('clear', 'risk_control', 'card check', now() + interval '10 years', 'C3');
\echo :LAST_ERROR_SQLSTATE
-- one second past the cap: refused; at the cap: accepted
SELECT ci.request_access('clear', 'risk_control', 'card check',
                         now() + interval '30 days 1 second', 'C3');
SELECT ci.request_access('clear', 'risk_control', 'card check',
                         now() + interval '30 days', 'C3') AS req_c3 \gset
-- a column counts with its category
SELECT ci.request_access('clear', 'risk_control', 'card check', now() + interval '31 days',
                         tbl => 'li_cards', col => 'card');
SELECT ci.request_access('clear', 'risk_control', 'card check', now() + interval '30 days',
                         tbl => 'li_cards', col => 'card') AS req_col \gset
SELECT ci.request_access('clear', 'risk_control', 'mobile check', now() + interval '91 days',
                         tbl => 'li_cards', col => 'mobile');
SELECT ci.request_access('clear', 'risk_control', 'mobile check',
                         now() + interval '90 days', 'C2') AS req_c2 \gset
SELECT ci.request_access('masked', 'risk_control', 'notes', now() + interval '91 days', 'C1');
SELECT ci.request_access('masked', 'risk_control', 'notes', now() + interval '90 days', 'C1')
       IS NOT NULL AS c1_at_cap;
-- the window counts from its start; a start in the past is refused
SELECT ci.request_access('clear', 'risk_control', 'later', now() + interval '40 days 1 second',
                         'C3', valid_from => now() + interval '10 days');
SELECT ci.request_access('clear', 'risk_control', 'later', now() + interval '40 days', 'C3',
                         valid_from => now() + interval '10 days') IS NOT NULL AS later_at_cap;
SELECT ci.request_access('clear', 'risk_control', 'backdated', now() + interval '1 day', 'C3',
                         valid_from => now() - interval '1 day');
\echo :LAST_ERROR_SQLSTATE
SELECT ci.request_access('clear', 'risk_control', 'backdated', now() + interval '1 day', 'C3',
                         valid_from => '-infinity');
-- the caps are the superuser's
SET customer_info.max_access_window_c3 = '10 years';
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_li_admin;
SET customer_info.max_access_window_c3 = '10 years';
RESET SESSION AUTHORIZATION;
SET customer_info.max_access_window_c3 = '-1 day';
SET customer_info.max_access_window_c3 = 'a month';

-- At approval: a cap lowered since the request holds, for categories and
-- columns; so does an endless window recorded before the caps existed.
-- (request ids depend on the tests run before: errors show them as N)
CREATE FUNCTION li_approve(id bigint) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	c text;
	m text;
	d text;
	h text;
BEGIN
	PERFORM ci.approve_access(id);
	RETURN 'approved';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS c = RETURNED_SQLSTATE, m = MESSAGE_TEXT,
		d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
	RAISE EXCEPTION USING ERRCODE = c, DETAIL = d, HINT = h,
		MESSAGE = replace(m, 'access request ' || id, 'access request N');
END
$$;
\set SHOW_CONTEXT never
SET customer_info.max_access_window_c3 = '7 days';
SET customer_info.max_access_window_c2 = '30 days';
INSERT INTO ci.access_request (role, level, category, purpose, valid_from, valid_until,
                               reason, requested_by)
VALUES ('regress_li_clerk', 'clear', 'C3', 'risk_control', now(), 'infinity',
        'from before the caps', 'regress_li_clerk')
RETURNING request_id AS req_old \gset
SET SESSION AUTHORIZATION regress_li_approver;
SELECT li_approve(:req_c3);
\echo :LAST_ERROR_SQLSTATE
SELECT li_approve(:req_col);
SELECT li_approve(:req_c2);
SELECT li_approve(:req_old);
RESET SESSION AUTHORIZATION;
RESET customer_info.max_access_window_c3;
RESET customer_info.max_access_window_c2;
SET SESSION AUTHORIZATION regress_li_approver;
-- at the cap in force: approved
SELECT li_approve(:req_c3);
SELECT li_approve(:req_col);
SELECT li_approve(:req_c2);
SELECT li_approve(:req_old);
SELECT ci.approve_access(:req_old, false, 'no end');
RESET SESSION AUTHORIZATION;
\set SHOW_CONTEXT errors
SELECT request_id = :req_c3 AS c3, request_id = :req_col AS col, request_id = :req_c2 AS c2,
       status, CASE WHEN isfinite(valid_until) THEN valid_until - valid_from END AS window
  FROM ci.access_request WHERE request_id IN (:req_c3, :req_col, :req_c2, :req_old)
 ORDER BY request_id;

--
-- 3. Records reflect real reads only.  A column stored in clear binds no
-- value to its row: ci.reveal() of it, given any value and any key (or a
-- row built by hand), returns what it was given, and records a read only
-- if that row really holds that value.
--
CREATE TABLE li_people (id int PRIMARY KEY, note text, mobile text);
INSERT INTO li_people VALUES (1, 'note of one', '13800138000'), (2, 'note of two', '15012345678');
SELECT ci.protect('li_people', 'note', 'text', 'C2', encrypted => false);
SELECT ci.protect('li_people', 'mobile', 'cn_mobile', 'C2');
-- a composite key, declared in another order than the table's columns
CREATE TABLE li_accounts (branch text, no int, note text, PRIMARY KEY (no, branch));
INSERT INTO li_accounts VALUES ('north', 7, 'account note');
SELECT ci.protect('li_accounts', 'note', 'text', 'C2', encrypted => false);
GRANT USAGE ON SCHEMA masked TO regress_li_reader;
GRANT SELECT ON masked.li_people, masked.li_accounts TO regress_li_reader;
SET ROLE regress_li_admin;
SELECT ci.grant_level('regress_li_reader', 'clear', 'C2');
RESET ROLE;
SELECT ci.read_audit_wait();
SELECT coalesce(max(record_id), 0) AS mark FROM ci.read_audit \gset
SET SESSION AUTHORIZATION regress_li_reader;
SET customer_info.purpose = 'service';
-- forgeries: an invented value, another row's value, a row that does not
-- exist, a row built by hand, a key in the wrong order
SELECT ci.reveal('li_people', 'note', 'invented', 1);
SELECT ci.reveal('li_people', 'note', 'note of one', 2);
SELECT ci.reveal('li_people', 'note', 'note of one', 99);
SELECT ci.reveal(jsonb_populate_record(NULL::li_people, '{"id": 2, "note": "made up"}'), 'note');
SELECT ci.reveal('li_accounts', 'note', 'invented', 'north'::text, 7);
SELECT ci.reveal('li_accounts', 'note', 'account note', 'south'::text, 7);
SELECT ci.read_audit_wait();
RESET SESSION AUTHORIZATION;
SELECT count(*) AS forged_records FROM ci.read_audit WHERE record_id > :mark;
SET SESSION AUTHORIZATION regress_li_reader;
SET customer_info.purpose = 'service';
-- real reads: through the masked views, and a value that is the row's own
SELECT id, note, mobile FROM masked.li_people ORDER BY id;
SELECT branch, no, note FROM masked.li_accounts;
SELECT ci.reveal('li_people', 'note', 'note of two', 2);
SELECT ci.read_audit_wait();
RESET SESSION AUTHORIZATION;
SELECT role_name, purpose, table_name, column_name, row_count, row_keys
  FROM ci.read_audit WHERE record_id > :mark ORDER BY record_id;
-- an encrypted column binds its value to its row: a forgery fails to open
SET SESSION AUTHORIZATION regress_li_reader;
SELECT ci.reveal('li_people', 'mobile', 'ci:AAAA', 1);
RESET SESSION AUTHORIZATION;

SET client_min_messages = warning;
DROP OWNED BY regress_li_admin, regress_li_approver, regress_li_clerk, regress_li_reader;
RESET client_min_messages;
DROP ROLE regress_li_admin, regress_li_approver, regress_li_clerk, regress_li_reader;
DROP TABLE li_ledger, li_cards, li_people, li_accounts;
DROP FUNCTION li_approve(bigint);
