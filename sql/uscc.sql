--
-- ci.uscc: unified social credit codes (GB 32100-2015)
--
\i test/regress_helpers.sql
SET search_path = ci, public;

SELECT '91350100M000100Y43'::uscc AS std_example,
       '91350100m000100y43'::uscc AS lowercase,
       ' 91440300MA5DCKXX8K '::uscc AS spaces_trimmed;

SELECT v, (regress.try_cast(v, 'ci.uscc')).*
  FROM (VALUES
	('91350100M000100Y4'),      -- 17 characters
	('91350100M000100Y433'),    -- 19 characters
	('91350100M000100Y44'),     -- wrong check character
	('91350100M000100Y53'),     -- wrong organisation code check
	('91350100I000100Y43'),     -- I is not in the alphabet
	('91350100O000100Y43'),     -- O
	('91350100S000100Y43'),     -- S
	('91350100V000100Y43'),     -- V
	('91350100Z000100Y43'),     -- Z
	('913501-0M000100Y43'),     -- punctuation
	('913A0100M000100Y43'),     -- letter in the region code
	('')
  ) AS t(v);

SELECT '91350100M000100Y44'::uscc;

SELECT count(*) AS leaking_messages
  FROM (VALUES ('91350100M000100Y44'), ('91350100M000100Y53'),
               ('91350100I000100Y43'), ('91350100M000100Y433')) AS t(v)
 WHERE regress.leaks(v, 'ci.uscc');

SELECT v, is_valid_uscc(v), uscc_invalid_reason(v)
  FROM (VALUES ('91350100M000100Y43'), ('91350100M000100Y44'), ('x'), (NULL)) AS t(v);

-- accessors
SELECT v, registration_authority(v), organisation_type(v), region_code(v),
       organisation_code(v), mask(v)
  FROM (VALUES ('91350100M000100Y43'::uscc), ('92330106MA2H0WJT1N'),
               ('52110000500021BN90'), ('12100000400000GR2P'),
               ('Y1110000MA0000015C'), ('11100000000013TK2D')) AS t(v);

-- operators, UNIQUE, hash and merge joins (uscc has its own C functions)
CREATE TABLE uscc_orgs (code uscc UNIQUE, name text);
INSERT INTO uscc_orgs VALUES ('91350100M000100Y43', 'a'), ('91440300MA5DCKXX8K', 'b'),
	('52110000500021BN90', 'c'), ('12100000400000GR2P', 'd');
INSERT INTO uscc_orgs VALUES ('91350100m000100y43', 'same code, lowercase');
SELECT code, name FROM uscc_orgs ORDER BY code;
SELECT array_agg(code::text ORDER BY code::text) = array_agg(code::text ORDER BY code)
  AS same_order_as_text FROM uscc_orgs;
SELECT '91350100M000100Y43'::uscc = '91350100M000100Y43'::uscc AS eq,
       '91350100M000100Y43'::uscc <> '91440300MA5DCKXX8K'::uscc AS ne,
       '12100000400000GR2P'::uscc < '52110000500021BN90'::uscc AS lt,
       '12100000400000GR2P'::uscc <= '12100000400000GR2P'::uscc AS le,
       '91440300MA5DCKXX8K'::uscc > '91350100M000100Y43'::uscc AS gt,
       '91440300MA5DCKXX8K'::uscc >= '91440300MA5DCKXX8K'::uscc AS ge,
       uscc_cmp('12100000400000GR2P', '52110000500021BN90') AS cmp;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT name FROM uscc_orgs WHERE code = '52110000500021BN90';
SELECT name FROM uscc_orgs WHERE code = '52110000500021BN90';
RESET enable_seqscan;
CREATE INDEX ON uscc_orgs USING hash (code);
CREATE TABLE uscc_loans (borrower uscc, amount int);
INSERT INTO uscc_loans VALUES ('91350100M000100Y43', 100), ('91440300MA5DCKXX8K', 200),
	('92330106MA2H0WJT1N', 300);
SET enable_mergejoin = off; SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT o.name, l.amount FROM uscc_orgs o JOIN uscc_loans l ON l.borrower = o.code;
SELECT o.name, l.amount FROM uscc_orgs o JOIN uscc_loans l ON l.borrower = o.code ORDER BY 2;
SET enable_hashjoin = off; SET enable_mergejoin = on;
SELECT o.name, l.amount FROM uscc_orgs o JOIN uscc_loans l ON l.borrower = o.code ORDER BY 2;
RESET enable_mergejoin; RESET enable_nestloop; RESET enable_hashjoin;
-- hash partitioning uses the extended hash function
CREATE TABLE uscc_parts (code uscc) PARTITION BY HASH (code);
CREATE TABLE uscc_parts_0 PARTITION OF uscc_parts FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE uscc_parts_1 PARTITION OF uscc_parts FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO uscc_parts SELECT code FROM uscc_orgs;
-- the same codes again, spelt in lower case: each must land beside its
-- upper-case spelling (the hash is of the value, not of its spelling)
INSERT INTO uscc_parts SELECT lower(code::text) FROM uscc_orgs;
SELECT count(*) FROM uscc_parts;
-- where each code landed: both partitions used, each code in one only
SELECT tableoid::regclass AS part, code, count(*) FROM uscc_parts
 GROUP BY 1, 2 ORDER BY 1, 2;
SELECT code FROM uscc_parts GROUP BY code HAVING count(DISTINCT tableoid) > 1;
-- a lookup by either spelling prunes to one partition and finds the code
-- there: rows were routed where the planner looks for them
EXPLAIN (COSTS OFF) SELECT * FROM uscc_parts WHERE code = '91440300ma5dckxx8k';
SELECT o.code, (SELECT count(*) FROM uscc_parts p WHERE p.code = lower(o.code::text)::uscc)
         AS found_by_lower_case,
       (SELECT count(*) FROM uscc_parts p WHERE p.code = o.code) AS found_by_upper_case
  FROM (SELECT DISTINCT code FROM uscc_orgs) o ORDER BY o.code;
SELECT uscc_hash('91350100M000100Y43') = uscc_hash('91350100m000100y43') AS hash_stable,
       uscc_hash_extended('91350100M000100Y43', 0) <> uscc_hash_extended('91350100M000100Y43', 1) AS seed_matters;

SELECT uscc_send('91350100M000100Y43');
\copy uscc_orgs TO 'results/uscc.bin' WITH (FORMAT binary)
CREATE TABLE uscc_copy (LIKE uscc_orgs);
\copy uscc_copy FROM 'results/uscc.bin' WITH (FORMAT binary)
SELECT count(*) FROM uscc_copy c JOIN uscc_orgs o USING (code, name);
SELECT NULL::uscc IS NULL, mask(NULL::uscc), is_valid_uscc(NULL);
DROP TABLE uscc_orgs, uscc_loans, uscc_parts, uscc_copy;

-- Binary receive refuses what text input refuses, with the same SQLSTATE,
-- message and detail, and accepts the same spellings: each value goes
-- through a binary COPY file (its bytes as the field) into a uscc column.
SELECT v, b.state, b.result, b.detail,
       (b.state, b.result, b.detail) IS NOT DISTINCT FROM (t.state, t.result, t.detail)
         AS same_as_text_input
  FROM (VALUES
	('91350100M000100Y43'),
	('91350100m000100y43'),
	('91350100M000100Y44'),
	('91350100M000100Y53'),
	('91350100I000100Y43'),
	('913A0100M000100Y43'),
	('91350100M000100Y433')
  ) AS x(v),
  LATERAL regress.try_recv(v, 'ci.uscc') b, LATERAL regress.try_cast(v, 'ci.uscc') t;
