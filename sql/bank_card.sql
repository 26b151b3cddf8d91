--
-- ci.bank_card: payment card numbers (ISO/IEC 7812, Luhn)
--
\i test/regress_helpers.sql
SET search_path = ci, public;

SELECT v, v::bank_card AS stored, mask(v::bank_card), card_bin(v::bank_card),
       card_bin(v::bank_card, 8) AS bin8, is_unionpay(v::bank_card)
  FROM (VALUES ('6222020000000000000'), ('6222 0200 0000 0000 000'),
               ('621226000000000'), ('6228480000000007'), ('4111111111111111'),
               ('4111-1111-1111-1111'), ('8100000000000002'), ('400000000002'),
               ('55000000000000004')) AS t(v);

SELECT v, (regress.try_cast(v, 'ci.bank_card')).*
  FROM (VALUES
	('4111111111111112'),       -- Luhn failure
	('6222020000000000001'),    -- Luhn failure, 19 digits
	('79927398710'),            -- 11 digits (valid Luhn, too short)
	('41111111111111111111'),   -- 20 digits
	('4111 1111 1111 111x'),    -- a letter
	('4111  1111 1111 1111'),   -- two spaces
	('')
  ) AS t(v);

SELECT '4111111111111112'::bank_card;

SELECT count(*) AS leaking_messages
  FROM (VALUES ('4111111111111112'), ('6222020000000000001'), ('41111111111111111111')) AS t(v)
 WHERE regress.leaks(v, 'ci.bank_card');

SELECT v, is_valid_bank_card(v), bank_card_invalid_reason(v)
  FROM (VALUES ('4111111111111111'), ('4111111111111112'), ('12'), (NULL)) AS t(v);

SELECT card_bin('4111111111111111', 5);
SELECT card_bin('4111111111111111', 9);

-- leading digits decide the order; equal values whatever the spacing
CREATE TABLE cards (c bank_card UNIQUE);
INSERT INTO cards VALUES ('6222020000000000000'), ('4111111111111111'), ('400000000002'),
	('55000000000000004'), ('621226000000000');
INSERT INTO cards VALUES ('4111 1111 1111 1111');
SELECT c FROM cards ORDER BY c;
SELECT '4111111111111111'::bank_card = '4111-1111-1111-1111'::bank_card AS eq,
       '400000000002'::bank_card < '4111111111111111'::bank_card AS lt,
       '6222020000000000000'::bank_card > '55000000000000004'::bank_card AS gt;
SELECT count(*) FROM cards a JOIN cards b ON a.c = b.c;
SELECT bank_card_send('4111 1111 1111 1111');
SELECT NULL::bank_card IS NULL, mask(NULL::bank_card), is_unionpay(NULL);
DROP TABLE cards;

-- Binary receive refuses what text input refuses, with the same SQLSTATE,
-- message and detail, and accepts the same spellings: each value goes
-- through a binary COPY file (its bytes as the field) into a bank_card column.
SELECT v, b.state, b.result, b.detail,
       (b.state, b.result, b.detail) IS NOT DISTINCT FROM (t.state, t.result, t.detail)
         AS same_as_text_input
  FROM (VALUES
	('4111111111111111'),
	('4111 1111 1111 1111'),
	('4111111111111112'),
	('79927398710'),
	('41111111111111111111'),
	('4111 1111 1111 111x')
  ) AS x(v),
  LATERAL regress.try_recv(v, 'ci.bank_card') b, LATERAL regress.try_cast(v, 'ci.bank_card') t;
