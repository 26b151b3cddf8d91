--
-- audit: the C audit triggers, the append-only log, the hash chain and
-- what verification finds when a superuser tampers with it.
--
\i test/regress_helpers.sql
SET client_min_messages = warning;
CREATE ROLE regress_au_admin LOGIN IN ROLE customer_info_admin;
CREATE ROLE regress_au_auditor LOGIN IN ROLE customer_info_auditor;
CREATE ROLE regress_au_app LOGIN;
RESET client_min_messages;
CREATE TABLE au_customers (id int PRIMARY KEY, name text, mobile text, note text, balance numeric);
SELECT ci.protect('au_customers', 'mobile', 'cn_mobile', 'C2');
SELECT ci.protect('au_customers', 'name', 'name', 'C2', encrypted => false);
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON au_customers TO regress_au_app;
SET ROLE regress_au_admin;
SELECT ci.audit('au_customers', exclude => '{note}');
SELECT ci.audit('au_customers', exclude => '{nope}');
RESET ROLE;
SET SESSION AUTHORIZATION regress_au_app;
SELECT ci.audit('au_customers');
RESET SESSION AUTHORIZATION;

-- Every operation, by an application role with a purpose; an UPDATE
-- records only what changed, one that changes nothing is not recorded; a
-- rolled-back savepoint takes its records along.
SET SESSION AUTHORIZATION regress_au_app;
SET application_name = 'branch-app';
SET customer_info.purpose = 'service';
INSERT INTO au_customers VALUES (1, 'Zhang San', '13800138000', 'private note', 10),
	(2, 'Li Si', '13900139000', 'x', 20);
UPDATE au_customers SET balance = 11 WHERE id = 1;
UPDATE au_customers SET balance = 11 WHERE id = 1;
UPDATE au_customers SET note = 'excluded column only' WHERE id = 1;
UPDATE au_customers SET mobile = '15012345678', name = 'Wang Wu' WHERE id = 2;
DELETE FROM au_customers WHERE id = 2;
BEGIN;
UPDATE au_customers SET balance = 12 WHERE id = 1;
SAVEPOINT s;
UPDATE au_customers SET balance = 13 WHERE id = 1;
ROLLBACK TO s;
COMMIT;
TRUNCATE au_customers;
RESET SESSION AUTHORIZATION;
SELECT operation, row_key, changed,
	   old_values - 'mobile' AS old_values, new_values - 'mobile' AS new_values,
	   (coalesce(old_values, new_values) ->> 'mobile') LIKE 'ci:%' AS mobile_as_envelope,
	   table_name, session_user_name, current_user_name, application_name, purpose,
	   txid IS NOT NULL AS has_txid
  FROM ci.audit_log WHERE relid = 'au_customers'::regclass ORDER BY audit_id;
-- the plaintext of protected columns is nowhere in the log
SELECT count(*) AS rows_with_plaintext FROM ci.audit_log a
 WHERE a::text LIKE '%Zhang San%' OR a::text LIKE '%13800138000%'
	OR a::text LIKE '%15012345678%' OR a::text LIKE '%Wang Wu%' OR a::text LIKE '%private note%';

-- log_unchanged => true records an UPDATE that changes nothing (with no
-- changed column); attached again without it, such an UPDATE is not.
SET ROLE regress_au_admin;
SELECT ci.audit('au_customers', exclude => '{note}', log_unchanged => true);
RESET ROLE;
INSERT INTO au_customers VALUES (8, NULL, NULL, NULL, 80);
SELECT coalesce(max(audit_id), 0) AS before_unchanged FROM ci.audit_log \gset
UPDATE au_customers SET balance = balance WHERE id = 8;
UPDATE au_customers SET note = 'excluded column only' WHERE id = 8;
SELECT operation, row_key, changed, old_values, new_values FROM ci.audit_log
 WHERE audit_id > :before_unchanged ORDER BY audit_id;
SET ROLE regress_au_admin;
SELECT ci.audit('au_customers', exclude => '{note}');
RESET ROLE;
UPDATE au_customers SET balance = balance WHERE id = 8;
SELECT count(*) AS recorded_since FROM ci.audit_log WHERE audit_id > :before_unchanged;
SELECT log_unchanged FROM ci.audit_table WHERE relid = 'au_customers'::regclass;
DELETE FROM au_customers WHERE id = 8;

-- Append-only, for everyone: the app, the auditor, the table's owner.
SET SESSION AUTHORIZATION regress_au_app;
SELECT count(*) FROM ci.audit_log;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_au_auditor;
SELECT count(*) > 0 AS auditor_reads FROM ci.audit_log;
DELETE FROM ci.audit_log;
RESET SESSION AUTHORIZATION;
UPDATE ci.audit_log SET purpose = 'x';
DELETE FROM ci.audit_log;
TRUNCATE ci.audit_log;
DELETE FROM ci.audit_chain;

-- Sealing: the rows so far, once, changes and clear reads alike (the read
-- audit's records share the chain); then verification.
-- (read records numbered far above the change log's, so that a read's
-- link can be moved to the other source below whatever ran before)
SELECT setval(pg_get_serial_sequence('ci.read_audit', 'record_id'),
			  (SELECT coalesce(max(audit_id), 0) FROM ci.audit_log) + 100000) > 0 AS renumbered;
INSERT INTO au_customers VALUES (9, 'Zhou Jiu', '13500135000', NULL, 90);
SELECT ci.reveal(c, 'mobile') IS NOT NULL AS read_in_clear FROM au_customers c WHERE id = 9;
DELETE FROM au_customers WHERE id = 9;
SELECT ci.read_audit_wait();
SELECT (SELECT count(*) FROM ci.audit_log) AS log_rows,
	   (SELECT count(*) FROM ci.read_audit) AS read_rows \gset
SELECT :read_rows > 0 AS some_reads;
-- before the first seal there is nothing to verify: verification says how
-- many rows wait (the count includes the earlier tests' reads, so the
-- notice is checked further down)
SET client_min_messages = warning;
SELECT ok, checked, unsealed = :log_rows + :read_rows AS all_unsealed FROM ci.audit_verify();
RESET client_min_messages;
-- a run limited to a few rows leaves the rest to the next one
SELECT ci.audit_seal(3) AS sealed_first;
SELECT ci.audit_seal() = :log_rows + :read_rows - 3 AS sealed_the_rest;
SELECT ci.audit_seal() AS sealed_again;
SELECT source, count(*) = CASE source WHEN 'audit_log' THEN :log_rows ELSE :read_rows END AS all_rows
  FROM ci.audit_chain GROUP BY source ORDER BY source;
SELECT ok, checked = :log_rows + :read_rows AS checked_all, first_broken, problem FROM ci.audit_verify();
SELECT chain_seq AS head_seq, row_hash AS head_hash FROM ci.audit_head() \gset
INSERT INTO au_customers VALUES (3, 'Zhao Liu', '18612345678', NULL, 30), (4, 'Qian Qi', '13700137000', NULL, 40);
UPDATE au_customers SET balance = 31 WHERE id = 3;
-- the sealed part verifies, and the three new rows are named as unsealed
SELECT ok, checked = :head_seq AS checked_sealed, unsealed FROM ci.audit_verify();
-- a bounded range says nothing about unsealed rows
SELECT ok, checked, unsealed FROM ci.audit_verify(to_seq => 2);
SELECT ci.audit_seal() AS sealed;
SELECT ok, checked - :head_seq AS checked_after_head, first_broken, problem FROM ci.audit_verify();
SELECT ok, checked - :head_seq AS checked_after_head, first_broken, problem
  FROM ci.audit_verify(head_seq => :head_seq, head_hash => :'head_hash');
SELECT * FROM ci.audit_verify(from_seq => :head_seq + 1);

-- Tampering (a superuser can switch the guard off): each is found, and
-- the first broken link named.
ALTER TABLE ci.audit_log DISABLE TRIGGER append_only;
ALTER TABLE ci.audit_chain DISABLE TRIGGER append_only;
ALTER TABLE ci.read_audit DISABLE TRIGGER append_only;
-- a clear read's record changed
SELECT min(chain_seq) AS read_link FROM ci.audit_chain WHERE source = 'read_audit' \gset
UPDATE ci.read_audit SET row_count = row_count + 1
 WHERE record_id = (SELECT audit_id FROM ci.audit_chain WHERE chain_seq = :read_link);
SELECT ok, first_broken = :read_link AS at_read_link, problem ~ '\(read_audit \d+\) was changed' AS says_changed
  FROM ci.audit_verify();
UPDATE ci.read_audit SET row_count = row_count - 1
 WHERE record_id = (SELECT audit_id FROM ci.audit_chain WHERE chain_seq = :read_link);
SELECT ok FROM ci.audit_verify();
-- a link moved to the other source
SELECT max(chain_seq) AS moved_link FROM ci.audit_chain WHERE source = 'read_audit' \gset
UPDATE ci.audit_chain SET source = 'audit_log' WHERE chain_seq = :moved_link;
SELECT ok, first_broken = :moved_link AS at_moved_link, problem ~ '\(audit_log \d+\) was (deleted|changed)' AS found
  FROM ci.audit_verify();
UPDATE ci.audit_chain SET source = 'read_audit' WHERE chain_seq = :moved_link;
-- a value changed
UPDATE ci.audit_log SET new_values = '{"balance": "999"}'
 WHERE audit_id = (SELECT audit_id FROM ci.audit_chain WHERE chain_seq = :head_seq + 3);
SELECT ok, first_broken - :head_seq AS broken_after_head, problem ~ 'changed' AS says_changed
  FROM ci.audit_verify();
UPDATE ci.audit_log SET new_values = '{"balance": "31"}'
 WHERE audit_id = (SELECT audit_id FROM ci.audit_chain WHERE chain_seq = :head_seq + 3);
SELECT ok FROM ci.audit_verify();
-- a row deleted
CREATE TEMP TABLE saved AS SELECT * FROM ci.audit_log
 WHERE audit_id = (SELECT audit_id FROM ci.audit_chain WHERE chain_seq = 2);
DELETE FROM ci.audit_log WHERE audit_id = (SELECT audit_id FROM saved);
SELECT ok, first_broken, problem ~ 'deleted' AS says_deleted FROM ci.audit_verify();
INSERT INTO ci.audit_log OVERRIDING SYSTEM VALUE SELECT * FROM saved;
SELECT ok FROM ci.audit_verify();
-- a forged link in the middle
CREATE TEMP TABLE chain_copy AS SELECT * FROM ci.audit_chain;
DELETE FROM ci.audit_chain WHERE chain_seq = 3;
INSERT INTO ci.audit_chain (chain_seq, audit_id, prev_hash, row_hash, source)
	SELECT 3, audit_id, prev_hash, sha256('forged'), source FROM chain_copy WHERE chain_seq = 3;
SELECT ok, first_broken, regexp_replace(problem, '\(read_audit \d+\)', '(read_audit N)') AS problem
  FROM ci.audit_verify();
-- two links swapped
DELETE FROM ci.audit_chain;
INSERT INTO ci.audit_chain SELECT CASE chain_seq WHEN 4 THEN 5 WHEN 5 THEN 4 ELSE chain_seq END,
	audit_id, prev_hash, row_hash, sealed_at, source FROM chain_copy;
SELECT ok, first_broken, problem FROM ci.audit_verify();
-- the tail cut off: only a head kept outside tells
DELETE FROM ci.audit_chain;
INSERT INTO ci.audit_chain SELECT * FROM chain_copy WHERE chain_seq < :head_seq;
SELECT ok FROM ci.audit_verify();
SELECT ok, first_broken = :head_seq AS at_head,
	   problem = format('the chain ends at link %s, before the head %s: its tail was removed',
						:head_seq - 1, :head_seq) AS says_tail_removed
  FROM ci.audit_verify(head_seq => :head_seq);
-- put back: the untouched chain verifies again
DELETE FROM ci.audit_chain;
INSERT INTO ci.audit_chain SELECT * FROM chain_copy;
ALTER TABLE ci.audit_log ENABLE TRIGGER append_only;
ALTER TABLE ci.audit_chain ENABLE TRIGGER append_only;
ALTER TABLE ci.read_audit ENABLE TRIGGER append_only;
SELECT ok, checked > 0 AS checked_some FROM ci.audit_verify(head_seq => :head_seq, head_hash => :'head_hash');

-- Switching the audit triggers off is on record (only a superuser can go
-- around them unrecorded, e.g. with session_replication_role).
ALTER TABLE au_customers DISABLE TRIGGER customer_info_audit;
ALTER TABLE au_customers ENABLE TRIGGER customer_info_audit;
ALTER TABLE au_customers DISABLE TRIGGER USER;
ALTER TABLE au_customers ENABLE TRIGGER USER;
SELECT operation, current_user_name = current_user AS by_me FROM ci.audit_log
 WHERE relid = 'au_customers'::regclass ORDER BY audit_id DESC LIMIT 2;
-- so is dropping them, each of the two; ci.audit() puts them back
SELECT coalesce(max(audit_id), 0) AS before_drop FROM ci.audit_log \gset
DROP TRIGGER customer_info_audit ON au_customers;
DROP TRIGGER customer_info_audit_stmt ON au_customers;
SELECT operation, table_name, current_user_name = current_user AS by_me FROM ci.audit_log
 WHERE audit_id > :before_drop ORDER BY audit_id;
SET ROLE regress_au_admin;
SELECT ci.audit('au_customers', exclude => '{note}');
RESET ROLE;
SELECT tgname FROM pg_trigger WHERE tgrelid = 'au_customers'::regclass AND tgname LIKE 'customer_info_audit%'
 ORDER BY tgname;
-- a transaction's records reach the log when it commits, each with the
-- purpose and application of its own statement
BEGIN;
SET LOCAL customer_info.purpose = 'service';
UPDATE au_customers SET balance = 32 WHERE id = 3;
SELECT count(*) AS written_yet FROM ci.audit_log
 WHERE relid = 'au_customers'::regclass AND new_values ->> 'balance' = '32';
SET LOCAL customer_info.purpose = 'risk_control';
SET LOCAL application_name = 'second-app';
UPDATE au_customers SET balance = 33 WHERE id = 3;
COMMIT;
SELECT operation, changed, new_values, purpose, application_name FROM ci.audit_log
 WHERE relid = 'au_customers'::regclass ORDER BY audit_id DESC LIMIT 2;
-- a large transaction goes out in batches; a rolled-back savepoint's
-- records go with it, even those already written in a batch
BEGIN;
INSERT INTO au_customers SELECT g, NULL, NULL, NULL, g FROM generate_series(1000, 3499) g;
SAVEPOINT s;
UPDATE au_customers SET balance = balance + 1 WHERE id >= 1000;
ROLLBACK TO s;
DELETE FROM au_customers WHERE id >= 3000;
COMMIT;
SELECT operation, count(*) FROM ci.audit_log
 WHERE relid = 'au_customers'::regclass AND (row_key ->> 'id')::int >= 1000
 GROUP BY operation ORDER BY operation;
DELETE FROM au_customers WHERE id >= 1000;
-- many small subtransactions (a loop with an exception block): what
-- commits is recorded, what rolls back is not
DO $$
BEGIN
	FOR i IN 4000..6999 LOOP
		BEGIN
			INSERT INTO au_customers VALUES (i, NULL, NULL, NULL, i);
			IF i % 3 = 0 THEN
				RAISE EXCEPTION 'roll this one back';
			END IF;
		EXCEPTION WHEN raise_exception THEN
			NULL;
		END;
	END LOOP;
END $$;
SELECT count(*) AS recorded, count(*) FILTER (WHERE (row_key ->> 'id')::int % 3 = 0) AS rolled_back_recorded
  FROM ci.audit_log
 WHERE relid = 'au_customers'::regclass AND operation = 'INSERT' AND (row_key ->> 'id')::int >= 4000;
DELETE FROM au_customers WHERE id >= 4000;
-- a table dropped, renamed, a role dropped before the commit: the records
-- keep the names of the time
CREATE TABLE au_scratch (id int PRIMARY KEY, v text);
CREATE ROLE regress_au_temp;
GRANT INSERT, UPDATE ON au_scratch TO regress_au_temp;
SET ROLE regress_au_admin;
SELECT ci.audit('au_scratch');
RESET ROLE;
BEGIN;
SET LOCAL ROLE regress_au_temp;
INSERT INTO au_scratch VALUES (1, 'a');
RESET ROLE;
ALTER TABLE au_scratch RENAME TO au_scratch2;
UPDATE au_scratch2 SET v = 'b';
DROP TABLE au_scratch2;
DROP ROLE regress_au_temp;
COMMIT;
SELECT operation, table_name,
	   CASE WHEN current_user_name = current_user THEN 'me' ELSE current_user_name END AS by_whom,
	   new_values
  FROM ci.audit_log
 WHERE table_name LIKE 'public.au_scratch%' ORDER BY audit_id;
-- the trigger function works only through ci.audit()
CREATE TABLE au_other (id int PRIMARY KEY);
CREATE TRIGGER forged AFTER INSERT ON au_other FOR EACH ROW EXECUTE FUNCTION ci.audit_trigger();
INSERT INTO au_other VALUES (1);
DROP TABLE au_other;
-- the log names the table as it was called at the time
ALTER TABLE au_customers RENAME TO au_clients;
UPDATE au_clients SET balance = 34 WHERE id = 3;
ALTER TABLE au_clients RENAME TO au_customers;
UPDATE au_customers SET balance = 35 WHERE id = 3;
SELECT table_name, new_values FROM ci.audit_log
 WHERE relid = 'au_customers'::regclass ORDER BY audit_id DESC LIMIT 2;

-- Detaching is itself recorded; afterwards nothing is.
SET ROLE regress_au_admin;
SELECT ci.unaudit('au_customers');
RESET ROLE;
DELETE FROM au_customers;
SELECT operation, session_user_name = session_user AS by_me FROM ci.audit_log
 WHERE relid = 'au_customers'::regclass ORDER BY audit_id DESC LIMIT 2;
SELECT count(*) FROM ci.audit_log WHERE relid = 'au_customers'::regclass AND operation = 'DELETE'
   AND row_key ->> 'id' IN ('3', '4');

-- Retention: the oldest sealed segment goes, a checkpoint stays, and the
-- rest of the chain (and what is sealed later) still verifies.
-- (below the minimum retention, which a superuser lowers here: see limits.sql)
SET customer_info.audit_min_retention = '0';
SELECT (SELECT count(*) FROM ci.audit_log a
		 WHERE NOT EXISTS (SELECT FROM ci.audit_chain c
						   WHERE c.source = 'audit_log' AND c.audit_id = a.audit_id))
	   + (SELECT count(*) FROM ci.read_audit r
		  WHERE NOT EXISTS (SELECT FROM ci.audit_chain c
							WHERE c.source = 'read_audit' AND c.audit_id = r.record_id)) AS pending \gset
SELECT :pending > 0 AS some_pending, ci.audit_seal() = :pending AS sealed_all_pending;
SELECT count(*) AS links_before FROM ci.audit_chain \gset
-- a broken chain is not purged (the checkpoint would hide the break)
ALTER TABLE ci.audit_log DISABLE TRIGGER append_only;
UPDATE ci.audit_log SET purpose = 'forged'
 WHERE audit_id = (SELECT audit_id FROM ci.audit_chain WHERE chain_seq = 2);
SELECT ci.audit_purge(interval '0');
UPDATE ci.audit_log SET purpose = 'service'
 WHERE audit_id = (SELECT audit_id FROM ci.audit_chain WHERE chain_seq = 2);
ALTER TABLE ci.audit_log ENABLE TRIGGER append_only;
SELECT ci.audit_purge(interval '0') = :links_before AS purged_all_sealed;
SELECT count(*) AS links, (SELECT count(*) FROM ci.audit_checkpoint) AS checkpoints
  FROM ci.audit_chain;
SELECT (SELECT count(*) FROM ci.audit_log) AS changes_left, (SELECT count(*) FROM ci.read_audit) AS reads_left;
SET ROLE regress_au_admin;
SELECT ci.audit('au_customers');
RESET ROLE;
INSERT INTO au_customers VALUES (5, 'Sun Ba', '13600136000', NULL, 50);
SELECT ci.audit_seal() AS sealed_after_purge;
SELECT ok, checked FROM ci.audit_verify();
SET SESSION AUTHORIZATION regress_au_auditor;
SELECT ci.audit_purge(interval '0');
RESET SESSION AUTHORIZATION;

-- Rows loaded with another cluster's transaction ids (a data-only restore
-- while sealing runs) are older than the sealer's bound: it does not see
-- them, and verification counts them as unsealed, until a superuser resets
-- the bound; the next run then looks at the whole log once.
INSERT INTO ci.audit_log (logged_at, txid, relid, table_name, operation, row_key,
						  new_values, session_user_name, current_user_name)
	VALUES (now() - interval '1 day', '3', 'au_customers'::regclass, 'public.au_customers',
			'INSERT', '{"id": 77}', '{"balance": "77"}', 'restored', 'restored')
	RETURNING audit_id AS restored_id \gset
SELECT ci.audit_seal() AS sealed_before_reset;
SELECT ok, unsealed FROM ci.audit_verify();
UPDATE ci.audit_seal_state SET from_txid = '0';
SELECT ci.audit_seal() AS sealed_after_reset;
SELECT source, audit_id = :restored_id AS the_restored_row FROM ci.audit_chain
 ORDER BY chain_seq DESC LIMIT 1;
SELECT ok, unsealed FROM ci.audit_verify();
SELECT ci.audit_seal() AS sealed_once_only;

DROP TABLE au_customers;
DROP ROLE regress_au_admin, regress_au_auditor, regress_au_app;
