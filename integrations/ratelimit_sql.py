"""The limiter's statements (`integrations/ratelimit.py`): on PostgreSQL each step is one
statement on the database clock; on SQLite (3.38+) the admission is one statement as well, on
Python's clock (one machine). Each admission also writes the releases deferred since the
process's last request on the key (`ratelimit.deferred_releases`)."""

TABLE = "integrations_ratelimitbucket"

# One statement: the row lock is held only while it runs, never across a round trip to a client
# that the machine may pause. The table is UNLOGGED (see the migration), so the commit does not
# wait for a WAL flush either; the books need not survive a crash. It also applies the releases
# deferred since this process's last request on the key (`deferred_releases`): each named
# entry (one, even if two match) is re-stamped, when it is still there. The clock is read once
# the row is locked (`c`, in the SET), so a statement that waited for the lock decides on the
# time it decides at. RETURNING shows only the new row, so an admission says so in
# `interactive_waiting_until`: minus its ticket, which lies ahead of the clock (a negative value
# means no person is waiting, as 0 does; a refusal leaves minus the last admission's time, which
# lies behind it). A refusal returns the books and the clock after it, so it needs no second
# read.
PG_KEPT = """
    SELECT coalesce(jsonb_agg(to_jsonb(k.x) ORDER BY k.x), '[]'::jsonb) FROM (
        SELECT e.x::float8 AS x FROM jsonb_array_elements(b.admitted) WITH ORDINALITY AS e(x, n)
        WHERE e.n NOT IN (
            SELECT min(f.n) FROM jsonb_array_elements(b.admitted) WITH ORDINALITY AS f(x, n)
            JOIN released AS r ON f.x::float8 = r.ticket GROUP BY r.n)
        UNION ALL
        SELECT LEAST(c.now, r.stamp) FROM released AS r
        WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(b.admitted) AS g(x)
                      WHERE g.x::float8 = r.ticket)
    ) AS k WHERE k.x > c.now - %(window)s
"""

PG_CLOCK = "(SELECT extract(epoch FROM clock_timestamp())::float8 AS now) AS c"

# `interactive_waiting_until` (v) also says when the key last admitted a request, which spaces
# background admissions (`pace` seconds apart, see `ratelimit._pace`): an admission leaves minus
# its ticket (admission + hold: ahead of the clock while the hold lasts), a refusal turns that
# into minus the admission time (never ahead of the clock it decided at), and a person waiting
# leaves a positive time (then nothing is known, and no background is admitted anyway). So the
# caller tells its own admission by a value a whole hold ahead (more than half a hold ahead of
# the clock read after the statement); a ticket older than its hold reads as an admission in the
# past, which spaces nothing.
PG_LAST_ADMITTED = """(CASE WHEN -b.interactive_waiting_until > c.now
                           THEN -b.interactive_waiting_until - %(hold)s
                           ELSE -b.interactive_waiting_until END)"""
PG_PACED = f"""(b.interactive_waiting_until >= 0
                OR {PG_LAST_ADMITTED} <= c.now - %(pace)s)"""
PG_REFUSED_MARK = f"""(CASE WHEN b.interactive_waiting_until >= 0 THEN b.interactive_waiting_until
                           ELSE -{PG_LAST_ADMITTED} END)"""

PG_TAKE = f"""
WITH released AS (
    SELECT r.n, (r.x->>0)::float8 AS ticket, (r.x->>1)::float8 AS stamp
    FROM jsonb_array_elements(%(released)s::jsonb) WITH ORDINALITY AS r(x, n)
)
INSERT INTO {TABLE} AS b (key, admitted, interactive_waiting_until)
SELECT %(key)s, jsonb_build_array(c.now + %(hold)s), -(c.now + %(hold)s) FROM {PG_CLOCK}
ON CONFLICT (key) DO UPDATE SET (admitted, interactive_waiting_until) = (
    SELECT CASE WHEN s.granted THEN s.kept || jsonb_build_array(c.now + %(hold)s)
                ELSE s.kept END,
           CASE WHEN s.granted THEN -(c.now + %(hold)s)
                ELSE {PG_REFUSED_MARK} END
    FROM {PG_CLOCK} CROSS JOIN LATERAL (
        SELECT k.kept, jsonb_array_length(k.kept) < %(limit)s
               AND (%(interactive)s OR (b.interactive_waiting_until < c.now
                                        AND {PG_PACED})) AS granted
        FROM (SELECT ({PG_KEPT}) AS kept) AS k
    ) AS s
)
RETURNING b.interactive_waiting_until,
          CASE WHEN -b.interactive_waiting_until
                    > extract(epoch FROM clock_timestamp())::float8 + %(hold)s / 2
               THEN NULL ELSE b.admitted END,
          extract(epoch FROM clock_timestamp())::float8
"""

# The response is back: the request's entry counts for one window from now.
PG_RELEASE = f"""
WITH clock AS (SELECT extract(epoch FROM clock_timestamp())::float8 AS now)
UPDATE {TABLE} AS b SET admitted = (
    SELECT coalesce(jsonb_agg(e.x ORDER BY e.x::float8), '[]'::jsonb)
    FROM jsonb_array_elements(b.admitted) WITH ORDINALITY AS e(x, n)
    WHERE e.x::float8 > clock.now - %(window)s AND e.n <> (  -- one entry, even if two match
        SELECT min(f.n) FROM jsonb_array_elements(b.admitted) WITH ORDINALITY AS f(x, n)
        WHERE f.x::float8 = %(ticket)s)
) || jsonb_build_array(LEAST(clock.now, %(arrived_by)s))
FROM clock
WHERE b.key = %(key)s AND EXISTS (
    SELECT 1 FROM jsonb_array_elements(b.admitted) AS e(x) WHERE e.x::float8 = %(ticket)s)
RETURNING LEAST(clock.now, %(arrived_by)s)
"""

# The provider said 429: its window is full until `seconds` from now, for everyone on the key.
PG_PAUSE = f"""
WITH clock AS (SELECT extract(epoch FROM clock_timestamp())::float8 AS now)
INSERT INTO {TABLE} AS b (key, admitted, interactive_waiting_until)
SELECT %(key)s, to_jsonb(array_fill(clock.now + %(shift)s, ARRAY[%(limit)s::int])), 0 FROM clock
ON CONFLICT (key) DO UPDATE SET admitted = (
    SELECT coalesce(jsonb_agg(e.x ORDER BY e.x::float8), '[]'::jsonb)
    FROM jsonb_array_elements(b.admitted) AS e(x)
    WHERE e.x::float8 > (SELECT now FROM clock) - %(window)s
) || EXCLUDED.admitted
"""

PG_MARK_INTERACTIVE = f"""
UPDATE {TABLE} SET interactive_waiting_until = GREATEST(interactive_waiting_until, %(until)s)
WHERE key = %(key)s
"""

# A person's job has started (`ratelimit.expect_person`): marked as waiting now, if the window
# is full (with room, its first request will be admitted at once anyway).
PG_EXPECT_PERSON = f"""
UPDATE {TABLE} SET interactive_waiting_until = GREATEST(interactive_waiting_until,
    extract(epoch FROM clock_timestamp())::float8 + %(seconds)s)
WHERE key = %(key)s AND (
    SELECT count(*) FROM jsonb_array_elements(admitted) AS e(x)
    WHERE e.x::float8 > extract(epoch FROM clock_timestamp())::float8 - %(window)s
) >= %(limit)s
"""


# SQLite (one machine, Python's clock) in one statement as well (3.35+: RETURNING; JSON is
# built in from 3.38). Python's clock is read once, while the statement holds the write lock
# (`hub_ratelimit_clock`, registered per call), so a statement that waited for the lock does not
# decide on a stale time. Its JSON functions print a number with 15 digits, which would change
# a ticket: each is printed with 17, which gives the float back exactly. RETURNING shows only
# the new row, so an admission says so in `interactive_waiting_until`: minus its ticket, ahead of
# the clock (a refusal leaves minus the last admission's time, behind it; see PG_LAST_ADMITTED),
# which tells it apart even from an entry with the same time.
SQLITE_CLOCK = "hub_ratelimit_clock"
# As PG_LAST_ADMITTED, PG_PACED and PG_REFUSED_MARK.
SQLITE_LAST_ADMITTED = """(CASE WHEN -b.interactive_waiting_until > (SELECT now FROM clock)
                               THEN -b.interactive_waiting_until - %(hold)s
                               ELSE -b.interactive_waiting_until END)"""
SQLITE_PACED = f"""(b.interactive_waiting_until >= 0
                    OR {SQLITE_LAST_ADMITTED} <= (SELECT now FROM clock) - %(pace)s)"""
SQLITE_REFUSED_MARK = f"""(CASE WHEN b.interactive_waiting_until >= 0
                               THEN b.interactive_waiting_until
                               ELSE -{SQLITE_LAST_ADMITTED} END)"""
SQLITE_NUMBER = "json(printf('%%!.17g', {}))"
SQLITE_TAKE = f"""
WITH clock AS MATERIALIZED (SELECT {SQLITE_CLOCK}() AS now)
INSERT INTO {TABLE} AS b (key, admitted, interactive_waiting_until)
VALUES (%(key)s,
        CASE WHEN %(take)s
             THEN json_array({SQLITE_NUMBER.format("(SELECT now FROM clock) + %(hold)s")})
             ELSE '[]' END,
        CASE WHEN %(take)s THEN -((SELECT now FROM clock) + %(hold)s) ELSE 0 END)
ON CONFLICT (key) DO UPDATE SET (admitted, interactive_waiting_until) = (
    SELECT CASE WHEN s.granted
                THEN json_insert(s.kept, '$[#]', {SQLITE_NUMBER.format("c.now + %(hold)s")})
                ELSE s.kept END,
           CASE WHEN s.granted THEN -(c.now + %(hold)s)
                ELSE {SQLITE_REFUSED_MARK} END
    FROM clock AS c, (
        SELECT k.kept, %(take)s AND json_array_length(k.kept) < %(limit)s
               AND (%(interactive)s OR (b.interactive_waiting_until < (SELECT now FROM clock)
                                        AND {SQLITE_PACED}))
               AS granted
        FROM (SELECT (
            SELECT json_group_array({SQLITE_NUMBER.format("x")}) FROM (
                SELECT x FROM (
                    SELECT e.value AS x FROM json_each(b.admitted) AS e
                    WHERE e.key NOT IN (
                        SELECT min(f.key) FROM json_each(b.admitted) AS f
                        JOIN json_each(%(released)s) AS r
                          ON f.value = json_extract(r.value, '$[0]')
                        GROUP BY r.key)
                    UNION ALL
                    SELECT min(json_extract(r.value, '$[1]'), (SELECT now FROM clock))
                    FROM json_each(%(released)s) AS r
                    WHERE EXISTS (SELECT 1 FROM json_each(b.admitted) AS g
                                  WHERE g.value = json_extract(r.value, '$[0]'))
                ) WHERE x > (SELECT now FROM clock) - %(window)s ORDER BY x)
        ) AS kept) AS k
    ) AS s
)
RETURNING admitted, interactive_waiting_until
"""

SQLITE_MARK_INTERACTIVE = f"""
UPDATE {TABLE} SET interactive_waiting_until = max(interactive_waiting_until, %(until)s)
WHERE key = %(key)s
"""

SQLITE_EXPECT_PERSON = f"""
UPDATE {TABLE} SET interactive_waiting_until = max(interactive_waiting_until,
                                                   %(now)s + %(seconds)s)
WHERE key = %(key)s AND (
    SELECT count(*) FROM json_each(admitted) AS e WHERE e.value > %(now)s - %(window)s
) >= %(limit)s
"""
