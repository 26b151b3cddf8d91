--
-- ci.cn_mobile: mainland China mobile numbers
--
\i test/regress_helpers.sql
SET search_path = ci, public;

SELECT v, v::cn_mobile AS stored, mask(v::cn_mobile)
  FROM (VALUES ('13800138000'), ('+8613800138000'), ('+86 138 0013 8000'),
               ('8613800138000'), ('008613800138000'), ('86-138-0013-8000'),
               ('19912345678'), (' 15012345678 ')) AS t(v);

SELECT v, (regress.try_cast(v, 'ci.cn_mobile')).*
  FROM (VALUES
	('1380013800'),             -- 10 digits
	('138001380000'),           -- 12 digits
	('12800138000'),            -- 12 is not a mobile prefix
	('23800138000'),            -- does not start with 1
	('+1 415 555 0100'),        -- another country code
	('+8612800138000'),
	('138-0013-800a'),          -- a letter
	('138--0013-8000'),         -- two separators
	('13800138000-'),           -- trailing separator
	('+'),
	('')
  ) AS t(v);

SELECT '12800138000'::cn_mobile;

SELECT count(*) AS leaking_messages
  FROM (VALUES ('12800138000'), ('138001380000'), ('+1 415 555 0100'), ('23800138000')) AS t(v)
 WHERE regress.leaks(v, 'ci.cn_mobile');

SELECT v, is_valid_cn_mobile(v), cn_mobile_invalid_reason(v)
  FROM (VALUES ('+86 138 0013 8000'), ('12800138000'), ('hello'), (NULL)) AS t(v);

CREATE TABLE mobiles (m cn_mobile PRIMARY KEY);
INSERT INTO mobiles VALUES ('13800138000'), ('15012345678'), ('19912345678');
INSERT INTO mobiles VALUES ('+86 138 0013 8000');
SELECT m, m < '15012345678' AS lt, m = '+8615012345678' AS eq FROM mobiles ORDER BY m;
SELECT count(*) FROM mobiles a JOIN mobiles b ON a.m = b.m;
SELECT cn_mobile_send('+86 138 0013 8000');
SELECT NULL::cn_mobile IS NULL, mask(NULL::cn_mobile);
DROP TABLE mobiles;

-- Binary receive refuses what text input refuses, with the same SQLSTATE,
-- message and detail, and accepts the same spellings: each value goes
-- through a binary COPY file (its bytes as the field) into a cn_mobile column.
SELECT v, b.state, b.result, b.detail,
       (b.state, b.result, b.detail) IS NOT DISTINCT FROM (t.state, t.result, t.detail)
         AS same_as_text_input
  FROM (VALUES
	('13800138000'),
	('+86 138 0013 8000'),
	('0086-138-0013-8000'),
	('12800138000'),
	('1380013800'),
	('+1 415 555 0100'),
	('138--0013-8000')
  ) AS x(v),
  LATERAL regress.try_recv(v, 'ci.cn_mobile') b, LATERAL regress.try_cast(v, 'ci.cn_mobile') t;
