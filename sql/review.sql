--
-- review: risk levels and their rules, the calendar, events, the sweep,
-- follow-ups, the queue, threshold alerts, data quality.
--
SET client_min_messages = warning;
CREATE ROLE regress_rv_admin LOGIN IN ROLE customer_info_admin;
CREATE ROLE regress_rv_reviewer LOGIN;
CREATE ROLE regress_rv_other LOGIN;
RESET client_min_messages;
GRANT EXECUTE ON FUNCTION ci.complete_review(bigint, text, text, text) TO regress_rv_reviewer,
	regress_rv_other;

-- Risk levels: the defaults follow the AML guideline; configurations that
-- break it are refused unless marked as deliberate exceptions.
SELECT risk_level, rank, review_interval FROM ci.risk_level ORDER BY rank;
SET ROLE regress_rv_admin;
UPDATE ci.risk_level SET review_interval = '7 months' WHERE risk_level = 'high';
UPDATE ci.risk_level SET review_interval = '25 months' WHERE risk_level = 'medium';
UPDATE ci.risk_level SET review_interval = '4 years' WHERE risk_level = 'low';
DELETE FROM ci.risk_level WHERE risk_level = 'low';
-- more often is always allowed: weekly for the highest risk
UPDATE ci.risk_level SET review_interval = '7 days' WHERE risk_level = 'high';
UPDATE ci.risk_level SET review_interval = '1 month' WHERE risk_level = 'medium';
SELECT risk_level, review_interval FROM ci.risk_level ORDER BY rank;
BEGIN;
UPDATE ci.risk_level SET review_interval = '3 months' WHERE risk_level = 'high';
UPDATE ci.risk_level SET review_interval = '6 months' WHERE risk_level = 'medium';
UPDATE ci.risk_level SET review_interval = '12 months' WHERE risk_level = 'low';
COMMIT;
-- a deliberate exception, explained
UPDATE ci.risk_level SET review_interval = '30 months', exception_reason = 'dormant accounts, approved 2026-10'
 WHERE risk_level = 'low';
SELECT risk_level, review_interval, exception_reason FROM ci.risk_level ORDER BY rank;
UPDATE ci.risk_level SET review_interval = '6 months', exception_reason = NULL WHERE risk_level = 'high';
UPDATE ci.risk_level SET review_interval = '12 months' WHERE risk_level = 'medium';
UPDATE ci.risk_level SET review_interval = '24 months', exception_reason = NULL WHERE risk_level = 'low';
RESET ROLE;
SET SESSION AUTHORIZATION regress_rv_other;
UPDATE ci.risk_level SET review_interval = '1 day';
RESET SESSION AUTHORIZATION;

-- Working days: weekends off, holidays off, adjusted weekend days on.
SET ROLE regress_rv_admin;
INSERT INTO ci.calendar_day VALUES ('2026-10-01', false, 'National Day'),
	('2026-10-02', false, 'National Day'), ('2026-09-27', true, 'adjusted working Sunday');
RESET ROLE;
SELECT d, ci.is_working_day(d) AS working, ci.working_day_on_or_before(d) AS due_moves_to
  FROM unnest(ARRAY['2026-09-26', '2026-09-27', '2026-09-30', '2026-10-02', '2026-10-04',
					'2026-10-05']::date[]) d;
SELECT ci.add_working_days('2026-09-29', 3) AS three_working_days_later;

-- Attaching a customer table.
CREATE TABLE rv_customers (
	id int PRIMARY KEY, name text, mobile text, id_number ci.cn_id, occupation text,
	risk text, onboarded date, id_expiry date, birthday date, balance numeric);
INSERT INTO rv_customers VALUES
	(1, 'Ann', '13800138000', '11010519491231002X', 'teacher', 'high',
	 CURRENT_DATE - 200, CURRENT_DATE + 10, CURRENT_DATE + 3, 10000),
	(2, 'Bo', '13900139000', '440305199002280028', 'engineer', 'low',
	 CURRENT_DATE - 100, CURRENT_DATE - 5, NULL, 500),
	(3, 'Cai', '15012345678', '310115198506150049', 'nurse', 'medium',
	 (CURRENT_DATE - interval '3 years' + interval '2 days')::date, CURRENT_DATE + 400, NULL, 100);
SELECT ci.protect('rv_customers', 'mobile', 'cn_mobile', 'C2');
SET ROLE regress_rv_admin;
SELECT ci.attach_review('nope', 'id', 'risk', 'onboarded');
SELECT ci.attach_review('rv_customers', 'id', 'risk', 'no_such_column');
SELECT ci.attach_review('rv_customers', 'id', 'risk', 'name');
SELECT ci.attach_review('rv_customers', 'id', 'risk', 'onboarded', birth_col => 'name');
SELECT ci.attach_review('rv_customers', 'id', 'risk', 'onboarded', '{mobile,occupation}',
						id_expiry_col => 'id_expiry', birth_col => 'birthday') AS scheduled;
RESET ROLE;
SET SESSION AUTHORIZATION regress_rv_other;
SELECT ci.attach_review('rv_customers', 'id', 'risk', 'onboarded');
SELECT ci.review_sweep();
RESET SESSION AUTHORIZATION;
SELECT customer, risk_level, next_due - onboarded_on AS interval_days, id_expires_on - CURRENT_DATE AS id_in
  FROM ci.review_schedule WHERE relid = 'rv_customers'::regclass ORDER BY customer;

-- The sweep: periodic reviews due, ID documents expiring and expired
-- (flagged: business is suspended until it is renewed), birthdays and
-- anniversaries ahead; run twice, it adds nothing.
SET ROLE regress_rv_admin;
SELECT ci.review_sweep();
SELECT ci.review_sweep();
RESET ROLE;
SELECT customer, reason, detail, due_on - CURRENT_DATE AS due_in, state
  FROM ci.review_queue WHERE tbl = 'rv_customers'::regclass ORDER BY customer, reason;
SELECT customer, suspended FROM ci.review_schedule
 WHERE relid = 'rv_customers'::regclass ORDER BY customer;

-- Events: a new customer is rated within 10 working days; a watched
-- column that changes (also encrypted: the plaintext, not the envelope);
-- a risk change recomputes the next review; a deletion closes its tasks.
INSERT INTO rv_customers VALUES (4, 'Dan', '15112345678', '810000198001010014', 'clerk', 'low',
	CURRENT_DATE, CURRENT_DATE + 3000, NULL, 50);
SELECT reason, due_on = ci.add_working_days(CURRENT_DATE, 10) AS within_10_working_days
  FROM ci.review_task WHERE customer = '4';
UPDATE rv_customers SET mobile = '15112345678' WHERE id = 4;	-- same number, new envelope
UPDATE rv_customers SET balance = 51 WHERE id = 4;				-- not watched
UPDATE rv_customers SET mobile = '18612345678' WHERE id = 4;
UPDATE rv_customers SET occupation = 'manager' WHERE id = 4;
UPDATE rv_customers SET risk = 'high' WHERE id = 4;
SELECT reason, detail, due_on - CURRENT_DATE AS due_in FROM ci.review_task
 WHERE customer = '4' AND reason <> 'onboarding' ORDER BY task_id;
SELECT risk_level, next_due - onboarded_on AS interval_days FROM ci.review_schedule WHERE customer = '4';
-- a renewed ID document lifts the flag
UPDATE rv_customers SET id_expiry = CURRENT_DATE + 3650 WHERE id = 2;
SELECT suspended FROM ci.review_schedule WHERE customer = '2';
DELETE FROM rv_customers WHERE id = 4;
SELECT status, count(*) FROM ci.review_task WHERE customer = '4' GROUP BY status;
SELECT count(*) FROM ci.review_schedule WHERE customer = '4';

-- The queue: assigning and completing, and what fails.
SELECT task_id AS t_periodic FROM ci.review_task
 WHERE customer = '1' AND reason = 'periodic' \gset
SELECT task_id AS t_birthday FROM ci.review_task
 WHERE customer = '1' AND reason = 'birthday' \gset
SET ROLE regress_rv_admin;
SELECT ci.assign_review(:t_periodic, 'regress_rv_reviewer');
SELECT ci.assign_review(-1, 'regress_rv_reviewer');
RESET ROLE;
SET SESSION AUTHORIZATION regress_rv_reviewer;
SELECT ci.complete_review(:t_periodic, 'looked at it');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_rv_other;
SELECT ci.complete_review(:t_periodic, 'confirmed');
SELECT ci.complete_review(:t_birthday, 'confirmed');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_rv_reviewer;
SELECT ci.complete_review(:t_periodic, 'rerated', 'income verified', new_risk_level => 'nonsense');
SELECT ci.complete_review(:t_periodic, 'rerated', 'income verified', new_risk_level => 'medium');
SELECT ci.complete_review(:t_periodic, 'confirmed');
RESET SESSION AUTHORIZATION;
SELECT status, outcome, notes, new_risk_level, completed_by FROM ci.review_task WHERE task_id = :t_periodic;
-- the next review from the new level; the customer's row has it, without a task
SELECT risk_level, last_review = CURRENT_DATE AS reviewed_today,
	   next_due = (CURRENT_DATE + interval '12 months')::date AS next_in_12_months, tasked
  FROM ci.review_schedule WHERE customer = '1';
SELECT risk FROM rv_customers WHERE id = 1;
SELECT count(*) FROM ci.review_task WHERE customer = '1' AND reason = 'risk_change';
-- escalation: an overdue task escalates once per period
SELECT ci.review_sweep(CURRENT_DATE + 30) ->> 'escalated' AS escalated_in_a_month;
SELECT ci.review_sweep(CURRENT_DATE + 30) ->> 'escalated' AS again_the_same_day;
SELECT reason, escalation FROM ci.review_task
 WHERE customer = '2' AND status = 'open' ORDER BY reason;

-- Threshold alerts: rules are checked when declared.
SET ROLE regress_rv_admin;
SELECT ci.watch('rv_customers', 'balance', 'relative', 0.5, 'down') AS rule_fall;
SELECT ci.watch('rv_customers', 'balance', 'absolute', 5000, 'up', min_risk_level => 'high') AS rule_rise;
SELECT ci.watch('rv_customers', 'nope', 'absolute', 1);
SELECT ci.watch('rv_customers', 'name', 'absolute', 1);
SELECT ci.watch('rv_customers', 'balance', 'absolute', -5);
SELECT ci.watch('rv_customers', 'balance', 'relative', 1.5, 'down');
SELECT ci.watch('rv_customers', 'balance', 'sideways', 1);
SELECT ci.watch('ci.purpose', 'purpose', 'absolute', 1);
RESET ROLE;
UPDATE rv_customers SET balance = 4000 WHERE id = 1;	-- down 60%: alert
UPDATE rv_customers SET balance = 3000 WHERE id = 1;	-- down 25%: none
UPDATE rv_customers SET balance = 9000 WHERE id = 1;	-- up 6000, but risk is medium now: none
UPDATE rv_customers SET balance = 6000 WHERE id = 3;	-- up 5900 at medium: none
SELECT customer, detail FROM ci.review_task WHERE reason = 'threshold' ORDER BY task_id;

-- Data quality: completeness, validity, duplicates, staleness; scores.
INSERT INTO rv_customers VALUES (5, '', NULL, '11010519491231002X', NULL, 'low', CURRENT_DATE, NULL, NULL, 0);
SELECT * FROM ci.quality_report('rv_customers', '{"occupation": "cn_mobile"}')
 WHERE measure <> 'completeness' OR share < 1;
SELECT customer, missing, invalid, stale, duplicate, score FROM ci.quality_scores('rv_customers');

-- A table owner's own code never runs as the extension's owner: a cast
-- of its own type to text or json (what a superuser's to_jsonb() or ::text
-- would call) is not used; and attaching a table owned by a plain role
-- works.
CREATE ROLE regress_rv_owner LOGIN;
GRANT CREATE ON SCHEMA public TO regress_rv_owner;
SET SESSION AUTHORIZATION regress_rv_owner;
CREATE TYPE rv_lvl AS ENUM ('low', 'medium', 'high');
CREATE FUNCTION rv_lvl_text(rv_lvl) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	IF current_user <> 'regress_rv_owner' THEN
		EXECUTE 'ALTER ROLE regress_rv_owner SUPERUSER';
	END IF;
	RETURN $1::name::text;
END $$;
CREATE FUNCTION rv_lvl_json(rv_lvl) RETURNS json LANGUAGE sql AS
	'SELECT to_json(rv_lvl_text($1))';
CREATE CAST (rv_lvl AS text) WITH FUNCTION rv_lvl_text(rv_lvl);
CREATE CAST (rv_lvl AS json) WITH FUNCTION rv_lvl_json(rv_lvl);
CREATE TABLE rv_owned (id int PRIMARY KEY, risk rv_lvl, onboarded date);
INSERT INTO rv_owned VALUES (1, 'low', CURRENT_DATE);
RESET SESSION AUTHORIZATION;
SET ROLE regress_rv_admin;
SELECT ci.attach_review('rv_owned', 'id', 'risk', 'onboarded');
RESET ROLE;
SET SESSION AUTHORIZATION regress_rv_owner;
UPDATE rv_owned SET risk = 'high' WHERE id = 1;
INSERT INTO rv_owned VALUES (2, 'medium', CURRENT_DATE);
DELETE FROM rv_owned WHERE id = 2;
RESET SESSION AUTHORIZATION;
SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_rv_owner';
SELECT customer, risk_level FROM ci.review_schedule WHERE relid = 'rv_owned'::regclass ORDER BY 1;
SELECT reason, detail FROM ci.review_task WHERE relid = 'rv_owned'::regclass ORDER BY task_id;
DROP TABLE rv_owned;
DROP CAST (rv_lvl AS text);
DROP CAST (rv_lvl AS json);
DROP FUNCTION rv_lvl_text(rv_lvl), rv_lvl_json(rv_lvl);
DROP TYPE rv_lvl;
REVOKE CREATE ON SCHEMA public FROM regress_rv_owner;

SET ROLE regress_rv_admin;
DELETE FROM ci.calendar_day;
RESET ROLE;
DROP TABLE rv_customers;
REVOKE EXECUTE ON FUNCTION ci.complete_review(bigint, text, text, text) FROM regress_rv_reviewer,
	regress_rv_other;
DROP ROLE regress_rv_admin, regress_rv_reviewer, regress_rv_other, regress_rv_owner;
