--
-- adversarial: a reporting role that may read a masked view tries every
-- way around it.  Each attempt fails or sees masked data only.
--
SET client_min_messages = warning;
CREATE ROLE regress_adv_admin LOGIN IN ROLE customer_info_admin;
CREATE ROLE regress_adv_report LOGIN;
CREATE ROLE regress_adv_approver LOGIN IN ROLE customer_info_approver;
RESET client_min_messages;
CREATE TABLE adv_customers (id int PRIMARY KEY, id_number text, mobile text, card text);
INSERT INTO adv_customers VALUES
	(1, '11010519491231002X', '13800138000', '6222021234567890128'),
	(2, '440305199002280028', '15012345678', '6212260200102345671');
SELECT ci.protect('adv_customers', 'id_number', 'cn_id', 'C3', searchable => true);
SELECT ci.protect('adv_customers', 'mobile', 'cn_mobile', 'C2');
SELECT ci.protect('adv_customers', 'card', 'bank_card', 'C3');
GRANT USAGE ON SCHEMA masked TO regress_adv_report;
GRANT SELECT ON masked.adv_customers TO regress_adv_report;
GRANT CREATE ON SCHEMA public TO regress_adv_report;
CREATE SCHEMA regress_trojan AUTHORIZATION regress_adv_report;

SET SESSION AUTHORIZATION regress_adv_report;
-- what it is meant to see
SELECT * FROM masked.adv_customers ORDER BY id;

-- the base table, directly or through anything it can create
SELECT * FROM adv_customers;
COPY adv_customers TO STDOUT;
COPY (SELECT * FROM adv_customers) TO STDOUT;
CREATE VIEW public.my_view AS SELECT * FROM adv_customers;
SELECT * FROM public.my_view;
CREATE FUNCTION public.peek() RETURNS SETOF adv_customers LANGUAGE sql AS
	'SELECT * FROM adv_customers';
SELECT * FROM public.peek();
-- the extension's tables: keys, policy, levels, requests
SELECT * FROM ci.data_key;
SELECT * FROM ci.protected_column;
SELECT * FROM ci.access_level;
SELECT * FROM ci.access_request;
SELECT * FROM ci.role_purpose;

-- reveal, with real and forged arguments: the keyed form needs the
-- level; a value of one column passed as another's does not open anyway
SELECT ci.reveal(c.oid, 'mobile', 'ci:AAAA', 1) FROM pg_class c WHERE c.relname = 'adv_customers';
SELECT ci.reveal(c.oid, 'note', 'ci:AAAA', 1) FROM pg_class c WHERE c.relname = 'adv_customers';
SELECT ci.lookup(c.oid, 'id_number', '11010519491231002X') FROM pg_class c
 WHERE c.relname = 'adv_customers';

-- inference through the view: predicates, patterns, ordering, aggregates
-- and joins compare masked values only
SELECT count(*) FROM masked.adv_customers WHERE mobile = '13800138000';
SELECT count(*) FROM masked.adv_customers WHERE mobile LIKE '1380013%';
SELECT count(*) FROM masked.adv_customers WHERE id_number BETWEEN '110105194901010000' AND '110105194912319999';
SELECT id FROM masked.adv_customers ORDER BY card DESC, id;
SELECT min(card), max(card), count(DISTINCT mobile) FROM masked.adv_customers;
SELECT count(*) FROM masked.adv_customers a JOIN (VALUES ('13800138000')) v(m) ON a.mobile = v.m;
-- a side-effecting function in WHERE sees masked values, however cheap
CREATE FUNCTION pg_temp.leak(text) RETURNS boolean LANGUAGE plpgsql COST 0.00001 AS $$
BEGIN
	RAISE NOTICE 'saw %', $1;
	RETURN true;
END
$$;
SELECT id FROM masked.adv_customers WHERE pg_temp.leak(card) ORDER BY id;
DROP FUNCTION pg_temp.leak(text);
-- EXPLAIN shows no value
EXPLAIN (COSTS OFF) SELECT * FROM masked.adv_customers WHERE mobile = '13800138000';

-- its own level, purpose, requests
SELECT ci.grant_level('regress_adv_report', 'clear', 'C2');
SELECT ci.allow_purpose('regress_adv_report', 'anything');
SELECT ci.request_access('clear', 'curiosity', 'because', now() + interval '1 hour', 'C2');
SELECT ci.request_access('clear', 'analytics', 'because', now() + interval '1 hour', 'C2') AS req \gset
SELECT ci.approve_access(:req);
SET customer_info.purpose = 'analytics';
SELECT mobile FROM masked.adv_customers WHERE id = 1;
RESET customer_info.purpose;

-- the view and its owner
DROP VIEW masked.adv_customers;
DROP TABLE IF EXISTS masked.adv_customers;
DROP TABLE IF EXISTS adv_customers;
CREATE OR REPLACE VIEW masked.adv_customers AS SELECT 1 AS id;
ALTER VIEW masked.adv_customers RENAME TO mine;
ALTER VIEW masked.adv_customers SET (security_barrier = false);
GRANT SELECT ON masked.adv_customers TO PUBLIC;
SET ROLE customer_info_views;
SET ROLE customer_info_admin;
SET ROLE customer_info_approver;
SELECT count(*) AS view_still_there FROM masked.adv_customers;

-- trojan objects on its search_path before calling the extension's
-- functions: they are not used (the extension's queries name pg_catalog)
CREATE FUNCTION regress_trojan.has_privs_of_role(oid, oid) RETURNS boolean
	LANGUAGE sql AS 'SELECT true';
CREATE FUNCTION regress_trojan.pg_has_role(name, name, text) RETURNS boolean
	LANGUAGE sql AS 'SELECT true';
CREATE FUNCTION regress_trojan.statement_timestamp() RETURNS timestamptz
	LANGUAGE sql AS $$SELECT '2000-01-01'::timestamptz$$;
CREATE OPERATOR regress_trojan.= (LEFTARG = text, RIGHTARG = text,
	FUNCTION = pg_catalog.textne);
SET search_path = regress_trojan, public, pg_catalog;
SELECT id, mobile, card FROM masked.adv_customers ORDER BY id;
SELECT ci.level(c.oid, 'mobile') FROM pg_catalog.pg_class c
 WHERE c.relname = 'adv_customers' AND c.relkind = 'r';
SELECT count(*) FROM ci.access_requests;
RESET search_path;
DROP SCHEMA regress_trojan CASCADE;
DROP VIEW public.my_view;
DROP FUNCTION public.peek();
RESET SESSION AUTHORIZATION;

-- its request stays pending until someone else decides, and keeps the
-- role from being dropped until it is decided
SELECT state FROM ci.access_requests WHERE request_id = :req;
DROP ROLE regress_adv_report;
SET SESSION AUTHORIZATION regress_adv_approver;
SELECT ci.approve_access(:req, false, 'no case behind it');
RESET SESSION AUTHORIZATION;
SELECT state, decided_by FROM ci.access_requests WHERE request_id = :req;

-- Dropped, table and roles leave nothing behind in the extension's tables.
SELECT 'adv_customers'::regclass::oid AS adv_table \gset
SELECT array_agg(oid) AS adv_roles FROM pg_roles WHERE rolname LIKE 'regress\_adv\_%' \gset
DROP TABLE adv_customers;
REVOKE CREATE ON SCHEMA public FROM regress_adv_report;
REVOKE USAGE ON SCHEMA masked FROM regress_adv_report;
DROP ROLE regress_adv_admin;
DROP ROLE regress_adv_report;
DROP ROLE regress_adv_approver;
SELECT (SELECT count(*) FROM ci.access_request
         WHERE relid::oid = :adv_table
            OR ARRAY[role::oid, requested_by::oid, decided_by::oid, revoked_by::oid]
               && :'adv_roles'::oid[])
     + (SELECT count(*) FROM ci.access_level
         WHERE relid::oid = :adv_table OR ARRAY[role::oid, granted_by::oid] && :'adv_roles'::oid[])
     + (SELECT count(*) FROM ci.role_purpose
         WHERE ARRAY[role::oid, allowed_by::oid] && :'adv_roles'::oid[])
     + (SELECT count(*) FROM ci.protected_column WHERE relid::oid = :adv_table)
       AS rows_naming_dropped;
