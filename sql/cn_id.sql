--
-- ci.cn_id: resident identity card numbers (GB 11643-1999)
--
\i test/regress_helpers.sql
SET search_path = ci, public;

-- valid numbers, canonical form
SELECT '11010519491231002X'::cn_id AS std_example,
       '11010519491231002x'::cn_id AS lowercase_x,
       '  440305199002280028 '::cn_id AS spaces_trimmed,
       '110105491231002'::cn_id AS legacy_15_digits,
       '810000198001010014'::cn_id AS hk_residence_permit;

-- 29 February: valid in leap years (2000 is one, 1900 is not)
SELECT '110105200002290013'::cn_id AS leap_2000;
SELECT '110105190002290017'::cn_id AS not_leap_1900;

-- every rule, with SQLSTATE, masked message and detail
SELECT v, (regress.try_cast(v, 'ci.cn_id')).*
  FROM (VALUES
	('11010519491231002'),      -- 17 characters
	('1101051949123100201'),    -- 19 characters
	(''),                       -- empty
	('11010519491231002Y'),     -- bad last character
	('1101051949A231002X'),     -- letter in the digits
	('X1010519491231002X'),
	('110105194912310021'),     -- wrong check character
	('110105194912310023'),
	('990105194912310021'),     -- unknown province 99
	('710105194912310021'),     -- 71 (Taiwan) is not issued
	('810001198001010014'),     -- 81 only as 810000
	('110105199002290015'),     -- 29 Feb 1990: not a leap year
	('110105200002300013'),     -- 30 February
	('110105199013010018'),     -- month 13
	('110105199000010018'),     -- month 00
	('110105199004310018'),     -- 31 April
	('110105199001000018'),     -- day 00
	('110105170001010018'),     -- year 1700
	('110105491331002'),        -- legacy with month 13
	('11010549123100X'),        -- legacy with a letter
	('１１０１０５１９４９１２３１００２X') -- full-width digits
  ) AS t(v);

-- the same failures as seen by psql
SELECT '110105194912310021'::cn_id;
SELECT '110105199002290015'::cn_id;
SELECT '990105194912310021'::cn_id;

-- no message ever contains a whole rejected value
SELECT count(*) AS leaking_messages
  FROM (VALUES ('110105194912310021'), ('990105194912310021'),
               ('110105199013010018'), ('1101051949123100201'),
               ('110105199002290015'), ('11010519491231002Y')) AS t(v)
 WHERE regress.leaks(v, 'ci.cn_id');

-- validity predicate and explanation never raise
SELECT v, is_valid_cn_id(v), cn_id_invalid_reason(v)
  FROM (VALUES ('11010519491231002X'), ('110105194912310021'),
               ('abc'), (''), (NULL)) AS t(v);

-- accessors
SELECT birth_date(v), gender(v), region_code(v), is_residence_permit(v),
       age(v, '2026-06-30'), mask(v)
  FROM (VALUES ('11010519491231002X'::cn_id), ('440305199002280028'),
               ('810000198001010014'), ('110105200002290013')) AS t(v);
-- age on and around birthdays, including 29 February in common years
SELECT age('110105200002290013'::cn_id, d) AS age, d
  FROM (VALUES ('2000-02-29'::date), ('2001-02-28'), ('2001-03-01'),
               ('2004-02-28'), ('2004-02-29'), ('1999-12-31'),
               ('infinity')) AS t(d);
-- the default reference date is today
SELECT age('110105200002290013'::cn_id) = age('110105200002290013'::cn_id, current_date);

-- NULL in, NULL out
SELECT NULL::cn_id IS NULL, birth_date(NULL), mask(NULL::cn_id), is_valid_cn_id(NULL);

-- operators: order is that of the text
SELECT '11010519491231002X'::cn_id < '440305199002280028'::cn_id,
       '11010519491231002X'::cn_id = '110105491231002'::cn_id AS legacy_equals_new,
       '11010519491231002X'::cn_id <> '440305199002280028'::cn_id,
       '11010519491231002X'::cn_id <= '11010519491231002x'::cn_id,
       '440305199002280028'::cn_id > '11010519491231002X'::cn_id,
       '440305199002280028'::cn_id >= '440305199002280028'::cn_id;

-- UNIQUE constraint sees the legacy and new forms as one person
CREATE TABLE cn_id_people (id cn_id PRIMARY KEY, name text);
INSERT INTO cn_id_people VALUES ('11010519491231002X', 'a'), ('440305199002280028', 'b'),
	('310115198506150049', 'c'), ('810000198001010014', 'd');
INSERT INTO cn_id_people VALUES ('110105491231002', 'duplicate');
SELECT * FROM cn_id_people ORDER BY id;
SELECT * FROM cn_id_people ORDER BY id DESC LIMIT 2;

-- btree index scan, hash index, hash join, merge join
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT name FROM cn_id_people WHERE id = '310115198506150049';
SELECT name FROM cn_id_people WHERE id = '310115198506150049';
SELECT name FROM cn_id_people WHERE id BETWEEN '310115198506150049' AND '440305199002280028' ORDER BY id;
RESET enable_seqscan;
CREATE INDEX ON cn_id_people USING hash (id);
CREATE TABLE cn_id_accounts (owner cn_id, account int);
INSERT INTO cn_id_accounts VALUES ('110105491231002', 1), ('440305199002280028', 2),
	('44030519900101123X', 3);
SET enable_mergejoin = off; SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT p.name, a.account FROM cn_id_people p JOIN cn_id_accounts a ON a.owner = p.id;
SELECT p.name, a.account FROM cn_id_people p JOIN cn_id_accounts a ON a.owner = p.id ORDER BY 2;
SET enable_hashjoin = off; SET enable_mergejoin = on;
SELECT p.name, a.account FROM cn_id_people p JOIN cn_id_accounts a ON a.owner = p.id ORDER BY 2;
RESET enable_mergejoin; RESET enable_nestloop; RESET enable_hashjoin;
SELECT count(DISTINCT owner) FROM cn_id_accounts;

-- casts: assignment from text validates; to text gives the canonical form
INSERT INTO cn_id_people (id, name) SELECT '33010620060101010' || '5', 'e';
INSERT INTO cn_id_people (id, name) SELECT '330106200601010106'::text, 'f';
SELECT id::text, length(id::text) FROM cn_id_people WHERE name = 'e';

-- binary send/receive: the canonical text
SELECT cn_id_send('110105491231002');
\copy cn_id_people TO 'results/cn_id.bin' WITH (FORMAT binary)
CREATE TABLE cn_id_copy (LIKE cn_id_people);
\copy cn_id_copy FROM 'results/cn_id.bin' WITH (FORMAT binary)
SELECT count(*) FROM cn_id_copy c JOIN cn_id_people p USING (id, name);
DROP TABLE cn_id_people, cn_id_accounts, cn_id_copy;

-- Binary receive refuses what text input refuses, with the same SQLSTATE,
-- message and detail, and accepts the same spellings: each value goes
-- through a binary COPY file (its bytes as the field) into a cn_id column.
SELECT v, b.state, b.result, b.detail,
       (b.state, b.result, b.detail) IS NOT DISTINCT FROM (t.state, t.result, t.detail)
         AS same_as_text_input
  FROM (VALUES
	('11010519491231002X'),
	('11010519491231002x'),
	('110105491231002'),
	(' 440305199002280028 '),
	('11010519491231002'),
	('110105194912310021'),
	('990105194912310021'),
	('110105199002290015'),
	('11010519491231002Y'),
	('11010549123100X')
  ) AS x(v),
  LATERAL regress.try_recv(v, 'ci.cn_id') b, LATERAL regress.try_cast(v, 'ci.cn_id') t;
