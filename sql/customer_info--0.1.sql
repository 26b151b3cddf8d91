/* customer_info--0.1.sql — install script */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION customer_info CASCADE" to load this file. \quit

COMMENT ON SCHEMA ci IS 'customer_info: identifier types, masks and policy functions';

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
COMMENT ON FUNCTION ci.mask_name(text) IS 'keeps the surname (张三 -> 张*, 欧阳娜娜 -> 欧阳**); Latin names keep initials';
CREATE FUNCTION ci.mask_email(text) RETURNS text
	AS 'MODULE_PATHNAME', 'ci_mask_email_sql'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.mask_email(text) IS 'keeps the first character and the domain: z***@example.com';
CREATE FUNCTION ci.mask_address(text) RETURNS text
	AS 'MODULE_PATHNAME', 'ci_mask_address_sql'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.mask_address(text) IS 'keeps province and city: 广东省深圳市****';
CREATE FUNCTION ci.mask_keep(text, integer, integer) RETURNS text
	AS 'MODULE_PATHNAME', 'ci_mask_keep_sql'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ci.mask_keep(text, integer, integer) IS 'keeps the first n and last m characters, one * for each other character';
