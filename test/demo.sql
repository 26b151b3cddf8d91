-- test/demo.sql — what customer_info does, on synthetic customers.
-- Run by test/demo.sh; statements are echoed before their results.
\pset footer off
\set VERBOSITY default
CREATE EXTENSION IF NOT EXISTS customer_info CASCADE;
-- The extension's objects live in schema ci; put it on the search path
-- (a DBA does this once: ALTER DATABASE bank SET search_path = "$user", public, ci).
SET search_path = public, ci;

\echo
\echo '=== 1. Identifiers are validated at the door, by their real algorithms ==='
-- A resident ID number: region, birth date, sequence, ISO 7064 check character.
SELECT '11010519491231002x'::cn_id AS lowercase_x_normalised,
       '110105491231002'::cn_id   AS legacy_15_digits_converted;
-- A wrong check character is refused; the message names the rule and shows
-- only the masked form of the value.
SELECT '110105194912310021'::cn_id;
-- 29 February 1990 never existed.
SELECT '110105199002290015'::cn_id;
-- Unified social credit code: 31-character alphabet, two check characters.
SELECT '91350100M000100Y43'::uscc AS uscc,
       registration_authority('91350100M000100Y43'),
       organisation_type('91350100M000100Y43');
SELECT '91350100M000100Y44'::uscc;
-- Mobile numbers: +86/0086/86 prefixes and separators normalised away.
SELECT '+86 138-0013-8000'::cn_mobile AS mobile;
SELECT '12800138000'::cn_mobile;
-- Card numbers: Luhn check, issuer prefix, UnionPay range.
SELECT '6222 0200 0000 0000 000'::bank_card AS card,
       card_bin('6222020000000000000'), is_unionpay('6222020000000000000');
SELECT '4111111111111112'::bank_card;

\echo
\echo '=== 2. A customer table with validated columns ==='
CREATE TABLE customers (
	customer_id  bigint PRIMARY KEY,
	full_name    text NOT NULL,
	id_number    cn_id NOT NULL UNIQUE,
	mobile       cn_mobile,
	card         bank_card,
	email        text,
	address      text,
	employer     uscc,
	risk_level   text
);
INSERT INTO customers
SELECT customer_id, full_name, cn_id, mobile, bank_card, email, address,
       employer_uscc, risk_level
  FROM synthetic.customers(10000, 2026);
SELECT count(*) AS customers FROM customers;
-- The same person under the legacy 15-digit number is caught as a duplicate.
INSERT INTO customers (customer_id, full_name, id_number)
SELECT 99999, full_name, left(id_number::text, 6) || substr(id_number::text, 9, 9)
  FROM customers WHERE id_number::text LIKE '______19%' ORDER BY customer_id LIMIT 1;

\echo
\echo '=== 3. What a reporting role would see: masks ==='
SELECT customer_id,
       mask_name(full_name) AS name,
       mask(id_number)      AS id_number,
       mask(mobile)         AS mobile,
       mask(card)           AS card,
       mask_email(email)    AS email,
       mask_address(address) AS address,
       mask(employer)       AS employer
  FROM customers ORDER BY customer_id LIMIT 8;

\echo
\echo '=== 4. Analysis without identities: facts derived from the ID number ==='
SELECT age(id_number, DATE '2026-11-26') / 10 * 10 || 's' AS age_band,
       count(*) FILTER (WHERE gender(id_number) = 'F') AS women,
       count(*) FILTER (WHERE gender(id_number) = 'M') AS men,
       count(*) FILTER (WHERE region_code(id_number) LIKE '11%') AS registered_in_beijing
  FROM customers GROUP BY 1 ORDER BY 1;

\echo
\echo '=== 5. Data-quality scan of legacy text data, without raising errors ==='
CREATE TABLE legacy_import (row_no int, id_text text, mobile_text text);
INSERT INTO legacy_import VALUES
	(1, '11010519491231002X', '13800138000'),
	(2, '110105194912310021', '12800138000'),
	(3, '11010519900229001X', '+86 150 1234 5678'),
	(4, '110105491231002',    '1380013800');
SELECT row_no,
       mask_cn_id(id_text) AS id_masked, is_valid_cn_id(id_text) AS id_ok,
       cn_id_invalid_reason(id_text) AS id_problem,
       mask_cn_mobile(mobile_text) AS mobile_masked,
       cn_mobile_invalid_reason(mobile_text) AS mobile_problem
  FROM legacy_import ORDER BY row_no;

\echo
\echo '=== 6. Field encryption: the server encrypts, validates and indexes ==='
-- A DBA protects columns once; applications keep writing plaintext.
SET client_min_messages = warning;
CREATE ROLE demo_teller;
CREATE ROLE demo_analyst;
RESET client_min_messages;
GRANT SELECT, INSERT, UPDATE ON customers TO demo_teller, demo_analyst;
-- searching by value is granted to the roles whose duties need it
GRANT EXECUTE ON FUNCTION ci.lookup(regclass, name, text) TO demo_teller;
SELECT ci.protect('customers', 'id_number', 'cn_id', 'C2', searchable => true);
SELECT ci.protect('customers', 'mobile', 'cn_mobile', 'C2');
SELECT ci.protect('customers', 'full_name', 'name', 'C2');
-- What is stored now: envelopes (the first characters of them).
SELECT customer_id, left(full_name, 24) || '...' AS full_name_stored,
       left(id_number, 24) || '...' AS id_number_stored,
       left(mobile, 24) || '...' AS mobile_stored
  FROM customers ORDER BY customer_id LIMIT 3;
-- An application inserts plaintext; the server validates and encrypts it.
SET ROLE demo_teller;
INSERT INTO customers (customer_id, full_name, id_number, mobile)
	VALUES (100001, '测试客户', '110105491231002', '+86 138 0013 8000');
INSERT INTO customers (customer_id, full_name, id_number)
	VALUES (100002, '测试客户', '110105194912310021');
-- Finding a customer by ID number: one index scan on the blind index,
-- whatever spelling the clerk types.
SELECT customer_id FROM customers
 WHERE id_number_bidx = ci.lookup('customers', 'id_number', '11010519491231002x');
-- Reading plaintext back needs the level "clear".
SELECT ci.reveal(c, 'id_number') FROM customers c WHERE customer_id = 100001;
RESET ROLE;
SELECT ci.grant_level('demo_teller', 'clear', tbl => 'customers', col => 'id_number');
SET ROLE demo_teller;
SELECT customer_id, ci.reveal(c, 'id_number') AS id_number
  FROM customers c WHERE customer_id = 100001;
RESET ROLE;
-- Tampering is detected: a stored envelope moved to another row fails.
UPDATE customers SET id_number = (SELECT id_number FROM customers WHERE customer_id = 1)
 WHERE customer_id = 2;
-- Key rotation: new writes use the new key at once; old values move online.
SELECT ci.rotate_key() AS new_key;
CALL ci.reencrypt('customers', 'id_number');
SELECT * FROM ci.key_usage();
-- Masked views: a reporting role reads masked.customers, never the table.
-- Each protected column shows at the role's level, from the masked form
-- stored beside it (no decryption) or in clear where granted; a column
-- added to the table appears in the view at once.
CREATE ROLE demo_report;
GRANT USAGE ON SCHEMA masked TO demo_report, demo_teller;
GRANT SELECT ON masked.customers TO demo_report, demo_teller;
ALTER TABLE customers ADD COLUMN branch text DEFAULT 'Shanghai';
SET ROLE demo_report;
SELECT customer_id, full_name, id_number, mobile, branch
  FROM masked.customers ORDER BY customer_id LIMIT 3;
SELECT count(*) FROM customers;
RESET ROLE;
SET ROLE demo_teller;
SELECT customer_id, id_number, mobile FROM masked.customers ORDER BY customer_id LIMIT 3;
RESET ROLE;

\echo
\echo '=== 7. Audit: every change on record, protected values never in clear ==='
-- A DBA attaches the audit once; a C trigger records each change.
SELECT ci.audit('customers');
SET ROLE demo_teller;
SET customer_info.purpose = 'service';
SET application_name = 'branch-counter';
UPDATE customers SET mobile = '13900139000', branch = 'Beijing' WHERE customer_id = 100001;
RESET ROLE;
RESET customer_info.purpose;
RESET application_name;
-- Only the changed columns; the mobile number as its envelope.
SELECT operation, row_key, changed, left(new_values ->> 'mobile', 16) || '...' AS mobile_logged,
       new_values ->> 'branch' AS branch, current_user_name, purpose, application_name
  FROM ci.audit_log ORDER BY audit_id DESC LIMIT 1;
-- No one changes the log, its owner included.
DELETE FROM ci.audit_log;
-- Sealing links the rows (changes and clear reads) into a SHA-256 chain;
-- the head can be kept outside and verified against later.
SELECT ci.audit_seal() > 0 AS sealed;
SELECT ok, checked > 0 AS checked_some, problem FROM ci.audit_verify();
