--
-- owner_code: no code a table's owner wrote runs with anyone else's rights
-- (issue 14).  regress_oc_mallory, a role with no special rights, owns
-- tables the bank asks the extension to manage.  Her code -- casts,
-- operators, views, row-level security policies, triggers, defaults,
-- domain checks, index expressions, generated columns -- records who ran
-- it (sequences: they survive rollbacks) and tries to escalate (superuser,
-- level clear).  It may run as her, or not at all.
--
SET client_min_messages = warning;
CREATE ROLE regress_oc_mallory LOGIN;
CREATE ROLE regress_oc_admin LOGIN IN ROLE customer_info_admin;
CREATE ROLE regress_oc_auditor LOGIN IN ROLE customer_info_auditor;
CREATE SCHEMA oc AUTHORIZATION regress_oc_mallory;
-- the test's own helpers, a superuser's
CREATE SCHEMA ocx;

SET ROLE regress_oc_mallory;
GRANT USAGE ON SCHEMA oc TO PUBLIC;
CREATE SEQUENCE oc.ran_super;
CREATE SEQUENCE oc.ran_other;
CREATE SEQUENCE oc.ran_owner;
GRANT USAGE, SELECT, UPDATE ON SEQUENCE oc.ran_super, oc.ran_other, oc.ran_owner TO PUBLIC;
-- the payload: note who runs it, then try to become superuser and clear
CREATE FUNCTION oc.note() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_catalog.nextval(CASE WHEN r.rolname = 'regress_oc_mallory' THEN 'oc.ran_owner'
									WHEN r.rolsuper THEN 'oc.ran_super'
									ELSE 'oc.ran_other' END::regclass)
	   FROM pg_catalog.pg_roles r WHERE r.rolname = current_user;
	BEGIN
		ALTER ROLE regress_oc_mallory SUPERUSER;
	EXCEPTION WHEN OTHERS THEN NULL;
	END;
	BEGIN
		PERFORM ci.grant_level('regress_oc_mallory', 'clear', 'C2');
	EXCEPTION WHEN OTHERS THEN NULL;
	END;
	RETURN true;
END
$$;
CREATE FUNCTION oc.note_text(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
	PERFORM oc.note();
	RETURN t;
END
$$;
CREATE FUNCTION oc.note_check(t text) RETURNS boolean LANGUAGE sql AS 'SELECT oc.note()';
CREATE FUNCTION oc.note_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM oc.note();
	RETURN CASE WHEN TG_LEVEL = 'ROW' AND TG_OP <> 'DELETE' THEN NEW ELSE OLD END;
END
$$;
-- an enum whose casts to text and json are hers
CREATE TYPE oc.e AS ENUM ('C1', 'C2', 'C3', 'C9');
CREATE FUNCTION oc.e_text(oc.e) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	PERFORM oc.note();
	RETURN pg_catalog.textin(pg_catalog.enum_out($1));
END
$$;
CREATE FUNCTION oc.e_json(oc.e) RETURNS json LANGUAGE plpgsql AS $$
BEGIN
	PERFORM oc.note();
	RETURN pg_catalog.to_json(pg_catalog.textin(pg_catalog.enum_out($1)));
END
$$;
CREATE CAST (oc.e AS text) WITH FUNCTION oc.e_text(oc.e) AS IMPLICIT;
CREATE CAST (oc.e AS json) WITH FUNCTION oc.e_json(oc.e);
-- an enum with operators of hers
CREATE TYPE oc.e2 AS ENUM ('C1', 'C2', 'C3', 'C9');
CREATE FUNCTION oc.e2_eq(oc.e2, oc.e2) RETURNS boolean LANGUAGE sql
	AS 'SELECT oc.note() AND pg_catalog.enum_eq($1, $2)';
CREATE FUNCTION oc.e2_ne(oc.e2, oc.e2) RETURNS boolean LANGUAGE sql
	AS 'SELECT oc.note() AND pg_catalog.enum_ne($1, $2)';
CREATE OPERATOR oc.= (LEFTARG = oc.e2, RIGHTARG = oc.e2, FUNCTION = oc.e2_eq);
CREATE OPERATOR oc.<> (LEFTARG = oc.e2, RIGHTARG = oc.e2, FUNCTION = oc.e2_ne);
-- a domain whose check is hers
CREATE DOMAIN oc.d AS text CHECK (oc.note_check(VALUE));
RESET ROLE;

-- who ran her code so far (read by a superuser, no code of hers)
CREATE FUNCTION ocx.ran(OUT super bigint, OUT other bigint, OUT owner bigint) LANGUAGE sql AS $$
	SELECT (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM oc.ran_super),
		   (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM oc.ran_other),
		   (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM oc.ran_owner)
$$;
-- what an attack won: is she superuser, has she a level
CREATE FUNCTION ocx.won(OUT rolsuper boolean, OUT levels bigint) LANGUAGE sql AS $$
	SELECT (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = 'regress_oc_mallory'),
		   (SELECT count(*) FROM ci.access_level a WHERE a.role = 'regress_oc_mallory'::regrole)
$$;
CREATE TABLE ocx.mark (super bigint, other bigint, owner bigint);
CREATE FUNCTION ocx.mark() RETURNS void LANGUAGE sql AS $$
	DELETE FROM ocx.mark;
	INSERT INTO ocx.mark SELECT * FROM ocx.ran();
$$;
-- her code run as someone else than her since the mark: superuser, other
CREATE FUNCTION ocx.since(OUT ran_as_superuser bigint, OUT ran_as_other bigint) LANGUAGE sql AS $$
	SELECT r.super - m.super, r.other - m.other FROM ocx.ran() r, ocx.mark m
$$;
-- a statement's SQLSTATE ('ok' when it succeeds), optionally as a role
CREATE FUNCTION ocx.try(stmt text, as_role text DEFAULT NULL) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	IF as_role IS NOT NULL THEN
		EXECUTE pg_catalog.format('SET LOCAL ROLE %I', as_role);
	END IF;
	EXECUTE stmt;
	RESET ROLE;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE;
END
$$;
GRANT USAGE ON SCHEMA ocx TO PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA ocx TO PUBLIC;

-------------------------------------------------------------------------------
-- The five attacks of the issue, as written
-------------------------------------------------------------------------------

-- 1. ci.customer_data() cast her customer column to text (and called
-- to_jsonb) as the caller: her cast ran as the superuser or auditor asking.
SET ROLE regress_oc_mallory;
CREATE TABLE oc.a1 (id integer PRIMARY KEY, cust oc.e, note text);
INSERT INTO oc.a1 VALUES (1, 'C1', 'first'), (2, 'C2', 'second');
GRANT SELECT ON oc.a1 TO PUBLIC;
RESET ROLE;
SET ROLE regress_oc_admin;
SELECT ci.customer_column('oc.a1', 'cust');
RESET ROLE;
SELECT ocx.mark();
SELECT tbl, row_data FROM ci.customer_data('C1');
SET ROLE regress_oc_auditor;
SELECT tbl, row_data FROM ci.customer_data('C2');
RESET ROLE;
SELECT * FROM ocx.since();
SELECT * FROM ocx.won();
DELETE FROM ci.customer_table WHERE relid = 'oc.a1'::regclass;
-- Her type cannot be a customer key any more (above); in another column of
-- a customer table, ci.customer_data() shows it through the type's output
-- function, never her casts to text or json.
SET ROLE regress_oc_mallory;
CREATE TABLE oc.a1b (id integer PRIMARY KEY, cust text, tag oc.e, note text);
INSERT INTO oc.a1b VALUES (1, 'C1', 'C1', 'first');
GRANT SELECT ON oc.a1b TO PUBLIC;
RESET ROLE;
SET ROLE regress_oc_admin;
SELECT ci.customer_column('oc.a1b', 'cust');
RESET ROLE;
SELECT ocx.mark();
SELECT tbl, row_data FROM ci.customer_data('C1');
SET ROLE regress_oc_auditor;
SELECT tbl, row_data FROM ci.customer_data('C1');
RESET ROLE;
SELECT * FROM ocx.since();
SELECT * FROM ocx.won();
DELETE FROM ci.customer_table WHERE relid = 'oc.a1b'::regclass;

-- 2. ci.attach_review() read the relation as the extension's owner before
-- checking its kind: handed her view, the view's function ran as superuser.
SET ROLE regress_oc_mallory;
CREATE TABLE oc.a2_base (k text, risk text, onboarded date);
INSERT INTO oc.a2_base VALUES ('C1', 'high', '2020-01-01');
CREATE VIEW oc.a2 AS SELECT k, risk, onboarded FROM oc.a2_base WHERE oc.note();
RESET ROLE;
SELECT ocx.mark();
SET ROLE regress_oc_admin;
SELECT ci.attach_review('oc.a2', 'k', 'risk', 'onboarded');
RESET ROLE;
SELECT ci.attach_review('oc.a2', 'k', 'risk', 'onboarded');
SELECT * FROM ocx.since();
SELECT * FROM ocx.won();
SELECT count(*) AS attached FROM ci.review_table WHERE relid = 'oc.a2'::regclass;

-- 3. The masked view cast her customer column to text in its consent
-- filter: every reader ran her cast with the reader's rights.  However it
-- is refused (at registration, or by the view's text), her cast never runs
-- as a reader.
SET ROLE regress_oc_mallory;
CREATE TABLE oc.a3 (id integer PRIMARY KEY, cust oc.e, mobile text);
INSERT INTO oc.a3 VALUES (1, 'C1', '13800138000');
RESET ROLE;
SET ROLE regress_oc_admin;
SELECT ocx.try($$SELECT ci.customer_column('oc.a3', 'cust')$$) IS NOT NULL AS tried;
SELECT ci.protect('oc.a3', 'mobile', 'cn_mobile', 'C2') IS NOT NULL AS protected;
RESET ROLE;
GRANT USAGE ON SCHEMA masked TO regress_oc_auditor;
SET ROLE regress_oc_mallory;
GRANT SELECT ON oc.a3 TO PUBLIC;
RESET ROLE;
SELECT ocx.try('GRANT SELECT ON masked.a3 TO regress_oc_auditor') IS NOT NULL AS tried;
SELECT ocx.mark();
SELECT ocx.try('SELECT count(*) FROM masked.a3') IS NOT NULL AS read_as_superuser;
SELECT ocx.try('SELECT count(*) FROM masked.a3', 'regress_oc_auditor') IS NOT NULL AS read_as_auditor;
SELECT * FROM ocx.since();
SELECT * FROM ocx.won();
-- whatever happened, the rest starts from a clean slate
ALTER ROLE regress_oc_mallory NOSUPERUSER;
DELETE FROM ci.access_level WHERE role = 'regress_oc_mallory'::regrole;
DELETE FROM ci.customer_table WHERE relid = 'oc.a3'::regclass;

-- 4. ci.quality_report() / ci.quality_scores() cast the key column in the
-- duplicates check, and her row-level security policy (FORCE) ran as the
-- calling admin.
SET ROLE regress_oc_mallory;
CREATE TABLE oc.a4 (id integer PRIMARY KEY, k oc.e, risk text, onboarded date, mobile text);
INSERT INTO oc.a4 VALUES (1, 'C1', 'high', '2020-01-01', '13800138000'),
						 (2, 'C2', 'high', '2020-01-01', '13800138000');
GRANT SELECT ON oc.a4 TO PUBLIC;
RESET ROLE;
SET ROLE regress_oc_admin;
SELECT ci.protect('oc.a4', 'mobile', 'cn_mobile', 'C2', searchable => true) IS NOT NULL AS protected;
SELECT ci.attach_review('oc.a4', 'k', 'risk', 'onboarded') AS scheduled;
RESET ROLE;
SELECT ocx.mark();
-- a legitimate report (no policy yet), as superuser: the same answers
SELECT measure, column_name, checked, failing FROM ci.quality_report('oc.a4')
 WHERE measure IN ('duplicates', 'completeness') ORDER BY 1, 2;
SELECT customer, duplicate FROM ci.quality_scores('oc.a4') ORDER BY 1;
SELECT * FROM ocx.since();
SET ROLE regress_oc_mallory;
ALTER TABLE oc.a4 ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY a4_all ON oc.a4 USING (oc.note());
RESET ROLE;
SET ROLE regress_oc_admin;
SELECT count(*) FROM ci.quality_report('oc.a4');
SELECT count(*) FROM ci.quality_scores('oc.a4');
RESET ROLE;
SELECT * FROM ocx.since();
SELECT * FROM ocx.won();

-- 5. ci.export_to_partner() cast the customer column as the exporting admin.
\set pubkey `cat test/fixtures/partner_pub.asc`
SET ROLE regress_oc_mallory;
CREATE TABLE oc.a5 (id integer PRIMARY KEY, cust oc.e, note text);
INSERT INTO oc.a5 VALUES (1, 'C1', 'first');
GRANT SELECT ON oc.a5 TO PUBLIC;
RESET ROLE;
SET ROLE regress_oc_admin;
SELECT ci.customer_column('oc.a5', 'cust');
SELECT ci.add_partner('regress_oc_partner', 'ops@partner.example', :'pubkey');
SELECT ci.add_agreement('regress_oc_partner', 'oc.a5', '{cust,note}', '{credit_check}',
						now() + interval '1 year', 'oc-1') > 0 AS agreed;
-- (no consent is recorded: the consent ledger is append-only and shared;
-- the consent check reads every row's customer all the same)
RESET ROLE;
SELECT ocx.mark();
SET ROLE regress_oc_admin;
SELECT length(ci.export_to_partner('regress_oc_partner', 'credit_check', 'oc.a5', '{cust,note}')) > 0
	   AS exported;
RESET ROLE;
SELECT row_count, customers FROM ci.partner_export WHERE relid = 'oc.a5'::regclass;
SELECT * FROM ocx.since();
SELECT * FROM ocx.won();
DELETE FROM ci.customer_table WHERE relid = 'oc.a5'::regclass;

-------------------------------------------------------------------------------
-- The generic sweep: each kind of owner code, every entry point of the
-- extension that takes a table (from the catalog), as superuser and as an
-- admin.  Each call runs in a subtransaction rolled back afterwards.
-------------------------------------------------------------------------------

SET ROLE regress_oc_mallory;
CREATE TABLE oc.t_cast (id integer PRIMARY KEY, k oc.e, risk text, onboarded date);
CREATE TABLE oc.t_operator (id integer PRIMARY KEY, k oc.e2, risk text, onboarded date);
CREATE TABLE oc.t_view_base (id integer PRIMARY KEY, k text, risk text, onboarded date);
CREATE VIEW oc.t_view AS SELECT id, k, risk, onboarded FROM oc.t_view_base WHERE oc.note();
CREATE TABLE oc.t_rls (id integer PRIMARY KEY, k text, risk text, onboarded date);
CREATE POLICY t_rls_all ON oc.t_rls USING (oc.note());
CREATE TABLE oc.t_trigger (id integer PRIMARY KEY, k text, risk text, onboarded date);
CREATE TRIGGER b BEFORE INSERT OR UPDATE OR DELETE ON oc.t_trigger
	FOR EACH ROW EXECUTE FUNCTION oc.note_trigger();
CREATE TRIGGER a AFTER INSERT OR UPDATE OR DELETE ON oc.t_trigger
	FOR EACH ROW EXECUTE FUNCTION oc.note_trigger();
CREATE TRIGGER s AFTER INSERT OR UPDATE OR DELETE ON oc.t_trigger
	FOR EACH STATEMENT EXECUTE FUNCTION oc.note_trigger();
CREATE TABLE oc.t_default (id integer PRIMARY KEY, k text, risk text DEFAULT oc.note_text('high'),
						   onboarded date);
CREATE TABLE oc.t_domain (id integer PRIMARY KEY, k oc.d, risk text, onboarded date);
CREATE TABLE oc.t_index (id integer PRIMARY KEY, k text, risk text, onboarded date);
CREATE INDEX ON oc.t_index ((oc.note_text(k)));
CREATE TABLE oc.t_generated (id integer PRIMARY KEY, k text, risk text, onboarded date,
							 g text GENERATED ALWAYS AS (oc.note_text(k)) STORED);
INSERT INTO oc.t_cast VALUES (1, 'C1', 'high', '2020-01-01'), (2, 'C2', 'high', '2020-01-01');
INSERT INTO oc.t_operator VALUES (1, 'C1', 'high', '2020-01-01'), (2, 'C2', 'high', '2020-01-01');
INSERT INTO oc.t_view_base VALUES (1, 'C1', 'high', '2020-01-01'), (2, 'C2', 'high', '2020-01-01');
INSERT INTO oc.t_rls VALUES (1, 'C1', 'high', '2020-01-01'), (2, 'C2', 'high', '2020-01-01');
INSERT INTO oc.t_trigger VALUES (1, 'C1', 'high', '2020-01-01'), (2, 'C2', 'high', '2020-01-01');
INSERT INTO oc.t_default VALUES (1, 'C1', 'high', '2020-01-01'), (2, 'C2', 'high', '2020-01-01');
INSERT INTO oc.t_domain VALUES (1, 'C1', 'high', '2020-01-01'), (2, 'C2', 'high', '2020-01-01');
INSERT INTO oc.t_index VALUES (1, 'C1', 'high', '2020-01-01'), (2, 'C2', 'high', '2020-01-01');
INSERT INTO oc.t_generated VALUES (1, 'C1', 'high', '2020-01-01'), (2, 'C2', 'high', '2020-01-01');
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA oc TO PUBLIC;
RESET ROLE;

-- the kinds, their tables, and a direct use of each that runs her code
-- (as superuser; row-level security spares superusers: as the admin)
CREATE TABLE ocx.kind (kind text PRIMARY KEY, tbl regclass, control text, control_role text);
INSERT INTO ocx.kind VALUES
	('cast', 'oc.t_cast', 'SELECT k::text FROM oc.t_cast', NULL),
	('operator', 'oc.t_operator', 'SELECT k OPERATOR(oc.=) k FROM oc.t_operator', NULL),
	('view', 'oc.t_view', 'SELECT * FROM oc.t_view', NULL),
	('rls', 'oc.t_rls', 'SELECT * FROM oc.t_rls', 'regress_oc_admin'),
	('trigger', 'oc.t_trigger', 'UPDATE oc.t_trigger SET risk = risk', NULL),
	('default', 'oc.t_default', $$INSERT INTO oc.t_default (id, k, onboarded) VALUES (9, 'C9', '2020-01-01')$$, NULL),
	('domain', 'oc.t_domain', $$SELECT 'C9'::oc.d$$, NULL),
	('index', 'oc.t_index', $$INSERT INTO oc.t_index VALUES (9, 'C9', 'high', '2020-01-01')$$, NULL),
	('generated', 'oc.t_generated', $$INSERT INTO oc.t_generated VALUES (9, 'C9', 'high', '2020-01-01')$$, NULL);

-- Each call is prepared as a bank would (the table registered as a
-- customer table, attached to review scheduling, audited, where the
-- extension accepts it; row-level security switched on before that, since
-- a managed table refuses it), made, and rolled back.
CREATE FUNCTION ocx.prepare(kind text, tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	-- (row-level security first: once the table is managed, it is refused)
	IF kind = 'rls' THEN
		EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', tbl);
	END IF;
	BEGIN
		PERFORM ci.customer_column(tbl, 'k');
	EXCEPTION WHEN OTHERS THEN NULL;
	END;
	BEGIN
		PERFORM ci.attach_review(tbl, 'k', 'risk', 'onboarded');
	EXCEPTION WHEN OTHERS THEN NULL;
	END;
	BEGIN
		PERFORM ci.audit(tbl);
	EXCEPTION WHEN OTHERS THEN NULL;
	END;
END
$$;
CREATE FUNCTION ocx.call(kind text, tbl regclass, stmt text, as_role text, prepare boolean)
	RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	st		text;
BEGIN
	BEGIN
		IF prepare THEN
			PERFORM ocx.prepare(kind, tbl);
		END IF;
		st := ocx.try(stmt, as_role);
		RAISE EXCEPTION 'undo' USING ERRCODE = 'ZZ999';
	EXCEPTION WHEN SQLSTATE 'ZZ999' THEN NULL;
	END;
	RETURN st;
END
$$;

-- the entry points: functions and procedures of the extension with a
-- regclass among their arguments or results
CREATE VIEW ocx.entry AS
SELECT p.oid, p.oid::regprocedure AS entry, p.prokind, p.pronargs, p.pronargdefaults,
	   p.proargtypes, p.proargnames
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'customer_info'
 WHERE 'regclass'::regtype = ANY (coalesce(p.proallargtypes, p.proargtypes::oid[]));

-- a call of an entry point: its required arguments, the table for each
-- regclass, the table's columns for names, plausible values otherwise
CREATE FUNCTION ocx.stmt(p oid, tbl regclass) RETURNS text LANGUAGE sql AS $$
	SELECT CASE WHEN e.prokind = 'p' THEN 'CALL ' ELSE 'SELECT ' END
		   || e.oid::regproc::text || '('
		   || coalesce((SELECT string_agg(
				CASE a.t
					WHEN 'regclass'::regtype THEN quote_literal(tbl::text) || '::regclass'
					WHEN 'name'::regtype THEN quote_literal(CASE a.n WHEN 'risk_col' THEN 'risk'
																	  WHEN 'onboarded_col' THEN 'onboarded'
																	  ELSE 'k' END) || '::name'
					WHEN 'name[]'::regtype THEN '''{k}''::name[]'
					WHEN 'text'::regtype THEN quote_literal(CASE a.n WHEN 'kind' THEN 'text'
																	  WHEN 'category' THEN 'C2'
																	  WHEN 'purpose' THEN 'service'
																	  WHEN 'step' THEN 'check'
																	  WHEN 'level' THEN 'clear'
																	  WHEN 'reason' THEN 'periodic'
																	  WHEN 'change' THEN 'absolute'
																	  WHEN 'direction' THEN 'any'
																	  ELSE 'C1' END) || '::text'
					WHEN 'text[]'::regtype THEN '''{service}''::text[]'
					WHEN '"any"'::regtype THEN '''C1''::text'
					WHEN 'regrole'::regtype THEN '''regress_oc_auditor''::regrole'
					WHEN 'boolean'::regtype THEN 'true'
					WHEN 'integer'::regtype THEN '10'
					WHEN 'bigint'::regtype THEN '10::bigint'
					WHEN 'numeric'::regtype THEN '1::numeric'
					WHEN 'jsonb'::regtype THEN '''{}''::jsonb'
					WHEN 'tid'::regtype THEN '''(0,0)''::tid'
					WHEN 'date'::regtype THEN '''2020-01-01''::date'
					WHEN 'date[]'::regtype THEN '''{2020-01-01}''::date[]'
					WHEN 'interval'::regtype THEN '''1 day''::interval'
					ELSE 'NULL::' || format_type(a.t, NULL) END, ', ' ORDER BY a.i)
				FROM unnest(e.proargtypes::oid[], e.proargnames[1:e.pronargs]) WITH ORDINALITY AS a(t, n, i)
				WHERE a.i <= e.pronargs - e.pronargdefaults), '')
		   || ')'
	  FROM ocx.entry e WHERE e.oid = p
$$;

-- positive controls: each trojan fires when used directly
CREATE TABLE ocx.control (kind text, state text, ran_as_superuser bigint, ran_as_other bigint);
DO $$
DECLARE
	k		record;
	st		text;
BEGIN
	FOR k IN SELECT * FROM ocx.kind ORDER BY kind LOOP
		PERFORM ocx.mark();
		st := ocx.call(k.kind, k.tbl, k.control, k.control_role, true);
		INSERT INTO ocx.control SELECT k.kind, st, s.* FROM ocx.since() s;
	END LOOP;
END
$$;
SELECT kind, state, ran_as_superuser > 0 OR ran_as_other > 0 AS fired FROM ocx.control ORDER BY kind;

-- the sweep
CREATE TABLE ocx.result (entry text, kind text, role text, state text,
						 ran_as_superuser bigint, ran_as_other bigint);
DO $$
DECLARE
	e		record;
	k		record;
	r		text;
	st		text;
BEGIN
	FOR e IN SELECT * FROM ocx.entry ORDER BY entry::text LOOP
		FOR k IN SELECT * FROM ocx.kind ORDER BY kind LOOP
			FOREACH r IN ARRAY ARRAY['superuser', 'regress_oc_admin'] LOOP
				PERFORM ocx.mark();
				st := ocx.call(k.kind, k.tbl, ocx.stmt(e.oid, k.tbl),
							   CASE WHEN r = 'superuser' THEN NULL ELSE r END, true);
				INSERT INTO ocx.result SELECT e.entry::text, k.kind, r, st, s.* FROM ocx.since() s;
			END LOOP;
		END LOOP;
	END LOOP;
END
$$;
-- every entry point was called over every kind, as both roles
SELECT count(DISTINCT entry) > 20 AS entries, count(DISTINCT kind) AS kinds,
	   count(*) = count(DISTINCT entry) * 9 * 2 AS complete
  FROM ocx.result;
-- the relation-kind check: a view passed as a table is refused before it
-- is read, by every entry point that reads a table it is given
SELECT split_part(entry, '(', 1) AS entry, role, state FROM ocx.result
 WHERE kind = 'view' AND split_part(entry, '(', 1) IN ('ci.attach_review', 'ci.quality_report',
													   'ci.quality_scores', 'ci.require_table',
													   'ci.review_rows', 'ci.protect', 'ci.export_to_partner')
 ORDER BY 1, 2;
-- her code never ran as anyone but her: no row
SELECT entry, kind, role, state, ran_as_superuser, ran_as_other FROM ocx.result
 WHERE ran_as_superuser > 0 OR ran_as_other > 0
 ORDER BY 1, 2, 3;
SELECT * FROM ocx.won();

-------------------------------------------------------------------------------
-- The background scheduler's review sweep and audit sealer, as superuser,
-- over a reviewed and audited trojan table: neither reads user tables.
-------------------------------------------------------------------------------

SET ROLE regress_oc_admin;
SELECT ci.attach_review('oc.t_trigger', 'k', 'risk', 'onboarded') AS scheduled;
SELECT ci.attach_review('oc.t_cast', 'k', 'risk', 'onboarded') AS scheduled;
SELECT ci.audit('oc.t_trigger') IS NOT NULL AS audited;
SELECT ci.audit('oc.t_cast') IS NOT NULL AS audited;
RESET ROLE;
SET ROLE regress_oc_mallory;
UPDATE oc.t_trigger SET risk = 'medium' WHERE id = 1;
UPDATE oc.t_cast SET risk = 'medium' WHERE id = 1;
RESET ROLE;
SELECT ocx.mark();
SELECT ci.review_sweep() IS NOT NULL AS swept;
SELECT ci.audit_seal() > 0 AS sealed;
SELECT * FROM ocx.since();
-- positive control: the same tables, read by a superuser directly
SELECT ocx.call('cast', 'oc.t_cast', $$SELECT count(*) FROM oc.t_cast WHERE k::text = 'C1'$$,
				NULL, false) AS state;
SELECT ran_as_superuser > 0 AS fired FROM ocx.since();
SELECT * FROM ocx.won();

-- clean up
SET client_min_messages = warning;
SELECT ci.review_trigger('oc.t_trigger', false), ci.review_trigger('oc.t_cast', false),
	   ci.review_trigger('oc.a4', false);
DELETE FROM ci.review_schedule WHERE relid::regclass::text LIKE 'oc.%';
DELETE FROM ci.review_task WHERE relid::regclass::text LIKE 'oc.%';
DELETE FROM ci.review_table WHERE relid::regclass::text LIKE 'oc.%';
DELETE FROM ci.customer_table WHERE relid::regclass::text LIKE 'oc.%';
SELECT ci.unaudit('oc.t_trigger'), ci.unaudit('oc.t_cast');
DROP SCHEMA oc CASCADE;
DROP SCHEMA ocx CASCADE;
DROP OWNED BY regress_oc_mallory, regress_oc_admin, regress_oc_auditor;
DROP ROLE regress_oc_mallory, regress_oc_admin, regress_oc_auditor;
