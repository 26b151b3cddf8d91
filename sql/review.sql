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

-- An oracle for due dates, independent of the extension's functions: the
-- last day on or before d that is a working day under ci.calendar_day
-- (else Monday to Friday).
CREATE FUNCTION rv_oracle_on_or_before(d date) RETURNS date LANGUAGE sql STABLE AS $$
	SELECT max(g::date) FROM generate_series(d - 30, d, interval '1 day') g
	 LEFT JOIN ci.calendar_day c ON c.day = g::date
	 WHERE coalesce(c.working, extract(isodow FROM g) < 6)
$$;
-- The fixture's calendar (2023): Qingming, Wednesday 5 April, a holiday.
SET ROLE regress_rv_admin;
INSERT INTO ci.calendar_day VALUES ('2023-04-05', false, 'Qingming');
RESET ROLE;

-- Attaching a customer table.  Fixed dates: the sweeps below run as of
-- 2023-03-15 (a Wednesday), whatever the clock says.
CREATE TABLE rv_customers (
	id int PRIMARY KEY, name text, mobile text, id_number text, occupation text,
	risk text, onboarded date, id_expiry date, birthday date, balance numeric);
INSERT INTO rv_customers VALUES
	(1, 'Ann', '13800138000', '11010519491231002X', 'teacher', 'high',
	 '2022-09-18', '2023-04-05', '1949-03-19', 10000),
	(2, 'Bo', '13900139000', '440305199002280028', 'engineer', 'low',
	 '2021-03-01', '2023-03-12', NULL, 500),
	(3, 'Cai', '15012345678', '310115198506150049', 'nurse', 'medium',
	 '2020-03-19', '2033-01-01', NULL, 100);
SELECT ci.protect('rv_customers', 'mobile', 'cn_mobile', 'C2');
SELECT ci.protect('rv_customers', 'id_number', 'cn_id', 'C2', searchable => true);
-- a level that is not in ci.risk_level is refused at attach
CREATE TABLE rv_unknown (id int PRIMARY KEY, risk text, onboarded date);
INSERT INTO rv_unknown VALUES (1, 'extreme', '2023-01-02'), (2, NULL, '2023-01-02');
SET ROLE regress_rv_admin;
SELECT ci.attach_review('rv_unknown', 'id', 'risk', 'onboarded');
SELECT ci.attach_review('nope', 'id', 'risk', 'onboarded');
SELECT ci.attach_review('rv_customers', 'id', 'risk', 'no_such_column');
SELECT ci.attach_review('rv_customers', 'id', 'risk', 'name');
SELECT ci.attach_review('rv_customers', 'id', 'risk', 'onboarded', birth_col => 'name');
-- this database is not in customer_info.scheduler_databases: a NOTICE says so
SELECT ci.attach_review('rv_customers', 'id', 'risk', 'onboarded', '{mobile,occupation}',
						id_expiry_col => 'id_expiry', birth_col => 'birthday') AS scheduled;
RESET ROLE;
DROP TABLE rv_unknown;
SET SESSION AUTHORIZATION regress_rv_other;
SELECT ci.attach_review('rv_customers', 'id', 'risk', 'onboarded');
SELECT ci.review_sweep();
RESET SESSION AUTHORIZATION;
-- next review: onboarding date plus the level's interval (6, 12, 24 months)
SELECT customer, risk_level, onboarded_on, next_due, id_expires_on
  FROM ci.review_schedule WHERE relid = 'rv_customers'::regclass ORDER BY customer;

-- The sweep of 2023-03-15: periodic reviews due, ID documents expiring and
-- expired (flagged: business is suspended until it is renewed), birthdays
-- and anniversaries ahead; run twice, it adds nothing.  Every due date is
-- a working day, the natural date or the working day before it:
--   1 periodic 2023-03-18 (Saturday) -> Friday 17; birthday 19 March
--     (Sunday) -> Friday 17; ID expires 2023-04-05 (Qingming) -> Tuesday 4;
--   2 periodic 2023-03-01 (Wednesday) stays; ID expired 2023-03-12
--     (Sunday) -> Friday 10;
--   3 periodic 2021-03-19 (Friday) stays; third anniversary 2023-03-19
--     (Sunday) -> Friday 17.
SET ROLE regress_rv_admin;
SELECT ci.review_sweep('2023-03-15');
SELECT ci.review_sweep('2023-03-15');
RESET ROLE;
SELECT customer, reason, detail, due_on, extract(isodow FROM due_on) AS weekday
  FROM ci.review_queue WHERE tbl = 'rv_customers'::regclass ORDER BY customer, reason;
-- the same under the independent oracle: due on or before the natural date
SELECT count(*) AS not_on_a_working_day_before_the_natural_date
  FROM ci.review_task t JOIN ci.review_schedule s USING (relid, customer)
 WHERE t.relid = 'rv_customers'::regclass
   AND t.due_on <> rv_oracle_on_or_before(CASE t.reason
		WHEN 'periodic' THEN s.next_due
		WHEN 'id_expiring' THEN s.id_expires_on
		WHEN 'id_expired' THEN s.id_expires_on
		WHEN 'birthday' THEN make_date(2023, s.birth_mmdd / 100, s.birth_mmdd % 100)
		ELSE make_date(2023, s.anniversary_mmdd / 100, s.anniversary_mmdd % 100) END);
SELECT customer, suspended FROM ci.review_schedule
 WHERE relid = 'rv_customers'::regclass ORDER BY customer;

-- Escalation: an overdue task escalates once per period.  A month later
-- (2023-04-14) every open task is past due + 5 days; the same day again,
-- none.  The sweep also finds Ann's ID expired on 5 April.
SET ROLE regress_rv_admin;
SELECT ci.review_sweep('2023-04-14') ->> 'escalated' AS escalated_a_month_later,
	   ci.review_sweep('2023-04-14') ->> 'escalated' AS again_the_same_day;
RESET ROLE;
SELECT customer, reason, due_on, escalation FROM ci.review_task
 WHERE relid = 'rv_customers'::regclass AND status = 'open' ORDER BY customer, reason, due_on;

-- What suspended does: it flags the customer in ci.review_schedule and
-- ci.review_queue; on its own it blocks nothing.  A bank attaches
-- ci.require_not_suspended() to its business tables to refuse them.
CREATE TABLE rv_payments (id int PRIMARY KEY, customer int, amount numeric);
CREATE TRIGGER rv_guard BEFORE INSERT OR UPDATE OR DELETE ON rv_payments
	FOR EACH ROW EXECUTE FUNCTION ci.require_not_suspended('public.rv_customers', 'customer');
INSERT INTO rv_payments VALUES (1, 2, 100);	-- Bo: ID expired, suspended
INSERT INTO rv_payments VALUES (2, 3, 100);	-- Cai: fine
UPDATE rv_payments SET customer = 1 WHERE id = 2;	-- Ann: ID expired
SELECT id, customer FROM rv_payments;
-- misuse is refused with its reason
CREATE TRIGGER rv_guard_bad BEFORE INSERT ON rv_payments
	FOR EACH ROW EXECUTE FUNCTION ci.require_not_suspended('rv_customers', 'customer');
INSERT INTO rv_payments VALUES (3, 3, 1);
DROP TRIGGER rv_guard_bad ON rv_payments;
CREATE TRIGGER rv_guard_bad AFTER INSERT ON rv_payments
	FOR EACH ROW EXECUTE FUNCTION ci.require_not_suspended('public.rv_customers', 'customer');
INSERT INTO rv_payments VALUES (3, 3, 1);
DROP TRIGGER rv_guard_bad ON rv_payments;
-- only customer_info_admin may attach it
CREATE TABLE rv_other_payments (customer int);
ALTER TABLE rv_other_payments OWNER TO regress_rv_other;
SET SESSION AUTHORIZATION regress_rv_other;
CREATE TRIGGER rv_guard BEFORE INSERT ON rv_other_payments
	FOR EACH ROW EXECUTE FUNCTION ci.require_not_suspended('public.rv_customers', 'customer');
RESET SESSION AUTHORIZATION;
DROP TABLE rv_other_payments;

-- Events: a new customer is rated within 10 working days (explicit dates
-- under the fixture's calendar: onboarded Friday 2026-09-25; Sunday
-- 27 September is a working day, 1-2 October are holidays: the tenth
-- working day is Monday 2026-10-12); a watched column that changes (also
-- encrypted: the plaintext, not the envelope); a risk change recomputes
-- the next review (onboarding 2026-09-25 + 6 months); event tasks are due
-- today, or the working day before when today is not one; a deletion
-- closes its tasks.
INSERT INTO rv_customers VALUES (4, 'Dan', '15112345678', '810000198001010014', 'clerk', 'low',
	'2026-09-25', '2034-01-01', NULL, 50);
SELECT reason, due_on FROM ci.review_task WHERE customer = '4';
UPDATE rv_customers SET mobile = '15112345678' WHERE id = 4;	-- same number, new envelope
UPDATE rv_customers SET balance = 51 WHERE id = 4;				-- not watched
UPDATE rv_customers SET mobile = '18612345678' WHERE id = 4;
UPDATE rv_customers SET occupation = 'manager' WHERE id = 4;
UPDATE rv_customers SET risk = 'high' WHERE id = 4;
SELECT reason, detail, due_on = rv_oracle_on_or_before(CURRENT_DATE) AS due_today_or_working_day_before
  FROM ci.review_task WHERE customer = '4' AND reason <> 'onboarding' ORDER BY task_id;
SELECT risk_level, next_due FROM ci.review_schedule WHERE customer = '4';
-- a level that is not in ci.risk_level is refused; NULL (not rated yet)
-- is accepted and reviewed as often as the highest level
UPDATE rv_customers SET risk = 'extreme' WHERE id = 4;
INSERT INTO rv_customers (id, risk, onboarded) VALUES (6, 'HIGH', '2023-01-02');
-- a renewed ID document lifts the flag
UPDATE rv_customers SET id_expiry = '2033-03-12' WHERE id = 2;
SELECT suspended FROM ci.review_schedule WHERE customer = '2';
INSERT INTO rv_payments VALUES (1, 2, 100);
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

-- Closed: the relationship ended.  Cai's other open tasks are closed and
-- no sweep schedules anything for Cai again (the sweep of 2024-03-18 would
-- otherwise bring the fourth anniversary and a periodic review).
SELECT task_id AS t_cai FROM ci.review_task
 WHERE customer = '3' AND reason = 'periodic' AND status = 'open' \gset
SELECT ci.complete_review(:t_cai, 'closed', 'account closed');
SELECT ended_on = CURRENT_DATE AS ended_today, next_due, tasked
  FROM ci.review_schedule WHERE customer = '3';
SELECT reason, status, outcome, notes FROM ci.review_task WHERE customer = '3' ORDER BY task_id;
SET ROLE regress_rv_admin;
SELECT ci.review_sweep('2024-03-18') ->> 'anniversaries' AS anniversaries;
RESET ROLE;
SELECT count(*) AS cai_open_tasks FROM ci.review_task WHERE customer = '3' AND status = 'open';
-- a risk change after the end does not bring the schedule back
UPDATE rv_customers SET risk = 'high' WHERE id = 3;
SELECT risk_level, next_due FROM ci.review_schedule WHERE customer = '3';

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
UPDATE rv_customers SET risk = 'high' WHERE id = 2;
UPDATE rv_customers SET balance = 5500 WHERE id = 2;	-- up 5000 at high: not beyond, none
UPDATE rv_customers SET balance = 10501 WHERE id = 2;	-- up 5001 at high: alert
UPDATE rv_customers SET balance = 100 WHERE id = 2;	-- down 99%: the fall rule
SELECT customer, detail FROM ci.review_task WHERE reason = 'threshold' ORDER BY task_id;

-- Data quality: completeness, validity, duplicates, staleness; scores.
-- Customer 5 repeats Ann's ID number and Bo's mobile number, and is not
-- rated yet.  The ID number is searchable (a blind index): both copies
-- are duplicates.  The mobile number has no blind index: a repeated
-- mobile number is not detected (no duplicates row for it).
INSERT INTO rv_customers VALUES (5, '', '13900139000', '11010519491231002X', NULL, NULL, '2023-03-01',
	NULL, NULL, 0);
SELECT next_due FROM ci.review_schedule WHERE customer = '5';
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
DROP TABLE rv_payments;
-- dropping the table takes its review scheduling along: no configuration,
-- schedule or rule is left, and its tasks are closed (kept as history)
DROP TABLE rv_customers;
SELECT (SELECT count(*) FROM ci.review_table) AS tables, (SELECT count(*) FROM ci.review_schedule) AS schedules,
	   (SELECT count(*) FROM ci.watch_rule) AS rules,
	   (SELECT count(*) FROM ci.review_task WHERE status = 'open') AS open_tasks;
DROP FUNCTION rv_oracle_on_or_before(date);
REVOKE EXECUTE ON FUNCTION ci.complete_review(bigint, text, text, text) FROM regress_rv_reviewer,
	regress_rv_other;
DROP ROLE regress_rv_admin, regress_rv_reviewer, regress_rv_other, regress_rv_owner;
