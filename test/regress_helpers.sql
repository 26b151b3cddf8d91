\set ECHO none
-- test/regress_helpers.sql: helpers of the pg_regress files, included by
-- each file that uses them (\i test/regress_helpers.sql), so that every
-- file runs alone as well as in the whole suite.  Not echoed.
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS regress;

-- The SQLSTATE, message and detail that casting a text to a type raises,
-- or 'ok' and the canonical text.
CREATE OR REPLACE FUNCTION regress.try_cast(value text, typname text,
											OUT state text, OUT result text,
											OUT detail text)
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('SELECT $1::%s::text', typname) INTO result USING value;
	state := 'ok';
EXCEPTION WHEN others THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE,
		result = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
END
$$;

-- The same for binary receive: the value's bytes go through a binary COPY
-- file into a column of the type (a temporary table of this session).
CREATE OR REPLACE FUNCTION regress.try_recv(value text, typname text,
											OUT state text, OUT result text,
											OUT detail text)
LANGUAGE plpgsql SET client_min_messages = warning AS $$
DECLARE
	f text := current_setting('data_directory') || '/ci_recv_test.bin';
BEGIN
	EXECUTE 'CREATE TEMP TABLE IF NOT EXISTS regress_recv_src (v text)';
	EXECUTE 'DROP TABLE IF EXISTS pg_temp.regress_recv_dst';
	EXECUTE format('CREATE TEMP TABLE regress_recv_dst (v %s)', typname);
	EXECUTE 'TRUNCATE pg_temp.regress_recv_src';
	EXECUTE 'INSERT INTO pg_temp.regress_recv_src VALUES ($1)' USING value;
	EXECUTE format('COPY pg_temp.regress_recv_src TO %L (FORMAT binary)', f);
	EXECUTE format('COPY pg_temp.regress_recv_dst FROM %L (FORMAT binary)', f);
	EXECUTE 'SELECT v::text FROM pg_temp.regress_recv_dst' INTO result;
	state := 'ok';
EXCEPTION WHEN others THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE,
		result = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
END
$$;

-- True when an error message or detail contains the whole of a rejected
-- input (inputs of more than 10 characters).
CREATE OR REPLACE FUNCTION regress.leaks(value text, typname text) RETURNS boolean
LANGUAGE sql AS $$
	SELECT length(value) > 10
	   AND (position(value IN t.result) > 0
	        OR position(value IN coalesce(t.detail, '')) > 0)
	  FROM regress.try_cast(value, typname) t
	 WHERE t.state <> 'ok'
$$;
-- An active data key, as protect.sql's first ci.protect() leaves one, for
-- files that protect columns with ci.rotate_key() nowhere in them.
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM ci.data_key WHERE status = 'active') THEN
		PERFORM ci.rotate_key();
	END IF;
END
$$;
RESET client_min_messages;
\set ECHO all
