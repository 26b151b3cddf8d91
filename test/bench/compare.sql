-- test/bench/compare.sql: timing helpers shared by the benchmarks.
--
-- pg_temp.run_ms(q)  milliseconds one run of q takes, measured in the
--                    server (no client round trip or result transfer).
-- pg_temp.compare(ours, base, reps [, reset_ours, reset_base])
--                    medians of reps alternating runs of ours and base,
--                    after a warm-up run of each; reset_* (not timed) run
--                    before each run, e.g. to empty a table.

CREATE FUNCTION pg_temp.run_ms(q text) RETURNS double precision
LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz;
BEGIN
	t0 := clock_timestamp();
	EXECUTE q;
	RETURN 1000 * extract(epoch FROM clock_timestamp() - t0);
END
$$;

CREATE FUNCTION pg_temp.compare(ours text, base text, reps integer,
								reset_ours text DEFAULT NULL,
								reset_base text DEFAULT NULL,
								OUT ours_ms double precision,
								OUT base_ms double precision)
LANGUAGE plpgsql AS $$
DECLARE
	a double precision[] := '{}';
	b double precision[] := '{}';
BEGIN
	FOR i IN 0 .. reps LOOP
		IF reset_ours IS NOT NULL THEN EXECUTE reset_ours; END IF;
		IF i > 0 THEN a := a || pg_temp.run_ms(ours); ELSE PERFORM pg_temp.run_ms(ours); END IF;
		IF reset_base IS NOT NULL THEN EXECUTE reset_base; END IF;
		IF i > 0 THEN b := b || pg_temp.run_ms(base); ELSE PERFORM pg_temp.run_ms(base); END IF;
	END LOOP;
	SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY v) INTO ours_ms FROM unnest(a) v;
	SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY v) INTO base_ms FROM unnest(b) v;
END
$$;
