-- Grain state written by static statements, and the rows a grain owns written with its state.
--
-- 1. orleans_state_read/write/delete (0012) routed each call by a dynamic EXECUTE, planned anew
--    every time: a state write ran at 0.40 of the bare transaction's rate. They are now generated
--    from grain_state_tables with one static statement per table (PL/pgSQL caches their plans), and
--    generated again by a trigger whenever grain_state_tables changes.
-- 2. Side rows. The document Orleans writes may carry "rows": an array of
--    {"table": …, "op": "insert" | "update", "values": {column: value, …}}, an update keyed by the
--    value of its "id" column. They are applied in order, after the state and in the same
--    statement, only when the state's version matched: a call that fails, or a silo killed in the
--    middle of one, leaves neither the state nor its rows. They are not stored in meta. A state may
--    write only the tables grain_row_tables gives it.
-- 3. orleans_grain_key without a set-returning function (same results).

CREATE OR REPLACE FUNCTION orleans_grain_key(n0 bigint, n1 bigint, extension text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN n0 = 0 AND n1 = 0 AND extension IS NOT NULL THEN extension
        -- .NET lays a Guid's first three groups out little-endian: N0's hex comes as groups 3, 2, 1;
        -- N1's eight bytes come in reverse order.
        ELSE (substr(a, 9, 8) || substr(a, 5, 4) || substr(a, 1, 4)
            || substr(b, 15, 2) || substr(b, 13, 2) || substr(b, 11, 2) || substr(b, 9, 2)
            || substr(b, 7, 2) || substr(b, 5, 2) || substr(b, 3, 2) || substr(b, 1, 2))::uuid::text
    END
    FROM (SELECT encode(int8send(n0), 'hex') AS a, encode(int8send(n1), 'hex') AS b) AS hex
$$;

CREATE TABLE grain_row_tables (
    state_name text NOT NULL,
    table_name text NOT NULL,
    PRIMARY KEY (state_name, table_name)
);

INSERT INTO grain_row_tables (state_name, table_name) VALUES ('job', 'runs');

CREATE FUNCTION orleans_state_rows(p_state text, p_rows jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    r jsonb;
    target text;
    columns text;
BEGIN
    FOR r IN SELECT value FROM jsonb_array_elements(p_rows) LOOP
        target := r ->> 'table';
        IF NOT EXISTS (SELECT 1 FROM grain_row_tables WHERE state_name = p_state AND table_name = target) THEN
            RAISE EXCEPTION 'grain state % may not write rows of %', p_state, target USING ERRCODE = 'insufficient_privilege';
        END IF;
        SELECT string_agg(quote_ident(k), ', ') INTO columns FROM jsonb_object_keys(r -> 'values') AS k;
        CASE r ->> 'op'
            WHEN 'insert' THEN
                EXECUTE format('INSERT INTO %1$I (%2$s) SELECT %2$s FROM jsonb_populate_record(NULL::%1$I, $1)', target, columns)
                USING r -> 'values';
            WHEN 'update' THEN
                EXECUTE format('UPDATE %1$I AS t SET (%2$s) = (SELECT %2$s FROM jsonb_populate_record(NULL::%1$I, $1)) '
                    || 'WHERE t.id = (SELECT id FROM jsonb_populate_record(NULL::%1$I, $1))', target, columns)
                USING r -> 'values';
            ELSE
                RAISE EXCEPTION 'unknown row operation % for %', r ->> 'op', target USING ERRCODE = 'invalid_parameter_value';
        END CASE;
    END LOOP;
END $$;

-- Generates orleans_state_read/write/delete from grain_state_tables (and grain_states for any other state).
CREATE FUNCTION orleans_state_build() RETURNS void
LANGUAGE plpgsql AS $build$
DECLARE
    t record;
    reads text := '';
    writes text := '';
    deletes text := '';
    announced text;
BEGIN
    FOR t IN SELECT state_name, table_name FROM grain_state_tables ORDER BY state_name LOOP
        reads := reads || format($f$
        WHEN %1$L THEN
            SELECT convert_to((s.meta || jsonb_build_object('state', s.state))::text, 'UTF8'), s.version::integer INTO payload, version
            FROM %2$I s WHERE s.key = grain_key;$f$, t.state_name, t.table_name);
        writes := writes || format($f$
        WHEN %1$L THEN
            IF p_version IS NULL THEN
                INSERT INTO %2$I (key, version, state, meta) VALUES (grain_key, 1, document -> 'state', document - 'state' - 'rows')
                ON CONFLICT (key) DO NOTHING RETURNING version::integer INTO written;
            ELSE
                UPDATE %2$I SET version = version + 1, state = document -> 'state', meta = document - 'state' - 'rows', updated_at = now()
                WHERE key = grain_key AND version = p_version RETURNING version::integer INTO written;
            END IF;$f$, t.state_name, t.table_name);
        deletes := deletes || format($f$
        WHEN %1$L THEN
            DELETE FROM %2$I WHERE key = grain_key AND version = p_version RETURNING version::integer + 1 INTO deleted;$f$,
            t.state_name, t.table_name);
    END LOOP;
    SELECT coalesce(string_agg(quote_literal(state_name), ', ' ORDER BY state_name), 'NULL') INTO announced
    FROM grain_state_tables WHERE announces;

    EXECUTE format($f$
CREATE OR REPLACE FUNCTION orleans_state_read(p_state text, p_n0 bigint, p_n1 bigint, p_extension text, OUT payload bytea, OUT version integer)
LANGUAGE plpgsql STABLE AS $body$
DECLARE
    grain_key text := orleans_grain_key(p_n0, p_n1, p_extension);
BEGIN
    CASE p_state %s
        ELSE
            SELECT convert_to((s.meta || jsonb_build_object('state', s.state))::text, 'UTF8'), s.version::integer INTO payload, version
            FROM grain_states s WHERE s.key = p_state || '/' || grain_key;
    END CASE;
END $body$$f$, reads);

    -- Inserts (p_version NULL) or updates at p_version; answers the new version, NULL when the version
    -- did not match (Orleans then raises InconsistentStateException).
    EXECUTE format($f$
CREATE OR REPLACE FUNCTION orleans_state_write(p_state text, p_n0 bigint, p_n1 bigint, p_extension text, p_version integer, p_payload bytea)
RETURNS integer LANGUAGE plpgsql AS $body$
DECLARE
    grain_key text := orleans_grain_key(p_n0, p_n1, p_extension);
    document jsonb := convert_from(p_payload, 'UTF8')::jsonb;
    written integer;
BEGIN
    CASE p_state %s
        ELSE
            IF p_version IS NULL THEN
                INSERT INTO grain_states (key, version, state, meta) VALUES (p_state || '/' || grain_key, 1, document -> 'state', document - 'state' - 'rows')
                ON CONFLICT (key) DO NOTHING RETURNING version::integer INTO written;
            ELSE
                UPDATE grain_states SET version = version + 1, state = document -> 'state', meta = document - 'state' - 'rows', updated_at = now()
                WHERE key = p_state || '/' || grain_key AND version = p_version RETURNING version::integer INTO written;
            END IF;
    END CASE;
    IF written IS NOT NULL AND document ? 'rows' THEN
        PERFORM orleans_state_rows(p_state, document -> 'rows');
    END IF;
    IF written IS NOT NULL AND p_state IN (%s) THEN
        PERFORM pg_notify('runtime_changes', p_state || '/' || grain_key);
    END IF;
    RETURN written;
END $body$$f$, writes, announced);

    -- Deletes the row at p_version; answers a version (non-NULL) when it did, NULL when the version did not match.
    EXECUTE format($f$
CREATE OR REPLACE FUNCTION orleans_state_delete(p_state text, p_n0 bigint, p_n1 bigint, p_extension text, p_version integer)
RETURNS integer LANGUAGE plpgsql AS $body$
DECLARE
    grain_key text := orleans_grain_key(p_n0, p_n1, p_extension);
    deleted integer;
BEGIN
    CASE p_state %s
        ELSE
            DELETE FROM grain_states WHERE key = p_state || '/' || grain_key AND version = p_version RETURNING version::integer + 1 INTO deleted;
    END CASE;
    IF deleted IS NOT NULL AND p_state IN (%s) THEN
        PERFORM pg_notify('runtime_changes', p_state || '/' || grain_key);
    END IF;
    RETURN deleted;
END $body$$f$, deletes, announced);
END $build$;

CREATE FUNCTION orleans_state_rebuild() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM orleans_state_build();
    RETURN NULL;
END $$;

CREATE TRIGGER grain_state_tables_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grain_state_tables
FOR EACH STATEMENT EXECUTE FUNCTION orleans_state_rebuild();

SELECT orleans_state_build();

-- The routing helpers the generated functions no longer use.
DROP FUNCTION orleans_state_table(text);
DROP FUNCTION orleans_row_key(text, text, text);
