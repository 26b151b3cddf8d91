/* customer_info--0.1.sql - install script (ASCII only: it must load in any database encoding) */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION customer_info CASCADE" to load this file. \quit

COMMENT ON SCHEMA ci IS 'customer_info: identifier types, masks and policy functions';
-- The types and masks are for everyone; policy tables and functions
-- revoke what is not.
GRANT USAGE ON SCHEMA ci TO PUBLIC;

-------------------------------------------------------------------------------
-- ci.cn_id: resident identity card number (GB 11643-1999)
-------------------------------------------------------------------------------

CREATE TYPE ci.cn_id;

CREATE FUNCTION ci.cn_id_in(cstring) RETURNS ci.cn_id
	AS 'MODULE_PATHNAME', 'cn_id_in'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ci.cn_id_out(ci.cn_id) RETURNS cstring
	AS 'MODULE_PATHNAME', 'cn_id_out'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ci.cn_id_recv(internal) RETURNS ci.cn_id
	AS 'MODULE_PATHNAME', 'cn_id_recv'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ci.cn_id_send(ci.cn_id) RETURNS bytea
	AS 'MODULE_PATHNAME', 'cn_id_send'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE ci.cn_id (
	INPUT = ci.cn_id_in,
	OUTPUT = ci.cn_id_out,
	RECEIVE = ci.cn_id_recv,
	SEND = ci.cn_id_send,
	INTERNALLENGTH = 8,
	PASSEDBYVALUE,
	ALIGNMENT = double,
	STORAGE = plain
);

COMMENT ON FUNCTION ci.cn_id_in(cstring) IS 'input function of ci.cn_id: validates and normalises';
COMMENT ON FUNCTION ci.cn_id_out(ci.cn_id) IS 'output function of ci.cn_id: canonical text';
COMMENT ON FUNCTION ci.cn_id_recv(internal) IS 'binary input of ci.cn_id (canonical text, validated)';
COMMENT ON FUNCTION ci.cn_id_send(ci.cn_id) IS 'binary output of ci.cn_id (canonical text)';

CREATE CAST (text AS ci.cn_id) WITH INOUT AS ASSIGNMENT;
CREATE CAST (ci.cn_id AS text) WITH INOUT AS ASSIGNMENT;
COMMENT ON CAST (text AS ci.cn_id) IS 'validates and normalises the text';
COMMENT ON CAST (ci.cn_id AS text) IS 'canonical text form';
COMMENT ON TYPE ci.cn_id IS 'resident identity card number (GB 11643-1999)';

-- comparison: the built-in int8 functions work on the packed value
CREATE FUNCTION ci.cn_id_eq(ci.cn_id, ci.cn_id) RETURNS boolean
	AS 'int8eq'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.cn_id_eq(ci.cn_id, ci.cn_id) IS 'equal';
CREATE FUNCTION ci.cn_id_ne(ci.cn_id, ci.cn_id) RETURNS boolean
	AS 'int8ne'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.cn_id_ne(ci.cn_id, ci.cn_id) IS 'not equal';
CREATE FUNCTION ci.cn_id_lt(ci.cn_id, ci.cn_id) RETURNS boolean
	AS 'int8lt'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.cn_id_lt(ci.cn_id, ci.cn_id) IS 'less than';
CREATE FUNCTION ci.cn_id_le(ci.cn_id, ci.cn_id) RETURNS boolean
	AS 'int8le'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.cn_id_le(ci.cn_id, ci.cn_id) IS 'less than or equal';
CREATE FUNCTION ci.cn_id_gt(ci.cn_id, ci.cn_id) RETURNS boolean
	AS 'int8gt'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.cn_id_gt(ci.cn_id, ci.cn_id) IS 'greater than';
CREATE FUNCTION ci.cn_id_ge(ci.cn_id, ci.cn_id) RETURNS boolean
	AS 'int8ge'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.cn_id_ge(ci.cn_id, ci.cn_id) IS 'greater than or equal';
CREATE OPERATOR ci.= (
	LEFTARG = ci.cn_id, RIGHTARG = ci.cn_id, FUNCTION = ci.cn_id_eq,
	COMMUTATOR = OPERATOR(ci.=), NEGATOR = OPERATOR(ci.<>),
	RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES
);
COMMENT ON OPERATOR ci.= (ci.cn_id, ci.cn_id) IS 'equal';
CREATE OPERATOR ci.<> (
	LEFTARG = ci.cn_id, RIGHTARG = ci.cn_id, FUNCTION = ci.cn_id_ne,
	COMMUTATOR = OPERATOR(ci.<>), NEGATOR = OPERATOR(ci.=),
	RESTRICT = neqsel, JOIN = neqjoinsel
);
COMMENT ON OPERATOR ci.<> (ci.cn_id, ci.cn_id) IS 'not equal';
CREATE OPERATOR ci.< (
	LEFTARG = ci.cn_id, RIGHTARG = ci.cn_id, FUNCTION = ci.cn_id_lt,
	COMMUTATOR = OPERATOR(ci.>), NEGATOR = OPERATOR(ci.>=),
	RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
COMMENT ON OPERATOR ci.< (ci.cn_id, ci.cn_id) IS 'less than';
CREATE OPERATOR ci.<= (
	LEFTARG = ci.cn_id, RIGHTARG = ci.cn_id, FUNCTION = ci.cn_id_le,
	COMMUTATOR = OPERATOR(ci.>=), NEGATOR = OPERATOR(ci.>),
	RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
COMMENT ON OPERATOR ci.<= (ci.cn_id, ci.cn_id) IS 'less than or equal';
CREATE OPERATOR ci.> (
	LEFTARG = ci.cn_id, RIGHTARG = ci.cn_id, FUNCTION = ci.cn_id_gt,
	COMMUTATOR = OPERATOR(ci.<), NEGATOR = OPERATOR(ci.<=),
	RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
COMMENT ON OPERATOR ci.> (ci.cn_id, ci.cn_id) IS 'greater than';
CREATE OPERATOR ci.>= (
	LEFTARG = ci.cn_id, RIGHTARG = ci.cn_id, FUNCTION = ci.cn_id_ge,
	COMMUTATOR = OPERATOR(ci.<=), NEGATOR = OPERATOR(ci.<),
	RESTRICT = scalargesel, JOIN = scalargejoinsel
);
COMMENT ON OPERATOR ci.>= (ci.cn_id, ci.cn_id) IS 'greater than or equal';
CREATE FUNCTION ci.cn_id_cmp(ci.cn_id, ci.cn_id) RETURNS integer
	AS 'btint8cmp'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.cn_id_cmp(ci.cn_id, ci.cn_id) IS 'btree comparison of ci.cn_id';
CREATE FUNCTION ci.cn_id_hash(ci.cn_id) RETURNS integer
	AS 'hashint8'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.cn_id_hash(ci.cn_id) IS 'hash of ci.cn_id';
CREATE FUNCTION ci.cn_id_hash_extended(ci.cn_id, bigint) RETURNS bigint
	AS 'hashint8extended'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.cn_id_hash_extended(ci.cn_id, bigint) IS 'seeded 64-bit hash of ci.cn_id';
CREATE FUNCTION ci.cn_id_sortsupport(internal) RETURNS void
	AS 'btint8sortsupport'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.cn_id_sortsupport(internal) IS 'sort support for ci.cn_id';

CREATE OPERATOR CLASS ci.cn_id_ops
	DEFAULT FOR TYPE ci.cn_id USING btree AS
		OPERATOR 1 ci.<,
		OPERATOR 2 ci.<=,
		OPERATOR 3 ci.=,
		OPERATOR 4 ci.>=,
		OPERATOR 5 ci.>,
		FUNCTION 1 ci.cn_id_cmp(ci.cn_id, ci.cn_id),
		FUNCTION 2 ci.cn_id_sortsupport(internal),
		FUNCTION 4 pg_catalog.btequalimage(oid);
COMMENT ON OPERATOR CLASS ci.cn_id_ops USING btree IS 'default btree operator class of ci.cn_id';

CREATE OPERATOR CLASS ci.cn_id_ops
	DEFAULT FOR TYPE ci.cn_id USING hash AS
		OPERATOR 1 ci.=,
		FUNCTION 1 ci.cn_id_hash(ci.cn_id),
		FUNCTION 2 ci.cn_id_hash_extended(ci.cn_id, bigint);
COMMENT ON OPERATOR CLASS ci.cn_id_ops USING hash IS 'default hash operator class of ci.cn_id';

-- validity, explanation and the built-in mask
CREATE FUNCTION ci.is_valid_cn_id(text) RETURNS boolean
	AS 'MODULE_PATHNAME', 'cn_id_is_valid'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.is_valid_cn_id(text) IS 'true if the text is a valid resident ID number; never raises an error';
CREATE FUNCTION ci.cn_id_invalid_reason(text) RETURNS text
	AS 'MODULE_PATHNAME', 'cn_id_invalid_reason'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.cn_id_invalid_reason(text) IS 'which rule a resident ID number breaks, or NULL if it is valid';
CREATE FUNCTION ci.mask(ci.cn_id) RETURNS text
	AS 'MODULE_PATHNAME', 'cn_id_mask'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.mask(ci.cn_id) IS 'built-in mask: first 6 and last 4 characters';
CREATE FUNCTION ci.mask_cn_id(text) RETURNS text
	AS 'MODULE_PATHNAME', 'cn_id_mask_text'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.mask_cn_id(text) IS 'mask of a resident ID number held as text: first 6 and last 4 characters';

-- accessors
CREATE FUNCTION ci.birth_date(ci.cn_id) RETURNS date
	AS 'MODULE_PATHNAME', 'cn_id_birth_date'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.birth_date(ci.cn_id) IS 'birth date encoded in a resident ID number';
CREATE FUNCTION ci.gender(ci.cn_id) RETURNS text
	AS 'MODULE_PATHNAME', 'cn_id_gender'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.gender(ci.cn_id) IS 'M or F, from the parity of the 17th digit';
CREATE FUNCTION ci.region_code(ci.cn_id) RETURNS text
	AS 'MODULE_PATHNAME', 'cn_id_region_code'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.region_code(ci.cn_id) IS 'six-digit administrative division code (GB/T 2260) of the place of registration';
CREATE FUNCTION ci.age(ci.cn_id, date DEFAULT CURRENT_DATE) RETURNS integer
	AS 'MODULE_PATHNAME', 'cn_id_age'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.age(ci.cn_id, date) IS 'age in completed years on the given date (today by default); NULL before birth';
CREATE FUNCTION ci.is_residence_permit(ci.cn_id) RETURNS boolean
	AS 'MODULE_PATHNAME', 'cn_id_is_residence_permit'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.is_residence_permit(ci.cn_id) IS 'true for residence permits of Hong Kong, Macau and Taiwan residents (810000, 820000, 830000)';

-------------------------------------------------------------------------------
-- ci.uscc: unified social credit code (GB 32100-2015)
-------------------------------------------------------------------------------

CREATE TYPE ci.uscc;

CREATE FUNCTION ci.uscc_in(cstring) RETURNS ci.uscc
	AS 'MODULE_PATHNAME', 'uscc_in'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ci.uscc_out(ci.uscc) RETURNS cstring
	AS 'MODULE_PATHNAME', 'uscc_out'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ci.uscc_recv(internal) RETURNS ci.uscc
	AS 'MODULE_PATHNAME', 'uscc_recv'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ci.uscc_send(ci.uscc) RETURNS bytea
	AS 'MODULE_PATHNAME', 'uscc_send'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE ci.uscc (
	INPUT = ci.uscc_in,
	OUTPUT = ci.uscc_out,
	RECEIVE = ci.uscc_recv,
	SEND = ci.uscc_send,
	INTERNALLENGTH = 9,
	ALIGNMENT = char,
	STORAGE = plain
);

COMMENT ON FUNCTION ci.uscc_in(cstring) IS 'input function of ci.uscc: validates and normalises';
COMMENT ON FUNCTION ci.uscc_out(ci.uscc) IS 'output function of ci.uscc: canonical text';
COMMENT ON FUNCTION ci.uscc_recv(internal) IS 'binary input of ci.uscc (canonical text, validated)';
COMMENT ON FUNCTION ci.uscc_send(ci.uscc) IS 'binary output of ci.uscc (canonical text)';

CREATE CAST (text AS ci.uscc) WITH INOUT AS ASSIGNMENT;
CREATE CAST (ci.uscc AS text) WITH INOUT AS ASSIGNMENT;
COMMENT ON CAST (text AS ci.uscc) IS 'validates and normalises the text';
COMMENT ON CAST (ci.uscc AS text) IS 'canonical text form';
COMMENT ON TYPE ci.uscc IS 'unified social credit code (GB 32100-2015)';

-- comparison: memcmp() of the packed value
CREATE FUNCTION ci.uscc_eq(ci.uscc, ci.uscc) RETURNS boolean
	AS 'MODULE_PATHNAME', 'uscc_eq'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.uscc_eq(ci.uscc, ci.uscc) IS 'equal';
CREATE FUNCTION ci.uscc_ne(ci.uscc, ci.uscc) RETURNS boolean
	AS 'MODULE_PATHNAME', 'uscc_ne'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.uscc_ne(ci.uscc, ci.uscc) IS 'not equal';
CREATE FUNCTION ci.uscc_lt(ci.uscc, ci.uscc) RETURNS boolean
	AS 'MODULE_PATHNAME', 'uscc_lt'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.uscc_lt(ci.uscc, ci.uscc) IS 'less than';
CREATE FUNCTION ci.uscc_le(ci.uscc, ci.uscc) RETURNS boolean
	AS 'MODULE_PATHNAME', 'uscc_le'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.uscc_le(ci.uscc, ci.uscc) IS 'less than or equal';
CREATE FUNCTION ci.uscc_gt(ci.uscc, ci.uscc) RETURNS boolean
	AS 'MODULE_PATHNAME', 'uscc_gt'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.uscc_gt(ci.uscc, ci.uscc) IS 'greater than';
CREATE FUNCTION ci.uscc_ge(ci.uscc, ci.uscc) RETURNS boolean
	AS 'MODULE_PATHNAME', 'uscc_ge'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.uscc_ge(ci.uscc, ci.uscc) IS 'greater than or equal';
CREATE OPERATOR ci.= (
	LEFTARG = ci.uscc, RIGHTARG = ci.uscc, FUNCTION = ci.uscc_eq,
	COMMUTATOR = OPERATOR(ci.=), NEGATOR = OPERATOR(ci.<>),
	RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES
);
COMMENT ON OPERATOR ci.= (ci.uscc, ci.uscc) IS 'equal';
CREATE OPERATOR ci.<> (
	LEFTARG = ci.uscc, RIGHTARG = ci.uscc, FUNCTION = ci.uscc_ne,
	COMMUTATOR = OPERATOR(ci.<>), NEGATOR = OPERATOR(ci.=),
	RESTRICT = neqsel, JOIN = neqjoinsel
);
COMMENT ON OPERATOR ci.<> (ci.uscc, ci.uscc) IS 'not equal';
CREATE OPERATOR ci.< (
	LEFTARG = ci.uscc, RIGHTARG = ci.uscc, FUNCTION = ci.uscc_lt,
	COMMUTATOR = OPERATOR(ci.>), NEGATOR = OPERATOR(ci.>=),
	RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
COMMENT ON OPERATOR ci.< (ci.uscc, ci.uscc) IS 'less than';
CREATE OPERATOR ci.<= (
	LEFTARG = ci.uscc, RIGHTARG = ci.uscc, FUNCTION = ci.uscc_le,
	COMMUTATOR = OPERATOR(ci.>=), NEGATOR = OPERATOR(ci.>),
	RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
COMMENT ON OPERATOR ci.<= (ci.uscc, ci.uscc) IS 'less than or equal';
CREATE OPERATOR ci.> (
	LEFTARG = ci.uscc, RIGHTARG = ci.uscc, FUNCTION = ci.uscc_gt,
	COMMUTATOR = OPERATOR(ci.<), NEGATOR = OPERATOR(ci.<=),
	RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
COMMENT ON OPERATOR ci.> (ci.uscc, ci.uscc) IS 'greater than';
CREATE OPERATOR ci.>= (
	LEFTARG = ci.uscc, RIGHTARG = ci.uscc, FUNCTION = ci.uscc_ge,
	COMMUTATOR = OPERATOR(ci.<=), NEGATOR = OPERATOR(ci.<),
	RESTRICT = scalargesel, JOIN = scalargejoinsel
);
COMMENT ON OPERATOR ci.>= (ci.uscc, ci.uscc) IS 'greater than or equal';
CREATE FUNCTION ci.uscc_cmp(ci.uscc, ci.uscc) RETURNS integer
	AS 'MODULE_PATHNAME', 'uscc_cmp'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.uscc_cmp(ci.uscc, ci.uscc) IS 'btree comparison of ci.uscc';
CREATE FUNCTION ci.uscc_hash(ci.uscc) RETURNS integer
	AS 'MODULE_PATHNAME', 'uscc_hash'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.uscc_hash(ci.uscc) IS 'hash of ci.uscc';
CREATE FUNCTION ci.uscc_hash_extended(ci.uscc, bigint) RETURNS bigint
	AS 'MODULE_PATHNAME', 'uscc_hash_extended'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.uscc_hash_extended(ci.uscc, bigint) IS 'seeded 64-bit hash of ci.uscc';

CREATE OPERATOR CLASS ci.uscc_ops
	DEFAULT FOR TYPE ci.uscc USING btree AS
		OPERATOR 1 ci.<,
		OPERATOR 2 ci.<=,
		OPERATOR 3 ci.=,
		OPERATOR 4 ci.>=,
		OPERATOR 5 ci.>,
		FUNCTION 1 ci.uscc_cmp(ci.uscc, ci.uscc),
		FUNCTION 4 pg_catalog.btequalimage(oid);
COMMENT ON OPERATOR CLASS ci.uscc_ops USING btree IS 'default btree operator class of ci.uscc';

CREATE OPERATOR CLASS ci.uscc_ops
	DEFAULT FOR TYPE ci.uscc USING hash AS
		OPERATOR 1 ci.=,
		FUNCTION 1 ci.uscc_hash(ci.uscc),
		FUNCTION 2 ci.uscc_hash_extended(ci.uscc, bigint);
COMMENT ON OPERATOR CLASS ci.uscc_ops USING hash IS 'default hash operator class of ci.uscc';

-- validity, explanation and the built-in mask
CREATE FUNCTION ci.is_valid_uscc(text) RETURNS boolean
	AS 'MODULE_PATHNAME', 'uscc_is_valid'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.is_valid_uscc(text) IS 'true if the text is a valid unified social credit code; never raises an error';
CREATE FUNCTION ci.uscc_invalid_reason(text) RETURNS text
	AS 'MODULE_PATHNAME', 'uscc_invalid_reason'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.uscc_invalid_reason(text) IS 'which rule a unified social credit code breaks, or NULL if it is valid';
CREATE FUNCTION ci.mask(ci.uscc) RETURNS text
	AS 'MODULE_PATHNAME', 'uscc_mask'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.mask(ci.uscc) IS 'built-in mask: registration authority, organisation type and region (first 8 characters)';
CREATE FUNCTION ci.mask_uscc(text) RETURNS text
	AS 'MODULE_PATHNAME', 'uscc_mask_text'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.mask_uscc(text) IS 'mask of a unified social credit code held as text: registration authority, organisation type and region (first 8 characters)';

-- accessors
CREATE FUNCTION ci.registration_authority(ci.uscc) RETURNS text
	AS 'MODULE_PATHNAME', 'uscc_registration_authority'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.registration_authority(ci.uscc) IS 'registration authority (character 1, GB 32100-2015 table 1); NULL if not in the standard';
CREATE FUNCTION ci.organisation_type(ci.uscc) RETURNS text
	AS 'MODULE_PATHNAME', 'uscc_organisation_type'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.organisation_type(ci.uscc) IS 'organisation type (character 2) under its registration authority; NULL if not in the standard';
CREATE FUNCTION ci.region_code(ci.uscc) RETURNS text
	AS 'MODULE_PATHNAME', 'uscc_region_code'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.region_code(ci.uscc) IS 'six-digit administrative division code (characters 3 to 8)';
CREATE FUNCTION ci.organisation_code(ci.uscc) RETURNS text
	AS 'MODULE_PATHNAME', 'uscc_organisation_code'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.organisation_code(ci.uscc) IS 'embedded GB 11714 organisation code (characters 9 to 17)';

-------------------------------------------------------------------------------
-- ci.cn_mobile: mainland China mobile number
-------------------------------------------------------------------------------

CREATE TYPE ci.cn_mobile;

CREATE FUNCTION ci.cn_mobile_in(cstring) RETURNS ci.cn_mobile
	AS 'MODULE_PATHNAME', 'cn_mobile_in'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ci.cn_mobile_out(ci.cn_mobile) RETURNS cstring
	AS 'MODULE_PATHNAME', 'cn_mobile_out'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ci.cn_mobile_recv(internal) RETURNS ci.cn_mobile
	AS 'MODULE_PATHNAME', 'cn_mobile_recv'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ci.cn_mobile_send(ci.cn_mobile) RETURNS bytea
	AS 'MODULE_PATHNAME', 'cn_mobile_send'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE ci.cn_mobile (
	INPUT = ci.cn_mobile_in,
	OUTPUT = ci.cn_mobile_out,
	RECEIVE = ci.cn_mobile_recv,
	SEND = ci.cn_mobile_send,
	INTERNALLENGTH = 8,
	PASSEDBYVALUE,
	ALIGNMENT = double,
	STORAGE = plain
);

COMMENT ON FUNCTION ci.cn_mobile_in(cstring) IS 'input function of ci.cn_mobile: validates and normalises';
COMMENT ON FUNCTION ci.cn_mobile_out(ci.cn_mobile) IS 'output function of ci.cn_mobile: canonical text';
COMMENT ON FUNCTION ci.cn_mobile_recv(internal) IS 'binary input of ci.cn_mobile (canonical text, validated)';
COMMENT ON FUNCTION ci.cn_mobile_send(ci.cn_mobile) IS 'binary output of ci.cn_mobile (canonical text)';

CREATE CAST (text AS ci.cn_mobile) WITH INOUT AS ASSIGNMENT;
CREATE CAST (ci.cn_mobile AS text) WITH INOUT AS ASSIGNMENT;
COMMENT ON CAST (text AS ci.cn_mobile) IS 'validates and normalises the text';
COMMENT ON CAST (ci.cn_mobile AS text) IS 'canonical text form';
COMMENT ON TYPE ci.cn_mobile IS 'mainland China mobile number';

-- comparison: the built-in int8 functions work on the packed value
CREATE FUNCTION ci.cn_mobile_eq(ci.cn_mobile, ci.cn_mobile) RETURNS boolean
	AS 'int8eq'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.cn_mobile_eq(ci.cn_mobile, ci.cn_mobile) IS 'equal';
CREATE FUNCTION ci.cn_mobile_ne(ci.cn_mobile, ci.cn_mobile) RETURNS boolean
	AS 'int8ne'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.cn_mobile_ne(ci.cn_mobile, ci.cn_mobile) IS 'not equal';
CREATE FUNCTION ci.cn_mobile_lt(ci.cn_mobile, ci.cn_mobile) RETURNS boolean
	AS 'int8lt'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.cn_mobile_lt(ci.cn_mobile, ci.cn_mobile) IS 'less than';
CREATE FUNCTION ci.cn_mobile_le(ci.cn_mobile, ci.cn_mobile) RETURNS boolean
	AS 'int8le'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.cn_mobile_le(ci.cn_mobile, ci.cn_mobile) IS 'less than or equal';
CREATE FUNCTION ci.cn_mobile_gt(ci.cn_mobile, ci.cn_mobile) RETURNS boolean
	AS 'int8gt'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.cn_mobile_gt(ci.cn_mobile, ci.cn_mobile) IS 'greater than';
CREATE FUNCTION ci.cn_mobile_ge(ci.cn_mobile, ci.cn_mobile) RETURNS boolean
	AS 'int8ge'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.cn_mobile_ge(ci.cn_mobile, ci.cn_mobile) IS 'greater than or equal';
CREATE OPERATOR ci.= (
	LEFTARG = ci.cn_mobile, RIGHTARG = ci.cn_mobile, FUNCTION = ci.cn_mobile_eq,
	COMMUTATOR = OPERATOR(ci.=), NEGATOR = OPERATOR(ci.<>),
	RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES
);
COMMENT ON OPERATOR ci.= (ci.cn_mobile, ci.cn_mobile) IS 'equal';
CREATE OPERATOR ci.<> (
	LEFTARG = ci.cn_mobile, RIGHTARG = ci.cn_mobile, FUNCTION = ci.cn_mobile_ne,
	COMMUTATOR = OPERATOR(ci.<>), NEGATOR = OPERATOR(ci.=),
	RESTRICT = neqsel, JOIN = neqjoinsel
);
COMMENT ON OPERATOR ci.<> (ci.cn_mobile, ci.cn_mobile) IS 'not equal';
CREATE OPERATOR ci.< (
	LEFTARG = ci.cn_mobile, RIGHTARG = ci.cn_mobile, FUNCTION = ci.cn_mobile_lt,
	COMMUTATOR = OPERATOR(ci.>), NEGATOR = OPERATOR(ci.>=),
	RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
COMMENT ON OPERATOR ci.< (ci.cn_mobile, ci.cn_mobile) IS 'less than';
CREATE OPERATOR ci.<= (
	LEFTARG = ci.cn_mobile, RIGHTARG = ci.cn_mobile, FUNCTION = ci.cn_mobile_le,
	COMMUTATOR = OPERATOR(ci.>=), NEGATOR = OPERATOR(ci.>),
	RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
COMMENT ON OPERATOR ci.<= (ci.cn_mobile, ci.cn_mobile) IS 'less than or equal';
CREATE OPERATOR ci.> (
	LEFTARG = ci.cn_mobile, RIGHTARG = ci.cn_mobile, FUNCTION = ci.cn_mobile_gt,
	COMMUTATOR = OPERATOR(ci.<), NEGATOR = OPERATOR(ci.<=),
	RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
COMMENT ON OPERATOR ci.> (ci.cn_mobile, ci.cn_mobile) IS 'greater than';
CREATE OPERATOR ci.>= (
	LEFTARG = ci.cn_mobile, RIGHTARG = ci.cn_mobile, FUNCTION = ci.cn_mobile_ge,
	COMMUTATOR = OPERATOR(ci.<=), NEGATOR = OPERATOR(ci.<),
	RESTRICT = scalargesel, JOIN = scalargejoinsel
);
COMMENT ON OPERATOR ci.>= (ci.cn_mobile, ci.cn_mobile) IS 'greater than or equal';
CREATE FUNCTION ci.cn_mobile_cmp(ci.cn_mobile, ci.cn_mobile) RETURNS integer
	AS 'btint8cmp'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.cn_mobile_cmp(ci.cn_mobile, ci.cn_mobile) IS 'btree comparison of ci.cn_mobile';
CREATE FUNCTION ci.cn_mobile_hash(ci.cn_mobile) RETURNS integer
	AS 'hashint8'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.cn_mobile_hash(ci.cn_mobile) IS 'hash of ci.cn_mobile';
CREATE FUNCTION ci.cn_mobile_hash_extended(ci.cn_mobile, bigint) RETURNS bigint
	AS 'hashint8extended'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.cn_mobile_hash_extended(ci.cn_mobile, bigint) IS 'seeded 64-bit hash of ci.cn_mobile';
CREATE FUNCTION ci.cn_mobile_sortsupport(internal) RETURNS void
	AS 'btint8sortsupport'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.cn_mobile_sortsupport(internal) IS 'sort support for ci.cn_mobile';

CREATE OPERATOR CLASS ci.cn_mobile_ops
	DEFAULT FOR TYPE ci.cn_mobile USING btree AS
		OPERATOR 1 ci.<,
		OPERATOR 2 ci.<=,
		OPERATOR 3 ci.=,
		OPERATOR 4 ci.>=,
		OPERATOR 5 ci.>,
		FUNCTION 1 ci.cn_mobile_cmp(ci.cn_mobile, ci.cn_mobile),
		FUNCTION 2 ci.cn_mobile_sortsupport(internal),
		FUNCTION 4 pg_catalog.btequalimage(oid);
COMMENT ON OPERATOR CLASS ci.cn_mobile_ops USING btree IS 'default btree operator class of ci.cn_mobile';

CREATE OPERATOR CLASS ci.cn_mobile_ops
	DEFAULT FOR TYPE ci.cn_mobile USING hash AS
		OPERATOR 1 ci.=,
		FUNCTION 1 ci.cn_mobile_hash(ci.cn_mobile),
		FUNCTION 2 ci.cn_mobile_hash_extended(ci.cn_mobile, bigint);
COMMENT ON OPERATOR CLASS ci.cn_mobile_ops USING hash IS 'default hash operator class of ci.cn_mobile';

-- validity, explanation and the built-in mask
CREATE FUNCTION ci.is_valid_cn_mobile(text) RETURNS boolean
	AS 'MODULE_PATHNAME', 'cn_mobile_is_valid'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.is_valid_cn_mobile(text) IS 'true if the text is a valid mainland mobile number; never raises an error';
CREATE FUNCTION ci.cn_mobile_invalid_reason(text) RETURNS text
	AS 'MODULE_PATHNAME', 'cn_mobile_invalid_reason'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.cn_mobile_invalid_reason(text) IS 'which rule a mainland mobile number breaks, or NULL if it is valid';
CREATE FUNCTION ci.mask(ci.cn_mobile) RETURNS text
	AS 'MODULE_PATHNAME', 'cn_mobile_mask'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.mask(ci.cn_mobile) IS 'built-in mask: first 3 and last 4 digits';
CREATE FUNCTION ci.mask_cn_mobile(text) RETURNS text
	AS 'MODULE_PATHNAME', 'cn_mobile_mask_text'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.mask_cn_mobile(text) IS 'mask of a mainland mobile number held as text: first 3 and last 4 digits';

-------------------------------------------------------------------------------
-- ci.bank_card: payment card number (ISO/IEC 7812, Luhn check)
-------------------------------------------------------------------------------

CREATE TYPE ci.bank_card;

CREATE FUNCTION ci.bank_card_in(cstring) RETURNS ci.bank_card
	AS 'MODULE_PATHNAME', 'bank_card_in'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ci.bank_card_out(ci.bank_card) RETURNS cstring
	AS 'MODULE_PATHNAME', 'bank_card_out'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ci.bank_card_recv(internal) RETURNS ci.bank_card
	AS 'MODULE_PATHNAME', 'bank_card_recv'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ci.bank_card_send(ci.bank_card) RETURNS bytea
	AS 'MODULE_PATHNAME', 'bank_card_send'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE ci.bank_card (
	INPUT = ci.bank_card_in,
	OUTPUT = ci.bank_card_out,
	RECEIVE = ci.bank_card_recv,
	SEND = ci.bank_card_send,
	INTERNALLENGTH = 8,
	PASSEDBYVALUE,
	ALIGNMENT = double,
	STORAGE = plain
);

COMMENT ON FUNCTION ci.bank_card_in(cstring) IS 'input function of ci.bank_card: validates and normalises';
COMMENT ON FUNCTION ci.bank_card_out(ci.bank_card) IS 'output function of ci.bank_card: canonical text';
COMMENT ON FUNCTION ci.bank_card_recv(internal) IS 'binary input of ci.bank_card (canonical text, validated)';
COMMENT ON FUNCTION ci.bank_card_send(ci.bank_card) IS 'binary output of ci.bank_card (canonical text)';

CREATE CAST (text AS ci.bank_card) WITH INOUT AS ASSIGNMENT;
CREATE CAST (ci.bank_card AS text) WITH INOUT AS ASSIGNMENT;
COMMENT ON CAST (text AS ci.bank_card) IS 'validates and normalises the text';
COMMENT ON CAST (ci.bank_card AS text) IS 'canonical text form';
COMMENT ON TYPE ci.bank_card IS 'payment card number (ISO/IEC 7812, Luhn check)';

-- comparison: the built-in int8 functions work on the packed value
CREATE FUNCTION ci.bank_card_eq(ci.bank_card, ci.bank_card) RETURNS boolean
	AS 'int8eq'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.bank_card_eq(ci.bank_card, ci.bank_card) IS 'equal';
CREATE FUNCTION ci.bank_card_ne(ci.bank_card, ci.bank_card) RETURNS boolean
	AS 'int8ne'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.bank_card_ne(ci.bank_card, ci.bank_card) IS 'not equal';
CREATE FUNCTION ci.bank_card_lt(ci.bank_card, ci.bank_card) RETURNS boolean
	AS 'int8lt'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.bank_card_lt(ci.bank_card, ci.bank_card) IS 'less than';
CREATE FUNCTION ci.bank_card_le(ci.bank_card, ci.bank_card) RETURNS boolean
	AS 'int8le'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.bank_card_le(ci.bank_card, ci.bank_card) IS 'less than or equal';
CREATE FUNCTION ci.bank_card_gt(ci.bank_card, ci.bank_card) RETURNS boolean
	AS 'int8gt'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.bank_card_gt(ci.bank_card, ci.bank_card) IS 'greater than';
CREATE FUNCTION ci.bank_card_ge(ci.bank_card, ci.bank_card) RETURNS boolean
	AS 'int8ge'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.bank_card_ge(ci.bank_card, ci.bank_card) IS 'greater than or equal';
CREATE OPERATOR ci.= (
	LEFTARG = ci.bank_card, RIGHTARG = ci.bank_card, FUNCTION = ci.bank_card_eq,
	COMMUTATOR = OPERATOR(ci.=), NEGATOR = OPERATOR(ci.<>),
	RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES
);
COMMENT ON OPERATOR ci.= (ci.bank_card, ci.bank_card) IS 'equal';
CREATE OPERATOR ci.<> (
	LEFTARG = ci.bank_card, RIGHTARG = ci.bank_card, FUNCTION = ci.bank_card_ne,
	COMMUTATOR = OPERATOR(ci.<>), NEGATOR = OPERATOR(ci.=),
	RESTRICT = neqsel, JOIN = neqjoinsel
);
COMMENT ON OPERATOR ci.<> (ci.bank_card, ci.bank_card) IS 'not equal';
CREATE OPERATOR ci.< (
	LEFTARG = ci.bank_card, RIGHTARG = ci.bank_card, FUNCTION = ci.bank_card_lt,
	COMMUTATOR = OPERATOR(ci.>), NEGATOR = OPERATOR(ci.>=),
	RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
COMMENT ON OPERATOR ci.< (ci.bank_card, ci.bank_card) IS 'less than';
CREATE OPERATOR ci.<= (
	LEFTARG = ci.bank_card, RIGHTARG = ci.bank_card, FUNCTION = ci.bank_card_le,
	COMMUTATOR = OPERATOR(ci.>=), NEGATOR = OPERATOR(ci.>),
	RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
COMMENT ON OPERATOR ci.<= (ci.bank_card, ci.bank_card) IS 'less than or equal';
CREATE OPERATOR ci.> (
	LEFTARG = ci.bank_card, RIGHTARG = ci.bank_card, FUNCTION = ci.bank_card_gt,
	COMMUTATOR = OPERATOR(ci.<), NEGATOR = OPERATOR(ci.<=),
	RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
COMMENT ON OPERATOR ci.> (ci.bank_card, ci.bank_card) IS 'greater than';
CREATE OPERATOR ci.>= (
	LEFTARG = ci.bank_card, RIGHTARG = ci.bank_card, FUNCTION = ci.bank_card_ge,
	COMMUTATOR = OPERATOR(ci.<=), NEGATOR = OPERATOR(ci.<),
	RESTRICT = scalargesel, JOIN = scalargejoinsel
);
COMMENT ON OPERATOR ci.>= (ci.bank_card, ci.bank_card) IS 'greater than or equal';
CREATE FUNCTION ci.bank_card_cmp(ci.bank_card, ci.bank_card) RETURNS integer
	AS 'btint8cmp'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.bank_card_cmp(ci.bank_card, ci.bank_card) IS 'btree comparison of ci.bank_card';
CREATE FUNCTION ci.bank_card_hash(ci.bank_card) RETURNS integer
	AS 'hashint8'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.bank_card_hash(ci.bank_card) IS 'hash of ci.bank_card';
CREATE FUNCTION ci.bank_card_hash_extended(ci.bank_card, bigint) RETURNS bigint
	AS 'hashint8extended'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION ci.bank_card_hash_extended(ci.bank_card, bigint) IS 'seeded 64-bit hash of ci.bank_card';
CREATE FUNCTION ci.bank_card_sortsupport(internal) RETURNS void
	AS 'btint8sortsupport'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.bank_card_sortsupport(internal) IS 'sort support for ci.bank_card';

CREATE OPERATOR CLASS ci.bank_card_ops
	DEFAULT FOR TYPE ci.bank_card USING btree AS
		OPERATOR 1 ci.<,
		OPERATOR 2 ci.<=,
		OPERATOR 3 ci.=,
		OPERATOR 4 ci.>=,
		OPERATOR 5 ci.>,
		FUNCTION 1 ci.bank_card_cmp(ci.bank_card, ci.bank_card),
		FUNCTION 2 ci.bank_card_sortsupport(internal),
		FUNCTION 4 pg_catalog.btequalimage(oid);
COMMENT ON OPERATOR CLASS ci.bank_card_ops USING btree IS 'default btree operator class of ci.bank_card';

CREATE OPERATOR CLASS ci.bank_card_ops
	DEFAULT FOR TYPE ci.bank_card USING hash AS
		OPERATOR 1 ci.=,
		FUNCTION 1 ci.bank_card_hash(ci.bank_card),
		FUNCTION 2 ci.bank_card_hash_extended(ci.bank_card, bigint);
COMMENT ON OPERATOR CLASS ci.bank_card_ops USING hash IS 'default hash operator class of ci.bank_card';

-- validity, explanation and the built-in mask
CREATE FUNCTION ci.is_valid_bank_card(text) RETURNS boolean
	AS 'MODULE_PATHNAME', 'bank_card_is_valid'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.is_valid_bank_card(text) IS 'true if the text is a valid payment card number; never raises an error';
CREATE FUNCTION ci.bank_card_invalid_reason(text) RETURNS text
	AS 'MODULE_PATHNAME', 'bank_card_invalid_reason'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.bank_card_invalid_reason(text) IS 'which rule a payment card number breaks, or NULL if it is valid';
CREATE FUNCTION ci.mask(ci.bank_card) RETURNS text
	AS 'MODULE_PATHNAME', 'bank_card_mask'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.mask(ci.bank_card) IS 'built-in mask: issuer prefix (first 6) and last 4 digits';
CREATE FUNCTION ci.mask_bank_card(text) RETURNS text
	AS 'MODULE_PATHNAME', 'bank_card_mask_text'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.mask_bank_card(text) IS 'mask of a payment card number held as text: issuer prefix (first 6) and last 4 digits';

-- accessors
CREATE FUNCTION ci.card_bin(ci.bank_card, integer DEFAULT 6) RETURNS text
	AS 'MODULE_PATHNAME', 'bank_card_bin'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.card_bin(ci.bank_card, integer) IS 'issuer identification number (BIN): the first 6, 7 or 8 digits';
CREATE FUNCTION ci.is_unionpay(ci.bank_card) RETURNS boolean
	AS 'MODULE_PATHNAME', 'bank_card_is_unionpay'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.is_unionpay(ci.bank_card) IS 'true for UnionPay issuer ranges (62, 81)';

-------------------------------------------------------------------------------
-- Masks for free text: names, email addresses, postal addresses
-------------------------------------------------------------------------------

CREATE FUNCTION ci.mask_name(text) RETURNS text
	AS 'MODULE_PATHNAME', 'ci_mask_name_sql'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.mask_name(text) IS 'keeps the surname, one * per other character (compound surnames such as Ouyang count as one); Latin names keep initials';
CREATE FUNCTION ci.mask_email(text) RETURNS text
	AS 'MODULE_PATHNAME', 'ci_mask_email_sql'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.mask_email(text) IS 'keeps the first character and the domain: z***@example.com';
CREATE FUNCTION ci.mask_address(text) RETURNS text
	AS 'MODULE_PATHNAME', 'ci_mask_address_sql'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.mask_address(text) IS 'keeps province and city, then ****; Latin-script addresses keep their last part(s)';
CREATE FUNCTION ci.mask_keep(text, integer, integer) RETURNS text
	AS 'MODULE_PATHNAME', 'ci_mask_keep_sql'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.mask_keep(text, integer, integer) IS 'keeps the first n and last m characters, one * for each other character';

-------------------------------------------------------------------------------
-- Roles (cluster-wide; they outlive DROP EXTENSION, and existing ones are
-- kept)
-------------------------------------------------------------------------------

DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles
				   WHERE rolname OPERATOR(pg_catalog.=) 'customer_info_admin') THEN
		CREATE ROLE customer_info_admin NOLOGIN;
		COMMENT ON ROLE customer_info_admin IS
			'customer_info: declares policy (protected columns, access levels) and rotates keys';
	END IF;
END
$$;

-------------------------------------------------------------------------------
-- Keys and policy tables (registered for pg_dump: they travel with the data)
-------------------------------------------------------------------------------

CREATE TABLE ci.data_key (
	key_id		integer PRIMARY KEY CHECK (key_id > 0),
	suite		text NOT NULL CHECK (suite IN ('aes-256-gcm', 'sm4-sm3')),
	status		text NOT NULL CHECK (status IN ('active', 'retiring', 'retired')),
	wrapped		bytea NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	retired_at	timestamptz
);
CREATE UNIQUE INDEX data_key_one_active ON ci.data_key ((true))
	WHERE status = 'active';
COMMENT ON TABLE ci.data_key IS
	'data keys, each wrapped by the root key; only the active one seals new values';
SELECT pg_catalog.pg_extension_config_dump('ci.data_key', '');
REVOKE ALL ON ci.data_key FROM PUBLIC;
GRANT SELECT (key_id, suite, status, created_at, retired_at) ON ci.data_key
	TO customer_info_admin;

CREATE TABLE ci.protected_column (
	relid		regclass NOT NULL,
	attname		name NOT NULL,
	column_id	uuid NOT NULL UNIQUE DEFAULT pg_catalog.gen_random_uuid(),
	kind		text NOT NULL CHECK (kind IN ('cn_id', 'uscc', 'cn_mobile', 'bank_card',
											  'email', 'name', 'address', 'text',
											  'birth_date', 'amount')),
	category	text NOT NULL CHECK (category IN ('C1', 'C2', 'C3')),
	searchable	boolean NOT NULL,
	index_attname name,
	index_key	bytea,
	mask_attname name NOT NULL,
	encrypted	boolean NOT NULL DEFAULT true,
	mask_function regprocedure,
	protected_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (relid, attname),
	CHECK (searchable = (index_attname IS NOT NULL AND index_key IS NOT NULL))
);
COMMENT ON TABLE ci.protected_column IS
	'protected (encrypted) columns: kind, JR/T 0171-2020 category, stable column id, blind-index key (wrapped)';
SELECT pg_catalog.pg_extension_config_dump('ci.protected_column', '');
REVOKE ALL ON ci.protected_column FROM PUBLIC;
GRANT SELECT (relid, attname, kind, category, searchable, index_attname, mask_attname,
			  encrypted, mask_function, protected_at)
	ON ci.protected_column TO customer_info_admin;

CREATE TABLE ci.access_level (
	role		regrole NOT NULL,
	level		text NOT NULL CHECK (level IN ('clear', 'masked', 'none')),
	category	text CHECK (category IN ('C1', 'C2', 'C3')),
	relid		regclass,
	attname		name,
	granted_by	regrole NOT NULL,
	granted_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CHECK ((relid IS NULL) = (attname IS NULL)),
	CHECK ((category IS NULL) <> (relid IS NULL))
);
CREATE UNIQUE INDEX access_level_category ON ci.access_level (role, category)
	WHERE relid IS NULL;
CREATE UNIQUE INDEX access_level_column ON ci.access_level (role, relid, attname)
	WHERE relid IS NOT NULL;
COMMENT ON TABLE ci.access_level IS
	'access levels (clear, masked, none) of roles, per category or per protected column';
SELECT pg_catalog.pg_extension_config_dump('ci.access_level', '');
REVOKE ALL ON ci.access_level FROM PUBLIC;
GRANT SELECT ON ci.access_level TO customer_info_admin;

-- Row changes send no invalidation: these tell every backend's caches.
CREATE FUNCTION ci.policy_changed() RETURNS trigger
	AS 'MODULE_PATHNAME', 'ci_policy_changed'
	LANGUAGE C;
COMMENT ON FUNCTION ci.policy_changed() IS
	'statement trigger: invalidates the cached keys and policy in every backend';
REVOKE ALL ON FUNCTION ci.policy_changed() FROM PUBLIC;
CREATE TRIGGER policy_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON ci.data_key FOR EACH STATEMENT EXECUTE FUNCTION ci.policy_changed();
CREATE TRIGGER policy_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON ci.protected_column FOR EACH STATEMENT EXECUTE FUNCTION ci.policy_changed();
CREATE TRIGGER policy_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON ci.access_level FOR EACH STATEMENT EXECUTE FUNCTION ci.policy_changed();

-------------------------------------------------------------------------------
-- Protected columns
-------------------------------------------------------------------------------

CREATE FUNCTION ci.protect_trigger() RETURNS trigger
	AS 'MODULE_PATHNAME', 'ci_protect_trigger'
	LANGUAGE C;
COMMENT ON FUNCTION ci.protect_trigger() IS
	'row trigger of protected tables: validates, encrypts and indexes plaintext; keeps authentic envelopes';

-- Schemas whose functions may be mask functions (they see plaintext).
CREATE TABLE ci.trusted_mask_schema (
	nsp			regnamespace PRIMARY KEY,
	trusted_by	regrole NOT NULL,
	trusted_at	timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE ci.trusted_mask_schema IS
	'schemas a superuser trusted for custom mask functions';
SELECT pg_catalog.pg_extension_config_dump('ci.trusted_mask_schema', '');
REVOKE ALL ON ci.trusted_mask_schema FROM PUBLIC;
GRANT SELECT ON ci.trusted_mask_schema TO customer_info_admin;

CREATE FUNCTION ci.trust_mask_schema(schema regnamespace, trusted boolean DEFAULT true)
	RETURNS void
	AS 'MODULE_PATHNAME', 'ci_trust_mask_schema'
	LANGUAGE C STRICT;
COMMENT ON FUNCTION ci.trust_mask_schema(regnamespace, boolean) IS
	'for superusers: lets functions of a schema serve as mask functions (or, with false, no longer)';

CREATE FUNCTION ci.protect(tbl regclass, col name, kind text,
						   category text DEFAULT 'C2',
						   searchable boolean DEFAULT false,
						   encrypt_existing boolean DEFAULT true,
						   encrypted boolean DEFAULT true,
						   mask regprocedure DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME', 'ci_protect'
	LANGUAGE C;
COMMENT ON FUNCTION ci.protect(regclass, name, text, text, boolean, boolean, boolean, regprocedure) IS
	'classifies a column and (unless encrypted => false) encrypts it, validating by kind; its masked form (built-in per kind, or mask => a function of a trusted schema) is kept beside it; searchable adds a blind index <col>_bidx; existing values are encrypted at once, or with encrypt_existing => false left for CALL ci.reencrypt() (committed batches)';
REVOKE ALL ON FUNCTION ci.protect(regclass, name, text, text, boolean, boolean, boolean, regprocedure) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.protect(regclass, name, text, text, boolean, boolean, boolean, regprocedure) TO customer_info_admin;

CREATE FUNCTION ci.reclassify(tbl regclass, col name, category text DEFAULT NULL,
							  mask regprocedure DEFAULT NULL,
							  builtin_mask boolean DEFAULT false)
	RETURNS void
	AS 'MODULE_PATHNAME', 'ci_reclassify'
	LANGUAGE C;
COMMENT ON FUNCTION ci.reclassify(regclass, name, text, regprocedure, boolean) IS
	'changes a protected column''s category and/or mask (a function of a trusted schema, or back to the built-in one); the stored masked forms follow at once';
REVOKE ALL ON FUNCTION ci.reclassify(regclass, name, text, regprocedure, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.reclassify(regclass, name, text, regprocedure, boolean) TO customer_info_admin;

CREATE FUNCTION ci.unprotect(tbl regclass, col name) RETURNS void
	AS 'MODULE_PATHNAME', 'ci_unprotect'
	LANGUAGE C STRICT;
COMMENT ON FUNCTION ci.unprotect(regclass, name) IS
	'decrypts a protected column in place and removes its policy and blind index';
REVOKE ALL ON FUNCTION ci.unprotect(regclass, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.unprotect(regclass, name) TO customer_info_admin;

CREATE FUNCTION ci.reveal(row_value record, col name) RETURNS text
	AS 'MODULE_PATHNAME', 'ci_reveal'
	LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION ci.reveal(record, name) IS
	'plaintext of a protected column of a table row, for roles at level clear: SELECT ci.reveal(c, ''id_number'') FROM customers c';

CREATE FUNCTION ci.reveal(tbl regclass, col name, value text, VARIADIC key "any")
	RETURNS text
	AS 'MODULE_PATHNAME', 'ci_reveal_key'
	LANGUAGE C STABLE;
COMMENT ON FUNCTION ci.reveal(regclass, name, text, "any") IS
	'plaintext of a stored value of a protected column given its row''s primary key, for roles at level clear: SELECT ci.reveal(''customers'', ''id_number'', id_number, id) FROM customers; of a column stored in clear, the value as given, its read recorded only if it is that row''s';

CREATE FUNCTION ci.lookup(tbl regclass, col name, value text) RETURNS bytea
	AS 'MODULE_PATHNAME', 'ci_lookup'
	LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION ci.lookup(regclass, name, text) IS
	'blind index of a plaintext: WHERE <col>_bidx = ci.lookup(tbl, col, value) finds its rows with one index scan';
-- Searching by value is a privilege of its own: with it a role can test
-- guesses (a mobile number has only 10^9 candidates).
REVOKE ALL ON FUNCTION ci.lookup(regclass, name, text) FROM PUBLIC;

CREATE FUNCTION ci.envelope_key_id(text) RETURNS integer
	AS 'MODULE_PATHNAME', 'ci_envelope_key_id'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.envelope_key_id(text) IS
	'data key id in the header of a stored envelope, or NULL if the text is not one';

CREATE FUNCTION ci.rotate_key(suite text DEFAULT NULL) RETURNS integer
	AS 'MODULE_PATHNAME', 'ci_rotate_key'
	LANGUAGE C;
COMMENT ON FUNCTION ci.rotate_key(text) IS
	'creates a new active data key (suite aes-256-gcm or sm4-sm3, default: that of the current key); the old one is retiring';
REVOKE ALL ON FUNCTION ci.rotate_key(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.rotate_key(text) TO customer_info_admin;

CREATE FUNCTION ci.key_usage(OUT key_id integer, OUT tbl regclass,
							 OUT column_name text, OUT "values" bigint)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'ci_key_usage'
	LANGUAGE C;
COMMENT ON FUNCTION ci.key_usage() IS
	'how many stored values each data key protects, per protected column (key_id NULL: not yet encrypted)';
REVOKE ALL ON FUNCTION ci.key_usage() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.key_usage() TO customer_info_admin;

-------------------------------------------------------------------------------
-- Access levels
-------------------------------------------------------------------------------

CREATE FUNCTION ci.grant_level(role regrole, level text, category text DEFAULT NULL,
							   tbl regclass DEFAULT NULL, col name DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME', 'ci_grant_level'
	LANGUAGE C;
COMMENT ON FUNCTION ci.grant_level(regrole, text, text, regclass, name) IS
	'gives a role an access level (clear, masked, none) for a category (C1-C3) or, with tbl and col, for one protected column';
REVOKE ALL ON FUNCTION ci.grant_level(regrole, text, text, regclass, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.grant_level(regrole, text, text, regclass, name) TO customer_info_admin;

CREATE FUNCTION ci.revoke_level(role regrole, category text DEFAULT NULL,
								tbl regclass DEFAULT NULL, col name DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME', 'ci_revoke_level'
	LANGUAGE C;
COMMENT ON FUNCTION ci.revoke_level(regrole, text, regclass, name) IS
	'removes a role''s access level for a category or one protected column';
REVOKE ALL ON FUNCTION ci.revoke_level(regrole, text, regclass, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.revoke_level(regrole, text, regclass, name) TO customer_info_admin;

-------------------------------------------------------------------------------
-- Operator families (created with the operator classes)
-------------------------------------------------------------------------------

COMMENT ON OPERATOR FAMILY ci.cn_id_ops USING btree IS 'btree operator family of ci.cn_id';
COMMENT ON OPERATOR FAMILY ci.cn_id_ops USING hash IS 'hash operator family of ci.cn_id';
COMMENT ON OPERATOR FAMILY ci.uscc_ops USING btree IS 'btree operator family of ci.uscc';
COMMENT ON OPERATOR FAMILY ci.uscc_ops USING hash IS 'hash operator family of ci.uscc';
COMMENT ON OPERATOR FAMILY ci.cn_mobile_ops USING btree IS 'btree operator family of ci.cn_mobile';
COMMENT ON OPERATOR FAMILY ci.cn_mobile_ops USING hash IS 'hash operator family of ci.cn_mobile';
COMMENT ON OPERATOR FAMILY ci.bank_card_ops USING btree IS 'btree operator family of ci.bank_card';
COMMENT ON OPERATOR FAMILY ci.bank_card_ops USING hash IS 'hash operator family of ci.bank_card';

-------------------------------------------------------------------------------
-- Online re-encryption
-------------------------------------------------------------------------------

CREATE FUNCTION ci.reseal(row_value record, col name) RETURNS text
	AS 'MODULE_PATHNAME', 'ci_reseal'
	LANGUAGE C STRICT;
COMMENT ON FUNCTION ci.reseal(record, name) IS
	'internal to ci.reencrypt(): a row''s value sealed under the active key';

CREATE FUNCTION ci.reencrypt_batch(tbl regclass, col name, after tid,
								   batch_size integer,
								   OUT rewritten bigint, OUT last tid)
	AS 'MODULE_PATHNAME', 'ci_reencrypt_batch'
	LANGUAGE C;
COMMENT ON FUNCTION ci.reencrypt_batch(regclass, name, tid, integer) IS
	're-encrypts under the active key the stale values of a column (of every protected column when col is null) in the pages after a ctid that hold about batch_size rows; returns the values sealed and where that window ends';
REVOKE ALL ON FUNCTION ci.reencrypt_batch(regclass, name, tid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.reencrypt_batch(regclass, name, tid, integer) TO customer_info_admin;

CREATE PROCEDURE ci.reencrypt(tbl regclass, col name DEFAULT NULL,
							  batch_size integer DEFAULT 10000)
LANGUAGE plpgsql
AS $$
-- No SET search_path here: a procedure with SET cannot COMMIT.  Every name
-- is qualified instead.
DECLARE
	after	pg_catalog.tid := '(0,0)';
	n		pg_catalog.int8;
	total	pg_catalog.int8 := 0;
	found_any pg_catalog.bool := false;
	passes	pg_catalog.int4 := 0;
	left_over pg_catalog.int8;
	what	pg_catalog.text;
BEGIN
	IF tbl IS NULL THEN
		RAISE EXCEPTION 'table must not be null';
	END IF;
	IF batch_size IS NULL OR batch_size OPERATOR(pg_catalog.<) 1 THEN
		RAISE EXCEPTION 'batch size must be at least 1';
	END IF;
	what := CASE WHEN col IS NULL
				 THEN pg_catalog.format('the protected columns of %s', tbl)
				 ELSE pg_catalog.format('%s.%I', tbl, col) END;
	-- Passes over the table in ctid order, a short transaction per batch,
	-- until a whole pass finds nothing left under an older key (rows that
	-- moved during a pass are caught by the next).  Each row is updated
	-- once per pass, whatever the number of its stale columns.  Safe to
	-- cancel, and to call again after a crash: it finds what is left.
	LOOP
		SELECT b.rewritten, b.last INTO n, after
		  FROM ci.reencrypt_batch(tbl, col, after, batch_size) AS b;
		total := total OPERATOR(pg_catalog.+) n;
		found_any := found_any OR n OPERATOR(pg_catalog.>) 0;
		COMMIT;
		IF after IS NULL THEN
			passes := passes OPERATOR(pg_catalog.+) 1;
			-- a damaged value is rewritten unchanged on every pass: stop
			EXIT WHEN NOT found_any OR passes OPERATOR(pg_catalog.>=) 10;
			RAISE NOTICE 'customer_info: a pass over % is done, % values re-encrypted so far',
				what, total;
			after := '(0,0)';
			found_any := false;
		END IF;
	END LOOP;
	SELECT COALESCE(pg_catalog.sum(u."values"), 0) INTO left_over
	  FROM ci.key_usage() u
	 WHERE u.tbl OPERATOR(pg_catalog.=) reencrypt.tbl
	   AND (reencrypt.col IS NULL OR
			u.column_name OPERATOR(pg_catalog.=) reencrypt.col::pg_catalog.text)
	   AND u.key_id IS DISTINCT FROM
		   (SELECT d.key_id FROM ci.data_key d WHERE d.status OPERATOR(pg_catalog.=) 'active');
	IF left_over OPERATOR(pg_catalog.>) 0 THEN
		RAISE WARNING 'customer_info: % values of % are still not under the active key', left_over, what
			USING DETAIL = 'They are damaged, not yet encrypted, or were rewritten meanwhile.',
				  HINT = 'Call ci.reencrypt() again, and look at what ci.reveal() says of them.';
	ELSE
		RAISE NOTICE 'customer_info: no value of % is left under an older key (% re-encrypted)',
			what, total;
	END IF;
END
$$;
COMMENT ON PROCEDURE ci.reencrypt(regclass, name, integer) IS
	'online re-encryption under the active key of a protected column (of all of a table''s protected columns when col is null), in committed batches (CALL outside a transaction block); also encrypts values left in plaintext by ci.protect(..., encrypt_existing => false)';
REVOKE ALL ON PROCEDURE ci.reencrypt(regclass, name, integer) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE ci.reencrypt(regclass, name, integer) TO customer_info_admin;

-------------------------------------------------------------------------------
-- Temporary access with approval, purposes of use, exposure report
-------------------------------------------------------------------------------

-- Approvers of temporary access: NOLOGIN, members are granted by the DBA.
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'customer_info_approver') THEN
		CREATE ROLE customer_info_approver NOLOGIN;
	END IF;
END
$$;

CREATE TABLE ci.access_request (
	request_id	bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	role		regrole NOT NULL,
	level		text NOT NULL CHECK (level IN ('clear', 'masked')),
	category	text CHECK (category IN ('C1', 'C2', 'C3')),
	relid		regclass,
	attname		name,
	purpose		text NOT NULL CHECK (purpose <> ''),
	valid_from	timestamptz NOT NULL,
	valid_until	timestamptz NOT NULL,
	reason		text NOT NULL CHECK (reason <> ''),
	requested_by regrole NOT NULL,
	requested_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	status		text NOT NULL DEFAULT 'pending'
				CHECK (status IN ('pending', 'approved', 'rejected', 'revoked')),
	decided_by	regrole,
	decided_at	timestamptz,
	decision_note text,
	revoked_by	regrole,
	revoked_at	timestamptz,
	CHECK (valid_until > valid_from),
	CHECK ((relid IS NULL) = (attname IS NULL)),
	CHECK ((category IS NULL) <> (relid IS NULL))
);
CREATE INDEX access_request_active ON ci.access_request (role) WHERE status = 'approved';
COMMENT ON TABLE ci.access_request IS
	'requests for temporary access: who asked which level for what, why and when, who decided, who revoked';
SELECT pg_catalog.pg_extension_config_dump('ci.access_request', '');
REVOKE ALL ON ci.access_request FROM PUBLIC;
CREATE TRIGGER policy_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON ci.access_request FOR EACH STATEMENT EXECUTE FUNCTION ci.policy_changed();

-- Requests as their parties see them: everyone their own, approvers and
-- administrators all; with the derived state (scheduled, active, expired).
CREATE VIEW ci.access_requests WITH (security_barrier) AS
SELECT r.request_id, r.role, r.level, r.category, r.relid, r.attname, r.purpose,
	   r.valid_from, r.valid_until, r.reason, r.requested_by, r.requested_at,
	   CASE WHEN r.status OPERATOR(pg_catalog.<>) 'approved' THEN r.status
			WHEN r.valid_until OPERATOR(pg_catalog.<=) pg_catalog.statement_timestamp() THEN 'expired'
			WHEN r.valid_from OPERATOR(pg_catalog.>) pg_catalog.statement_timestamp() THEN 'scheduled'
			ELSE 'active' END AS state,
	   r.decided_by, r.decided_at, r.decision_note, r.revoked_by, r.revoked_at
  FROM ci.access_request r
 WHERE pg_catalog.pg_has_role(CURRENT_USER, 'customer_info_admin', 'USAGE')
	OR pg_catalog.pg_has_role(CURRENT_USER, 'customer_info_approver', 'USAGE')
	OR pg_catalog.pg_has_role(CURRENT_USER, r.role::pg_catalog.oid, 'USAGE');
COMMENT ON VIEW ci.access_requests IS
	'temporary access requests with their state (pending, scheduled, active, expired, rejected, revoked)';
GRANT SELECT ON ci.access_requests TO PUBLIC;

CREATE FUNCTION ci.request_access(level text, purpose text, reason text,
								  valid_until timestamptz,
								  category text DEFAULT NULL,
								  tbl regclass DEFAULT NULL, col name DEFAULT NULL,
								  valid_from timestamptz DEFAULT pg_catalog.now())
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'ci_request_access'
	LANGUAGE C;
COMMENT ON FUNCTION ci.request_access(text, text, text, timestamptz, text, regclass, name, timestamptz) IS
	'asks for a higher level (clear or masked) on a category or a protected column, for a purpose, a time window and a reason; returns the request id; the window ends, starts no earlier than now and lasts at most customer_info.max_access_window_c1/c2/c3 (default 90, 90, 30 days)';

CREATE FUNCTION ci.approve_access(request_id bigint, approve boolean DEFAULT true,
								  note text DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME', 'ci_approve_access'
	LANGUAGE C;
COMMENT ON FUNCTION ci.approve_access(bigint, boolean, text) IS
	'approves (or with approve => false rejects) a pending request; for members of customer_info_approver other than the requester; refused if the window still to come is longer than customer_info.max_access_window_c1/c2/c3 allows now';
REVOKE ALL ON FUNCTION ci.approve_access(bigint, boolean, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.approve_access(bigint, boolean, text) TO customer_info_approver;

CREATE FUNCTION ci.revoke_access(request_id bigint, note text DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME', 'ci_revoke_access'
	LANGUAGE C;
COMMENT ON FUNCTION ci.revoke_access(bigint, text) IS
	'ends an approved or pending request early; for approvers, administrators and the requester';

-- Purposes a role may declare in customer_info.purpose
CREATE TABLE ci.role_purpose (
	role		regrole NOT NULL,
	purpose		text NOT NULL CHECK (purpose <> ''),
	allowed_by	regrole NOT NULL,
	allowed_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (role, purpose)
);
COMMENT ON TABLE ci.role_purpose IS
	'the purposes of use each role may declare (customer_info.purpose); a role with none listed is not restricted';
SELECT pg_catalog.pg_extension_config_dump('ci.role_purpose', '');
REVOKE ALL ON ci.role_purpose FROM PUBLIC;
GRANT SELECT ON ci.role_purpose TO customer_info_admin;
CREATE TRIGGER policy_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON ci.role_purpose FOR EACH STATEMENT EXECUTE FUNCTION ci.policy_changed();

CREATE FUNCTION ci.allow_purpose(role regrole, purpose text) RETURNS void
	AS 'MODULE_PATHNAME', 'ci_allow_purpose'
	LANGUAGE C STRICT;
COMMENT ON FUNCTION ci.allow_purpose(regrole, text) IS
	'lets a role declare a purpose of use; a role with allowed purposes must declare one of them to read protected data';
REVOKE ALL ON FUNCTION ci.allow_purpose(regrole, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.allow_purpose(regrole, text) TO customer_info_admin;

CREATE FUNCTION ci.disallow_purpose(role regrole, purpose text) RETURNS void
	AS 'MODULE_PATHNAME', 'ci_disallow_purpose'
	LANGUAGE C STRICT;
COMMENT ON FUNCTION ci.disallow_purpose(regrole, text) IS
	'withdraws a purpose of use from a role';
REVOKE ALL ON FUNCTION ci.disallow_purpose(regrole, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.disallow_purpose(regrole, text) TO customer_info_admin;

-- What a security officer runs before an audit.
CREATE FUNCTION ci.exposure_report()
	RETURNS TABLE (finding text, role name, tbl regclass, col name, detail text)
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	-- roles that can read a protected table directly, and why
	SELECT 'reads protected table' AS finding, r.rolname, t.relid, NULL::name,
		   concat_ws(', ',
					 CASE WHEN r.rolsuper THEN 'superuser' END,
					 CASE WHEN pg_has_role(r.oid, c.relowner, 'USAGE') THEN 'owner or member of the owner' END,
					 CASE WHEN r.rolbypassrls THEN 'BYPASSRLS' END,
					 CASE WHEN has_table_privilege(r.oid, t.relid, 'SELECT')
							   AND NOT r.rolsuper AND NOT pg_has_role(r.oid, c.relowner, 'USAGE')
						  THEN 'SELECT granted (directly or through a role)' END)
	  FROM (SELECT DISTINCT p.relid FROM ci.protected_column p) t
	  JOIN pg_class c ON c.oid = t.relid
	  CROSS JOIN pg_roles r
	 WHERE r.rolname NOT LIKE 'pg\_%' AND r.rolname <> 'customer_info_views'
	   AND (r.rolsuper OR has_table_privilege(r.oid, t.relid, 'SELECT'))
	UNION ALL
	-- protected tables without their masked view
	SELECT 'protected table without masked view', NULL, t.relid, NULL, 'ci.refresh_masked_view() makes it'
	  FROM (SELECT DISTINCT p.relid FROM ci.protected_column p) t
	 WHERE NOT EXISTS (SELECT FROM pg_class v
						WHERE v.relkind = 'v' AND v.relname = (SELECT relname FROM pg_class WHERE oid = t.relid)
						  AND v.relnamespace = (SELECT oid FROM pg_namespace
												 WHERE nspname = current_setting('customer_info.masked_schema')))
	UNION ALL
	-- standing levels, clear on C2 first
	SELECT CASE WHEN a.level = 'clear' AND (a.category = 'C2' OR p.category = 'C2')
				THEN 'clear on C2 (standing)' ELSE 'standing level' END,
		   a.role::text::name, a.relid, a.attname,
		   concat(a.level, ' on ', coalesce(a.category, p.category || ' column'),
				  ', granted by ', a.granted_by, ' at ', a.granted_at)
	  FROM ci.access_level a
	  LEFT JOIN ci.protected_column p ON p.relid = a.relid AND p.attname = a.attname
	UNION ALL
	-- temporary access that is pending, scheduled or active
	SELECT 'temporary level (' || q.state || ')', q.role::text::name, q.relid, q.attname,
		   concat(q.level, coalesce(' on ' || q.category, ''), ' for ', q.purpose, ' from ',
				  q.valid_from, ' until ', q.valid_until, ', requested by ', q.requested_by,
				  coalesce(', approved by ' || q.decided_by::text, ''))
	  FROM ci.access_requests q
	 WHERE q.state IN ('pending', 'scheduled', 'active')
	ORDER BY 1, 2, 3, 4
$$;
COMMENT ON FUNCTION ci.exposure_report() IS
	'who can read protected tables directly and why, tables without masked view, every standing and temporary level (clear on C2 flagged)';
REVOKE ALL ON FUNCTION ci.exposure_report() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.exposure_report() TO customer_info_admin;

-------------------------------------------------------------------------------
-- Masked views
-------------------------------------------------------------------------------

-- The owner of the masked views (and of their schema): NOLOGIN, no
-- members; it alone is granted SELECT on protected tables.
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'customer_info_views') THEN
		CREATE ROLE customer_info_views NOLOGIN;
	END IF;
END
$$;

-- The default schema of the masked views belongs to the extension (so
-- that a restore recreates it before the views it holds); reporting roles
-- are granted USAGE on it by the DBA.
CREATE SCHEMA masked AUTHORIZATION customer_info_views;
COMMENT ON SCHEMA masked IS
	'masked views of protected tables (customer_info.masked_schema), one per table';

CREATE FUNCTION ci.level(tbl regclass, col name, for_view boolean DEFAULT false)
	RETURNS text
	AS 'MODULE_PATHNAME', 'ci_level'
	LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION ci.level(regclass, name, boolean) IS
	'the level (clear, masked or none) the current role holds on a column; for views C3 data is at most masked';

CREATE FUNCTION ci.check_purpose() RETURNS boolean
	AS 'MODULE_PATHNAME', 'ci_check_purpose_gate'
	LANGUAGE C STABLE;
COMMENT ON FUNCTION ci.check_purpose() IS
	'true if the current role may use customer data for the declared purpose (customer_info.purpose), an error otherwise; the purpose gate of every masked view';

CREATE FUNCTION ci.refresh_masked_view(tbl regclass) RETURNS void
	AS 'MODULE_PATHNAME', 'ci_refresh_masked_view'
	LANGUAGE C STRICT;
COMMENT ON FUNCTION ci.refresh_masked_view(regclass) IS
	'regenerates the masked view of a table (DDL and policy changes do it by themselves)';
REVOKE ALL ON FUNCTION ci.refresh_masked_view(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.refresh_masked_view(regclass) TO customer_info_admin;

-------------------------------------------------------------------------------
-- Migration from pgcrypto
-------------------------------------------------------------------------------

-- The relation-kind check of every entry point that takes a table, made
-- before it reads: views, foreign and partitioned tables are refused.
CREATE FUNCTION ci.require_table(tbl regclass) RETURNS void
	AS 'MODULE_PATHNAME', 'ci_require_table_sql'
	LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION ci.require_table(regclass) IS
	'an error unless the relation is an ordinary table (checked before an entry point reads a table passed by name)';

CREATE FUNCTION ci.migrate_step(tbl regclass, col name, passphrase text, step text,
								first_block bigint DEFAULT NULL, last_block bigint DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'ci_migrate_step'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ci.migrate_step(regclass, name, text, text, bigint, bigint) IS
	'internal to ci.migrate_pgcrypto(): probe, fill (a page window) or check, as the table''s owner in a security-restricted operation';
REVOKE ALL ON FUNCTION ci.migrate_step(regclass, name, text, text, bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.migrate_step(regclass, name, text, text, bigint, bigint) TO customer_info_admin;

CREATE FUNCTION ci.migrate_sync() RETURNS trigger
	AS 'MODULE_PATHNAME', 'ci_migrate_sync'
	LANGUAGE C;
COMMENT ON FUNCTION ci.migrate_sync() IS
	'internal to ci.migrate_pgcrypto(): a row whose old column is written gets a NULL new column, for the next pass';
REVOKE ALL ON FUNCTION ci.migrate_sync() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.migrate_sync() TO customer_info_admin;

CREATE PROCEDURE ci.migrate_pgcrypto(tbl regclass, col name, passphrase text,
									 kind text, category text DEFAULT 'C2',
									 searchable boolean DEFAULT false,
									 batch_size integer DEFAULT 10000)
LANGUAGE plpgsql
AS $$
-- A bytea column of pgp_sym_encrypt() messages becomes a protected column
-- of the same name, online:
--   1. a new protected column <col>_ci is added (empty), with a trigger
--      that empties it in any row whose old column is written;
--   2. passes of committed batches (page windows, as ci.reencrypt) fill it
--      with the decrypted values, which the protection trigger validates
--      and seals, until a pass finds nothing left;
--   3. under a short ACCESS EXCLUSIVE lock, the last rows are filled, the
--      old column is dropped and <col>_ci takes its name (the policy and
--      the masked view follow the renames by themselves).
-- Cancelled or crashed, it resumes from step 2 when called again.  The
-- passphrase travels only as a query parameter.  No SET clause (it would
-- forbid COMMIT): every name is qualified.  Every read and write of the
-- rows goes through ci.migrate_step(), as the owner inside a
-- security-restricted operation: the owner's triggers and defaults cannot
-- leave the owner's rights (RESET ROLE to a superuser's session).
DECLARE
	tmp			pg_catalog.text;
	owner		pg_catalog.oid;
	atttype		pg_catalog.oid;
	resuming	pg_catalog.bool;
	blk			pg_catalog.int8;
	nblocks		pg_catalog.int8;
	pages		pg_catalog.int8;
	n			pg_catalog.int8;
	moved		pg_catalog.int8;
	total		pg_catalog.int8 := 0;
	passes		pg_catalog.int4 := 0;
BEGIN
	IF tbl IS NULL OR col IS NULL OR passphrase IS NULL OR kind IS NULL OR
	   category IS NULL OR searchable IS NULL THEN
		RAISE EXCEPTION 'arguments of ci.migrate_pgcrypto() must not be null';
	END IF;
	IF batch_size IS NULL OR batch_size OPERATOR(pg_catalog.<) 1 THEN
		RAISE EXCEPTION 'batch size must be at least 1';
	END IF;
	PERFORM ci.require_table(tbl);
	-- The migration runs the table's triggers: it runs as the table's
	-- owner itself, never with more rights than the owner has.
	SELECT c.relowner INTO owner FROM pg_catalog.pg_class c
	 WHERE c.oid OPERATOR(pg_catalog.=) tbl;
	IF owner OPERATOR(pg_catalog.<>) CURRENT_USER::pg_catalog.regrole::pg_catalog.oid THEN
		RAISE EXCEPTION 'must be run as the owner of table %', tbl
			USING ERRCODE = '42501',
				  HINT = 'SET ROLE to the table''s owner (a member of customer_info_admin) first: the migration changes the table''s columns and runs its triggers.';
	END IF;
	tmp := col::pg_catalog.text OPERATOR(pg_catalog.||) '_ci';
	IF pg_catalog.octet_length(tmp) OPERATOR(pg_catalog.+) 5 OPERATOR(pg_catalog.>) 63 THEN
		RAISE EXCEPTION 'column name "%" is too long to migrate', col
			USING ERRCODE = '42622',
				  DETAIL = 'The migration needs a column "<name>_ci_bidx" of at most 63 bytes.';
	END IF;
	SELECT a.atttypid INTO atttype FROM pg_catalog.pg_attribute a
	 WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) col
	   AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped;
	IF atttype IS NULL THEN
		RAISE EXCEPTION 'column "%" of table % does not exist', col, tbl USING ERRCODE = '42703';
	ELSIF atttype OPERATOR(pg_catalog.<>) 'pg_catalog.bytea'::pg_catalog.regtype THEN
		RAISE EXCEPTION 'column "%" of table % is not of type bytea', col, tbl
			USING ERRCODE = '42804',
				  HINT = 'ci.migrate_pgcrypto() converts pgp_sym_encrypt() output; a plaintext column is protected with ci.protect().';
	END IF;
	resuming := EXISTS (SELECT FROM pg_catalog.pg_trigger t
						 WHERE t.tgrelid OPERATOR(pg_catalog.=) tbl
						   AND t.tgname OPERATOR(pg_catalog.=) 'customer_info_migrate');
	IF NOT resuming THEN
		IF EXISTS (SELECT FROM pg_catalog.pg_attribute a
					WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND NOT a.attisdropped
					  AND a.attname::pg_catalog.text OPERATOR(pg_catalog.=) ANY
						  (ARRAY[tmp, tmp OPERATOR(pg_catalog.||) '_bidx',
								 tmp OPERATOR(pg_catalog.||) '_mask',
								 col::pg_catalog.text OPERATOR(pg_catalog.||) '_bidx',
								 col::pg_catalog.text OPERATOR(pg_catalog.||) '_mask'])) THEN
			RAISE EXCEPTION 'table % already has a column "%", "%_bidx", "%_mask", "%_bidx" or "%_mask"',
				tbl, tmp, tmp, tmp, col, col
				USING ERRCODE = '42701',
					  DETAIL = 'The migration adds the first three and renames them to the old column''s name and the last two.';
		END IF;
		-- a wrong passphrase fails here, before anything changes
		BEGIN
			PERFORM ci.migrate_step(tbl, col, passphrase, 'probe');
		EXCEPTION WHEN external_routine_invocation_exception THEN
			RAISE EXCEPTION 'column "%" of table % cannot be decrypted with this passphrase', col, tbl
				USING ERRCODE = '28P01',
					  HINT = 'It must hold pgp_sym_encrypt() messages made with the passphrase given.';
		END;
		EXECUTE pg_catalog.format('ALTER TABLE %s ADD COLUMN %I pg_catalog.text', tbl, tmp);
		PERFORM ci.protect(tbl, tmp::pg_catalog.name, kind, category, searchable,
						   encrypt_existing => false);
		EXECUTE pg_catalog.format('CREATE TRIGGER customer_info_migrate BEFORE INSERT OR UPDATE'
								  ' ON %s FOR EACH ROW EXECUTE FUNCTION ci.migrate_sync(%L, %L)',
								  tbl, col, tmp);
		COMMIT;
	END IF;

	-- passes of committed batches, each a TID range scan of a page window
	LOOP
		SELECT pg_catalog.ceil(batch_size::pg_catalog.float8 OPERATOR(pg_catalog./)
				   CASE WHEN c.relpages OPERATOR(pg_catalog.>) 0 AND c.reltuples OPERATOR(pg_catalog.>) 0
						THEN pg_catalog.float8larger(1, c.reltuples::pg_catalog.float8 OPERATOR(pg_catalog./) c.relpages)
						ELSE 100 END)::pg_catalog.int8
		  INTO pages FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl;
		nblocks := pg_catalog.pg_relation_size(tbl) OPERATOR(pg_catalog./)
				   pg_catalog.current_setting('block_size')::pg_catalog.int8;
		blk := 0;
		moved := 0;
		WHILE blk OPERATOR(pg_catalog.<) nblocks LOOP
			n := ci.migrate_step(tbl, col, passphrase, 'fill', blk, blk OPERATOR(pg_catalog.+) pages);
			moved := moved OPERATOR(pg_catalog.+) n;
			COMMIT;
			blk := blk OPERATOR(pg_catalog.+) pages;
		END LOOP;
		total := total OPERATOR(pg_catalog.+) moved;
		passes := passes OPERATOR(pg_catalog.+) 1;
		RAISE NOTICE 'customer_info: migration of %.%: pass % done, % values so far',
			tbl, col, passes, total;
		EXIT WHEN moved OPERATOR(pg_catalog.=) 0 OR passes OPERATOR(pg_catalog.>=) 10;
	END LOOP;

	-- the swap, briefly alone with the table
	EXECUTE pg_catalog.format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', tbl);
	n := ci.migrate_step(tbl, col, passphrase, 'fill');
	total := total OPERATOR(pg_catalog.+) n;
	n := ci.migrate_step(tbl, col, passphrase, 'check');
	IF n OPERATOR(pg_catalog.<>) 0 THEN
		RAISE EXCEPTION 'migration of %.% left % rows unconverted', tbl, col, n;
	END IF;
	EXECUTE pg_catalog.format('DROP TRIGGER customer_info_migrate ON %s', tbl);
	EXECUTE pg_catalog.format('ALTER TABLE %s DROP COLUMN %I', tbl, col);
	EXECUTE pg_catalog.format('ALTER TABLE %s RENAME COLUMN %I TO %I', tbl, tmp, col);
	IF searchable THEN
		EXECUTE pg_catalog.format('ALTER TABLE %s RENAME COLUMN %I TO %I', tbl,
								  tmp OPERATOR(pg_catalog.||) '_bidx',
								  col::pg_catalog.text OPERATOR(pg_catalog.||) '_bidx');
	END IF;
	EXECUTE pg_catalog.format('ALTER TABLE %s RENAME COLUMN %I TO %I', tbl,
							  tmp OPERATOR(pg_catalog.||) '_mask',
							  col::pg_catalog.text OPERATOR(pg_catalog.||) '_mask');
	COMMIT;
	RAISE NOTICE 'customer_info: %.% is now a protected column (% values migrated)', tbl, col, total;
END
$$;
COMMENT ON PROCEDURE ci.migrate_pgcrypto(regclass, name, text, text, text, boolean, integer) IS
	'online migration of a bytea column of pgcrypto pgp_sym_encrypt() messages to a protected column of the same name, in committed batches (CALL outside a transaction block); resumable';
REVOKE ALL ON PROCEDURE ci.migrate_pgcrypto(regclass, name, text, text, text, boolean, integer) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE ci.migrate_pgcrypto(regclass, name, text, text, text, boolean, integer) TO customer_info_admin;

-------------------------------------------------------------------------------
-- Root key rotation
-------------------------------------------------------------------------------

CREATE FUNCTION ci.rewrap_keys() RETURNS integer
	AS 'MODULE_PATHNAME', 'ci_rewrap_keys'
	LANGUAGE C;
COMMENT ON FUNCTION ci.rewrap_keys() IS
	're-wraps every data key and blind-index key under the current root key (after a root key rotation); rows are not touched';
REVOKE ALL ON FUNCTION ci.rewrap_keys() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.rewrap_keys() TO customer_info_admin;

CREATE FUNCTION ci.retire_keys() RETURNS integer
	AS 'MODULE_PATHNAME', 'ci_retire_keys'
	LANGUAGE C;
COMMENT ON FUNCTION ci.retire_keys() IS
	'marks retired every retiring data key that no stored value uses any more (after ci.reencrypt); returns how many';
REVOKE ALL ON FUNCTION ci.retire_keys() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.retire_keys() TO customer_info_admin;

-------------------------------------------------------------------------------
-- Read audit
-------------------------------------------------------------------------------

-- Auditors read the audit records; they see no plaintext through them.
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'customer_info_auditor') THEN
		CREATE ROLE customer_info_auditor NOLOGIN;
		COMMENT ON ROLE customer_info_auditor IS
			'customer_info: reads audit and read-audit records, runs verification and the exposure report';
	END IF;
END
$$;

CREATE FUNCTION ci.append_only() RETURNS trigger
	AS 'MODULE_PATHNAME', 'ci_append_only'
	LANGUAGE C;
COMMENT ON FUNCTION ci.append_only() IS
	'trigger that refuses UPDATE, DELETE and TRUNCATE of an append-only table';

-- One row per statement, role, purpose and column of clear reads of C2 and
-- C3 values, written by the read-audit worker (see README, "Read audit").
CREATE TABLE ci.read_audit (
	record_id	bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	statement_start timestamptz NOT NULL,
	role_name	text NOT NULL,
	session_user_name text NOT NULL,
	purpose		text,
	relid		oid NOT NULL,
	table_name	text NOT NULL,
	column_name	text NOT NULL,
	row_count	bigint NOT NULL CHECK (row_count > 0),
	row_keys	text[] NOT NULL,
	backend_pid	integer NOT NULL,
	recorded_at	timestamptz NOT NULL,	-- when the record left the reader, by the reader's clock
	txid		xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id()	-- the writer's: see ci.audit_seal_state
);
CREATE INDEX read_audit_statement_start ON ci.read_audit USING brin (statement_start);
-- PostgreSQL has no BRIN operator class for xid8; the generic min/max one
-- works with its ordering operators.
CREATE OPERATOR CLASS ci.xid8_minmax_ops FOR TYPE xid8 USING brin AS
	OPERATOR 1 pg_catalog.< (xid8, xid8),
	OPERATOR 2 pg_catalog.<= (xid8, xid8),
	OPERATOR 3 pg_catalog.= (xid8, xid8),
	OPERATOR 4 pg_catalog.>= (xid8, xid8),
	OPERATOR 5 pg_catalog.> (xid8, xid8),
	FUNCTION 1 pg_catalog.brin_minmax_opcinfo(internal),
	FUNCTION 2 pg_catalog.brin_minmax_add_value(internal, internal, internal, internal),
	FUNCTION 3 pg_catalog.brin_minmax_consistent(internal, internal, internal),
	FUNCTION 4 pg_catalog.brin_minmax_union(internal, internal, internal);
CREATE INDEX read_audit_txid ON ci.read_audit USING brin (txid ci.xid8_minmax_ops);
CREATE INDEX read_audit_row_keys ON ci.read_audit USING gin (row_keys);
COMMENT ON TABLE ci.read_audit IS
	'read audit: who read which C2/C3 values in clear, when, for what purpose (row keys: the first customer_info.read_audit_keys per statement and column)';
SELECT pg_catalog.pg_extension_config_dump('ci.read_audit', '');
REVOKE ALL ON ci.read_audit FROM PUBLIC;
GRANT SELECT ON ci.read_audit TO customer_info_auditor;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE
	ON ci.read_audit FOR EACH STATEMENT EXECUTE FUNCTION ci.append_only();

CREATE FUNCTION ci.read_audit_wait(timeout_ms integer DEFAULT 10000) RETURNS boolean
	AS 'MODULE_PATHNAME', 'ci_read_audit_wait'
	LANGUAGE C STRICT;
COMMENT ON FUNCTION ci.read_audit_wait(integer) IS
	'waits until every read-audit record of this database queued so far is in ci.read_audit; false on timeout';
SELECT pg_catalog.pg_extension_config_dump('ci.read_audit_record_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ci.access_request_request_id_seq', '');

-------------------------------------------------------------------------------
-- Purposes and consent
-------------------------------------------------------------------------------

-- The purposes of use.  The built-in ones are the extension's (not dumped,
-- not changed); an institution adds its own.
CREATE TABLE ci.purpose (
	purpose		text PRIMARY KEY CHECK (purpose ~ '^[a-z][a-z0-9_]*$'),
	legal_basis	text NOT NULL CHECK (legal_basis IN ('consent', 'contract', 'legal_obligation')),
	separate_consent boolean NOT NULL DEFAULT false,
	description	text NOT NULL,
	builtin		boolean NOT NULL DEFAULT false,
	CHECK (legal_basis = 'consent' OR NOT separate_consent)
);
COMMENT ON TABLE ci.purpose IS
	'purposes of use, each with its legal basis; consent-based ones need a consent record, some a separate consent (PIPL arts. 23, 29, 39)';
INSERT INTO ci.purpose (purpose, legal_basis, separate_consent, description, builtin) VALUES
	('service', 'contract', false, 'providing the contracted product or service', true),
	('marketing', 'consent', false, 'marketing of products and services', true),
	('credit_check', 'consent', true, 'credit reference inquiries about the customer', true),
	('risk_control', 'legal_obligation', false, 'anti-money-laundering and risk control duties', true),
	('analytics', 'consent', false, 'analysis of customer data beyond the service', true),
	('third_party_sharing', 'consent', true, 'providing data to another processor (PIPL art. 23)', true),
	('cross_border', 'consent', true, 'transfer outside mainland China (PIPL art. 39)', true);
SELECT pg_catalog.pg_extension_config_dump('ci.purpose', 'WHERE NOT builtin');
REVOKE ALL ON ci.purpose FROM PUBLIC;
GRANT SELECT ON ci.purpose TO PUBLIC;
GRANT INSERT, UPDATE, DELETE ON ci.purpose TO customer_info_admin;

CREATE FUNCTION ci.purpose_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP OPERATOR(pg_catalog.<>) 'INSERT' AND OLD.builtin THEN
		RAISE EXCEPTION 'built-in purpose "%" cannot be changed or removed', OLD.purpose
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Add a purpose of your own instead.';
	END IF;
	IF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
		RETURN OLD;
	END IF;
	NEW.builtin := false;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION ci.purpose_guard() IS
	'keeps the built-in purposes as the extension defines them';
CREATE TRIGGER purpose_guard BEFORE INSERT OR UPDATE OR DELETE ON ci.purpose
	FOR EACH ROW EXECUTE FUNCTION ci.purpose_guard();
CREATE TRIGGER policy_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON ci.purpose FOR EACH STATEMENT EXECUTE FUNCTION ci.policy_changed();

-- The consent ledger: grant and withdrawal events, append-only.  scope
-- names a partner for consent to share with that partner ('' otherwise).
CREATE TABLE ci.consent_event (
	event_id	bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	customer	text NOT NULL CHECK (customer <> ''),
	purpose		text NOT NULL,
	scope		text NOT NULL DEFAULT '',
	action		text NOT NULL CHECK (action IN ('grant', 'withdraw')),
	channel		text NOT NULL CHECK (channel IN ('branch', 'app', 'web', 'phone')),
	notice_version text NOT NULL CHECK (notice_version <> ''),
	evidence	text,
	occurred_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	expires_at	timestamptz,
	actor		text NOT NULL DEFAULT SESSION_USER,
	CHECK (action = 'grant' OR expires_at IS NULL),
	CHECK (expires_at IS NULL OR expires_at > occurred_at)
);
CREATE INDEX consent_event_customer ON ci.consent_event (customer, purpose, scope, event_id);
COMMENT ON TABLE ci.consent_event IS
	'consent ledger: every grant and withdrawal, never changed (a correction is a new event)';
SELECT pg_catalog.pg_extension_config_dump('ci.consent_event', '');
SELECT pg_catalog.pg_extension_config_dump('ci.consent_event_event_id_seq', '');
REVOKE ALL ON ci.consent_event FROM PUBLIC;
GRANT SELECT ON ci.consent_event TO customer_info_admin, customer_info_auditor;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE
	ON ci.consent_event FOR EACH STATEMENT EXECUTE FUNCTION ci.append_only();

-- Current consent per customer, purpose and scope: the last event of each,
-- kept by the server (a later event never loses to an earlier one).
CREATE TABLE ci.consent_state (
	purpose		text NOT NULL,
	scope		text NOT NULL,
	customer	text NOT NULL,
	granted		boolean NOT NULL,
	event_id	bigint NOT NULL,
	since		timestamptz NOT NULL,
	expires_at	timestamptz,
	PRIMARY KEY (purpose, scope, customer)
);
COMMENT ON TABLE ci.consent_state IS
	'current consent, derived from ci.consent_event by the server; ci.consent_check() compares it with the ledger';
REVOKE ALL ON ci.consent_state FROM PUBLIC;
GRANT SELECT ON ci.consent_state TO customer_info_admin, customer_info_auditor;
CREATE TRIGGER policy_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON ci.consent_state FOR EACH STATEMENT EXECUTE FUNCTION ci.policy_changed();

CREATE FUNCTION ci.consent_apply() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	INSERT INTO ci.consent_state AS s
		(purpose, scope, customer, granted, event_id, since, expires_at)
	VALUES (NEW.purpose, NEW.scope, NEW.customer, NEW.action OPERATOR(pg_catalog.=) 'grant',
			NEW.event_id, NEW.occurred_at, NEW.expires_at)
	ON CONFLICT (purpose, scope, customer) DO UPDATE
		SET granted = excluded.granted, event_id = excluded.event_id,
			since = excluded.since, expires_at = excluded.expires_at
		WHERE s.event_id OPERATOR(pg_catalog.<) excluded.event_id;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION ci.consent_apply() IS
	'keeps ci.consent_state in step with each new ledger event';
CREATE TRIGGER consent_apply AFTER INSERT ON ci.consent_event
	FOR EACH ROW EXECUTE FUNCTION ci.consent_apply();

CREATE FUNCTION ci.consent_event_record(customer text, purpose text, action text,
										channel text, notice_version text,
										evidence text, expires_at timestamptz,
										scope text)
	RETURNS bigint
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	basis	text;
	id		bigint;
BEGIN
	IF customer IS NULL OR purpose IS NULL OR channel IS NULL OR notice_version IS NULL THEN
		RAISE EXCEPTION 'customer, purpose, channel and notice version must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF customer OPERATOR(pg_catalog.=) '' OR notice_version OPERATOR(pg_catalog.=) '' THEN
		RAISE EXCEPTION 'customer and notice version must not be empty'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF channel OPERATOR(pg_catalog.<>) ALL (ARRAY['branch', 'app', 'web', 'phone']) THEN
		RAISE EXCEPTION 'unknown channel "%"', channel
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'The channels are branch, app, web and phone.';
	END IF;
	SELECT p.legal_basis INTO basis FROM ci.purpose p WHERE p.purpose OPERATOR(pg_catalog.=) $2;
	IF basis IS NULL THEN
		RAISE EXCEPTION 'unknown purpose "%"', purpose
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'The purposes are listed in ci.purpose.';
	END IF;
	IF basis OPERATOR(pg_catalog.<>) 'consent' THEN
		RAISE EXCEPTION 'purpose "%" rests on %, not on consent', purpose,
			pg_catalog.replace(basis, '_', ' ')
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Data is used for it without a consent record.';
	END IF;
	IF coalesce(scope, '') OPERATOR(pg_catalog.<>) ''
	   AND purpose OPERATOR(pg_catalog.<>) 'third_party_sharing' THEN
		RAISE EXCEPTION 'only consent to third_party_sharing names a partner'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF coalesce(scope, '') OPERATOR(pg_catalog.<>) ''
	   AND NOT EXISTS (SELECT FROM ci.partner p WHERE p.partner OPERATOR(pg_catalog.=) $8) THEN
		RAISE EXCEPTION 'unknown partner "%"', scope
			USING ERRCODE = 'undefined_object',
				  DETAIL = 'Consent to third_party_sharing names a partner listed in ci.partner.',
				  HINT = 'Register the partner with ci.add_partner() first, then record the consent.';
	END IF;
	IF expires_at IS NOT NULL AND expires_at OPERATOR(pg_catalog.<=) pg_catalog.now() THEN
		RAISE EXCEPTION 'consent would expire before it is given'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	INSERT INTO ci.consent_event (customer, purpose, scope, action, channel,
								  notice_version, evidence, expires_at)
	VALUES ($1, $2, coalesce($8, ''), $3, $4, $5, $6, $7)
	RETURNING event_id INTO id;
	RETURN id;
END
$$;
COMMENT ON FUNCTION ci.consent_event_record(text, text, text, text, text, text, timestamptz, text) IS
	'internal to ci.give_consent() and ci.withdraw_consent()';
REVOKE ALL ON FUNCTION ci.consent_event_record(text, text, text, text, text, text, timestamptz, text) FROM PUBLIC;

CREATE FUNCTION ci.give_consent(customer text, purpose text, channel text,
								notice_version text, evidence text DEFAULT NULL,
								expires_at timestamptz DEFAULT NULL,
								partner text DEFAULT NULL)
	RETURNS bigint
	LANGUAGE sql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	RETURN ci.consent_event_record(customer, purpose, 'grant', channel, notice_version,
								   evidence, expires_at, partner);
COMMENT ON FUNCTION ci.give_consent(text, text, text, text, text, timestamptz, text) IS
	'records a customer''s consent to a purpose (with partner: to sharing with that partner); returns the ledger event id';
REVOKE ALL ON FUNCTION ci.give_consent(text, text, text, text, text, timestamptz, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.give_consent(text, text, text, text, text, timestamptz, text)
	TO customer_info_admin;

CREATE FUNCTION ci.withdraw_consent(customer text, purpose text, channel text,
									notice_version text, evidence text DEFAULT NULL,
									partner text DEFAULT NULL)
	RETURNS bigint
	LANGUAGE sql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	RETURN ci.consent_event_record(customer, purpose, 'withdraw', channel, notice_version,
								   evidence, NULL, partner);
COMMENT ON FUNCTION ci.withdraw_consent(text, text, text, text, text, text) IS
	'records the withdrawal of a customer''s consent; it holds for every statement that starts after the commit';
REVOKE ALL ON FUNCTION ci.withdraw_consent(text, text, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.withdraw_consent(text, text, text, text, text, text)
	TO customer_info_admin;

CREATE FUNCTION ci.has_consent(customer text, purpose text, at timestamptz DEFAULT NULL,
							   partner text DEFAULT NULL)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'ci_has_consent'
	LANGUAGE C STABLE;
COMMENT ON FUNCTION ci.has_consent(text, text, timestamptz, text) IS
	'does the customer consent to the purpose now (or at a past time, from the ledger)? true for purposes that rest on contract or legal obligation';
CREATE FUNCTION ci.has_consent(customer bigint, purpose text, at timestamptz DEFAULT NULL,
							   partner text DEFAULT NULL)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'ci_has_consent'
	LANGUAGE C STABLE;
COMMENT ON FUNCTION ci.has_consent(bigint, text, timestamptz, text) IS
	'ci.has_consent() for integer customer keys';
-- Consent is personal data: asking needs a grant (DBAs grant it to the
-- application roles that check consent).
REVOKE ALL ON FUNCTION ci.has_consent(text, text, timestamptz, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION ci.has_consent(bigint, text, timestamptz, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.has_consent(text, text, timestamptz, text)
	TO customer_info_admin, customer_info_auditor;
GRANT EXECUTE ON FUNCTION ci.has_consent(bigint, text, timestamptz, text)
	TO customer_info_admin, customer_info_auditor;

CREATE FUNCTION ci.consent_check(repair boolean DEFAULT false)
	RETURNS TABLE (purpose text, scope text, customer text, problem text)
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF repair THEN
		IF NOT pg_catalog.pg_has_role(SESSION_USER, 'customer_info_admin', 'MEMBER') THEN
			RAISE EXCEPTION 'permission denied to repair the consent state'
				USING ERRCODE = 'insufficient_privilege',
					  HINT = 'Auditors check; members of customer_info_admin repair.';
		END IF;
		LOCK TABLE ci.consent_event IN SHARE MODE;
	END IF;
	RETURN QUERY
	WITH last AS (
		SELECT DISTINCT ON (e.purpose, e.scope, e.customer)
			   e.purpose, e.scope, e.customer, e.action OPERATOR(pg_catalog.=) 'grant' AS granted,
			   e.event_id, e.occurred_at, e.expires_at
		  FROM ci.consent_event e
		 ORDER BY e.purpose, e.scope, e.customer, e.event_id DESC)
	SELECT coalesce(l.purpose, s.purpose), coalesce(l.scope, s.scope),
		   coalesce(l.customer, s.customer),
		   CASE WHEN s.customer IS NULL THEN 'missing from ci.consent_state'
				WHEN l.customer IS NULL THEN 'in ci.consent_state without a ledger event'
				ELSE 'differs from the last ledger event' END
	  FROM last l
	  FULL JOIN ci.consent_state s
		ON s.purpose OPERATOR(pg_catalog.=) l.purpose AND s.scope OPERATOR(pg_catalog.=) l.scope
	   AND s.customer OPERATOR(pg_catalog.=) l.customer
	 WHERE s.customer IS NULL OR l.customer IS NULL
		OR (s.granted, s.event_id, s.since, s.expires_at)
		   IS DISTINCT FROM (l.granted, l.event_id, l.occurred_at, l.expires_at);
	IF repair THEN
		DELETE FROM ci.consent_state;
		INSERT INTO ci.consent_state (purpose, scope, customer, granted, event_id, since, expires_at)
		SELECT DISTINCT ON (e.purpose, e.scope, e.customer)
			   e.purpose, e.scope, e.customer, e.action OPERATOR(pg_catalog.=) 'grant',
			   e.event_id, e.occurred_at, e.expires_at
		  FROM ci.consent_event e
		 ORDER BY e.purpose, e.scope, e.customer, e.event_id DESC;
	END IF;
END
$$;
COMMENT ON FUNCTION ci.consent_check(boolean) IS
	'lists where ci.consent_state differs from the ledger; with repair => true rebuilds it exactly from the ledger';
REVOKE ALL ON FUNCTION ci.consent_check(boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.consent_check(boolean) TO customer_info_admin, customer_info_auditor;

-- Which column of a table holds the customer key: consent filters its
-- masked view, and the customer-rights functions and exports find the
-- customer's rows by it.
CREATE TABLE ci.customer_table (
	relid		regclass PRIMARY KEY,
	attname		name NOT NULL
);
COMMENT ON TABLE ci.customer_table IS
	'the customer-key column of tables holding customer data (ci.customer_column())';
SELECT pg_catalog.pg_extension_config_dump('ci.customer_table', '');
REVOKE ALL ON ci.customer_table FROM PUBLIC;
GRANT SELECT ON ci.customer_table TO PUBLIC;
CREATE TRIGGER policy_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON ci.customer_table FOR EACH STATEMENT EXECUTE FUNCTION ci.policy_changed();

CREATE FUNCTION ci.customer_column(tbl regclass, col name) RETURNS void
	AS 'MODULE_PATHNAME', 'ci_customer_column'
	LANGUAGE C;
COMMENT ON FUNCTION ci.customer_column(regclass, name) IS
	'declares the column of a table that holds the customer key (NULL: none; text, varchar, char, integer, numeric, uuid or a ci identifier type); its masked view then shows a session whose purpose rests on consent only the consenting customers';
REVOKE ALL ON FUNCTION ci.customer_column(regclass, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.customer_column(regclass, name) TO customer_info_admin;

-- One signature taking the customer column as it is: the view names no
-- cast (an owner's cast would run with the reader's rights), and name
-- resolution has no other candidate to choose.
CREATE FUNCTION ci.consent_filter(customer "any") RETURNS boolean
	AS 'MODULE_PATHNAME', 'ci_consent_filter'
	LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION ci.consent_filter("any") IS
	'row filter of masked views: true unless the session''s purpose rests on consent the customer has not given; the key is converted by its type''s built-in output function, never by a cast';

CREATE FUNCTION ci.consent_guard() RETURNS trigger
	AS 'MODULE_PATHNAME', 'ci_consent_guard'
	LANGUAGE C;
COMMENT ON FUNCTION ci.consent_guard() IS
	'trigger of ci.require_consent(): refuses a row for a customer without consent to the purpose';

CREATE FUNCTION ci.require_consent(tbl regclass, customer_col name, purpose text,
								   partner text DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME', 'ci_require_consent'
	LANGUAGE C;
COMMENT ON FUNCTION ci.require_consent(regclass, name, text, text) IS
	'attaches a consent guard to a table: inserting or updating a row for a customer without current consent to the purpose fails (purpose NULL: detaches it)';
REVOKE ALL ON FUNCTION ci.require_consent(regclass, name, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.require_consent(regclass, name, text, text) TO customer_info_admin;

-------------------------------------------------------------------------------
-- External partners
-------------------------------------------------------------------------------

CREATE TABLE ci.partner (
	partner		text PRIMARY KEY CHECK (partner ~ '^[A-Za-z0-9][A-Za-z0-9_.-]*$'),
	contact		text NOT NULL CHECK (contact <> ''),
	public_key	text NOT NULL,
	key_id		text NOT NULL,
	added_by	text NOT NULL DEFAULT SESSION_USER,
	added_at	timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE ci.partner IS
	'external partners and their OpenPGP public keys (exports are encrypted to them)';
SELECT pg_catalog.pg_extension_config_dump('ci.partner', '');
REVOKE ALL ON ci.partner FROM PUBLIC;
GRANT SELECT ON ci.partner TO customer_info_admin, customer_info_auditor;

CREATE TABLE ci.partner_agreement (
	agreement_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	partner		text NOT NULL REFERENCES ci.partner ON UPDATE CASCADE,
	relid		regclass NOT NULL,
	columns		name[] NOT NULL CHECK (cardinality(columns) > 0),
	purposes	text[] NOT NULL CHECK (cardinality(purposes) > 0),
	valid_from	timestamptz NOT NULL,
	valid_until	timestamptz NOT NULL,
	reference	text NOT NULL CHECK (reference <> ''),
	added_by	text NOT NULL DEFAULT SESSION_USER,
	added_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CHECK (valid_until > valid_from)
);
COMMENT ON TABLE ci.partner_agreement IS
	'sharing agreements: which columns of which table a partner may receive, for which purposes, when';
SELECT pg_catalog.pg_extension_config_dump('ci.partner_agreement', '');
SELECT pg_catalog.pg_extension_config_dump('ci.partner_agreement_agreement_id_seq', '');
REVOKE ALL ON ci.partner_agreement FROM PUBLIC;
GRANT SELECT ON ci.partner_agreement TO customer_info_admin, customer_info_auditor;

CREATE TABLE ci.partner_export (
	export_id	bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	partner		text NOT NULL,
	agreement_id bigint NOT NULL,
	purpose		text NOT NULL,
	relid		regclass NOT NULL,
	table_name	text NOT NULL,
	columns		name[] NOT NULL,
	row_count	bigint NOT NULL,
	payload_sha256 text NOT NULL,
	customers	text[] NOT NULL,
	exported_by	text NOT NULL DEFAULT SESSION_USER,
	exported_at	timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX partner_export_customers ON ci.partner_export USING gin (customers);
COMMENT ON TABLE ci.partner_export IS
	'every export to a partner: who sent which columns of which customers to whom, when, and the SHA-256 of what was sent';
SELECT pg_catalog.pg_extension_config_dump('ci.partner_export', '');
SELECT pg_catalog.pg_extension_config_dump('ci.partner_export_export_id_seq', '');
REVOKE ALL ON ci.partner_export FROM PUBLIC;
GRANT SELECT ON ci.partner_export TO customer_info_admin, customer_info_auditor;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE
	ON ci.partner_export FOR EACH STATEMENT EXECUTE FUNCTION ci.append_only();

-- pgcrypto's schema, wherever it was installed
CREATE FUNCTION ci.pgcrypto_schema() RETURNS name
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
	RETURN (SELECT n.nspname FROM pg_catalog.pg_extension e
			  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace
			 WHERE e.extname OPERATOR(pg_catalog.=) 'pgcrypto');
COMMENT ON FUNCTION ci.pgcrypto_schema() IS 'the schema pgcrypto is installed in';

CREATE FUNCTION ci.add_partner(partner text, contact text, public_key text) RETURNS void
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	kid		text;
BEGIN
	BEGIN
		EXECUTE pg_catalog.format('SELECT %1$I.pgp_key_id(%1$I.dearmor($1))', ci.pgcrypto_schema())
			INTO kid USING public_key;
	EXCEPTION WHEN OTHERS THEN
		RAISE EXCEPTION 'the public key of partner "%" is not an OpenPGP public key pgcrypto can use', partner
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give an ASCII-armored RSA or Elgamal public key (gpg --export --armor).';
	END;
	INSERT INTO ci.partner (partner, contact, public_key, key_id)
	VALUES ($1, $2, $3, kid)
	ON CONFLICT ON CONSTRAINT partner_pkey DO UPDATE
		SET contact = excluded.contact, public_key = excluded.public_key, key_id = excluded.key_id;
END
$$;
COMMENT ON FUNCTION ci.add_partner(text, text, text) IS
	'adds a partner, or replaces its contact and OpenPGP public key (ASCII-armored)';
REVOKE ALL ON FUNCTION ci.add_partner(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.add_partner(text, text, text) TO customer_info_admin;

CREATE FUNCTION ci.add_agreement(partner text, tbl regclass, columns name[], purposes text[],
								 valid_until timestamptz, reference text,
								 valid_from timestamptz DEFAULT pg_catalog.now())
	RETURNS bigint
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c		name;
	p		text;
	id		bigint;
BEGIN
	IF NOT EXISTS (SELECT FROM ci.partner x WHERE x.partner OPERATOR(pg_catalog.=) $1) THEN
		RAISE EXCEPTION 'unknown partner "%"', partner USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF NOT EXISTS (SELECT FROM ci.customer_table t WHERE t.relid OPERATOR(pg_catalog.=) tbl) THEN
		RAISE EXCEPTION 'table % has no customer column', tbl
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Declare it with ci.customer_column(): exports select customers by consent.';
	END IF;
	FOREACH c IN ARRAY columns LOOP
		IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
						WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) c
						  AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) THEN
			RAISE EXCEPTION 'column "%" of table % does not exist', c, tbl
				USING ERRCODE = 'undefined_column';
		END IF;
	END LOOP;
	FOREACH p IN ARRAY purposes LOOP
		IF NOT EXISTS (SELECT FROM ci.purpose x WHERE x.purpose OPERATOR(pg_catalog.=) p) THEN
			RAISE EXCEPTION 'unknown purpose "%"', p USING ERRCODE = 'invalid_parameter_value';
		END IF;
	END LOOP;
	INSERT INTO ci.partner_agreement (partner, relid, columns, purposes, valid_from, valid_until, reference)
	VALUES ($1, $2, $3, $4, $7, $5, $6)
	RETURNING agreement_id INTO id;
	RETURN id;
END
$$;
COMMENT ON FUNCTION ci.add_agreement(text, regclass, name[], text[], timestamptz, text, timestamptz) IS
	'records a sharing agreement: the columns of a table a partner may receive, for which purposes, until when; returns its id';
REVOKE ALL ON FUNCTION ci.add_agreement(text, regclass, name[], text[], timestamptz, text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.add_agreement(text, regclass, name[], text[], timestamptz, text, timestamptz)
	TO customer_info_admin;

-- The agreement an export runs under; an error naming what is missing.
CREATE FUNCTION ci.export_agreement(partner text, purpose text, tbl regclass, columns name[],
									OUT agreement_id bigint, OUT public_key text,
									OUT customer_col name)
	LANGUAGE plpgsql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c		name;
	allowed	name[];
BEGIN
	SELECT p.public_key INTO public_key FROM ci.partner p WHERE p.partner OPERATOR(pg_catalog.=) $1;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'unknown partner "%"', partner USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT a.agreement_id, a.columns INTO agreement_id, allowed
	  FROM ci.partner_agreement a
	 WHERE a.partner OPERATOR(pg_catalog.=) $1 AND a.relid OPERATOR(pg_catalog.=) tbl
	   AND $2 OPERATOR(pg_catalog.=) ANY (a.purposes)
	   AND pg_catalog.now() OPERATOR(pg_catalog.>=) a.valid_from
	   AND pg_catalog.now() OPERATOR(pg_catalog.<) a.valid_until
	 ORDER BY a.valid_until DESC LIMIT 1;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no current agreement with partner "%" covers table % for purpose "%"',
			partner, tbl, purpose
			USING ERRCODE = 'insufficient_privilege',
				  DETAIL = 'An export needs an agreement for the table and purpose whose validity window holds now.';
	END IF;
	FOREACH c IN ARRAY columns LOOP
		IF NOT c OPERATOR(pg_catalog.=) ANY (allowed) THEN
			RAISE EXCEPTION 'column "%" is not in the agreement with partner "%"', c, partner
				USING ERRCODE = 'insufficient_privilege',
					  DETAIL = pg_catalog.format('Agreement %s allows %s.', agreement_id,
												 pg_catalog.array_to_string(allowed, ', '));
		END IF;
	END LOOP;
	SELECT t.attname INTO customer_col FROM ci.customer_table t WHERE t.relid OPERATOR(pg_catalog.=) tbl;
	IF customer_col IS NULL THEN
		RAISE EXCEPTION 'table % has no customer column', tbl USING ERRCODE = 'invalid_parameter_value';
	END IF;
END
$$;
COMMENT ON FUNCTION ci.export_agreement(text, text, regclass, name[]) IS
	'internal to ci.export_to_partner(): the agreement an export runs under';
REVOKE ALL ON FUNCTION ci.export_agreement(text, text, regclass, name[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.export_agreement(text, text, regclass, name[]) TO customer_info_admin;

CREATE FUNCTION ci.export_record(partner text, agreement_id bigint, purpose text, tbl regclass,
								 columns name[], row_count bigint, payload_sha256 text,
								 customers text[])
	RETURNS bigint
	LANGUAGE sql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
	INSERT INTO ci.partner_export (partner, agreement_id, purpose, relid, table_name, columns,
								   row_count, payload_sha256, customers)
	VALUES ($1, $2, $3, $4, $4::pg_catalog.text, $5, $6, $7, $8)
	RETURNING export_id;
$$;
COMMENT ON FUNCTION ci.export_record(text, bigint, text, regclass, name[], bigint, text, text[]) IS
	'internal to ci.export_to_partner(): records an export';
REVOKE ALL ON FUNCTION ci.export_record(text, bigint, text, regclass, name[], bigint, text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.export_record(text, bigint, text, regclass, name[], bigint, text, text[])
	TO customer_info_admin;

CREATE FUNCTION ci.csv_field(value text) RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN CASE WHEN value IS NULL THEN ''
				WHEN value OPERATOR(pg_catalog.~) '[",\r\n]' OR value OPERATOR(pg_catalog.=) ''
				THEN '"' OPERATOR(pg_catalog.||) pg_catalog.replace(value, '"', '""')
					 OPERATOR(pg_catalog.||) '"'
				ELSE value END;
COMMENT ON FUNCTION ci.csv_field(text) IS 'a value as a CSV field (RFC 4180 quoting; NULL is empty)';

-- The masked view of a table, found as the DDL hook makes it (views.c):
-- in the masked schema, of the table's name, a view owned by
-- customer_info_views whose rule reads the table; NULL if there is none
-- (a relation of that name that is anything else is not it).
CREATE FUNCTION ci.masked_view_of(tbl regclass) RETURNS regclass
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT v.oid::pg_catalog.regclass
	  FROM pg_catalog.pg_class t
	  JOIN pg_catalog.pg_class v ON v.relname OPERATOR(pg_catalog.=) t.relname
	  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) v.relnamespace
	 WHERE t.oid OPERATOR(pg_catalog.=) tbl
	   AND t.relkind OPERATOR(pg_catalog.=) 'r'
	   AND n.nspname OPERATOR(pg_catalog.=) pg_catalog.current_setting('customer_info.masked_schema')
	   AND v.relkind OPERATOR(pg_catalog.=) 'v'
	   AND v.relowner OPERATOR(pg_catalog.=) (SELECT r.oid FROM pg_catalog.pg_roles r
											  WHERE r.rolname OPERATOR(pg_catalog.=) 'customer_info_views')
	   AND EXISTS (SELECT FROM pg_catalog.pg_rewrite w
				   JOIN pg_catalog.pg_depend d
					 ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass
					AND d.objid OPERATOR(pg_catalog.=) w.oid
				  WHERE w.ev_class OPERATOR(pg_catalog.=) v.oid
					AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
					AND d.refobjid OPERATOR(pg_catalog.=) t.oid
					AND d.deptype OPERATOR(pg_catalog.=) 'n');
$$;
COMMENT ON FUNCTION ci.masked_view_of(regclass) IS
	'the masked view of a table (owned by customer_info_views, reading the table), or NULL';

CREATE FUNCTION ci.row_jsonb(r record) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'ci_row_jsonb'
	LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION ci.row_jsonb(record) IS
	'a row as a jsonb object through its columns'' output functions (no cast, no to_jsonb(), no user code); built-in numbers, booleans and json keep their JSON kind';

-- Reads as the caller, through the masked view (values at the exporter's
-- level) or the table itself (FROM ONLY); a table owner's row-level
-- security policy makes it fail rather than run as the exporter
-- (row_security off), and values are converted by their output functions
-- (ci.column_text), never by a cast the owner may have written.
CREATE FUNCTION ci.export_to_partner(partner text, purpose text, tbl regclass, columns name[])
	RETURNS text
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
	SET row_security = off
AS $$
DECLARE
	ag			record;
	src			text;
	fields		text;
	header		text;
	payload		text;
	customers	text[];
	n			bigint;
	msg			bytea;
	crypto		name := ci.pgcrypto_schema();
BEGIN
	IF partner IS NULL OR purpose IS NULL OR tbl IS NULL OR columns IS NULL
	   OR cardinality(columns) OPERATOR(pg_catalog.=) 0 THEN
		RAISE EXCEPTION 'partner, purpose, table and columns must be given'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	PERFORM ci.require_table(tbl);
	ag := ci.export_agreement(partner, purpose, tbl, columns);
	-- the export's purpose is the session's while it reads
	PERFORM pg_catalog.set_config('customer_info.purpose', purpose, true);
	-- through the masked view when there is one: values at the exporter's level
	src := coalesce(ci.masked_view_of(tbl)::pg_catalog.text, 'ONLY ' OPERATOR(pg_catalog.||) tbl::pg_catalog.text);
	SELECT pg_catalog.string_agg(pg_catalog.format('ci.csv_field(ci.column_text(v, %L))', c), ', '),
		   pg_catalog.string_agg(ci.csv_field(c), ',')
	  INTO fields, header
	  FROM pg_catalog.unnest(columns) AS c;
	EXECUTE pg_catalog.format(
		'SELECT pg_catalog.string_agg(line, E''\n'' ORDER BY k), pg_catalog.array_agg(k ORDER BY k),'
		'       pg_catalog.count(*)'
		'  FROM (SELECT ci.column_text(v, %1$L) AS k, pg_catalog.concat_ws('','', %2$s) AS line'
		'          FROM %3$s v'
		'         WHERE ci.has_consent(ci.column_text(v, %1$L), $1)'
		'           AND ci.has_consent(ci.column_text(v, %1$L), ''third_party_sharing'','
		'                              partner => $2)) s',
		ag.customer_col, fields, src)
		INTO payload, customers, n USING purpose, partner;
	payload := header OPERATOR(pg_catalog.||) E'\n'
		OPERATOR(pg_catalog.||) coalesce(payload OPERATOR(pg_catalog.||) E'\n', '');
	EXECUTE pg_catalog.format('SELECT %1$I.pgp_pub_encrypt($1, %1$I.dearmor($2))', crypto)
		INTO msg USING payload, ag.public_key;
	PERFORM ci.export_record(partner, ag.agreement_id, purpose, tbl, columns, n,
							 pg_catalog.encode(pg_catalog.sha256(msg), 'hex'),
							 coalesce(customers, '{}'));
	EXECUTE pg_catalog.format('SELECT %I.armor($1)', crypto) INTO payload USING msg;
	RETURN payload;
END
$$;
COMMENT ON FUNCTION ci.export_to_partner(text, text, regclass, name[]) IS
	'the agreed columns of the customers who consent to the purpose and to sharing with the partner, as CSV encrypted to the partner''s OpenPGP key (ASCII-armored); recorded in ci.partner_export';
REVOKE ALL ON FUNCTION ci.export_to_partner(text, text, regclass, name[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.export_to_partner(text, text, regclass, name[]) TO customer_info_admin;

-------------------------------------------------------------------------------
-- The customer's rights: what we hold, consents, who read, who received
-------------------------------------------------------------------------------

-- Reads as the caller (values at the caller's level), through the masked
-- view or the table itself (FROM ONLY, after the relation-kind check); a
-- row-level security policy makes it fail rather than run as the caller,
-- and rows and keys are converted by output functions (ci.row_jsonb,
-- ci.column_text), never by a cast or to_jsonb().
CREATE FUNCTION ci.customer_data(customer text)
	RETURNS TABLE (tbl regclass, row_data jsonb)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	SET row_security = off
AS $$
DECLARE
	t		record;
	src		text;
BEGIN
	FOR t IN SELECT ct.relid, ct.attname, c.relname
			   FROM ci.customer_table ct
			   JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) ct.relid
			  ORDER BY c.relname LOOP
		PERFORM ci.require_table(t.relid);
		src := coalesce(ci.masked_view_of(t.relid)::pg_catalog.text,
						'ONLY ' OPERATOR(pg_catalog.||) t.relid::pg_catalog.regclass::pg_catalog.text);
		RETURN QUERY EXECUTE pg_catalog.format(
			'SELECT $1::pg_catalog.regclass, ci.row_jsonb(v) FROM %s v'
			' WHERE ci.column_text(v, %L) OPERATOR(pg_catalog.=) $2', src, t.attname)
			USING t.relid, customer;
	END LOOP;
END
$$;
COMMENT ON FUNCTION ci.customer_data(text) IS
	'every row held about a customer in tables with a customer column, read through their masked views at the caller''s level';
REVOKE ALL ON FUNCTION ci.customer_data(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.customer_data(text) TO customer_info_admin, customer_info_auditor;

CREATE FUNCTION ci.customer_consents(customer text) RETURNS SETOF ci.consent_event
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT * FROM ci.consent_event e WHERE e.customer OPERATOR(pg_catalog.=) $1 ORDER BY e.event_id;
$$;
COMMENT ON FUNCTION ci.customer_consents(text) IS
	'every consent the customer gave or withdrew, from the ledger';
REVOKE ALL ON FUNCTION ci.customer_consents(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.customer_consents(text) TO customer_info_admin, customer_info_auditor;

CREATE FUNCTION ci.customer_reads(customer text)
	RETURNS TABLE (statement_start timestamptz, role_name text, session_user_name text,
				   purpose text, table_name text, column_name text)
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT r.statement_start, r.role_name, r.session_user_name, r.purpose, r.table_name,
		   r.column_name
	  FROM ci.read_audit r
	  JOIN ci.customer_table t ON t.relid::pg_catalog.oid OPERATOR(pg_catalog.=) r.relid
	  JOIN pg_catalog.pg_index i ON i.indrelid OPERATOR(pg_catalog.=) r.relid AND i.indisprimary
	   AND i.indnatts OPERATOR(pg_catalog.=) 1
	  JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) r.relid
	   AND a.attnum OPERATOR(pg_catalog.=) i.indkey[0] AND a.attname OPERATOR(pg_catalog.=) t.attname
	 WHERE r.row_keys OPERATOR(pg_catalog.@>) ARRAY[$1]
	 ORDER BY r.statement_start, r.record_id;
$$;
COMMENT ON FUNCTION ci.customer_reads(text) IS
	'who read the customer''s C2/C3 data in clear, when and why (read audit of tables keyed by the customer column)';
REVOKE ALL ON FUNCTION ci.customer_reads(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.customer_reads(text) TO customer_info_admin, customer_info_auditor;

CREATE FUNCTION ci.customer_disclosures(customer text)
	RETURNS TABLE (export_id bigint, partner text, purpose text, table_name text,
				   columns name[], exported_by text, exported_at timestamptz)
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT x.export_id, x.partner, x.purpose, x.table_name, x.columns, x.exported_by, x.exported_at
	  FROM ci.partner_export x
	 WHERE x.customers OPERATOR(pg_catalog.@>) ARRAY[$1]
	 ORDER BY x.export_id;
$$;
COMMENT ON FUNCTION ci.customer_disclosures(text) IS
	'which partners received the customer''s data, what and when';
REVOKE ALL ON FUNCTION ci.customer_disclosures(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.customer_disclosures(text) TO customer_info_admin, customer_info_auditor;

-------------------------------------------------------------------------------
-- Review scheduling
-------------------------------------------------------------------------------

-- Risk levels and their review intervals.  rank 1 is the highest risk.
-- The AML customer classification guideline (PBOC 2013): at least three
-- levels, the highest reviewed at least every 6 months, each lower level
-- at most twice the interval of the level above, everyone within 3 years;
-- a row breaking a rule needs an exception reason.
CREATE TABLE ci.risk_level (
	risk_level	text PRIMARY KEY CHECK (risk_level ~ '^[a-z][a-z0-9_]*$'),
	rank		integer NOT NULL UNIQUE CHECK (rank > 0),
	review_interval interval NOT NULL CHECK (review_interval >= interval '1 day'),
	exception_reason text CHECK (exception_reason <> ''),
	is_default	boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE ci.risk_level IS
	'risk levels (rank 1 highest) and how often customers at each are reviewed';
INSERT INTO ci.risk_level VALUES ('high', 1, '6 months', NULL, true), ('medium', 2, '12 months', NULL, true),
	('low', 3, '24 months', NULL, true);

-- A level added in place of a default one (a restore brings back the
-- institution's levels over the extension's defaults) replaces it.
CREATE FUNCTION ci.risk_level_replace_default() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	DELETE FROM ci.risk_level r
	 WHERE r.is_default
	   AND (r.risk_level OPERATOR(pg_catalog.=) NEW.risk_level OR r.rank OPERATOR(pg_catalog.=) NEW.rank);
	NEW.is_default := false;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION ci.risk_level_replace_default() IS
	'a risk level inserted with the name or rank of a default one replaces it (restores)';
CREATE TRIGGER risk_level_replace_default BEFORE INSERT ON ci.risk_level
	FOR EACH ROW EXECUTE FUNCTION ci.risk_level_replace_default();
SELECT pg_catalog.pg_extension_config_dump('ci.risk_level', '');
REVOKE ALL ON ci.risk_level FROM PUBLIC;
GRANT SELECT ON ci.risk_level TO PUBLIC;
GRANT INSERT, UPDATE, DELETE ON ci.risk_level TO customer_info_admin;

CREATE FUNCTION ci.risk_level_check() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r		record;
	ceiling	interval := interval '6 months';
	pos		integer := 0;
BEGIN
	IF (SELECT pg_catalog.count(*) FROM ci.risk_level) OPERATOR(pg_catalog.<) 3 THEN
		RAISE EXCEPTION 'at least three risk levels are needed'
			USING ERRCODE = 'check_violation',
				  DETAIL = 'The AML customer classification guideline (PBOC 2013) asks for three or more.';
	END IF;
	-- the guideline's longest intervals: 6 months for the highest level,
	-- each lower one at most twice the one above, none beyond 3 years;
	-- any level may be reviewed more often
	FOR r IN SELECT * FROM ci.risk_level ORDER BY rank LOOP
		pos := pos OPERATOR(pg_catalog.+) 1;
		IF r.exception_reason IS NULL
		   AND r.review_interval OPERATOR(pg_catalog.>) ceiling THEN
			RAISE EXCEPTION 'risk level "%" is reviewed every %: the guideline allows at most % for the level ranked % from the highest',
				r.risk_level, r.review_interval, ceiling, pos
				USING ERRCODE = 'check_violation',
					  DETAIL = 'The highest level at least every 6 months, each lower level at most twice the interval of the level above, everyone within 3 years.',
					  HINT = 'Shorten it, or give the row an exception_reason if this is deliberate.';
		END IF;
		ceiling := LEAST(ceiling OPERATOR(pg_catalog.*) 2, interval '3 years');
	END LOOP;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION ci.risk_level_check() IS
	'refuses a risk-level configuration that breaks the AML guideline''s rules, unless marked as an exception';
CREATE CONSTRAINT TRIGGER risk_level_check AFTER INSERT OR UPDATE OR DELETE ON ci.risk_level
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ci.risk_level_check();

-- The calendar: weekends are non-working unless listed as working (the
-- adjusted working days of public holidays); holidays are listed.
CREATE TABLE ci.calendar_day (
	day			date PRIMARY KEY,
	working		boolean NOT NULL,
	note		text
);
COMMENT ON TABLE ci.calendar_day IS
	'days that differ from the Monday-to-Friday week: holidays (working = false) and adjusted working weekend days';
SELECT pg_catalog.pg_extension_config_dump('ci.calendar_day', '');
REVOKE ALL ON ci.calendar_day FROM PUBLIC;
GRANT SELECT ON ci.calendar_day TO PUBLIC;
GRANT INSERT, UPDATE, DELETE ON ci.calendar_day TO customer_info_admin;

CREATE FUNCTION ci.is_working_day(d date) RETURNS boolean
	LANGUAGE sql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	RETURN coalesce((SELECT c.working FROM ci.calendar_day c WHERE c.day OPERATOR(pg_catalog.=) d),
					EXTRACT(isodow FROM d) OPERATOR(pg_catalog.<) 6);
COMMENT ON FUNCTION ci.is_working_day(date) IS 'is the day a working day (calendar_day, else Monday to Friday)?';

CREATE FUNCTION ci.working_day_on_or_before(d date) RETURNS date
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	FOR i IN 0 .. 366 LOOP
		IF ci.is_working_day(d OPERATOR(pg_catalog.-) i) THEN
			RETURN d OPERATOR(pg_catalog.-) i;
		END IF;
	END LOOP;
	RETURN d;
END
$$;
COMMENT ON FUNCTION ci.working_day_on_or_before(date) IS
	'the day itself if it is a working day, else the working day before it (where due dates move)';

CREATE FUNCTION ci.add_working_days(d date, n integer) RETURNS date
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r	date := d;
BEGIN
	WHILE n OPERATOR(pg_catalog.>) 0 LOOP
		r := r OPERATOR(pg_catalog.+) 1;
		IF ci.is_working_day(r) THEN
			n := n OPERATOR(pg_catalog.-) 1;
		END IF;
	END LOOP;
	RETURN r;
END
$$;
COMMENT ON FUNCTION ci.add_working_days(date, integer) IS 'the n-th working day after a day';

-- Tables attached to review scheduling.
CREATE TABLE ci.review_table (
	relid		regclass PRIMARY KEY,
	key_col		name NOT NULL,
	risk_col	name NOT NULL,
	onboarded_col name NOT NULL,
	id_expiry_col name,
	birth_col	name,
	birth_is_cn_id boolean NOT NULL DEFAULT false,
	watched		name[] NOT NULL DEFAULT '{}',
	id_expiry_window interval NOT NULL DEFAULT '30 days',
	followup_days integer NOT NULL DEFAULT 7 CHECK (followup_days >= 0),
	escalate_after interval NOT NULL DEFAULT '5 days',
	onboarding_days integer NOT NULL DEFAULT 10 CHECK (onboarding_days > 0)
);
COMMENT ON TABLE ci.review_table IS
	'customer tables attached to review scheduling (ci.attach_review), with their columns and windows';
SELECT pg_catalog.pg_extension_config_dump('ci.review_table', '');
REVOKE ALL ON ci.review_table FROM PUBLIC;
GRANT SELECT ON ci.review_table TO customer_info_admin, customer_info_auditor;

-- One row per customer of an attached table: its level and next review.
CREATE TABLE ci.review_schedule (
	relid		regclass NOT NULL,
	customer	text NOT NULL,
	risk_level	text,
	onboarded_on date,
	last_review	date,
	next_due	date,
	tasked		boolean NOT NULL DEFAULT false,
	id_expires_on date,
	suspended	boolean NOT NULL DEFAULT false,
	birth_mmdd	integer,
	anniversary_mmdd integer,
	ended_on	date,
	PRIMARY KEY (relid, customer)
);
CREATE INDEX review_schedule_due ON ci.review_schedule (next_due) WHERE NOT tasked;
CREATE INDEX review_schedule_id_expiry ON ci.review_schedule (id_expires_on);
CREATE INDEX review_schedule_birthday ON ci.review_schedule (birth_mmdd);
CREATE INDEX review_schedule_anniversary ON ci.review_schedule (anniversary_mmdd);
COMMENT ON TABLE ci.review_schedule IS
	'per customer of an attached table: risk level, last review, next periodic review; suspended when the ID document expired; ended_on when a review closed the relationship (no more periodic reviews or follow-ups)';
SELECT pg_catalog.pg_extension_config_dump('ci.review_schedule', '');
REVOKE ALL ON ci.review_schedule FROM PUBLIC;
GRANT SELECT ON ci.review_schedule TO customer_info_admin, customer_info_auditor;

CREATE TABLE ci.review_outcome (
	outcome		text PRIMARY KEY,
	description	text NOT NULL
);
INSERT INTO ci.review_outcome VALUES
	('confirmed', 'data checked, nothing to change'),
	('updated', 'data corrected or completed'),
	('rerated', 'risk level changed'),
	('escalated', 'handed to AML or compliance'),
	('unreachable', 'customer could not be reached'),
	('closed', 'relationship ended');
COMMENT ON TABLE ci.review_outcome IS 'the outcomes a review task can be completed with';
REVOKE ALL ON ci.review_outcome FROM PUBLIC;
GRANT SELECT ON ci.review_outcome TO PUBLIC;

CREATE TABLE ci.review_task (
	task_id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	relid		regclass NOT NULL,
	customer	text NOT NULL,
	reason		text NOT NULL CHECK (reason IN ('onboarding', 'periodic', 'watched_change',
							'risk_change', 'id_expiring', 'id_expired', 'birthday',
							'anniversary', 'threshold')),
	detail		jsonb NOT NULL DEFAULT '{}',
	due_on		date NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	status		text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'closed')),
	assignee	text,
	escalation	integer NOT NULL DEFAULT 0,
	escalated_at timestamptz,
	escalated_on date,
	completed_by text,
	completed_at timestamptz,
	outcome		text REFERENCES ci.review_outcome,
	notes		text,
	new_risk_level text
);
CREATE UNIQUE INDEX review_task_once ON ci.review_task (relid, customer, reason, due_on)
	WHERE reason IN ('onboarding', 'periodic', 'id_expiring', 'id_expired', 'birthday', 'anniversary');
CREATE INDEX review_task_open ON ci.review_task (assignee, due_on) WHERE status = 'open';
CREATE INDEX review_task_customer ON ci.review_task (relid, customer) WHERE status = 'open';
COMMENT ON TABLE ci.review_task IS
	'the review queue: tasks created by events and by the sweep, assigned, completed';
SELECT pg_catalog.pg_extension_config_dump('ci.review_task', '');
SELECT pg_catalog.pg_extension_config_dump('ci.review_task_task_id_seq', '');
REVOKE ALL ON ci.review_task FROM PUBLIC;
GRANT SELECT ON ci.review_task TO customer_info_admin, customer_info_auditor;

CREATE TABLE ci.watch_rule (
	rule_id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	relid		regclass NOT NULL,
	attname		name NOT NULL,
	change		text NOT NULL CHECK (change IN ('absolute', 'relative')),
	direction	text NOT NULL CHECK (direction IN ('up', 'down', 'any')),
	threshold	numeric NOT NULL CHECK (threshold > 0),
	min_risk_level text,
	added_by	text NOT NULL DEFAULT SESSION_USER,
	added_at	timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE ci.watch_rule IS
	'threshold alert rules (ci.watch): a numeric column changing beyond a threshold raises an alert task';
SELECT pg_catalog.pg_extension_config_dump('ci.watch_rule', '');
SELECT pg_catalog.pg_extension_config_dump('ci.watch_rule_rule_id_seq', '');
REVOKE ALL ON ci.watch_rule FROM PUBLIC;
GRANT SELECT ON ci.watch_rule TO customer_info_admin, customer_info_auditor;

CREATE FUNCTION ci.same_plaintext(old_row record, new_row record, col name) RETURNS boolean
	AS 'MODULE_PATHNAME', 'ci_same_plaintext'
	LANGUAGE C STABLE;
COMMENT ON FUNCTION ci.same_plaintext(record, record, name) IS
	'internal to the review triggers: do two versions of a row hold the same plaintext in a protected column?';
REVOKE ALL ON FUNCTION ci.same_plaintext(record, record, name) FROM PUBLIC;

-- A task, once (the sweep's reasons are unique per customer and day), and
-- its NOTIFY: the task id, reason, due date and table, no personal data.
-- Every due date falls on a working day: a natural date that is not one
-- moves to the working day before it (ci.working_day_on_or_before).
CREATE FUNCTION ci.review_task_add(tbl regclass, customer text, reason text, due_on date,
								   detail jsonb DEFAULT '{}')
	RETURNS bigint
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	id		bigint;
BEGIN
	INSERT INTO ci.review_task (relid, customer, reason, due_on, detail)
	VALUES ($1, $2, $3, ci.working_day_on_or_before($4), $5)
	ON CONFLICT (relid, customer, reason, due_on)
		WHERE reason IN ('onboarding', 'periodic', 'id_expiring', 'id_expired', 'birthday', 'anniversary')
		DO NOTHING
	RETURNING task_id INTO id;
	IF id IS NOT NULL THEN
		PERFORM pg_catalog.pg_notify('customer_info_review',
			pg_catalog.json_build_object('task_id', id, 'reason', $3, 'due_on', $4,
										 'table', $1::text)::text);
	END IF;
	RETURN id;
END
$$;
COMMENT ON FUNCTION ci.review_task_add(regclass, text, text, date, jsonb) IS
	'internal: adds a review task due on the natural date or the working day before it (once for the sweep''s reasons) and raises NOTIFY customer_info_review';
REVOKE ALL ON FUNCTION ci.review_task_add(regclass, text, text, date, jsonb) FROM PUBLIC;

CREATE FUNCTION ci.review_interval_of(level text) RETURNS interval
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
	RETURN coalesce((SELECT r.review_interval FROM ci.risk_level r WHERE r.risk_level OPERATOR(pg_catalog.=) level),
					(SELECT r.review_interval FROM ci.risk_level r ORDER BY r.rank LIMIT 1));
COMMENT ON FUNCTION ci.review_interval_of(text) IS
	'the review interval of a risk level; an unrated customer (no level) is reviewed as often as the highest level';

CREATE FUNCTION ci.review_completing() RETURNS boolean
	AS 'MODULE_PATHNAME', 'ci_review_completing'
	LANGUAGE C STABLE;
COMMENT ON FUNCTION ci.review_completing() IS
	'internal: is ci.complete_review() writing a new risk level (no risk-change task for it)?';

CREATE FUNCTION ci.review_trigger(tbl regclass, attach boolean) RETURNS void
	AS 'MODULE_PATHNAME', 'ci_review_trigger'
	LANGUAGE C STRICT;
COMMENT ON FUNCTION ci.review_trigger(regclass, boolean) IS
	'internal to ci.attach_review(): creates or drops the review trigger of a table, as its owner';
REVOKE ALL ON FUNCTION ci.review_trigger(regclass, boolean) FROM PUBLIC;

CREATE FUNCTION ci.mmdd(d date) RETURNS integer
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN (EXTRACT(month FROM d) * 100 + EXTRACT(day FROM d))::integer;
COMMENT ON FUNCTION ci.mmdd(date) IS 'month and day of a date as MMDD (birthdays and anniversaries)';

-- The schedule's dates of one customer row.  Values are read with
-- ci.column_text() (the type's output function, never a cast: a cast can
-- be user code, and these functions run as the extension's owner).
CREATE FUNCTION ci.review_dates(cfg ci.review_table, r record, OUT id_expires_on date,
								OUT birth_mmdd integer, OUT anniversary_mmdd integer)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF cfg.id_expiry_col IS NOT NULL THEN
		id_expires_on := ci.column_text(r, cfg.id_expiry_col)::date;
	END IF;
	IF cfg.birth_col IS NOT NULL AND cfg.birth_is_cn_id THEN
		birth_mmdd := ci.mmdd(ci.birth_date(ci.column_text(r, cfg.birth_col)::ci.cn_id));
	ELSIF cfg.birth_col IS NOT NULL THEN
		birth_mmdd := ci.mmdd(ci.column_text(r, cfg.birth_col)::date);
	END IF;
	anniversary_mmdd := ci.mmdd(ci.column_text(r, cfg.onboarded_col)::date);
END
$$;
COMMENT ON FUNCTION ci.review_dates(ci.review_table, record) IS
	'internal: ID expiry, birthday and anniversary of a customer row';

CREATE FUNCTION ci.column_text(r record, col name) RETURNS text
	AS 'MODULE_PATHNAME', 'ci_column_text'
	LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION ci.column_text(record, name) IS
	'a column of a row as its type''s output function writes it (no cast, no user code)';

-- The row trigger of attached tables: events become tasks at once.
CREATE FUNCTION ci.review_row() RETURNS trigger
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cfg		ci.review_table;
	cust	text;
	old_cust text;
	lvl		text;
	old_lvl	text;
	onb		date;
	c		name;
	changed	boolean;
	protected boolean;
	rule	ci.watch_rule;
	ov		numeric;
	nv		numeric;
	delta	numeric;
BEGIN
	SELECT * INTO cfg FROM ci.review_table WHERE relid OPERATOR(pg_catalog.=) TG_RELID;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	IF TG_OP OPERATOR(pg_catalog.<>) 'INSERT' THEN
		old_cust := ci.column_text(OLD, cfg.key_col);
		old_lvl := ci.column_text(OLD, cfg.risk_col);
	END IF;

	IF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
		UPDATE ci.review_task SET status = 'closed', completed_at = pg_catalog.now(),
			   notes = 'customer deleted'
		 WHERE relid OPERATOR(pg_catalog.=) TG_RELID AND customer OPERATOR(pg_catalog.=) old_cust
		   AND status OPERATOR(pg_catalog.=) 'open';
		DELETE FROM ci.review_schedule
		 WHERE relid OPERATOR(pg_catalog.=) TG_RELID AND customer OPERATOR(pg_catalog.=) old_cust;
		RETURN NULL;
	END IF;

	cust := ci.column_text(NEW, cfg.key_col);
	lvl := ci.column_text(NEW, cfg.risk_col);
	onb := ci.column_text(NEW, cfg.onboarded_col)::date;
	-- a level that is not in ci.risk_level is refused (NULL: not rated yet,
	-- reviewed as the highest level and listed by ci.quality_report)
	IF lvl IS NOT NULL AND lvl IS DISTINCT FROM old_lvl
	   AND NOT EXISTS (SELECT FROM ci.risk_level r WHERE r.risk_level OPERATOR(pg_catalog.=) lvl) THEN
		RAISE EXCEPTION 'risk level "%" of table % is not a level of ci.risk_level', lvl, TG_RELID::regclass
			USING ERRCODE = 'check_violation',
				  DETAIL = (SELECT 'The levels are ' OPERATOR(pg_catalog.||)
							  pg_catalog.string_agg(r.risk_level, ', ' ORDER BY r.rank)
							  OPERATOR(pg_catalog.||) '.' FROM ci.risk_level r),
				  HINT = 'Use one of the levels, or leave the column NULL until the customer is rated.';
	END IF;
	IF TG_OP OPERATOR(pg_catalog.=) 'INSERT' THEN
		INSERT INTO ci.review_schedule AS s (relid, customer, risk_level, onboarded_on, next_due,
											 id_expires_on, birth_mmdd, anniversary_mmdd)
		SELECT TG_RELID, cust, lvl, onb,
			   (coalesce(onb, CURRENT_DATE)
				OPERATOR(pg_catalog.+) coalesce(ci.review_interval_of(lvl), interval '6 months'))::date,
			   d.id_expires_on, d.birth_mmdd, d.anniversary_mmdd
		  FROM ci.review_dates(cfg, NEW) d
		ON CONFLICT (relid, customer) DO UPDATE
			SET risk_level = excluded.risk_level, onboarded_on = excluded.onboarded_on,
				next_due = excluded.next_due, tasked = false, ended_on = NULL,
				id_expires_on = excluded.id_expires_on, birth_mmdd = excluded.birth_mmdd,
				anniversary_mmdd = excluded.anniversary_mmdd;
		-- a new customer is rated within the onboarding window (working days)
		PERFORM ci.review_task_add(TG_RELID, cust, 'onboarding',
			ci.add_working_days(coalesce(onb, CURRENT_DATE), cfg.onboarding_days),
			pg_catalog.jsonb_build_object('risk_level', lvl));
		RETURN NULL;
	END IF;

	-- UPDATE: the key itself changed: the schedule follows
	IF old_cust OPERATOR(pg_catalog.<>) cust THEN
		UPDATE ci.review_schedule SET customer = cust
		 WHERE relid OPERATOR(pg_catalog.=) TG_RELID AND customer OPERATOR(pg_catalog.=) old_cust;
		UPDATE ci.review_task SET customer = cust
		 WHERE relid OPERATOR(pg_catalog.=) TG_RELID AND customer OPERATOR(pg_catalog.=) old_cust;
	END IF;
	-- the dates the sweep looks at
	UPDATE ci.review_schedule s
	   SET id_expires_on = d.id_expires_on, birth_mmdd = d.birth_mmdd,
		   anniversary_mmdd = d.anniversary_mmdd, onboarded_on = onb,
		   suspended = s.suspended AND d.id_expires_on IS NOT DISTINCT FROM s.id_expires_on
	  FROM ci.review_dates(cfg, NEW) d
	 WHERE s.relid OPERATOR(pg_catalog.=) TG_RELID AND s.customer OPERATOR(pg_catalog.=) cust
	   AND (s.id_expires_on, s.birth_mmdd, s.anniversary_mmdd, s.onboarded_on)
		   IS DISTINCT FROM (d.id_expires_on, d.birth_mmdd, d.anniversary_mmdd, onb);
	-- a change of risk level: the next periodic date from the new level
	IF old_lvl IS DISTINCT FROM lvl AND NOT ci.review_completing() THEN
		UPDATE ci.review_schedule
		   SET risk_level = lvl, tasked = false,
			   next_due = CASE WHEN ended_on IS NULL THEN
						   (coalesce(last_review, onboarded_on, CURRENT_DATE)
							OPERATOR(pg_catalog.+)
							coalesce(ci.review_interval_of(lvl), interval '6 months'))::date END
		 WHERE relid OPERATOR(pg_catalog.=) TG_RELID AND customer OPERATOR(pg_catalog.=) cust;
		PERFORM ci.review_task_add(TG_RELID, cust, 'risk_change', CURRENT_DATE,
			pg_catalog.jsonb_build_object('from', old_lvl, 'to', lvl));
	END IF;
	-- watched columns: a change of plaintext, whatever the envelope
	FOREACH c IN ARRAY cfg.watched LOOP
		IF ci.column_text(OLD, c) IS DISTINCT FROM ci.column_text(NEW, c) THEN
			protected := EXISTS (SELECT FROM ci.protected_column p
								  WHERE p.relid OPERATOR(pg_catalog.=) TG_RELID
									AND p.attname OPERATOR(pg_catalog.=) c AND p.encrypted);
			changed := NOT protected OR NOT ci.same_plaintext(OLD, NEW, c);
			IF changed THEN
				PERFORM ci.review_task_add(TG_RELID, cust, 'watched_change', CURRENT_DATE,
					pg_catalog.jsonb_build_object('column', c));
			END IF;
		END IF;
	END LOOP;
	-- threshold rules
	FOR rule IN SELECT * FROM ci.watch_rule w WHERE w.relid OPERATOR(pg_catalog.=) TG_RELID LOOP
		ov := ci.column_text(OLD, rule.attname)::numeric;
		nv := ci.column_text(NEW, rule.attname)::numeric;
		CONTINUE WHEN ov IS NULL OR nv IS NULL OR ov OPERATOR(pg_catalog.=) nv;
		IF rule.min_risk_level IS NOT NULL AND
		   coalesce((SELECT r.rank FROM ci.risk_level r WHERE r.risk_level OPERATOR(pg_catalog.=) lvl), 2147483647)
		   OPERATOR(pg_catalog.>)
		   (SELECT r.rank FROM ci.risk_level r WHERE r.risk_level OPERATOR(pg_catalog.=) rule.min_risk_level) THEN
			CONTINUE;
		END IF;
		delta := nv OPERATOR(pg_catalog.-) ov;
		CONTINUE WHEN rule.direction OPERATOR(pg_catalog.=) 'up' AND delta OPERATOR(pg_catalog.<) 0;
		CONTINUE WHEN rule.direction OPERATOR(pg_catalog.=) 'down' AND delta OPERATOR(pg_catalog.>) 0;
		IF rule.change OPERATOR(pg_catalog.=) 'relative' THEN
			CONTINUE WHEN ov OPERATOR(pg_catalog.=) 0;
			delta := delta OPERATOR(pg_catalog./) pg_catalog.abs(ov);
		END IF;
		IF pg_catalog.abs(delta) OPERATOR(pg_catalog.>) rule.threshold THEN
			PERFORM ci.review_task_add(TG_RELID, cust, 'threshold', CURRENT_DATE,
				pg_catalog.jsonb_build_object('rule', rule.rule_id, 'column', rule.attname,
					'change', rule.change, 'threshold', rule.threshold,
					'from', coalesce(ci.column_text(OLD, (rule.attname OPERATOR(pg_catalog.||) '_mask')::name),
									 ov::text),
					'to', coalesce(ci.column_text(NEW, (rule.attname OPERATOR(pg_catalog.||) '_mask')::name),
								   nv::text)));
		END IF;
	END LOOP;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION ci.review_row() IS
	'row trigger of tables attached to review scheduling: new customers, risk changes (a level not in ci.risk_level is refused), watched columns, threshold rules, deletions';
-- EXECUTE on a trigger function only lets a table owner attach it (no
-- one calls it directly); ci.attach_review() attaches it as the owner.
GRANT EXECUTE ON FUNCTION ci.review_row() TO PUBLIC;

CREATE FUNCTION ci.review_rows(tbl regclass, cols name[]) RETURNS SETOF text[]
	AS 'MODULE_PATHNAME', 'ci_review_rows'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ci.review_rows(regclass, name[]) IS
	'internal to ci.attach_review(): columns of every row of an ordinary table as their output functions write them, read as the table''s owner in a security-restricted operation';
REVOKE ALL ON FUNCTION ci.review_rows(regclass, name[]) FROM PUBLIC;

-- Runs as the extension's owner (it writes ci.review_schedule); the
-- table's rows are read only by ci.review_rows(), as the table's owner in
-- a security-restricted operation, after the relation-kind check.
CREATE FUNCTION ci.attach_review(tbl regclass, key_col name, risk_col name, onboarded_col name,
								 watched name[] DEFAULT '{}', id_expiry_col name DEFAULT NULL,
								 birth_col name DEFAULT NULL,
								 id_expiry_window interval DEFAULT '30 days',
								 followup_days integer DEFAULT 7,
								 escalate_after interval DEFAULT '5 days')
	RETURNS bigint
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c		name;
	t		regtype;
	n		bigint;
BEGIN
	IF tbl IS NULL OR key_col IS NULL OR risk_col IS NULL OR onboarded_col IS NULL THEN
		RAISE EXCEPTION 'table, key, risk-level and onboarding columns must be given'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	PERFORM ci.require_table(tbl);
	FOREACH c IN ARRAY ARRAY[key_col, risk_col, onboarded_col, id_expiry_col, birth_col]
					   OPERATOR(pg_catalog.||) watched LOOP
		CONTINUE WHEN c IS NULL;
		IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
						WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) c
						  AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) THEN
			RAISE EXCEPTION 'column "%" of table % does not exist', c, tbl USING ERRCODE = 'undefined_column';
		END IF;
	END LOOP;
	SELECT a.atttypid::regtype INTO t FROM pg_catalog.pg_attribute a
	 WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) onboarded_col;
	IF t OPERATOR(pg_catalog.<>) 'date'::regtype AND t OPERATOR(pg_catalog.<>) 'timestamptz'::regtype
	   AND t OPERATOR(pg_catalog.<>) 'timestamp'::regtype THEN
		RAISE EXCEPTION 'onboarding column "%" is of type %, not a date', onboarded_col, t
			USING ERRCODE = 'datatype_mismatch';
	END IF;
	IF id_expiry_col IS NOT NULL THEN
		SELECT a.atttypid::regtype INTO t FROM pg_catalog.pg_attribute a
		 WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) id_expiry_col;
		IF t OPERATOR(pg_catalog.<>) 'date'::regtype AND t OPERATOR(pg_catalog.<>) 'timestamptz'::regtype
		   AND t OPERATOR(pg_catalog.<>) 'timestamp'::regtype THEN
			RAISE EXCEPTION 'ID expiry column "%" is of type %, not a date', id_expiry_col, t
				USING ERRCODE = 'datatype_mismatch';
		END IF;
	END IF;
	IF birth_col IS NOT NULL THEN
		SELECT a.atttypid::regtype INTO t FROM pg_catalog.pg_attribute a
		 WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) birth_col;
		IF t OPERATOR(pg_catalog.<>) 'date'::regtype AND t OPERATOR(pg_catalog.<>) 'ci.cn_id'::regtype THEN
			RAISE EXCEPTION 'birth column "%" is of type %: a date or a ci.cn_id is needed', birth_col, t
				USING ERRCODE = 'datatype_mismatch',
					  HINT = 'An encrypted ID number cannot give birthdays; use a birth-date column.';
		END IF;
	END IF;
	SELECT pg_catalog.count(*) INTO n FROM ci.review_rows(tbl, ARRAY[risk_col]) AS v
	 WHERE v[1] IS NOT NULL
	   AND NOT EXISTS (SELECT FROM ci.risk_level r WHERE r.risk_level OPERATOR(pg_catalog.=) v[1]);
	IF n OPERATOR(pg_catalog.>) 0 THEN
		RAISE EXCEPTION '% customers of table % have a risk level that is not a level of ci.risk_level', n, tbl
			USING ERRCODE = 'check_violation',
				  HINT = 'Map them to the levels of ci.risk_level (or NULL, not rated yet) before attaching the table.';
	END IF;
	INSERT INTO ci.review_table (relid, key_col, risk_col, onboarded_col, id_expiry_col, birth_col,
								 birth_is_cn_id, watched, id_expiry_window, followup_days,
								 escalate_after)
	VALUES ($1, $2, $3, $4, $6, $7, t OPERATOR(pg_catalog.=) 'ci.cn_id'::regtype,
			coalesce($5, '{}'), $8, $9, $10);
	-- the customers already there, in one statement
	-- v: key, risk level, onboarding date, ID expiry, birth (text, by
	-- output functions; the conversions below are of text only)
	INSERT INTO ci.review_schedule (relid, customer, risk_level, onboarded_on, next_due,
									id_expires_on, birth_mmdd, anniversary_mmdd)
	SELECT tbl, v[1], v[2], v[3]::pg_catalog.date,
		   (coalesce(v[3]::pg_catalog.date, CURRENT_DATE) OPERATOR(pg_catalog.+)
			coalesce(r.review_interval, interval '6 months'))::pg_catalog.date,
		   CASE WHEN id_expiry_col IS NOT NULL THEN v[4]::pg_catalog.date END,
		   CASE WHEN birth_col IS NULL THEN NULL::pg_catalog.int4
				WHEN t OPERATOR(pg_catalog.=) 'ci.cn_id'::regtype THEN ci.mmdd(ci.birth_date(v[5]::ci.cn_id))
				ELSE ci.mmdd(v[5]::pg_catalog.date) END,
		   ci.mmdd(v[3]::pg_catalog.date)
	  FROM ci.review_rows(tbl, ARRAY[key_col, risk_col, onboarded_col,
									 coalesce(id_expiry_col, onboarded_col),
									 coalesce(birth_col, onboarded_col)]) AS v
	  LEFT JOIN ci.risk_level r ON r.risk_level OPERATOR(pg_catalog.=) v[2];
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM ci.review_trigger(tbl, true);
	RETURN n;
END
$$;
COMMENT ON FUNCTION ci.attach_review(regclass, name, name, name, name[], name, name, interval, integer, interval) IS
	'attaches review scheduling to a customer table (key, risk level, onboarding date, watched columns, optional ID expiry and birth columns); returns how many customers it schedules';
REVOKE ALL ON FUNCTION ci.attach_review(regclass, name, name, name, name[], name, name, interval, integer, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.attach_review(regclass, name, name, name, name[], name, name, interval, integer, interval)
	TO customer_info_admin;

CREATE TABLE ci.review_run (
	run_id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	run_on		date NOT NULL,
	started_at	timestamptz NOT NULL,
	finished_at	timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	counts		jsonb NOT NULL,
	run_by		text NOT NULL DEFAULT SESSION_USER
);
COMMENT ON TABLE ci.review_run IS 'every run of ci.review_sweep(), with what it did';
REVOKE ALL ON ci.review_run FROM PUBLIC;
GRANT SELECT ON ci.review_run TO customer_info_admin, customer_info_auditor;

-- Tasks for a set of (customer, due date) rows, once each, with NOTIFY.
CREATE FUNCTION ci.review_tasks_add(tbl regclass, reason text, customers text[], due date[],
									detail jsonb[] DEFAULT NULL)
	RETURNS integer
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	n	integer;
BEGIN
	WITH ins AS (
		INSERT INTO ci.review_task (relid, customer, reason, due_on, detail)
		SELECT $1, c, $2, ci.working_day_on_or_before(d), coalesce(x, '{}')
		  FROM ROWS FROM (pg_catalog.unnest($3), pg_catalog.unnest($4),
						  pg_catalog.unnest($5)) AS u(c, d, x)
		ON CONFLICT (relid, customer, reason, due_on)
			WHERE reason IN ('onboarding', 'periodic', 'id_expiring', 'id_expired', 'birthday', 'anniversary')
			DO NOTHING
		RETURNING task_id, due_on)
	SELECT pg_catalog.count(pg_catalog.pg_notify('customer_info_review',
			   pg_catalog.json_build_object('task_id', ins.task_id, 'reason', $2, 'due_on', ins.due_on,
											'table', $1::text)::text))
	  INTO n FROM ins;
	RETURN n;
END
$$;
COMMENT ON FUNCTION ci.review_tasks_add(regclass, text, text[], date[], jsonb[]) IS
	'internal to ci.review_sweep(): adds tasks once each, due on a working day (the natural date or the one before), with their NOTIFY';
REVOKE ALL ON FUNCTION ci.review_tasks_add(regclass, text, text[], date[], jsonb[]) FROM PUBLIC;

-- The sweep: periodic reviews coming due, ID documents expiring or
-- expired, birthdays and anniversaries ahead, escalation of overdue tasks.
CREATE FUNCTION ci.review_sweep(today date DEFAULT CURRENT_DATE) RETURNS jsonb
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cfg			ci.review_table;
	started		timestamptz := pg_catalog.clock_timestamp();
	periodic	integer := 0;
	expiring	integer := 0;
	expired		integer := 0;
	birthdays	integer := 0;
	anniversaries integer := 0;
	escalated	integer := 0;
	k			integer;
	cs			text[];
	ds			date[];
	xs			jsonb[];
	lo			integer;
	hi			integer;
	result		jsonb;
BEGIN
	-- one sweep at a time: a second waits, then finds the work done
	PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('customer_info review sweep'));
	FOR cfg IN SELECT * FROM ci.review_table LOOP
		-- periodic reviews due within the look-ahead, on a working day
		WITH due AS (
			UPDATE ci.review_schedule s SET tasked = true
			 WHERE s.relid OPERATOR(pg_catalog.=) cfg.relid AND NOT s.tasked AND s.ended_on IS NULL
			   AND s.next_due OPERATOR(pg_catalog.<=) (today OPERATOR(pg_catalog.+) cfg.followup_days)
			RETURNING s.customer, s.next_due, s.risk_level)
		SELECT pg_catalog.array_agg(customer), pg_catalog.array_agg(ci.working_day_on_or_before(next_due)),
			   pg_catalog.array_agg(pg_catalog.jsonb_build_object('risk_level', risk_level))
		  INTO cs, ds, xs FROM due;
		periodic := periodic OPERATOR(pg_catalog.+)
			coalesce(ci.review_tasks_add(cfg.relid, 'periodic', cs, ds, xs), 0);
		-- ID documents: expiring within the window, or expired (flagged)
		IF cfg.id_expiry_col IS NOT NULL THEN
			SELECT pg_catalog.array_agg(customer), pg_catalog.array_agg(id_expires_on)
			  INTO cs, ds FROM ci.review_schedule s
			 WHERE s.relid OPERATOR(pg_catalog.=) cfg.relid AND s.ended_on IS NULL
			   AND s.id_expires_on OPERATOR(pg_catalog.>=) today
			   AND s.id_expires_on OPERATOR(pg_catalog.<=) (today OPERATOR(pg_catalog.+) cfg.id_expiry_window);
			expiring := expiring OPERATOR(pg_catalog.+)
				coalesce(ci.review_tasks_add(cfg.relid, 'id_expiring', cs, ds), 0);
			WITH x AS (
				UPDATE ci.review_schedule s SET suspended = true
				 WHERE s.relid OPERATOR(pg_catalog.=) cfg.relid AND NOT s.suspended AND s.ended_on IS NULL
				   AND s.id_expires_on OPERATOR(pg_catalog.<) today
				RETURNING s.customer, s.id_expires_on)
			SELECT pg_catalog.array_agg(customer), pg_catalog.array_agg(id_expires_on),
				   pg_catalog.array_agg('{"suspend_business": true}'::jsonb)
			  INTO cs, ds, xs FROM x;
			expired := expired OPERATOR(pg_catalog.+)
				coalesce(ci.review_tasks_add(cfg.relid, 'id_expired', cs, ds, xs), 0);
		END IF;
		-- birthdays and anniversaries in the next followup_days days
		FOR k IN 0 .. cfg.followup_days LOOP
			lo := ci.mmdd(today OPERATOR(pg_catalog.+) k);
			IF cfg.birth_col IS NOT NULL THEN
				SELECT pg_catalog.array_agg(customer),
					   pg_catalog.array_agg(today OPERATOR(pg_catalog.+) k)
				  INTO cs, ds FROM ci.review_schedule s
				 WHERE s.relid OPERATOR(pg_catalog.=) cfg.relid AND s.birth_mmdd OPERATOR(pg_catalog.=) lo
				   AND s.ended_on IS NULL;
				birthdays := birthdays OPERATOR(pg_catalog.+)
					coalesce(ci.review_tasks_add(cfg.relid, 'birthday', cs, ds), 0);
			END IF;
			SELECT pg_catalog.array_agg(customer), pg_catalog.array_agg(today OPERATOR(pg_catalog.+) k),
				   pg_catalog.array_agg(pg_catalog.jsonb_build_object('years',
						pg_catalog.date_part('year', pg_catalog.age(today OPERATOR(pg_catalog.+) k, onboarded_on))))
			  INTO cs, ds, xs FROM ci.review_schedule s
			 WHERE s.relid OPERATOR(pg_catalog.=) cfg.relid AND s.anniversary_mmdd OPERATOR(pg_catalog.=) lo
			   AND s.ended_on IS NULL
			   AND s.onboarded_on OPERATOR(pg_catalog.<) (today OPERATOR(pg_catalog.+) k OPERATOR(pg_catalog.-) 300);
			anniversaries := anniversaries OPERATOR(pg_catalog.+)
				coalesce(ci.review_tasks_add(cfg.relid, 'anniversary', cs, ds, xs), 0);
		END LOOP;
		-- overdue tasks escalate, once per escalation period
		WITH esc AS (
			UPDATE ci.review_task t
			   SET escalation = t.escalation OPERATOR(pg_catalog.+) 1, escalated_at = pg_catalog.now(),
				   escalated_on = today
			 WHERE t.relid OPERATOR(pg_catalog.=) cfg.relid AND t.status OPERATOR(pg_catalog.=) 'open'
			   AND t.due_on OPERATOR(pg_catalog.+) cfg.escalate_after OPERATOR(pg_catalog.<) today
			   AND (t.escalated_on IS NULL OR
					t.escalated_on OPERATOR(pg_catalog.+) cfg.escalate_after OPERATOR(pg_catalog.<=) today)
			RETURNING t.task_id, t.escalation, t.due_on)
		SELECT pg_catalog.count(pg_catalog.pg_notify('customer_info_review',
				   pg_catalog.json_build_object('task_id', task_id, 'reason', 'escalated',
												'escalation', escalation, 'due_on', due_on,
												'table', cfg.relid::text)::text))
		  INTO k FROM esc;
		escalated := escalated OPERATOR(pg_catalog.+) k;
	END LOOP;
	result := pg_catalog.jsonb_build_object('periodic', periodic, 'id_expiring', expiring,
		'id_expired', expired, 'birthdays', birthdays, 'anniversaries', anniversaries,
		'escalated', escalated);
	INSERT INTO ci.review_run (run_on, started_at, counts) VALUES (today, started, result);
	RETURN result;
END
$$;
COMMENT ON FUNCTION ci.review_sweep(date) IS
	'the daily review sweep (background scheduler or pg_cron): periodic reviews coming due, ID documents expiring or expired, birthdays and anniversaries ahead, escalations; idempotent, one at a time; returns its counts';
REVOKE ALL ON FUNCTION ci.review_sweep(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.review_sweep(date) TO customer_info_admin;

-- The queue, as reviewers see it.
CREATE VIEW ci.review_queue AS
	SELECT t.task_id, t.relid AS tbl, t.customer, t.reason, t.detail, t.due_on,
		   CASE WHEN t.due_on OPERATOR(pg_catalog.>) CURRENT_DATE THEN 'upcoming'
				WHEN t.due_on OPERATOR(pg_catalog.=) CURRENT_DATE THEN 'due'
				ELSE 'overdue' END AS state,
		   s.risk_level, s.suspended, t.assignee, t.escalation, t.created_at
	  FROM ci.review_task t
	  LEFT JOIN ci.review_schedule s
		ON s.relid OPERATOR(pg_catalog.=) t.relid AND s.customer OPERATOR(pg_catalog.=) t.customer
	 WHERE t.status OPERATOR(pg_catalog.=) 'open';
COMMENT ON VIEW ci.review_queue IS
	'open review tasks with their state (upcoming, due, overdue), risk level, assignee and escalation';
REVOKE ALL ON ci.review_queue FROM PUBLIC;
GRANT SELECT ON ci.review_queue TO customer_info_admin, customer_info_auditor;

CREATE FUNCTION ci.assign_review(task_id bigint, assignee regrole) RETURNS void
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- the role's name as it is, not quoted (pg_has_role() takes it so)
	UPDATE ci.review_task t
	   SET assignee = (SELECT r.rolname FROM pg_catalog.pg_roles r
						WHERE r.oid OPERATOR(pg_catalog.=) $2::pg_catalog.oid)
	 WHERE t.task_id OPERATOR(pg_catalog.=) $1 AND t.status OPERATOR(pg_catalog.=) 'open';
	IF NOT FOUND THEN
		RAISE EXCEPTION 'review task % is not open', task_id USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
END
$$;
COMMENT ON FUNCTION ci.assign_review(bigint, regrole) IS 'assigns an open review task to a reviewer';
REVOKE ALL ON FUNCTION ci.assign_review(bigint, regrole) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.assign_review(bigint, regrole) TO customer_info_admin;

CREATE FUNCTION ci.complete_review(task_id bigint, outcome text, notes text DEFAULT NULL,
								   new_risk_level text DEFAULT NULL)
	RETURNS void
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t		ci.review_task;
	cfg		ci.review_table;
	lvl		text;
BEGIN
	SELECT * INTO t FROM ci.review_task x WHERE x.task_id OPERATOR(pg_catalog.=) $1 FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'review task % does not exist', task_id USING ERRCODE = 'no_data_found';
	END IF;
	IF t.status OPERATOR(pg_catalog.<>) 'open' THEN
		RAISE EXCEPTION 'review task % is already %', task_id,
			CASE t.status WHEN 'done' THEN 'completed' ELSE 'closed' END
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = pg_catalog.format('It was completed by %s.', t.completed_by);
	END IF;
	IF t.assignee IS NOT NULL AND NOT pg_catalog.pg_has_role(SESSION_USER, t.assignee, 'MEMBER') THEN
		RAISE EXCEPTION 'review task % is assigned to %', task_id, t.assignee
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Only the assignee completes it; an admin can reassign it with ci.assign_review().';
	END IF;
	IF t.assignee IS NULL AND NOT pg_catalog.pg_has_role(SESSION_USER, 'customer_info_admin', 'USAGE') THEN
		RAISE EXCEPTION 'review task % is not assigned to you', task_id
			USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF NOT EXISTS (SELECT FROM ci.review_outcome o WHERE o.outcome OPERATOR(pg_catalog.=) $2) THEN
		RAISE EXCEPTION 'unknown review outcome "%"', outcome
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = (SELECT 'The outcomes are ' OPERATOR(pg_catalog.||)
							pg_catalog.string_agg(o.outcome, ', ' ORDER BY o.outcome)
							OPERATOR(pg_catalog.||) '.' FROM ci.review_outcome o);
	END IF;
	IF new_risk_level IS NOT NULL AND NOT EXISTS (
		SELECT FROM ci.risk_level r WHERE r.risk_level OPERATOR(pg_catalog.=) new_risk_level) THEN
		RAISE EXCEPTION 'unknown risk level "%"', new_risk_level USING ERRCODE = 'invalid_parameter_value';
	END IF;
	UPDATE ci.review_task x
	   SET status = 'done', outcome = $2, notes = $3, new_risk_level = $4,
		   completed_by = SESSION_USER, completed_at = pg_catalog.now()
	 WHERE x.task_id OPERATOR(pg_catalog.=) $1;
	-- closed: the relationship ended; no more periodic reviews or
	-- follow-ups, and the customer's other open tasks are closed
	IF $2 OPERATOR(pg_catalog.=) 'closed' THEN
		UPDATE ci.review_schedule s
		   SET ended_on = CURRENT_DATE, last_review = CURRENT_DATE, next_due = NULL, tasked = false
		 WHERE s.relid OPERATOR(pg_catalog.=) t.relid AND s.customer OPERATOR(pg_catalog.=) t.customer;
		UPDATE ci.review_task x
		   SET status = 'closed', completed_by = SESSION_USER, completed_at = pg_catalog.now(),
			   notes = pg_catalog.format('relationship ended (review task %s)', t.task_id)
		 WHERE x.relid OPERATOR(pg_catalog.=) t.relid AND x.customer OPERATOR(pg_catalog.=) t.customer
		   AND x.status OPERATOR(pg_catalog.=) 'open';
		RETURN;
	END IF;
	-- a review of the customer schedules the next one, from its level
	IF t.reason IN ('onboarding', 'periodic', 'risk_change', 'watched_change', 'id_expiring',
					'id_expired', 'threshold') THEN
		SELECT coalesce(new_risk_level, s.risk_level) INTO lvl FROM ci.review_schedule s
		 WHERE s.relid OPERATOR(pg_catalog.=) t.relid AND s.customer OPERATOR(pg_catalog.=) t.customer;
		UPDATE ci.review_schedule s
		   SET risk_level = lvl, last_review = CURRENT_DATE, tasked = false,
			   next_due = (CURRENT_DATE OPERATOR(pg_catalog.+)
						   coalesce(ci.review_interval_of(lvl), interval '6 months'))::date
		 WHERE s.relid OPERATOR(pg_catalog.=) t.relid AND s.customer OPERATOR(pg_catalog.=) t.customer;
		-- the customer's row takes the new level, without a task of its own
		IF new_risk_level IS NOT NULL THEN
			SELECT * INTO cfg FROM ci.review_table c WHERE c.relid OPERATOR(pg_catalog.=) t.relid;
			PERFORM ci.review_set_level(t.relid, cfg.key_col, cfg.risk_col, t.customer, new_risk_level);
		END IF;
	END IF;
END
$$;
COMMENT ON FUNCTION ci.complete_review(bigint, text, text, text) IS
	'completes a review task with an outcome, notes and optionally a new risk level (which schedules the next periodic review); closed ends the customer''s schedule and closes its open tasks';
REVOKE ALL ON FUNCTION ci.complete_review(bigint, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.complete_review(bigint, text, text, text) TO customer_info_admin;

CREATE FUNCTION ci.review_set_level(tbl regclass, key_col name, risk_col name, customer text,
									level text)
	RETURNS void
	AS 'MODULE_PATHNAME', 'ci_review_set_level'
	LANGUAGE C;
COMMENT ON FUNCTION ci.review_set_level(regclass, name, name, text, text) IS
	'internal to ci.complete_review(): writes a new risk level into the customer''s row, as the table''s owner';
REVOKE ALL ON FUNCTION ci.review_set_level(regclass, name, name, text, text) FROM PUBLIC;

CREATE FUNCTION ci.watch(tbl regclass, col name, change text, threshold numeric,
						 direction text DEFAULT 'any', min_risk_level text DEFAULT NULL)
	RETURNS bigint
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t		regtype;
	id		bigint;
BEGIN
	IF NOT EXISTS (SELECT FROM ci.review_table r WHERE r.relid OPERATOR(pg_catalog.=) tbl) THEN
		RAISE EXCEPTION 'table % is not attached to review scheduling', tbl
			USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Attach it with ci.attach_review() first.';
	END IF;
	SELECT a.atttypid::regtype INTO t FROM pg_catalog.pg_attribute a
	 WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) col
	   AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped;
	IF t IS NULL THEN
		RAISE EXCEPTION 'column "%" of table % does not exist', col, tbl USING ERRCODE = 'undefined_column';
	END IF;
	IF t::oid NOT IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'numeric'::regtype,
					  'float4'::regtype, 'float8'::regtype, 'money'::regtype) THEN
		RAISE EXCEPTION 'column "%" of table % is of type %, not numeric', col, tbl, t
			USING ERRCODE = 'datatype_mismatch';
	END IF;
	IF change IS NULL OR change NOT IN ('absolute', 'relative') THEN
		RAISE EXCEPTION 'a change is "absolute" or "relative", not "%"', change
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF direction IS NULL OR direction NOT IN ('up', 'down', 'any') THEN
		RAISE EXCEPTION 'a direction is "up", "down" or "any", not "%"', direction
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF threshold IS NULL OR threshold OPERATOR(pg_catalog.<=) 0 THEN
		RAISE EXCEPTION 'the threshold must be positive, not %', threshold
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Say which way with direction => ''down'' (a fall) or ''up'' (a rise).';
	END IF;
	IF change OPERATOR(pg_catalog.=) 'relative' AND direction OPERATOR(pg_catalog.=) 'down'
	   AND threshold OPERATOR(pg_catalog.>=) 1 THEN
		RAISE EXCEPTION 'a relative fall of % can never happen to a positive value', threshold
			USING ERRCODE = 'invalid_parameter_value', HINT = 'A fall by half is threshold => 0.5.';
	END IF;
	IF min_risk_level IS NOT NULL AND NOT EXISTS (
		SELECT FROM ci.risk_level r WHERE r.risk_level OPERATOR(pg_catalog.=) min_risk_level) THEN
		RAISE EXCEPTION 'unknown risk level "%"', min_risk_level USING ERRCODE = 'invalid_parameter_value';
	END IF;
	INSERT INTO ci.watch_rule (relid, attname, change, direction, threshold, min_risk_level)
	VALUES (tbl, col, change, direction, threshold, min_risk_level)
	RETURNING rule_id INTO id;
	RETURN id;
END
$$;
COMMENT ON FUNCTION ci.watch(regclass, name, text, numeric, text, text) IS
	'declares a threshold alert on a numeric column of an attached table: an absolute or relative change beyond the threshold (up, down or any; optionally only at a risk level or higher) raises an alert task';
REVOKE ALL ON FUNCTION ci.watch(regclass, name, text, numeric, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.watch(regclass, name, text, numeric, text, text) TO customer_info_admin;

-- Data quality of an attached table: completeness per column, validity
-- per column of a known kind, staleness of reviews, duplicate identities.
-- Both read as the caller, FROM ONLY after the relation-kind check; a
-- row-level security policy makes them fail rather than run as the caller
-- (row_security off), and keys and values are compared and validated as
-- their output functions write them (ci.column_text), never through a cast
-- or an operator the table's owner may have written.
CREATE FUNCTION ci.quality_report(tbl regclass, kinds jsonb DEFAULT '{}')
	RETURNS TABLE (measure text, column_name name, checked bigint, failing bigint, share numeric)
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
	SET row_security = off
AS $$
DECLARE
	cfg		ci.review_table;
	a		record;
	k		text;
	n		bigint;
	bad		bigint;
BEGIN
	SELECT * INTO cfg FROM ci.review_table r WHERE r.relid OPERATOR(pg_catalog.=) tbl;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'table % is not attached to review scheduling', tbl
			USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Attach it with ci.attach_review() first.';
	END IF;
	PERFORM ci.require_table(tbl);
	EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM ONLY %s', tbl) INTO n;
	FOR a IN SELECT x.attname, x.atttypid, p.kind, p.encrypted, p.index_attname
			   FROM pg_catalog.pg_attribute x
			   LEFT JOIN ci.protected_column p
				 ON p.relid OPERATOR(pg_catalog.=) tbl AND p.attname OPERATOR(pg_catalog.=) x.attname
			  WHERE x.attrelid OPERATOR(pg_catalog.=) tbl AND x.attnum OPERATOR(pg_catalog.>) 0
				AND NOT x.attisdropped
				AND NOT EXISTS (SELECT FROM ci.protected_column h
								 WHERE h.relid OPERATOR(pg_catalog.=) tbl
								   AND x.attname IN (h.mask_attname, h.index_attname))
			  ORDER BY x.attnum LOOP
		-- completeness: present and not empty
		EXECUTE pg_catalog.format(
			'SELECT pg_catalog.count(*) FROM ONLY %s WHERE %I IS NULL%s', tbl, a.attname,
			CASE WHEN a.atttypid IN ('text'::regtype, 'varchar'::regtype, 'bpchar'::regtype)
				 THEN pg_catalog.format(' OR pg_catalog.btrim(%I) OPERATOR(pg_catalog.=) ''''', a.attname)
				 ELSE '' END) INTO bad;
		measure := 'completeness'; column_name := a.attname; checked := n; failing := bad;
		share := CASE WHEN n OPERATOR(pg_catalog.=) 0 THEN NULL
					  ELSE pg_catalog.round(1 OPERATOR(pg_catalog.-) (bad::numeric OPERATOR(pg_catalog./) n), 4) END;
		RETURN NEXT;
		-- validity, for a known kind stored in clear
		k := coalesce(kinds OPERATOR(pg_catalog.->>) a.attname::text,
					  CASE WHEN NOT coalesce(a.encrypted, true) THEN a.kind END);
		IF k IN ('cn_id', 'uscc', 'cn_mobile', 'bank_card') THEN
			EXECUTE pg_catalog.format(
				'SELECT pg_catalog.count(*) FILTER (WHERE NOT ci.%I(ci.column_text(t, %L))),'
				' pg_catalog.count(%I) FROM ONLY %s t', 'is_valid_' OPERATOR(pg_catalog.||) k, a.attname,
				a.attname, tbl) INTO bad, checked;
			measure := 'validity (' OPERATOR(pg_catalog.||) k OPERATOR(pg_catalog.||) ')';
			failing := bad;
			share := CASE WHEN checked OPERATOR(pg_catalog.=) 0 THEN NULL
						  ELSE pg_catalog.round(1 OPERATOR(pg_catalog.-) (bad::numeric OPERATOR(pg_catalog./) checked), 4) END;
			RETURN NEXT;
		END IF;
		-- duplicates: one identity (blind index) under several customers
		IF a.index_attname IS NOT NULL THEN
			EXECUTE pg_catalog.format(
				'SELECT pg_catalog.count(*), pg_catalog.count(%1$I) FROM ONLY %2$s t WHERE EXISTS ('
				' SELECT FROM ONLY %2$s u WHERE u.%1$I OPERATOR(pg_catalog.=) t.%1$I'
				' AND ci.column_text(u, %3$L) OPERATOR(pg_catalog.<>) ci.column_text(t, %3$L))',
				a.index_attname, tbl, cfg.key_col) INTO bad, checked;
			EXECUTE pg_catalog.format('SELECT pg_catalog.count(%I) FROM ONLY %s', a.index_attname, tbl) INTO checked;
			measure := 'duplicates'; column_name := a.attname; failing := bad;
			share := CASE WHEN checked OPERATOR(pg_catalog.=) 0 THEN NULL
						  ELSE pg_catalog.round(bad::numeric OPERATOR(pg_catalog./) checked, 4) END;
			RETURN NEXT;
		END IF;
	END LOOP;
	-- unrated: no risk level, or one that is no longer in ci.risk_level
	SELECT pg_catalog.count(*), pg_catalog.count(*) FILTER (WHERE NOT EXISTS (
			SELECT FROM ci.risk_level r WHERE r.risk_level OPERATOR(pg_catalog.=) s.risk_level))
	  INTO checked, failing FROM ci.review_schedule s WHERE s.relid OPERATOR(pg_catalog.=) tbl;
	measure := 'unrated'; column_name := cfg.risk_col;
	share := CASE WHEN checked OPERATOR(pg_catalog.=) 0 THEN NULL
				  ELSE pg_catalog.round(1 OPERATOR(pg_catalog.-) (failing::numeric OPERATOR(pg_catalog./) checked), 4) END;
	RETURN NEXT;
	-- staleness: the periodic review is overdue
	SELECT pg_catalog.count(*), pg_catalog.count(*) FILTER (WHERE s.next_due OPERATOR(pg_catalog.<) CURRENT_DATE)
	  INTO checked, failing FROM ci.review_schedule s WHERE s.relid OPERATOR(pg_catalog.=) tbl;
	measure := 'staleness'; column_name := NULL;
	share := CASE WHEN checked OPERATOR(pg_catalog.=) 0 THEN NULL
				  ELSE pg_catalog.round(failing::numeric OPERATOR(pg_catalog./) checked, 4) END;
	RETURN NEXT;
END
$$;
COMMENT ON FUNCTION ci.quality_report(regclass, jsonb) IS
	'data quality of an attached table: completeness per column, validity of columns of a known kind (kinds => {"column": "cn_mobile"} adds unprotected ones), duplicates of searchable identities (only columns with a blind index), customers without a known risk level, staleness of reviews';
REVOKE ALL ON FUNCTION ci.quality_report(regclass, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.quality_report(regclass, jsonb) TO customer_info_admin, customer_info_auditor;

CREATE FUNCTION ci.quality_scores(tbl regclass, kinds jsonb DEFAULT '{}')
	RETURNS TABLE (customer text, missing integer, invalid integer, stale boolean,
				   duplicate boolean, score integer)
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
	SET row_security = off
AS $$
DECLARE
	cfg		ci.review_table;
	miss	text := '0';
	inval	text := '0';
	dup		text := 'false';
	a		record;
	k		text;
BEGIN
	SELECT * INTO cfg FROM ci.review_table r WHERE r.relid OPERATOR(pg_catalog.=) tbl;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'table % is not attached to review scheduling', tbl
			USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	PERFORM ci.require_table(tbl);
	FOR a IN SELECT x.attname, x.atttypid, p.kind, p.encrypted, p.index_attname
			   FROM pg_catalog.pg_attribute x
			   LEFT JOIN ci.protected_column p
				 ON p.relid OPERATOR(pg_catalog.=) tbl AND p.attname OPERATOR(pg_catalog.=) x.attname
			  WHERE x.attrelid OPERATOR(pg_catalog.=) tbl AND x.attnum OPERATOR(pg_catalog.>) 0
				AND NOT x.attisdropped
				AND NOT EXISTS (SELECT FROM ci.protected_column h
								 WHERE h.relid OPERATOR(pg_catalog.=) tbl
								   AND x.attname IN (h.mask_attname, h.index_attname)) LOOP
		miss := miss OPERATOR(pg_catalog.||) pg_catalog.format(' + (t.%I IS NULL%s)::int', a.attname,
			CASE WHEN a.atttypid IN ('text'::regtype, 'varchar'::regtype, 'bpchar'::regtype)
				 THEN pg_catalog.format(' OR pg_catalog.btrim(t.%I) OPERATOR(pg_catalog.=) ''''', a.attname)
				 ELSE '' END);
		k := coalesce(kinds OPERATOR(pg_catalog.->>) a.attname::text,
					  CASE WHEN NOT coalesce(a.encrypted, true) THEN a.kind END);
		IF k IN ('cn_id', 'uscc', 'cn_mobile', 'bank_card') THEN
			inval := inval OPERATOR(pg_catalog.||) pg_catalog.format(
				' + coalesce((NOT ci.%I(ci.column_text(t, %L)))::int, 0)', 'is_valid_' OPERATOR(pg_catalog.||) k,
				a.attname);
		END IF;
		IF a.index_attname IS NOT NULL THEN
			dup := dup OPERATOR(pg_catalog.||) pg_catalog.format(
				' OR EXISTS (SELECT FROM ONLY %1$s u WHERE u.%2$I OPERATOR(pg_catalog.=) t.%2$I'
				' AND ci.column_text(u, %3$L) OPERATOR(pg_catalog.<>) ci.column_text(t, %3$L))',
				tbl, a.index_attname, cfg.key_col);
		END IF;
	END LOOP;
	RETURN QUERY EXECUTE pg_catalog.format(
		'SELECT ci.column_text(t, %1$L), (%2$s)::int, (%3$s)::int,'
		'       coalesce(s.next_due OPERATOR(pg_catalog.<) CURRENT_DATE, false), (%4$s),'
		'       GREATEST(0, 100 - 10 * (%2$s) - 20 * (%3$s)'
		'           - CASE WHEN s.next_due OPERATOR(pg_catalog.<) CURRENT_DATE THEN 20 ELSE 0 END'
		'           - CASE WHEN %4$s THEN 30 ELSE 0 END)::int'
		'  FROM ONLY %5$s t LEFT JOIN ci.review_schedule s'
		'    ON s.relid OPERATOR(pg_catalog.=) $1 AND s.customer OPERATOR(pg_catalog.=) ci.column_text(t, %1$L)'
		' ORDER BY 6, 1', cfg.key_col, miss, inval, dup, tbl) USING tbl;
END
$$;
COMMENT ON FUNCTION ci.quality_scores(regclass, jsonb) IS
	'per customer of an attached table: missing fields, invalid values, stale review, duplicate identity, and a score out of 100 (lowest first: the follow-up list)';
REVOKE ALL ON FUNCTION ci.quality_scores(regclass, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.quality_scores(regclass, jsonb) TO customer_info_admin, customer_info_auditor;

-- A guard a bank attaches to the tables of its business (payments,
-- orders, ...): a row of a customer whose business is suspended (ID
-- document expired, see ci.review_sweep) is refused.  Arguments: the
-- attached customer table, schema-qualified, and the column of this
-- table holding the customer key.  EXECUTE is granted to
-- customer_info_admin only: whoever attaches it learns who is suspended.
CREATE FUNCTION ci.require_not_suspended() RETURNS trigger
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	tbl		regclass;
	cust	text;
BEGIN
	IF TG_LEVEL OPERATOR(pg_catalog.<>) 'ROW' OR TG_WHEN OPERATOR(pg_catalog.<>) 'BEFORE'
	   OR TG_NARGS OPERATOR(pg_catalog.<>) 2 THEN
		RAISE EXCEPTION 'trigger % on % is not a valid use of ci.require_not_suspended()', TG_NAME, TG_RELID::regclass
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Create it BEFORE INSERT OR UPDATE OR DELETE ... FOR EACH ROW with two arguments: the customer table (schema-qualified) and the column of this table holding the customer key.';
	END IF;
	tbl := pg_catalog.to_regclass(TG_ARGV[0]);
	IF tbl IS NULL OR NOT EXISTS (SELECT FROM ci.review_table r WHERE r.relid OPERATOR(pg_catalog.=) tbl) THEN
		RAISE EXCEPTION 'trigger % on %: "%" is not a customer table attached to review scheduling',
			TG_NAME, TG_RELID::regclass, TG_ARGV[0]
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Name the table with its schema (public.customers) and attach it with ci.attach_review().';
	END IF;
	IF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
		cust := ci.column_text(OLD, TG_ARGV[1]::name);
	ELSE
		cust := ci.column_text(NEW, TG_ARGV[1]::name);
	END IF;
	IF EXISTS (SELECT FROM ci.review_schedule s
				WHERE s.relid OPERATOR(pg_catalog.=) tbl AND s.customer OPERATOR(pg_catalog.=) cust
				  AND (s.suspended OR s.id_expires_on OPERATOR(pg_catalog.<) CURRENT_DATE)) THEN
		RAISE EXCEPTION 'business of a suspended customer is refused'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = pg_catalog.format('The customer''s ID document in %s has expired; %s refuses this %s until it is renewed.',
											 tbl, TG_RELID::regclass, pg_catalog.lower(TG_OP)),
				  HINT = 'Record the renewed document''s expiry date in the customer table; the suspension lifts at once.';
	END IF;
	IF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
		RETURN OLD;
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION ci.require_not_suspended() IS
	'BEFORE ROW trigger for business tables: refuses a row of a customer whose ID document expired (arguments: the attached customer table, schema-qualified, and the customer key column of this table)';
REVOKE ALL ON FUNCTION ci.require_not_suspended() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.require_not_suspended() TO customer_info_admin;

-------------------------------------------------------------------------------
-- Audit of changes, with a tamper-evident hash chain
-------------------------------------------------------------------------------

CREATE TABLE ci.audit_log (
	audit_id	bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	logged_at	timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	txid		xid8 NOT NULL,
	relid		oid NOT NULL,
	table_name	text NOT NULL,
	operation	text NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'UNAUDIT',
											 'AUDIT TRIGGER OFF')),
	row_key		jsonb,
	changed		text[],
	old_values	jsonb,
	new_values	jsonb,
	session_user_name text NOT NULL,
	current_user_name text NOT NULL,
	application_name text,
	client_addr	inet,
	purpose		text
);
-- the sealer looks only at rows of transactions it has not seen finish
CREATE INDEX audit_log_txid ON ci.audit_log USING brin (txid ci.xid8_minmax_ops);
COMMENT ON TABLE ci.audit_log IS
	'changes to audited tables: who, when, which row, the columns that changed (protected ones as envelope or mask, never plaintext); append-only';
SELECT pg_catalog.pg_extension_config_dump('ci.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump('ci.audit_log_audit_id_seq', '');
REVOKE ALL ON ci.audit_log FROM PUBLIC;
GRANT SELECT ON ci.audit_log TO customer_info_auditor;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE
	ON ci.audit_log FOR EACH STATEMENT EXECUTE FUNCTION ci.append_only();

-- The chain: link n hashes link n-1's hash, n, its source and the
-- canonical encoding of one row of the source: a change (ci.audit_log) or
-- a clear read (ci.read_audit).
CREATE TABLE ci.audit_chain (
	chain_seq	bigint PRIMARY KEY CHECK (chain_seq > 0),
	audit_id	bigint NOT NULL,
	prev_hash	bytea NOT NULL,
	row_hash	bytea NOT NULL,
	sealed_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	source		text NOT NULL DEFAULT 'audit_log' CHECK (source IN ('audit_log', 'read_audit')),
	UNIQUE (audit_id, source)
);
COMMENT ON TABLE ci.audit_chain IS
	'the SHA-256 hash chain over ci.audit_log and ci.read_audit (ci.audit_seal, ci.audit_verify); audit_id is the sealed row''s id in its source table (audit_id or record_id); append-only';
SELECT pg_catalog.pg_extension_config_dump('ci.audit_chain', '');
REVOKE ALL ON ci.audit_chain FROM PUBLIC;
GRANT SELECT ON ci.audit_chain TO customer_info_auditor;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE
	ON ci.audit_chain FOR EACH STATEMENT EXECUTE FUNCTION ci.append_only();

CREATE TABLE ci.audit_table (
	relid		regclass PRIMARY KEY,
	excluded	name[] NOT NULL DEFAULT '{}',
	log_unchanged boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE ci.audit_table IS 'tables attached to the audit (ci.audit), with their excluded columns';
SELECT pg_catalog.pg_extension_config_dump('ci.audit_table', '');
REVOKE ALL ON ci.audit_table FROM PUBLIC;
GRANT SELECT ON ci.audit_table TO customer_info_admin, customer_info_auditor;
CREATE TRIGGER policy_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON ci.audit_table FOR EACH STATEMENT EXECUTE FUNCTION ci.policy_changed();

CREATE FUNCTION ci.audit_trigger() RETURNS trigger
	AS 'MODULE_PATHNAME', 'ci_audit_trigger'
	LANGUAGE C;
COMMENT ON FUNCTION ci.audit_trigger() IS
	'the audit triggers of ci.audit(): the row trigger records a change (written into ci.audit_log when the transaction commits), the statement trigger records TRUNCATE; fires only on tables attached with ci.audit()';

CREATE FUNCTION ci.audit_attach(tbl regclass, exclude name[], log_unchanged boolean, attach boolean)
	RETURNS void
	AS 'MODULE_PATHNAME', 'ci_audit_attach'
	LANGUAGE C;
COMMENT ON FUNCTION ci.audit_attach(regclass, name[], boolean, boolean) IS
	'internal to ci.audit() and ci.unaudit()';
REVOKE ALL ON FUNCTION ci.audit_attach(regclass, name[], boolean, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.audit_attach(regclass, name[], boolean, boolean) TO customer_info_admin;

CREATE FUNCTION ci.audit(tbl regclass, exclude name[] DEFAULT '{}', log_unchanged boolean DEFAULT false)
	RETURNS void
	LANGUAGE sql
	RETURN ci.audit_attach(tbl, exclude, log_unchanged, true);
COMMENT ON FUNCTION ci.audit(regclass, name[], boolean) IS
	'audits a table: every INSERT, UPDATE (changed columns only; with log_unchanged, also updates that change nothing), DELETE and TRUNCATE goes to ci.audit_log, without the excluded columns';
REVOKE ALL ON FUNCTION ci.audit(regclass, name[], boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.audit(regclass, name[], boolean) TO customer_info_admin;

CREATE FUNCTION ci.unaudit(tbl regclass) RETURNS void
	LANGUAGE sql
	RETURN ci.audit_attach(tbl, NULL, NULL, false);
COMMENT ON FUNCTION ci.unaudit(regclass) IS
	'stops auditing a table (the stop is itself recorded in ci.audit_log)';
REVOKE ALL ON FUNCTION ci.unaudit(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.unaudit(regclass) TO customer_info_admin;

CREATE FUNCTION ci.audit_seal(max_rows integer DEFAULT 1000000) RETURNS bigint
	AS 'MODULE_PATHNAME', 'ci_audit_seal'
	LANGUAGE C STRICT;
COMMENT ON FUNCTION ci.audit_seal(integer) IS
	'links the change-log and read-audit rows committed since the last seal into the hash chain (one sealer at a time); returns how many';
REVOKE ALL ON FUNCTION ci.audit_seal(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.audit_seal(integer) TO customer_info_admin, customer_info_auditor;

CREATE FUNCTION ci.audit_verify(from_seq bigint DEFAULT 1, to_seq bigint DEFAULT NULL,
								head_seq bigint DEFAULT NULL, head_hash bytea DEFAULT NULL,
								OUT ok boolean, OUT checked bigint, OUT first_broken bigint,
								OUT problem text, OUT unsealed bigint)
	AS 'MODULE_PATHNAME', 'ci_audit_verify'
	LANGUAGE C;
COMMENT ON FUNCTION ci.audit_verify(bigint, bigint, bigint, bytea) IS
	'recomputes the hash chain (or a range) and names the first broken link; with a head kept outside, also that the chain still reaches it unchanged; unsealed counts the committed rows not sealed yet (verified only once sealed; NULL when to_seq bounds the range)';
REVOKE ALL ON FUNCTION ci.audit_verify(bigint, bigint, bigint, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.audit_verify(bigint, bigint, bigint, bytea) TO customer_info_admin, customer_info_auditor;

CREATE FUNCTION ci.audit_head(OUT chain_seq bigint, OUT row_hash bytea)
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT c.chain_seq, c.row_hash FROM ci.audit_chain c ORDER BY c.chain_seq DESC LIMIT 1;
$$;
COMMENT ON FUNCTION ci.audit_head() IS
	'the last link of the audit chain: keep it outside the database, and verify against it later';
REVOKE ALL ON FUNCTION ci.audit_head() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.audit_head() TO customer_info_admin, customer_info_auditor;

-- Where the sealer starts looking, per source: every committed row of a
-- transaction older than from_txid is sealed.  Not dumped: in a restored
-- database the transaction ids start again, so sealing starts from 0.
CREATE TABLE ci.audit_seal_state (
	source		text PRIMARY KEY CHECK (source IN ('audit_log', 'read_audit')),
	from_txid	xid8 NOT NULL
);
INSERT INTO ci.audit_seal_state VALUES ('audit_log', '0'), ('read_audit', '0');
COMMENT ON TABLE ci.audit_seal_state IS
	'internal to ci.audit_seal(): the oldest transaction whose rows may still be unsealed, per source';
REVOKE ALL ON ci.audit_seal_state FROM PUBLIC;

-- What a purge leaves: the last link it removed, where the chain goes on.
CREATE TABLE ci.audit_checkpoint (
	chain_seq	bigint PRIMARY KEY,
	row_hash	bytea NOT NULL,
	purged_rows	bigint NOT NULL,
	purged_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	purged_by	text NOT NULL DEFAULT SESSION_USER
);
COMMENT ON TABLE ci.audit_checkpoint IS
	'the links where audit retention purges ended: the remaining chain verifies from them; append-only';
SELECT pg_catalog.pg_extension_config_dump('ci.audit_checkpoint', '');
REVOKE ALL ON ci.audit_checkpoint FROM PUBLIC;
GRANT SELECT ON ci.audit_checkpoint TO customer_info_auditor, customer_info_admin;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE
	ON ci.audit_checkpoint FOR EACH STATEMENT EXECUTE FUNCTION ci.append_only();

CREATE FUNCTION ci.audit_purge(older_than interval) RETURNS bigint
	AS 'MODULE_PATHNAME', 'ci_audit_purge'
	LANGUAGE C STRICT;
COMMENT ON FUNCTION ci.audit_purge(interval) IS
	'removes the oldest sealed segment of the chain whose rows (changes and reads) are all older than older_than (AML: keep 10 years after the relationship ends), keeping a checkpoint so the rest still verifies; returns how many rows went; older_than below customer_info.audit_min_retention (superuser setting, default 10 years) is refused';
REVOKE ALL ON FUNCTION ci.audit_purge(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ci.audit_purge(interval) TO customer_info_admin;
