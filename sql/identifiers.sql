--
-- identifiers: installation, catalogue properties shared by all four
-- identifier types, and the helper the other tests use.
--
-- The temporary instance preloads the library (test/regress.conf), and
-- pg_regress creates the extension in the test database before each run
-- (--load-extension in the Makefile), so every file runs alone.
SELECT extname, extversion FROM pg_extension ORDER BY extname;
SHOW shared_preload_libraries;

-- not relocatable, installed in schema ci
SELECT extname, extrelocatable, extnamespace::regnamespace
  FROM pg_extension WHERE extname = 'customer_info';

-- The customer_info. prefix is reserved: an unknown setting is refused.
SET customer_info.no_such_setting = 'x';

-- Every function the extension installs is documented; the SECURITY
-- DEFINER ones (consent ledger, partners, customer rights) pin search_path
-- and are executable by no one but the roles they are granted to.
SELECT p.oid::regprocedure AS undocumented
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'customer_info'
 WHERE d.deptype = 'e' AND obj_description(p.oid, 'pg_proc') IS NULL;
SELECT p.oid::regprocedure AS security_definer,
       p.proconfig = '{"search_path=pg_catalog, pg_temp"}' AS pinned,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public_executes
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'customer_info'
 WHERE d.deptype = 'e' AND p.prosecdef
 ORDER BY p.oid::regprocedure::text;

-- Types, operators and operator classes are documented too.
SELECT t.typname, obj_description(t.oid, 'pg_type') IS NOT NULL AS documented,
       t.typlen, t.typbyval
  FROM pg_type t WHERE t.typnamespace = 'ci'::regnamespace AND t.typtype = 'b'
   AND t.typelem = 0
 ORDER BY 1;
SELECT count(*) AS undocumented_operators
  FROM pg_operator o WHERE o.oprnamespace = 'ci'::regnamespace
   AND obj_description(o.oid, 'pg_operator') IS NULL;
SELECT opc.opcname, am.amname, opc.opcdefault
  FROM pg_opclass opc JOIN pg_am am ON am.oid = opc.opcmethod
 WHERE opc.opcnamespace = 'ci'::regnamespace ORDER BY 1, 2;

-- All type, mask, validity and accessor functions are IMMUTABLE STRICT
-- PARALLEL SAFE (usable in indexes, views and parallel plans); only the
-- policy functions, which read or change policy tables, are not.
SELECT p.oid::regprocedure AS not_immutable_strict_parallel_safe
  FROM pg_proc p WHERE p.pronamespace = 'ci'::regnamespace
   AND NOT (p.provolatile = 'i' AND p.proisstrict AND p.proparallel = 's')
 ORDER BY p.oid;

-- Only comparison and hash functions are LEAKPROOF.
SELECT p.proname FROM pg_proc p
 WHERE p.pronamespace = 'ci'::regnamespace AND p.proleakproof
   AND p.proname !~ '_(eq|ne|lt|le|gt|ge|cmp|hash|hash_extended)$';

-- The helpers of the type tests (regress.try_cast, regress.leaks).
\i test/regress_helpers.sql
