--
-- masks: names, email, addresses, the keep mask, and the text forms of the
-- identifier masks
--
SET search_path = ci, public;

-- names keep the surname; compound surnames count as one
SELECT v, mask_name(v)
  FROM (VALUES ('张三'), ('李小龙'), ('欧阳娜娜'), ('欧阳锋'), ('司马相如'),
               ('诸葛亮'), ('欧阳'), ('张'), ('买买提·艾力'), ('John Smith'),
               ('Mary-Jane O''Neil'), (''), (NULL)) AS t(v);

SELECT v, mask_email(v)
  FROM (VALUES ('zhangsan@example.com'), ('a@b.cn'), ('张三@例子.中国'),
               ('@example.com'), ('no-at-sign'), ('x@y@z.com'), (''), (NULL)) AS t(v);

SELECT v, mask_address(v)
  FROM (VALUES ('广东省深圳市南山区科技园南区1号'), ('北京市朝阳区建国路88号'),
               ('上海浦东新区世纪大道100号'), ('内蒙古自治区锡林郭勒盟锡林浩特市'),
               ('新疆维吾尔自治区乌鲁木齐市天山区'), ('湖北省恩施土家族苗族自治州恩施市'),
               ('西藏自治区阿里地区噶尔县'), ('香港特别行政区中西区'), ('深圳市南山区'),
               ('南山区科技园'), ('1 Main St, Springfield, IL 62701, USA'),
               ('Flat 2, London'), (''), (NULL)) AS t(v);

-- keep mask: one star per hidden character, UTF-8 aware
SELECT v, h, t, mask_keep(v, h, t)
  FROM (VALUES ('11010519491231002X', 6, 4), ('13800138000', 3, 4),
               ('张三丰', 1, 0), ('abc', 2, 2), ('abcdef', 0, 0), ('', 1, 1)) AS x(v, h, t);
SELECT mask_keep('abc', -1, 0);

-- masks of identifiers held as text: canonical form when valid, the same
-- characters kept otherwise
SELECT mask_cn_id('11010519491231002x') AS valid_id,
       mask_cn_id('110105491231002') AS legacy_id,
       mask_cn_id('not an id number') AS invalid_id,
       mask_cn_mobile('+86 138 0013 8000') AS mobile,
       mask_bank_card('6222 0200 0000 0000 000') AS card,
       mask_uscc('91350100m000100y43') AS uscc;
-- the typed mask agrees with the SQL expression it replaces
SELECT mask('11010519491231002X'::cn_id) = left(x, 6) || repeat('*', 8) || right(x, 4)
  FROM (VALUES ('11010519491231002X')) AS t(x);

-- masks never grow the hidden part: a masked value has no more characters
-- than the original, or the fixed decorations (email, address)
SELECT count(*) AS masks_longer_than_value
  FROM (VALUES ('张三'), ('欧阳娜娜'), ('John Smith'), ('11010519491231002X')) AS t(v)
 WHERE length(mask_name(v)) > length(v) OR length(mask_keep(v, 6, 4)) > length(v);

-- words that contain 市 without being a city are not taken for one
SELECT v, mask_address(v)
  FROM (VALUES ('广东省南山区科技园超市旁'), ('朝阳区农贸市场5号楼'),
               ('Flat 3, 221B Baker Street, London'),
               ('Flat 3, 221B Baker Street, London, UK')) AS t(v);
