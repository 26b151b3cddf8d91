/*
 * test/synthetic.sql — synthetic Chinese retail-banking customers.
 *
 *   psql -d mydb -f test/synthetic.sql
 *   CREATE TABLE t AS SELECT * FROM synthetic.customers(1000000, 42);
 *
 * Creates schema "synthetic" with synthetic.customers(n, seed) and the
 * helpers it is built from, in one transaction; running it again replaces
 * the functions.  It does not need customer_info (which checks its output).
 *
 * Every identifier passes the rules of customer_info's parsers
 * (src/parse_*.c): GB 11643 resident ID numbers with a real division code,
 * a birth date that exists and the ISO 7064 MOD 11-2 check character;
 * GB 32100 unified social credit codes "91..." with a valid GB 11714
 * organisation code check (character 17) and MOD 31 check (character 18);
 * mobile numbers 13x-19x; UnionPay-style cards (62..., 16 or 19 digits)
 * with a Luhn check digit.  The rows are consistent: birth date and gender
 * are those the ID number encodes, the address lies in the division the ID
 * number was issued in, the employer is registered there, students are
 * young and the retired old.  employer_uscc is NULL for occupations without
 * an employer, id_expiry for cards valid without limit.
 *
 * Deterministic: every value of row i is a function of (i, seed) only,
 * computed from pg_catalog.hashint8extended with a different salt per
 * field, never random(), so the same (n, seed)
 * gives the same rows in any session, plan, order or degree of
 * parallelism, and customers(n, seed) is a prefix of customers(n + m, seed).
 *
 * Unique: cn_id for the first 12,236,000 rows of a seed, mobile for the
 * first 10^8, bank_card for the first 10^9 (each is built on a keyed
 * permutation of the row number, see synthetic.shuffle).  Names, emails
 * and employers repeat, as in real data.
 *
 * Fast: customers() is a single SQL query that the planner inlines, and
 * the helpers are IMMUTABLE SQL functions that it inlines into that query,
 * so a row costs expression evaluation only: CREATE TABLE ... AS of a
 * million rows takes about 8 s on one core.  The query is layered with
 * OFFSET 0 subqueries so that intermediate values are computed once per
 * row and the helpers get plain columns as arguments: the planner does not
 * inline a SQL function whose parameter appears several times in its body
 * when the argument is an expensive expression, and a SQL function that is
 * not inlined costs microseconds per call.  Keep that in mind when editing.
 *
 * The helpers have SQL-standard bodies, bound when created under the
 * search_path set below, so a caller's search_path cannot redirect them.
 * Ad hoc use, e.g.:
 *   SELECT synthetic.cn_id_for(synthetic.cn_id_first17(110105, '1990-03-07', 123));
 *
 * The data are invented: ID numbers, mobiles and card numbers are merely
 * well-formed, and email addresses use the reserved example.* domains.
 */

BEGIN;
SET LOCAL search_path = pg_catalog, pg_temp;

CREATE SCHEMA IF NOT EXISTS synthetic;
COMMENT ON SCHEMA synthetic IS
	'synthetic customers for tests, demos and benchmarks of customer_info (test/synthetic.sql)';

-------------------------------------------------------------------------------
-- Pseudo-random numbers and permutations
-------------------------------------------------------------------------------

-- A 63-bit key for one field of one seed; the planner folds it to a constant.
CREATE OR REPLACE FUNCTION synthetic.key(seed integer, salt integer)
	RETURNS bigint
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN hashint8extended(seed::bigint, salt::bigint) & 9223372036854775807;
COMMENT ON FUNCTION synthetic.key(integer, integer) IS
	'63-bit key of one field (salt) under one seed: hashint8extended(seed, salt)';

-- A keyed pseudo-random function of v into [0, m).
CREATE OR REPLACE FUNCTION synthetic.prf(v bigint, key bigint, m bigint)
	RETURNS bigint
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN (hashint8extended(v, key) & 9223372036854775807) % m;
COMMENT ON FUNCTION synthetic.prf(bigint, bigint, bigint) IS
	'keyed pseudo-random number in [0, m) for v: hashint8extended(v, key) mod m';

-- The per-row random number of one field: 63 bits from (i, seed, salt).
CREATE OR REPLACE FUNCTION synthetic.rnd(i bigint, seed integer, salt integer)
	RETURNS bigint
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN hashint8extended(i, hashint8extended(seed::bigint, salt::bigint))
		& 9223372036854775807;
COMMENT ON FUNCTION synthetic.rnd(bigint, integer, integer) IS
	'pseudo-random 63-bit number of row i for one field (salt) under a seed';

/*
 * A keyed permutation of [0, m1 * m2): a three-round Feistel network on
 * the mixed-radix digits (l, r) of k mod (m1 * m2), l in [0, m1), r in
 * [0, m2):
 *	r1 = (l + F1(r)) mod m1;  r2 = (r + F2(r1)) mod m2;  r3 = (r1 + F3(r2)) mod m1
 * and the result is r2 * m1 + r3.  Each round can be undone, so distinct k
 * below m1 * m2 give distinct results; the F are synthetic.prf under three
 * keys derived from key.  The rounds are written out in one expression so
 * that the function can be inlined (k appears several times).
 */
CREATE OR REPLACE FUNCTION synthetic.shuffle(k bigint, m1 bigint, m2 bigint, key bigint)
	RETURNS bigint
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN
		-- r2 * m1
		((k % m2 + synthetic.prf(
			((k % (m1 * m2) / m2 + synthetic.prf(k % m2, key # 1, m1)) % m1),
			key # 2, m2)) % m2) * m1
		-- + r3
		+ (((k % (m1 * m2) / m2 + synthetic.prf(k % m2, key # 1, m1)) % m1)
		   + synthetic.prf(
			((k % m2 + synthetic.prf(
				((k % (m1 * m2) / m2 + synthetic.prf(k % m2, key # 1, m1)) % m1),
				key # 2, m2)) % m2),
			key # 3, m1)) % m1;
COMMENT ON FUNCTION synthetic.shuffle(bigint, bigint, bigint, bigint) IS
	'keyed permutation of [0, m1*m2) (three-round Feistel network): distinct k below m1*m2 give distinct results';

-------------------------------------------------------------------------------
-- Identifiers with their check characters
-------------------------------------------------------------------------------

/*
 * GB 11643-1999 resident ID number.  first17 holds its first 17 digits:
 * division code (6), birth date YYYYMMDD (8) and sequence (3, odd for
 * men); synthetic.cn_id_first17 puts them together.  The check character
 * is ISO 7064 MOD 11-2: weights 2^(17-i) mod 11 = 7 9 10 5 8 4 2 1 6 3 7 9
 * 10 5 8 4 2, check "10X98765432"[sum mod 11].
 */
CREATE OR REPLACE FUNCTION synthetic.cn_id_first17(region integer, birth date, seq integer)
	RETURNS bigint
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN region::bigint * 100000000000
		+ (date_part('year', birth) * 10000 + date_part('month', birth) * 100
		   + date_part('day', birth))::bigint * 1000
		+ seq;
COMMENT ON FUNCTION synthetic.cn_id_first17(integer, date, integer) IS
	'first 17 digits of a resident ID number: division code, birth date (YYYYMMDD) and sequence 0-999 (odd: male)';

CREATE OR REPLACE FUNCTION synthetic.cn_id_for(first17 bigint)
	RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN lpad(first17::text, 17, '0') || ('{1,0,X,9,8,7,6,5,4,3,2}'::text[])[(
		  first17 / 10000000000000000 * 7 + first17 / 1000000000000000 % 10 * 9
		+ first17 / 100000000000000 % 10 * 10 + first17 / 10000000000000 % 10 * 5
		+ first17 / 1000000000000 % 10 * 8 + first17 / 100000000000 % 10 * 4
		+ first17 / 10000000000 % 10 * 2 + first17 / 1000000000 % 10 * 1
		+ first17 / 100000000 % 10 * 6 + first17 / 10000000 % 10 * 3
		+ first17 / 1000000 % 10 * 7 + first17 / 100000 % 10 * 9
		+ first17 / 10000 % 10 * 10 + first17 / 1000 % 10 * 5
		+ first17 / 100 % 10 * 8 + first17 / 10 % 10 * 4
		+ first17 % 10 * 2) % 11 + 1];
COMMENT ON FUNCTION synthetic.cn_id_for(bigint) IS
	'resident ID number (GB 11643-1999): the 17 digits first17 and their ISO 7064 MOD 11-2 check character';

/*
 * Unified social credit codes use 31 characters: digits and the capital
 * letters but I, O, S, V and Z.  GB 11714 organisation codes give letters
 * the values A=10 ... Z=35 instead, which synthetic.gb11714_value maps to.
 */
CREATE OR REPLACE FUNCTION synthetic.uscc_char(idx bigint)
	RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN ('{0,1,2,3,4,5,6,7,8,9,A,B,C,D,E,F,G,H,J,K,L,M,N,P,Q,R,T,U,W,X,Y}'::text[])[idx + 1];
COMMENT ON FUNCTION synthetic.uscc_char(bigint) IS
	'character at index idx (0-30) of the USCC alphabet 0-9 A-H J-N P-R T U W-Y';

CREATE OR REPLACE FUNCTION synthetic.gb11714_value(idx bigint)
	RETURNS integer
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN ('{0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,19,20,21,22,23,25,26,27,29,30,32,33,34}'::integer[])[idx + 1];
COMMENT ON FUNCTION synthetic.gb11714_value(bigint) IS
	'GB 11714 value (A=10 ... Z=35) of the character at index idx (0-30) of the USCC alphabet';

/*
 * GB 11714 check of the 8-character organisation code body org, a base-31
 * number over the USCC alphabet, most significant character first, in
 * [0, 31^8): weights 3 7 9 10 5 8 4 2, check 11 - sum mod 11, where 11 is
 * written 0 and 10 is written X.  Returned as 0-10.
 */
CREATE OR REPLACE FUNCTION synthetic.orgcode_check(org bigint)
	RETURNS integer
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN (11 - (
		  synthetic.gb11714_value(org / 27512614111 % 31) * 3
		+ synthetic.gb11714_value(org / 887503681 % 31) * 7
		+ synthetic.gb11714_value(org / 28629151 % 31) * 9
		+ synthetic.gb11714_value(org / 923521 % 31) * 10
		+ synthetic.gb11714_value(org / 29791 % 31) * 5
		+ synthetic.gb11714_value(org / 961 % 31) * 8
		+ synthetic.gb11714_value(org / 31 % 31) * 4
		+ synthetic.gb11714_value(org % 31) * 2) % 11) % 11;
COMMENT ON FUNCTION synthetic.orgcode_check(bigint) IS
	'GB 11714 check of an organisation code body (8 base-31 characters), 0-10 where 10 is written X';

-- The pre-2015 organisation codes: 8 decimal digits d, as a base-31 body.
CREATE OR REPLACE FUNCTION synthetic.decimal_org(d bigint)
	RETURNS bigint
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN d / 10000000 % 10 * 27512614111 + d / 1000000 % 10 * 887503681
		+ d / 100000 % 10 * 28629151 + d / 10000 % 10 * 923521
		+ d / 1000 % 10 * 29791 + d / 100 % 10 * 961 + d / 10 % 10 * 31 + d % 10;
COMMENT ON FUNCTION synthetic.decimal_org(bigint) IS
	'organisation code body of 8 decimal digits d (0-99999999) as the base-31 number synthetic.uscc_for takes';

/*
 * GB 32100-2015 unified social credit code: "91" (industry and commerce,
 * company), the division code, the organisation code body org (see
 * synthetic.orgcode_check) and its check, and the MOD 31 check over
 * characters 1-17 with weights 3^(i-1) mod 31.
 */
CREATE OR REPLACE FUNCTION synthetic.uscc_for(region integer, org bigint)
	RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN '91' || lpad(region::text, 6, '0')
		|| synthetic.uscc_char(org / 27512614111 % 31)
		|| synthetic.uscc_char(org / 887503681 % 31)
		|| synthetic.uscc_char(org / 28629151 % 31)
		|| synthetic.uscc_char(org / 923521 % 31)
		|| synthetic.uscc_char(org / 29791 % 31)
		|| synthetic.uscc_char(org / 961 % 31)
		|| synthetic.uscc_char(org / 31 % 31)
		|| synthetic.uscc_char(org % 31)
		|| ('{0,1,2,3,4,5,6,7,8,9,X}'::text[])[synthetic.orgcode_check(org) + 1]
		|| synthetic.uscc_char((31 - (
			  9 * 1 + 1 * 3
			+ region / 100000 * 9 + region / 10000 % 10 * 27 + region / 1000 % 10 * 19
			+ region / 100 % 10 * 26 + region / 10 % 10 * 16 + region % 10 * 17
			+ org / 27512614111 % 31 * 20 + org / 887503681 % 31 * 29
			+ org / 28629151 % 31 * 25 + org / 923521 % 31 * 13
			+ org / 29791 % 31 * 8 + org / 961 % 31 * 24
			+ org / 31 % 31 * 10 + org % 31 * 30
			-- character 17 by its index in the alphabet: X is 29
			+ ('{0,1,2,3,4,5,6,7,8,9,29}'::integer[])[synthetic.orgcode_check(org) + 1] * 28
			) % 31) % 31);
COMMENT ON FUNCTION synthetic.uscc_for(integer, bigint) IS
	'unified social credit code (GB 32100-2015): 91, division code, organisation code body org (8 base-31 characters, in [0, 31^8)), GB 11714 check, MOD 31 check';

/*
 * Luhn check digit of body (a card number without its last digit, up to
 * 18 digits).  The sum is taken two digits at a time from the right: for a
 * pair p, synthetic.luhn_pair holds double(p mod 10) + p div 10, where
 * double(d) is 2d, less 9 when that exceeds 9 (the digit next to the check
 * digit is doubled).
 */
CREATE OR REPLACE FUNCTION synthetic.luhn_pair(p bigint)
	RETURNS integer
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN ('{0,2,4,6,8,1,3,5,7,9,1,3,5,7,9,2,4,6,8,10,2,4,6,8,10,3,5,7,9,11,3,5,7,9,11,4,6,8,10,12,4,6,8,10,12,5,7,9,11,13,5,7,9,11,13,6,8,10,12,14,6,8,10,12,14,7,9,11,13,15,7,9,11,13,15,8,10,12,14,16,8,10,12,14,16,9,11,13,15,17,9,11,13,15,17,10,12,14,16,18}'::integer[])[p + 1];
COMMENT ON FUNCTION synthetic.luhn_pair(bigint) IS
	'Luhn sum of a pair of digits p (0-99) whose units digit is doubled';

CREATE OR REPLACE FUNCTION synthetic.luhn_digit(body bigint)
	RETURNS integer
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN (10 - (
		  synthetic.luhn_pair(body % 100)
		+ synthetic.luhn_pair(body / 100 % 100)
		+ synthetic.luhn_pair(body / 10000 % 100)
		+ synthetic.luhn_pair(body / 1000000 % 100)
		+ synthetic.luhn_pair(body / 100000000 % 100)
		+ synthetic.luhn_pair(body / 10000000000 % 100)
		+ synthetic.luhn_pair(body / 1000000000000 % 100)
		+ synthetic.luhn_pair(body / 100000000000000 % 100)
		+ synthetic.luhn_pair(body / 10000000000000000 % 100)) % 10) % 10;
COMMENT ON FUNCTION synthetic.luhn_digit(bigint) IS
	'Luhn check digit to append to body (up to 18 digits)';

CREATE OR REPLACE FUNCTION synthetic.card_for(body bigint)
	RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN body::text || synthetic.luhn_digit(body)::text;
COMMENT ON FUNCTION synthetic.card_for(bigint) IS
	'payment card number: the digits of body (issuer prefix and account number) and the Luhn check digit';

CREATE OR REPLACE FUNCTION synthetic.mobile_for(prefix integer, subscriber integer)
	RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN prefix::text || lpad(subscriber::text, 8, '0');
COMMENT ON FUNCTION synthetic.mobile_for(integer, integer) IS
	'mainland mobile number: 3-digit network prefix (130-199) and 8-digit subscriber number';

-------------------------------------------------------------------------------
-- Word lists
-------------------------------------------------------------------------------

/*
 * Real administrative divisions (GB/T 2260 codes of urban districts) and
 * their full Chinese names, province first, as ci.mask_address expects.
 */
CREATE OR REPLACE FUNCTION synthetic.regions()
	RETURNS text[]
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN '{{110101,北京市东城区},{110102,北京市西城区},{110105,北京市朝阳区},
	         {110108,北京市海淀区},{120101,天津市和平区},{120104,天津市南开区},
	         {130102,河北省石家庄市长安区},{140105,山西省太原市小店区},
	         {150102,内蒙古自治区呼和浩特市新城区},{210102,辽宁省沈阳市和平区},
	         {220102,吉林省长春市南关区},{230103,黑龙江省哈尔滨市南岗区},
	         {310101,上海市黄浦区},{310104,上海市徐汇区},{310115,上海市浦东新区},
	         {320102,江苏省南京市玄武区},{320506,江苏省苏州市吴中区},
	         {330106,浙江省杭州市西湖区},{330203,浙江省宁波市海曙区},
	         {340104,安徽省合肥市蜀山区},{350203,福建省厦门市思明区},
	         {360102,江西省南昌市东湖区},{370102,山东省济南市历下区},
	         {370202,山东省青岛市市南区},{410105,河南省郑州市金水区},
	         {420106,湖北省武汉市武昌区},{430104,湖南省长沙市岳麓区},
	         {440103,广东省广州市荔湾区},{440106,广东省广州市天河区},
	         {440304,广东省深圳市福田区},{440305,广东省深圳市南山区},
	         {450103,广西壮族自治区南宁市青秀区},{460105,海南省海口市秀英区},
	         {500103,重庆市渝中区},{510107,四川省成都市武侯区},
	         {520102,贵州省贵阳市南明区},{530102,云南省昆明市五华区},
	         {540102,西藏自治区拉萨市城关区},{610113,陕西省西安市雁塔区},
	         {620102,甘肃省兰州市城关区},{630102,青海省西宁市城东区},
	         {640104,宁夏回族自治区银川市兴庆区},{650102,新疆维吾尔自治区乌鲁木齐市天山区}}'::text[];
COMMENT ON FUNCTION synthetic.regions() IS
	'administrative divisions {{code, full name}, ...}: real GB/T 2260 district codes with province, city and district';

/* Single-character surnames, most frequent first, with pinyin. */
CREATE OR REPLACE FUNCTION synthetic.surnames()
	RETURNS text[]
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN '{{王,wang},{李,li},{张,zhang},{刘,liu},{陈,chen},{杨,yang},{黄,huang},
	         {赵,zhao},{吴,wu},{周,zhou},{徐,xu},{孙,sun},{马,ma},{朱,zhu},{胡,hu},
	         {郭,guo},{何,he},{高,gao},{林,lin},{罗,luo},{郑,zheng},{梁,liang},
	         {谢,xie},{宋,song},{唐,tang},{许,xu},{韩,han},{冯,feng},{邓,deng},
	         {曹,cao},{彭,peng},{曾,zeng},{肖,xiao},{田,tian},{董,dong},{袁,yuan},
	         {潘,pan},{于,yu},{蒋,jiang},{蔡,cai},{余,yu},{杜,du},{叶,ye},
	         {程,cheng},{苏,su},{魏,wei},{吕,lv},{丁,ding},{任,ren},{沈,shen},
	         {姚,yao},{卢,lu},{姜,jiang},{崔,cui},{钟,zhong},{谭,tan},{陆,lu},
	         {汪,wang},{范,fan},{金,jin},{石,shi},{廖,liao},{贾,jia},{夏,xia},
	         {韦,wei},{付,fu},{方,fang},{白,bai},{邹,zou},{孟,meng},{熊,xiong},
	         {秦,qin},{邱,qiu},{江,jiang},{尹,yin},{薛,xue},{闫,yan},{段,duan},
	         {雷,lei},{侯,hou},{龙,long},{史,shi},{陶,tao},{黎,li},{贺,he},
	         {顾,gu},{毛,mao},{郝,hao},{龚,gong},{邵,shao},{万,wan},{钱,qian},
	         {严,yan},{覃,qin},{武,wu},{戴,dai},{莫,mo},{孔,kong},{向,xiang},
	         {汤,tang}}'::text[];
COMMENT ON FUNCTION synthetic.surnames() IS
	'common single-character surnames {{surname, pinyin}, ...}, most frequent first';

CREATE OR REPLACE FUNCTION synthetic.compound_surnames()
	RETURNS text[]
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN '{{欧阳,ouyang},{司马,sima},{上官,shangguan},{诸葛,zhuge},{东方,dongfang},
	         {慕容,murong},{司徒,situ},{皇甫,huangfu},{令狐,linghu},{公孙,gongsun}}'::text[];
COMMENT ON FUNCTION synthetic.compound_surnames() IS
	'two-character surnames {{surname, pinyin}, ...}';

/* Characters of given names, by gender; both lists have 40 entries. */
CREATE OR REPLACE FUNCTION synthetic.given_name_chars(male boolean)
	RETURNS text[]
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN CASE WHEN male THEN
		'{{伟,wei},{强,qiang},{磊,lei},{军,jun},{勇,yong},{杰,jie},{涛,tao},{斌,bin},
		  {超,chao},{明,ming},{刚,gang},{平,ping},{辉,hui},{鹏,peng},{华,hua},{飞,fei},
		  {鑫,xin},{波,bo},{宇,yu},{浩,hao},{凯,kai},{健,jian},{俊,jun},{帆,fan},
		  {建,jian},{国,guo},{志,zhi},{文,wen},{博,bo},{天,tian},{海,hai},{林,lin},
		  {峰,feng},{成,cheng},{东,dong},{晨,chen},{子,zi},{轩,xuan},{睿,rui},{哲,zhe}}'::text[]
	ELSE
		'{{芳,fang},{娜,na},{敏,min},{静,jing},{丽,li},{艳,yan},{娟,juan},{霞,xia},
		  {秀,xiu},{玲,ling},{婷,ting},{雪,xue},{慧,hui},{莹,ying},{洁,jie},{琳,lin},
		  {颖,ying},{倩,qian},{佳,jia},{欣,xin},{怡,yi},{梅,mei},{兰,lan},{红,hong},
		  {燕,yan},{萍,ping},{琴,qin},{悦,yue},{诗,shi},{雨,yu},{涵,han},{晶,jing},
		  {璐,lu},{瑶,yao},{蕾,lei},{薇,wei},{琪,qi},{晓,xiao},{思,si},{月,yue}}'::text[]
	END;
COMMENT ON FUNCTION synthetic.given_name_chars(boolean) IS
	'characters of given names {{character, pinyin}, ...} for men (true) or women (false), 40 each';

CREATE OR REPLACE FUNCTION synthetic.streets()
	RETURNS text[]
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN '{人民路,中山路,解放路,建设路,和平路,胜利路,文化路,新华路,长江路,黄河路,
	         科技路,学府路,滨江路,东风路,朝阳路,青年路,光明路,幸福路,工业路,花园路,
	         南京路,北京路,湖滨路,金融街,迎宾大道,世纪大道,创业路,园林路,友谊路,振兴路}'::text[];
COMMENT ON FUNCTION synthetic.streets() IS 'street names for addresses';

/*
 * Occupations {{name, typical annual income in yuan, has an employer (1/0)}}.
 * The last two are given by age: students are under 23, the retired 60 or
 * older; the others are drawn uniformly.
 */
CREATE OR REPLACE FUNCTION synthetic.occupations()
	RETURNS text[]
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN '{{教师,120000,1},{医生,220000,1},{护士,110000,1},{软件工程师,300000,1},
	         {工程师,180000,1},{会计,110000,1},{律师,320000,1},{公务员,160000,1},
	         {销售人员,120000,1},{企业管理人员,380000,1},{金融从业人员,320000,1},
	         {工人,75000,1},{司机,85000,1},{厨师,80000,1},{快递员,90000,1},
	         {设计师,170000,1},{科研人员,230000,1},{个体工商户,160000,0},
	         {自由职业者,130000,0},{农民,45000,0},
	         {学生,8000,0},{退休人员,55000,0}}'::text[];
COMMENT ON FUNCTION synthetic.occupations() IS
	'occupations {{name, typical annual income (yuan), has employer 1/0}, ...}; the last two (student, retired) are assigned by age';

/* UnionPay-range issuer prefixes (BIN) and the length of their cards. */
CREATE OR REPLACE FUNCTION synthetic.card_bins()
	RETURNS integer[]
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN '{{622202,19},{621226,19},{622848,19},{621700,19},{622700,19},{621661,19},
	         {622260,19},{623058,19},{622588,16},{621483,16},{622609,16},{625966,16}}'::integer[];
COMMENT ON FUNCTION synthetic.card_bins() IS
	'card issuer prefixes in the UnionPay range 62 {{BIN, card length}, ...}';

CREATE OR REPLACE FUNCTION synthetic.mobile_prefixes()
	RETURNS integer[]
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN '{130,131,132,133,134,135,136,137,138,139,145,147,150,151,152,153,155,
	         156,157,158,159,162,165,166,167,170,171,173,175,176,177,178,180,181,
	         182,183,184,185,186,187,188,189,190,191,192,193,195,196,197,198,199}'::integer[];
COMMENT ON FUNCTION synthetic.mobile_prefixes() IS 'network prefixes of mainland mobile numbers';

CREATE OR REPLACE FUNCTION synthetic.email_domains()
	RETURNS text[]
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN '{example.com,example.net,example.org,mail.example.com,corp.example.net}'::text[];
COMMENT ON FUNCTION synthetic.email_domains() IS
	'mail domains: only the reserved example domains (RFC 2606), so no address can reach anyone';

-------------------------------------------------------------------------------
-- The customers
-------------------------------------------------------------------------------

/*
 * n customers numbered 1..n under seed.  The query has three layers, the
 * inner two OFFSET 0 subqueries so that their columns are computed once per
 * row and the helpers get plain columns as arguments:
 *	r	per-field random numbers of row i (one salt per field) and the
 *		keyed permutations that make ID numbers, mobiles and cards unique
 *	d	decoded attributes: division, birth date, sequence, names, ...
 *	top	the text of each column
 * Birth dates are uniform over 1940-01-01 .. 2006-12-31 (24472 days); the
 * ID permutation runs over (day, sequence div 2) pairs, 24472 * 500 of
 * them.  Ages, occupations and ID card validity are as of 2025-01-01.
 */
CREATE OR REPLACE FUNCTION synthetic.customers(n bigint, seed integer DEFAULT 1)
	RETURNS TABLE (
		customer_id bigint,
		full_name text,
		gender text,
		birth_date date,
		cn_id text,
		mobile text,
		bank_card text,
		email text,
		address text,
		occupation text,
		annual_income numeric,
		risk_level text,
		employer_uscc text,
		id_expiry date)
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT d.i,
		d.surname || d.given,
		CASE WHEN d.male THEN 'M' ELSE 'F' END,
		d.birth,
		synthetic.cn_id_for(d.cn_id_first17),
		synthetic.mobile_for(d.mobile_prefix, d.subscriber),
		synthetic.card_for(d.card_body),
		-- email: common patterns of pinyin and digits
		CASE d.r_email % 4
			WHEN 0 THEN d.surname_py || d.given_py || date_part('year', d.birth)::integer::text
			WHEN 1 THEN d.given_py || '.' || d.surname_py || (d.r_email / 4 % 100)::text
			WHEN 2 THEN d.surname_py || (d.r_email / 4 % 10000)::text
			ELSE d.given_py || '_' || d.surname_py || (d.r_email / 4 % 1000)::text
		END || '@' || (synthetic.email_domains())
			[1 + d.r_email / 100000 % array_length(synthetic.email_domains(), 1)],
		-- address: division, street, number, building, floor and room
		d.region_name
			|| (synthetic.streets())[1 + d.r_address % array_length(synthetic.streets(), 1)]
			|| (1 + d.r_address / 100 % 300)::text || '号'
			|| (1 + d.r_address / 30000 % 30)::text || '栋'
			|| (1 + d.r_address / 900000 % 32)::text
			|| lpad((1 + d.r_address / 28800000 % 6)::text, 2, '0') || '室',
		(synthetic.occupations())[d.occ][1],
		-- income: the occupation's typical income times 0.5 .. 2.0, in hundreds
		((synthetic.occupations())[d.occ][2]::bigint * (50 + d.r_income % 151)
			/ 10000 * 100)::numeric(12, 2),
		CASE WHEN d.r_risk % 100 < 5 THEN 'high'
			 WHEN d.r_risk % 100 < 30 THEN 'medium'
			 ELSE 'low' END,
		CASE WHEN (synthetic.occupations())[d.occ][3] = '1'
			 THEN synthetic.uscc_for(d.region_code, d.employer_org) END,
		-- resident ID cards are valid 5 years when issued before 16, 10
		-- before 26, 20 before 46, and without limit (NULL) after
		(d.issued + interval '1 year' * CASE
			WHEN (d.issued - d.birth) * 100 / 36525 < 16 THEN 5
			WHEN (d.issued - d.birth) * 100 / 36525 < 26 THEN 10
			WHEN (d.issued - d.birth) * 100 / 36525 < 46 THEN 20 END)::date
	FROM (
		SELECT r.i,
			r.male,
			DATE '1940-01-01' + (r.x_id % 24472)::integer AS birth,
			synthetic.cn_id_first17(
				(synthetic.regions())[r.region][1]::integer,
				DATE '1940-01-01' + (r.x_id % 24472)::integer,
				(r.x_id / 24472 * 2 + CASE WHEN r.male THEN 1 ELSE 0 END)::integer)
				AS cn_id_first17,
			(synthetic.regions())[r.region][1]::integer AS region_code,
			(synthetic.regions())[r.region][2] AS region_name,
			-- 1 % compound surnames; single ones drawn as floor(len * u^2), u
			-- uniform in [0, 1), so that the common ones come up more often
			CASE WHEN r.r_surname % 100 = 0
				 THEN (synthetic.compound_surnames())
					[1 + r.r_surname / 100 % array_length(synthetic.compound_surnames(), 1)][1]
				 ELSE (synthetic.surnames())
					[1 + (r.r_surname / 100 % 1000000) * (r.r_surname / 100 % 1000000)
						* array_length(synthetic.surnames(), 1) / 1000000000000][1]
			END AS surname,
			CASE WHEN r.r_surname % 100 = 0
				 THEN (synthetic.compound_surnames())
					[1 + r.r_surname / 100 % array_length(synthetic.compound_surnames(), 1)][2]
				 ELSE (synthetic.surnames())
					[1 + (r.r_surname / 100 % 1000000) * (r.r_surname / 100 % 1000000)
						* array_length(synthetic.surnames(), 1) / 1000000000000][2]
			END AS surname_py,
			-- given names of one (30 %) or two characters
			(synthetic.given_name_chars(r.male))[1 + r.r_given % 40][1]
				|| CASE WHEN r.r_given / 40 % 10 < 3 THEN ''
						ELSE (synthetic.given_name_chars(r.male))[1 + r.r_given / 400 % 40][1] END
				AS given,
			(synthetic.given_name_chars(r.male))[1 + r.r_given % 40][2]
				|| CASE WHEN r.r_given / 40 % 10 < 3 THEN ''
						ELSE (synthetic.given_name_chars(r.male))[1 + r.r_given / 400 % 40][2] END
				AS given_py,
			-- students under 23 (40 % of them), the retired from 60 (70 %),
			-- the others uniformly over the occupations but these two
			CASE WHEN (DATE '2025-01-01' - DATE '1940-01-01' - (r.x_id % 24472)::integer) * 100 / 36525 < 23
					  AND r.r_occupation % 10 < 4
				 THEN array_length(synthetic.occupations(), 1) - 1
				 WHEN (DATE '2025-01-01' - DATE '1940-01-01' - (r.x_id % 24472)::integer) * 100 / 36525 >= 60
					  AND r.r_occupation % 10 < 7
				 THEN array_length(synthetic.occupations(), 1)
				 ELSE (1 + r.r_occupation / 10 % (array_length(synthetic.occupations(), 1) - 2))::integer
			END AS occ,
			(synthetic.mobile_prefixes())
				[1 + r.r_mobile % array_length(synthetic.mobile_prefixes(), 1)] AS mobile_prefix,
			r.x_mobile::integer AS subscriber,
			-- issuer prefix and account number; 19-digit cards get three
			-- more random digits in front of the unique nine
			CASE WHEN (synthetic.card_bins())[r.card_bin][2] = 19
				 THEN (synthetic.card_bins())[r.card_bin][1] * 1000000000000
					  + r.r_card / 100 % 1000 * 1000000000 + r.x_card
				 ELSE (synthetic.card_bins())[r.card_bin][1] * 1000000000::bigint + r.x_card
			END AS card_body,
			-- employers: 60 % with post-2015 "MA" codes, the others with
			-- 8-digit organisation codes
			CASE WHEN r.org_style < 6
				 THEN 21 * 27512614111 + 10 * 887503681::bigint + r.org_ma
				 ELSE synthetic.decimal_org(r.org_digits)
			END AS employer_org,
			DATE '2025-01-01' - (r.r_issue % 3650)::integer AS issued,
			r.r_email, r.r_address, r.r_income, r.r_risk
		FROM (
			SELECT g.i,
				synthetic.rnd(g.i, seed, 1) % 2 = 1 AS male,
				synthetic.shuffle(g.i - 1, 24472, 500, synthetic.key(seed, 101)) AS x_id,
				(1 + synthetic.rnd(g.i, seed, 2) % array_length(synthetic.regions(), 1))::integer AS region,
				synthetic.rnd(g.i, seed, 3) AS r_surname,
				synthetic.rnd(g.i, seed, 4) AS r_given,
				synthetic.rnd(g.i, seed, 5) AS r_occupation,
				synthetic.rnd(g.i, seed, 6) AS r_mobile,
				synthetic.shuffle(g.i - 1, 10000, 10000, synthetic.key(seed, 102)) AS x_mobile,
				(1 + synthetic.rnd(g.i, seed, 7) % array_length(synthetic.card_bins(), 1))::integer AS card_bin,
				synthetic.rnd(g.i, seed, 7) AS r_card,
				synthetic.shuffle(g.i - 1, 31250, 32000, synthetic.key(seed, 103)) AS x_card,
				synthetic.rnd(g.i, seed, 8) AS r_email,
				synthetic.rnd(g.i, seed, 9) AS r_address,
				synthetic.rnd(g.i, seed, 10) AS r_income,
				synthetic.rnd(g.i, seed, 11) AS r_risk,
				-- the employer, one of 200 per division, and its code
				synthetic.prf((1 + synthetic.rnd(g.i, seed, 2) % array_length(synthetic.regions(), 1)) * 1000
							  + synthetic.rnd(g.i, seed, 12) % 200,
							  synthetic.key(seed, 201), 10) AS org_style,
				synthetic.prf((1 + synthetic.rnd(g.i, seed, 2) % array_length(synthetic.regions(), 1)) * 1000
							  + synthetic.rnd(g.i, seed, 12) % 200,
							  synthetic.key(seed, 202), 887503681) AS org_ma,
				synthetic.prf((1 + synthetic.rnd(g.i, seed, 2) % array_length(synthetic.regions(), 1)) * 1000
							  + synthetic.rnd(g.i, seed, 12) % 200,
							  synthetic.key(seed, 203), 100000000) AS org_digits,
				synthetic.rnd(g.i, seed, 13) AS r_issue
			FROM generate_series(1::bigint, n) AS g(i)
			WHERE seed IS NOT NULL
			OFFSET 0
		) AS r
		OFFSET 0
	) AS d;
END;
COMMENT ON FUNCTION synthetic.customers(bigint, integer) IS
	'n synthetic customers, a deterministic function of (n, seed): valid, consistent identifiers (cn_id unique for n <= 12236000), Chinese names and addresses, occupation, income, risk level, employer USCC (NULL without employer), ID expiry (NULL: long-term)';

COMMIT;
