--
-- consent: purposes, the consent ledger, ci.has_consent(), consent-filtered
-- masked views, consent guards, partners and exports, customer rights.
--
SET client_min_messages = warning;
CREATE ROLE regress_cs_admin LOGIN IN ROLE customer_info_admin;
CREATE ROLE regress_cs_auditor LOGIN IN ROLE customer_info_auditor;
CREATE ROLE regress_cs_app LOGIN;
CREATE ROLE regress_cs_marketer LOGIN;
RESET client_min_messages;

-- The purposes and their legal bases; built-in ones stay as they are.
SELECT purpose, legal_basis, separate_consent FROM ci.purpose ORDER BY purpose;
SET ROLE regress_cs_admin;
INSERT INTO ci.purpose (purpose, legal_basis, separate_consent, description)
VALUES ('wealth_advice', 'consent', false, 'personalised wealth advice');
INSERT INTO ci.purpose (purpose, legal_basis, separate_consent, description)
VALUES ('bad_one', 'contract', true, 'separate consent without consent');
UPDATE ci.purpose SET legal_basis = 'contract' WHERE purpose = 'marketing';
DELETE FROM ci.purpose WHERE purpose = 'third_party_sharing';
RESET ROLE;
SET SESSION AUTHORIZATION regress_cs_app;
INSERT INTO ci.purpose (purpose, legal_basis, description) VALUES ('mine', 'contract', 'x');
RESET SESSION AUTHORIZATION;

-- The ledger: consent given and withdrawn through the functions only.
SET ROLE regress_cs_admin;
SELECT ci.give_consent('C001', 'marketing', 'app', 'notice-2026-01', 'app-log-77') > 0 AS given;
SELECT ci.give_consent('C002', 'marketing', 'branch', 'notice-2026-01', 'form-12');
SELECT ci.give_consent('C003', 'marketing', 'web', 'notice-2026-01',
					   expires_at => now() + interval '1 hour') > 0 AS given;
SELECT ci.withdraw_consent('C002', 'marketing', 'phone', 'notice-2026-01', 'call-5') > 0 AS withdrawn;
-- what cannot be recorded
SELECT ci.give_consent('C001', 'no_such_purpose', 'app', 'v1');
SELECT ci.give_consent('C001', 'service', 'app', 'v1');
SELECT ci.give_consent('C001', 'marketing', 'fax', 'v1');
SELECT ci.give_consent('C001', 'marketing', 'app', '');
SELECT ci.give_consent('', 'marketing', 'app', 'v1');
SELECT ci.give_consent(NULL, 'marketing', 'app', 'v1');
SELECT ci.give_consent('C001', 'marketing', 'app', 'v1', expires_at => now() - interval '1 day');
SELECT ci.give_consent('C001', 'marketing', 'app', 'v1', partner => 'nobody');
-- consent to share with a partner that is not registered yet
SELECT ci.give_consent('C001', 'third_party_sharing', 'branch', 'v1', partner => 'nobody');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- a role without the right records nothing, and reads nothing
SET SESSION AUTHORIZATION regress_cs_app;
SELECT ci.give_consent('C009', 'marketing', 'app', 'v1');
SELECT count(*) FROM ci.consent_event;
SELECT count(*) FROM ci.consent_state;
RESET SESSION AUTHORIZATION;
-- append-only, for everyone, the table's owner included
UPDATE ci.consent_event SET action = 'grant' WHERE customer = 'C002';
DELETE FROM ci.consent_event WHERE customer = 'C002';
TRUNCATE ci.consent_event;
SELECT customer, purpose, action, channel, notice_version, evidence, actor = session_user AS actor_ok
  FROM ci.consent_event ORDER BY event_id;

-- has_consent: now, after a withdrawal, for purposes that need none, for
-- unknown purposes, by integer key.
SELECT ci.has_consent('C001', 'marketing') AS c1, ci.has_consent('C002', 'marketing') AS c2,
	   ci.has_consent('C003', 'marketing') AS c3, ci.has_consent('C004', 'marketing') AS c4,
	   ci.has_consent('C004', 'service') AS c4_service,
	   ci.has_consent('C004', 'risk_control') AS c4_risk,
	   ci.has_consent(NULL, 'marketing') AS null_customer;
SELECT ci.has_consent('C001', 'nonsense');
SET ROLE regress_cs_admin;
SELECT ci.give_consent('42', 'analytics', 'app', 'v1') > 0 AS given;
RESET ROLE;
SELECT ci.has_consent(42, 'analytics') AS int_key, ci.has_consent(43, 'analytics') AS other;

-- In the past: the ledger answers "did we have consent then".  The
-- moments are read from the clock between the events (each event is a
-- statement of its own, stamped with its transaction's start).
SELECT clock_timestamp() AS before_grant \gset
SET ROLE regress_cs_admin;
SELECT ci.give_consent('C010', 'marketing', 'app', 'notice-2026-01', 'app-log-90') > 0 AS given;
RESET ROLE;
SELECT clock_timestamp() AS between_events \gset
SET ROLE regress_cs_admin;
SELECT ci.withdraw_consent('C010', 'marketing', 'app', 'notice-2026-01', 'app-log-91') > 0
	   AS withdrawn;
RESET ROLE;
SELECT clock_timestamp() AS after_withdrawal \gset
SELECT ci.has_consent('C010', 'marketing', at => :'before_grant') AS before_grant,
	   ci.has_consent('C010', 'marketing', at => :'between_events') AS between_events,
	   ci.has_consent('C010', 'marketing', at => :'after_withdrawal') AS after_withdrawal,
	   ci.has_consent('C010', 'marketing') AS now;
-- a purpose resting on contract needs no consent, then as now
SELECT ci.has_consent('C010', 'service', at => :'before_grant') AS service_before;
-- a correction is a new event; the state follows the last one
SET ROLE regress_cs_admin;
SELECT ci.give_consent('C002', 'marketing', 'branch', 'notice-2026-02') > 0 AS given_again;
RESET ROLE;
SELECT ci.has_consent('C002', 'marketing') AS c2_again;
-- expiry: consent that expired is absent (now and in the past)
SELECT ci.has_consent('C003', 'marketing', at => now() + interval '2 hours') AS c3_later;
-- the state is the ledger's, exactly: checked, and rebuilt if it drifts
SELECT * FROM ci.consent_check();
ALTER TABLE ci.consent_state DISABLE TRIGGER policy_changed;
DELETE FROM ci.consent_state WHERE customer = 'C001';
UPDATE ci.consent_state SET granted = false WHERE customer = '42';
INSERT INTO ci.consent_state VALUES ('marketing', '', 'C777', true, 999999, now(), NULL);
ALTER TABLE ci.consent_state ENABLE TRIGGER policy_changed;
SELECT * FROM ci.consent_check() ORDER BY customer;
SELECT count(*) FROM ci.consent_check(repair => true);
SELECT * FROM ci.consent_check();
SELECT ci.has_consent('C001', 'marketing') AS c1, ci.has_consent('C777', 'marketing') AS c777;

-- A scan asks for many customers: the backend loads every consent of the
-- purpose at once (integer keys into bitmaps); the answers stay the same,
-- by integer and by text, and follow a withdrawal and an expiry.
SET ROLE regress_cs_admin;
SELECT count(*) FROM (
	SELECT ci.give_consent(g::text, 'analytics', 'app', 'v1',
						   expires_at => CASE WHEN g % 10 = 0 THEN now() + interval '1 hour' END)
	  FROM generate_series(100000, 100999) g WHERE g % 2 = 0) s;
RESET ROLE;
SELECT count(*) FILTER (WHERE ci.has_consent(g, 'analytics')) AS by_int,
	   count(*) FILTER (WHERE ci.has_consent(g::text, 'analytics')) AS by_text,
	   count(*) FILTER (WHERE ci.has_consent(g, 'analytics') IS DISTINCT FROM
							  ci.has_consent(g::text, 'analytics')) AS disagree,
	   count(*) FILTER (WHERE ci.has_consent(g, 'analytics') AND g % 2 = 1) AS odd_ones
  FROM generate_series(99990, 101010) g;
SET ROLE regress_cs_admin;
SELECT ci.withdraw_consent('100500', 'analytics', 'app', 'v2') > 0 AS withdrawn;
SELECT ci.withdraw_consent('100010', 'analytics', 'app', 'v2') > 0 AS withdrawn;
RESET ROLE;
SELECT count(*) FILTER (WHERE ci.has_consent(g, 'analytics')) AS by_int,
	   bool_or(ci.has_consent(g, 'analytics')) FILTER (WHERE g IN (100500, 100010)) AS withdrawn_ones,
	   bool_and(ci.has_consent(g, 'analytics')) FILTER (WHERE g IN (100020, 100498)) AS others
  FROM generate_series(99990, 101010) g;
-- past the expiry of the expiring ones (in the ledger)
SELECT count(*) FILTER (WHERE ci.has_consent(g::text, 'analytics', at => now() + interval '2 hours'))
  FROM generate_series(100000, 100999) g;

-- Masked views filtered by consent for a session whose purpose needs it.
CREATE TABLE cs_customers (customer_id text PRIMARY KEY, name text, mobile text);
INSERT INTO cs_customers VALUES ('C001', 'Ann', '13800138000'), ('C002', 'Bo', '13900139000'),
	('C003', 'Cai', '15012345678'), ('C004', 'Dan', '15112345678');
SELECT ci.protect('cs_customers', 'mobile', 'cn_mobile', 'C2');
SET ROLE regress_cs_admin;
SELECT ci.customer_column('cs_customers', 'customer_id');
SELECT ci.customer_column('cs_customers', 'no_such_column');
SELECT ci.allow_purpose('regress_cs_marketer', 'marketing');
SELECT ci.allow_purpose('regress_cs_marketer', 'service');
RESET ROLE;
GRANT USAGE ON SCHEMA masked TO regress_cs_marketer, regress_cs_app;
GRANT SELECT ON masked.cs_customers TO regress_cs_marketer;
SET SESSION AUTHORIZATION regress_cs_marketer;
SET customer_info.purpose = 'marketing';
SELECT customer_id, mobile FROM masked.cs_customers ORDER BY 1;
-- a leaky function in the query sees only the rows the filter let through
CREATE FUNCTION pg_temp.leak(text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS
	$$ BEGIN RAISE NOTICE 'saw %', $1; RETURN true; END $$;
SELECT customer_id FROM masked.cs_customers WHERE pg_temp.leak(customer_id) ORDER BY 1;
DROP FUNCTION pg_temp.leak(text);
-- a purpose not in the catalogue is refused, not taken as "no consent needed"
SET customer_info.purpose = 'no_such_purpose';
SELECT customer_id FROM masked.cs_customers ORDER BY 1;
-- a purpose that rests on contract: every customer
SET customer_info.purpose = 'service';
SELECT customer_id FROM masked.cs_customers ORDER BY 1;
-- a withdrawal holds for the next statement
RESET SESSION AUTHORIZATION;
SET ROLE regress_cs_admin;
SELECT ci.withdraw_consent('C001', 'marketing', 'app', 'notice-2026-02') > 0 AS withdrawn;
RESET ROLE;
SET SESSION AUTHORIZATION regress_cs_marketer;
SET customer_info.purpose = 'marketing';
SELECT customer_id FROM masked.cs_customers ORDER BY 1;
RESET SESSION AUTHORIZATION;
-- DDL keeps the filter: the customer column renamed
ALTER TABLE cs_customers RENAME COLUMN customer_id TO cust_no;
SELECT relid, attname FROM ci.customer_table;
SET SESSION AUTHORIZATION regress_cs_marketer;
SET customer_info.purpose = 'marketing';
SELECT cust_no FROM masked.cs_customers ORDER BY 1;
RESET SESSION AUTHORIZATION;

-- A consent guard: rows for customers without consent are refused.
CREATE TABLE cs_campaign (id serial PRIMARY KEY, customer text, offer text);
SET ROLE regress_cs_admin;
SELECT ci.require_consent('cs_campaign', 'customer', 'marketing');
SELECT ci.require_consent('cs_campaign', 'customer', 'service');
SELECT ci.require_consent('cs_campaign', 'nope', 'marketing');
SELECT ci.require_consent('cs_campaign', 'customer', 'marketing', partner => 'x');
RESET ROLE;
SET SESSION AUTHORIZATION regress_cs_app;
SELECT ci.require_consent('cs_campaign', 'customer', 'marketing');
RESET SESSION AUTHORIZATION;
INSERT INTO cs_campaign (customer, offer) VALUES ('C002', 'card upgrade');
INSERT INTO cs_campaign (customer, offer) VALUES ('C001', 'card upgrade');
INSERT INTO cs_campaign (customer, offer) VALUES (NULL, 'card upgrade');
UPDATE cs_campaign SET customer = 'C004' WHERE customer = 'C002';
SELECT customer, offer FROM cs_campaign;
SET ROLE regress_cs_admin;
SELECT ci.require_consent('cs_campaign', 'customer', NULL);
RESET ROLE;
INSERT INTO cs_campaign (customer, offer) VALUES ('C001', 'no guard now');
SELECT count(*) FROM cs_campaign;

-- Partners: a key pgcrypto cannot use is refused; agreements are checked.
SET ROLE regress_cs_admin;
SELECT ci.add_partner('bureau', 'ops@bureau.example', 'not a key');
SELECT ci.add_agreement('nobody', 'cs_customers', '{cust_no,mobile}', '{credit_check}',
						now() + interval '1 year', 'contract 7');
RESET ROLE;
SET SESSION AUTHORIZATION regress_cs_app;
SELECT ci.add_partner('bureau', 'ops@bureau.example', 'x');
SELECT ci.export_to_partner('bureau', 'credit_check', 'cs_customers', '{mobile}');
RESET SESSION AUTHORIZATION;

-- The customer's rights: consents, reads, data held, disclosures.
SET SESSION AUTHORIZATION regress_cs_auditor;
SELECT purpose, action, channel, notice_version FROM ci.customer_consents('C002');
SELECT * FROM ci.customer_disclosures('C003');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_cs_app;
SELECT * FROM ci.customer_consents('C002');
RESET SESSION AUTHORIZATION;
SET ROLE regress_cs_admin;
SELECT ci.grant_level('regress_cs_marketer', 'clear', 'C2');
RESET ROLE;
SET SESSION AUTHORIZATION regress_cs_marketer;
SET customer_info.purpose = 'service';
SELECT mobile FROM masked.cs_customers WHERE cust_no = 'C003';
RESET SESSION AUTHORIZATION;
SELECT ci.read_audit_wait();
SET SESSION AUTHORIZATION regress_cs_auditor;
SELECT role_name, purpose, table_name, column_name FROM ci.customer_reads('C003');
SELECT count(*) FROM ci.customer_reads('C004');
RESET SESSION AUTHORIZATION;
GRANT USAGE ON SCHEMA masked TO regress_cs_admin;
GRANT SELECT ON masked.cs_customers TO regress_cs_admin;
SET ROLE regress_cs_admin;
SELECT tbl, row_data FROM ci.customer_data('C003');
RESET ROLE;

-- Exports: only customers with current consent to the purpose and to
-- sharing with that partner, only agreed columns, encrypted to the
-- partner's key (a synthetic test key: test/fixtures), recorded.
\set pubkey `cat test/fixtures/partner_pub.asc`
\set seckey `cat test/fixtures/partner_sec.asc`
SET ROLE regress_cs_admin;
SELECT ci.add_partner('bureau', 'ops@bureau.example', :'pubkey');
SELECT ci.add_partner('oldbureau', 'ops@old.example', :'pubkey');
SELECT partner, key_id FROM ci.partner ORDER BY partner;
SELECT ci.add_agreement('bureau', 'cs_customers', '{cust_no,mobile}', '{credit_check}',
						now() + interval '1 year', 'contract 2026-7') > 0 AS agreed;
SELECT ci.add_agreement('oldbureau', 'cs_customers', '{cust_no,mobile}', '{credit_check}',
						now() - interval '1 year', 'contract 2024-1',
						valid_from => now() - interval '2 years') > 0 AS agreed;
SELECT ci.add_agreement('bureau', 'cs_customers', '{cust_no,nope}', '{credit_check}',
						now() + interval '1 year', 'x');
SELECT ci.add_agreement('bureau', 'cs_customers', '{cust_no}', '{nonsense}',
						now() + interval '1 year', 'x');
SELECT ci.add_agreement('bureau', 'cs_campaign', '{customer}', '{marketing}',
						now() + interval '1 year', 'x');
-- consent to the purpose (C002, C003) and to sharing with bureau (C003, C004)
SELECT ci.give_consent(c, 'credit_check', 'branch', 'notice-2026-03') > 0 AS given
  FROM unnest(ARRAY['C002', 'C003']) c;
SELECT ci.give_consent(c, 'third_party_sharing', 'branch', 'notice-2026-03', partner => 'bureau') > 0
	   AS given
  FROM unnest(ARRAY['C003', 'C004']) c;
SELECT ci.has_consent('C003', 'third_party_sharing', partner => 'bureau') AS c3_bureau,
	   ci.has_consent('C003', 'third_party_sharing', partner => 'oldbureau') AS c3_old,
	   ci.has_consent('C003', 'third_party_sharing') AS c3_anyone;
-- the export reads the view at the exporter's level: clear here
RESET ROLE;
SELECT ci.grant_level('regress_cs_admin', 'clear', 'C2');
SET ROLE regress_cs_admin;
SELECT ci.export_to_partner('bureau', 'credit_check', 'cs_customers', '{cust_no,mobile}') AS msg \gset
SELECT pgp_pub_decrypt(dearmor(:'msg'), dearmor(:'seckey')) AS what_the_partner_reads;
SELECT partner, purpose, table_name, columns, row_count, customers,
	   payload_sha256 = encode(sha256(dearmor(:'msg')), 'hex') AS digest_ok,
	   exported_by = session_user AS by_ok
  FROM ci.partner_export;
-- refused: a column outside the agreement, an expired agreement, a purpose
-- the agreement does not cover, an unknown partner
SELECT ci.export_to_partner('bureau', 'credit_check', 'cs_customers', '{cust_no,name,mobile}');
SELECT ci.export_to_partner('oldbureau', 'credit_check', 'cs_customers', '{cust_no,mobile}');
SELECT ci.export_to_partner('bureau', 'marketing', 'cs_customers', '{cust_no,mobile}');
SELECT ci.export_to_partner('nobody', 'credit_check', 'cs_customers', '{cust_no,mobile}');
RESET ROLE;
SET SESSION AUTHORIZATION regress_cs_auditor;
SELECT partner, purpose, table_name, columns FROM ci.customer_disclosures('C003');
SELECT count(*) FROM ci.customer_disclosures('C004');
RESET SESSION AUTHORIZATION;
UPDATE ci.partner_export SET row_count = 0;

DROP TABLE cs_customers, cs_campaign;
SELECT count(*) FROM ci.customer_table;
SET ROLE regress_cs_admin;
SELECT ci.revoke_level('regress_cs_marketer', 'C2');
RESET ROLE;
SELECT ci.revoke_level('regress_cs_admin', 'C2');
SET ROLE regress_cs_admin;
SELECT ci.disallow_purpose('regress_cs_marketer', 'marketing');
SELECT ci.disallow_purpose('regress_cs_marketer', 'service');
DELETE FROM ci.purpose WHERE purpose = 'wealth_advice';
RESET ROLE;
REVOKE USAGE ON SCHEMA masked FROM regress_cs_marketer, regress_cs_app, regress_cs_admin;
DROP ROLE regress_cs_admin, regress_cs_auditor, regress_cs_app, regress_cs_marketer;
