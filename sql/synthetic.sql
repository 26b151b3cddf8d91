--
-- synthetic: the generator of synthetic customers (test/synthetic.sql)
-- yields valid, consistent identifiers, deterministically from a seed.
--
\set ECHO none
\set QUIET on
\i test/synthetic.sql
\set QUIET off
\set ECHO all
SET search_path = ci, public;

SELECT count(*) AS rows,
       count(*) FILTER (WHERE NOT is_valid_cn_id(cn_id)) AS bad_cn_id,
       count(*) FILTER (WHERE NOT is_valid_cn_mobile(mobile)) AS bad_mobile,
       count(*) FILTER (WHERE NOT is_valid_bank_card(bank_card)) AS bad_card,
       count(*) FILTER (WHERE NOT is_valid_uscc(employer_uscc)) AS bad_uscc,
       count(*) FILTER (WHERE birth_date(cn_id::cn_id) <> birth_date) AS wrong_birth_date,
       count(*) FILTER (WHERE gender(cn_id::cn_id) <> gender) AS wrong_gender,
       count(DISTINCT cn_id) AS distinct_ids,
       count(employer_uscc) > 2000 AS most_have_employers
  FROM synthetic.customers(5000, 42);

-- deterministic: same seed, same rows; another seed, other rows
SELECT (SELECT md5(string_agg(c::text, ',' ORDER BY customer_id)) FROM synthetic.customers(1000, 42) c)
     = (SELECT md5(string_agg(c::text, ',' ORDER BY customer_id)) FROM synthetic.customers(1000, 42) c)
       AS same_seed_same_rows,
       (SELECT md5(string_agg(c::text, ',' ORDER BY customer_id)) FROM synthetic.customers(1000, 42) c)
     <> (SELECT md5(string_agg(c::text, ',' ORDER BY customer_id)) FROM synthetic.customers(1000, 43) c)
       AS other_seed_other_rows;
