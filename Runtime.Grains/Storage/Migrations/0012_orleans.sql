-- Orleans 10.4.2 on PostgreSQL: the tables behind its ADO.NET clustering, reminders and grain
-- storage, and the SQL text it runs for each query key. Orleans reads OrleansQuery by that name
-- (QueryKey, QueryText) and binds @Parameters by name; it reads result columns by name,
-- case-insensitively. Every statement below is Runtime's own.

CREATE TABLE OrleansQuery (
    QueryKey  varchar(64)   NOT NULL PRIMARY KEY,
    QueryText varchar(8000) NOT NULL
);

-- Membership: one version row per cluster (the optimistic lock of every membership change) and
-- one row per silo incarnation (address, port, generation).
CREATE TABLE orleans_membership_version (
    deployment_id text        PRIMARY KEY,
    version       integer     NOT NULL DEFAULT 0,
    changed_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orleans_membership (
    deployment_id  text        NOT NULL REFERENCES orleans_membership_version (deployment_id) ON DELETE CASCADE,
    address        text        NOT NULL,
    port           integer     NOT NULL,
    generation     integer     NOT NULL,
    silo_name      text        NOT NULL,
    host_name      text        NOT NULL,
    status         integer     NOT NULL,
    proxy_port     integer,
    suspect_times  text,
    start_time     timestamptz NOT NULL,
    i_am_alive     timestamptz NOT NULL,
    PRIMARY KEY (deployment_id, address, port, generation)
);

-- Locks the cluster's version row if it is still at the version the caller read (Orleans'
-- optimistic lock on membership); false when another silo changed membership meanwhile.
CREATE FUNCTION orleans_membership_lock(p_deployment text, p_version integer)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM orleans_membership_version
    WHERE deployment_id = p_deployment AND version = p_version FOR UPDATE;
    RETURN FOUND;
END $$;

-- Adds a silo row and bumps the cluster version, only if the caller saw the current version.
CREATE FUNCTION orleans_membership_insert(
    p_deployment text, p_address text, p_port integer, p_generation integer, p_silo text, p_host text,
    p_status integer, p_proxy_port integer, p_start timestamptz, p_alive timestamptz, p_version integer)
RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
    IF NOT orleans_membership_lock(p_deployment, p_version) THEN
        RETURN 0;
    END IF;
    INSERT INTO orleans_membership (deployment_id, address, port, generation, silo_name, host_name, status, proxy_port, start_time, i_am_alive)
    VALUES (p_deployment, p_address, p_port, p_generation, p_silo, p_host, p_status, p_proxy_port, p_start, p_alive)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    UPDATE orleans_membership_version SET version = version + 1, changed_at = now() WHERE deployment_id = p_deployment;
    RETURN 1;
END $$;

-- Changes a silo row (status, suspicions) and bumps the cluster version, only at the version the caller saw.
CREATE FUNCTION orleans_membership_update(
    p_deployment text, p_address text, p_port integer, p_generation integer,
    p_status integer, p_suspect_times text, p_alive timestamptz, p_version integer)
RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
    IF NOT orleans_membership_lock(p_deployment, p_version) THEN
        RETURN 0;
    END IF;
    UPDATE orleans_membership SET status = p_status, suspect_times = p_suspect_times, i_am_alive = p_alive
    WHERE deployment_id = p_deployment AND address = p_address AND port = p_port AND generation = p_generation;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    UPDATE orleans_membership_version SET version = version + 1, changed_at = now() WHERE deployment_id = p_deployment;
    RETURN 1;
END $$;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('InsertMembershipVersionKey', '
WITH added AS (
    INSERT INTO orleans_membership_version (deployment_id) VALUES (@DeploymentId)
    ON CONFLICT DO NOTHING RETURNING 1)
SELECT count(*)::integer FROM added'),

('InsertMembershipKey', '
SELECT orleans_membership_insert(@DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName,
    @Status, @ProxyPort, @StartTime, @IAmAliveTime, @Version)'),

('UpdateMembershipKey', '
SELECT orleans_membership_update(@DeploymentId, @Address, @Port, @Generation,
    @Status, @SuspectTimes, @IAmAliveTime, @Version)'),

-- A silo''s liveness beat: not versioned, and never expected to fail.
('UpdateIAmAlivetimeKey', '
UPDATE orleans_membership SET i_am_alive = @IAmAliveTime
WHERE deployment_id = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation'),

-- The version row comes back even when the silo has no row yet (LEFT JOIN).
('MembershipReadRowKey', '
SELECT v.deployment_id AS DeploymentId, m.address AS Address, m.port AS Port, m.generation AS Generation,
       m.silo_name AS SiloName, m.host_name AS HostName, m.status AS Status, m.proxy_port AS ProxyPort,
       m.suspect_times AS SuspectTimes, m.start_time AS StartTime, m.i_am_alive AS IAmAliveTime, v.version AS Version
FROM orleans_membership_version v
LEFT JOIN orleans_membership m ON m.deployment_id = v.deployment_id
    AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
WHERE v.deployment_id = @DeploymentId'),

('MembershipReadAllKey', '
SELECT v.deployment_id AS DeploymentId, m.address AS Address, m.port AS Port, m.generation AS Generation,
       m.silo_name AS SiloName, m.host_name AS HostName, m.status AS Status, m.proxy_port AS ProxyPort,
       m.suspect_times AS SuspectTimes, m.start_time AS StartTime, m.i_am_alive AS IAmAliveTime, v.version AS Version
FROM orleans_membership_version v
LEFT JOIN orleans_membership m ON m.deployment_id = v.deployment_id
WHERE v.deployment_id = @DeploymentId'),

('DeleteMembershipTableEntriesKey', '
DELETE FROM orleans_membership_version WHERE deployment_id = @DeploymentId'),

-- Status 3 is Active: rows of silos that stopped beating long ago, in any other state, go.
('CleanupDefunctSiloEntriesKey', '
DELETE FROM orleans_membership
WHERE deployment_id = @DeploymentId AND i_am_alive < @IAmAliveTime AND status <> 3'),

('GatewaysQueryKey', '
SELECT address AS Address, proxy_port AS ProxyPort, generation AS Generation
FROM orleans_membership
WHERE deployment_id = @DeploymentId AND status = @Status AND proxy_port > 0');

-- Reminders: one row per (grain, name); grain_hash places it on the silo that owns that hash range.
CREATE TABLE orleans_reminders (
    service_id    text        NOT NULL,
    grain_id      text        NOT NULL,
    reminder_name text        NOT NULL,
    start_time    timestamptz NOT NULL,
    period_ms     bigint      NOT NULL,
    grain_hash    integer     NOT NULL,
    version       integer     NOT NULL DEFAULT 0,
    PRIMARY KEY (service_id, grain_id, reminder_name)
);
CREATE INDEX orleans_reminders_hash ON orleans_reminders (service_id, grain_hash);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('UpsertReminderRowKey', '
INSERT INTO orleans_reminders AS r (service_id, grain_id, reminder_name, start_time, period_ms, grain_hash)
VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash)
ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE
SET start_time = excluded.start_time, period_ms = excluded.period_ms, grain_hash = excluded.grain_hash, version = r.version + 1
RETURNING r.version AS Version'),

('ReadReminderRowsKey', '
SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime, period_ms AS Period, version AS Version
FROM orleans_reminders WHERE service_id = @ServiceId AND grain_id = @GrainId'),

('ReadReminderRowKey', '
SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime, period_ms AS Period, version AS Version
FROM orleans_reminders WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName'),

-- A silo''s range of the hash ring, (begin, end], when it does not wrap around ...
('ReadRangeRows1Key', '
SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime, period_ms AS Period, version AS Version
FROM orleans_reminders WHERE service_id = @ServiceId AND grain_hash > @BeginHash AND grain_hash <= @EndHash'),

-- ... and when it does.
('ReadRangeRows2Key', '
SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime, period_ms AS Period, version AS Version
FROM orleans_reminders WHERE service_id = @ServiceId AND (grain_hash > @BeginHash OR grain_hash <= @EndHash)'),

('DeleteReminderRowKey', '
WITH gone AS (
    DELETE FROM orleans_reminders
    WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName AND version = @Version
    RETURNING 1)
SELECT count(*)::integer FROM gone'),

('DeleteReminderRowsKey', '
DELETE FROM orleans_reminders WHERE service_id = @ServiceId');

-- Grain state. Orleans passes the state's name (the [PersistentState] name), the grain id split
-- into N0/N1 (a Guid key, as .NET lays out its bytes) or a string key, the version it read, and
-- the document as UTF-8 JSON: {"state": …} plus, for Runtime's grains, their undelivered messages
-- and the ids of those they took. "state" goes to the state column (the one generated columns
-- read), the rest to meta. A state name listed in grain_state_tables is kept in that table (with
-- the generated columns that lists, lookups and unique indexes need); any other in grain_states.
CREATE TABLE grain_state_tables (
    state_name text PRIMARY KEY,
    table_name text NOT NULL,
    -- Whether each committed write notifies runtime_changes with '<state name>/<key>' (the Api's caches listen).
    announces  boolean NOT NULL DEFAULT false
);

CREATE TABLE grain_states (
    key        text PRIMARY KEY,
    version    bigint      NOT NULL,
    state      jsonb       NOT NULL,
    meta       jsonb       NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- The grain's key as Runtime writes it: a Guid in its canonical text form, else the string key.
CREATE FUNCTION orleans_grain_key(n0 bigint, n1 bigint, extension text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN n0 = 0 AND n1 = 0 AND extension IS NOT NULL THEN extension
        ELSE (
            -- .NET writes a Guid's first three groups little-endian: N0's bytes come reversed in pairs of groups.
            -- N1's bytes come as they are, in .NET's little-endian order.
            SELECT (encode(substring(a FROM 5 FOR 4) || substring(a FROM 3 FOR 2) || substring(a FROM 1 FOR 2), 'hex')
                || string_agg(substring(encode(b, 'hex') FROM 15 - 2 * i FOR 2), '' ORDER BY i))::uuid::text
            FROM (SELECT int8send(n0) AS a, int8send(n1) AS b) AS bytes, generate_series(0, 7) AS i
            GROUP BY a, b)
    END
$$;

-- Where a state name's rows live, and whether they are announced.
CREATE FUNCTION orleans_state_table(p_state text, OUT table_name text, OUT announces boolean)
LANGUAGE sql STABLE AS $$
    SELECT coalesce(t.table_name, 'grain_states'), coalesce(t.announces, false)
    FROM (SELECT 1) AS one LEFT JOIN grain_state_tables t ON t.state_name = p_state
$$;

-- The key of a state kept in grain_states carries its state name, since every type shares that table.
CREATE FUNCTION orleans_row_key(p_table text, p_state text, p_key text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_table = 'grain_states' THEN p_state || '/' || p_key ELSE p_key END
$$;

CREATE FUNCTION orleans_state_read(p_state text, p_n0 bigint, p_n1 bigint, p_extension text, OUT payload bytea, OUT version integer)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    target record := orleans_state_table(p_state);
BEGIN
    EXECUTE format('SELECT convert_to((meta || jsonb_build_object(''state'', state))::text, ''UTF8''), version::integer FROM %I WHERE key = $1', target.table_name)
    INTO payload, version
    USING orleans_row_key(target.table_name, p_state, orleans_grain_key(p_n0, p_n1, p_extension));
END $$;

-- Inserts (p_version NULL) or updates at p_version; answers the new version, NULL when the
-- version did not match (Orleans then raises InconsistentStateException).
CREATE FUNCTION orleans_state_write(p_state text, p_n0 bigint, p_n1 bigint, p_extension text, p_version integer, p_payload bytea)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    target record := orleans_state_table(p_state);
    grain_key text := orleans_grain_key(p_n0, p_n1, p_extension);
    document jsonb := convert_from(p_payload, 'UTF8')::jsonb;
    written integer;
BEGIN
    IF p_version IS NULL THEN
        EXECUTE format('INSERT INTO %I (key, version, state, meta) VALUES ($1, 1, $2, $3) ON CONFLICT (key) DO NOTHING RETURNING version::integer', target.table_name)
        INTO written USING orleans_row_key(target.table_name, p_state, grain_key), document -> 'state', document - 'state';
    ELSE
        EXECUTE format('UPDATE %I SET version = version + 1, state = $2, meta = $3, updated_at = now() WHERE key = $1 AND version = $4 RETURNING version::integer', target.table_name)
        INTO written USING orleans_row_key(target.table_name, p_state, grain_key), document -> 'state', document - 'state', p_version;
    END IF;
    IF written IS NOT NULL AND target.announces THEN
        PERFORM pg_notify('runtime_changes', p_state || '/' || grain_key);
    END IF;
    RETURN written;
END $$;

-- Deletes the row at p_version; answers a version (non-NULL) when it did, NULL when the version did not match.
CREATE FUNCTION orleans_state_delete(p_state text, p_n0 bigint, p_n1 bigint, p_extension text, p_version integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    target record := orleans_state_table(p_state);
    grain_key text := orleans_grain_key(p_n0, p_n1, p_extension);
    deleted integer;
BEGIN
    EXECUTE format('DELETE FROM %I WHERE key = $1 AND version = $2 RETURNING version::integer + 1', target.table_name)
    INTO deleted USING orleans_row_key(target.table_name, p_state, grain_key), p_version;
    IF deleted IS NOT NULL AND target.announces THEN
        PERFORM pg_notify('runtime_changes', p_state || '/' || grain_key);
    END IF;
    RETURN deleted;
END $$;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('ReadFromStorageKey', '
SELECT payload AS PayloadBinary, now() AS ReadAt, version AS Version
FROM orleans_state_read(@GrainTypeString, @GrainIdN0, @GrainIdN1, @GrainIdExtensionString)
WHERE version IS NOT NULL'),

('WriteToStorageKey', '
SELECT orleans_state_write(@GrainTypeString, @GrainIdN0, @GrainIdN1, @GrainIdExtensionString, @GrainStateVersion, @PayloadBinary) AS NewGrainStateVersion'),

-- Runtime deletes state on clear (DeleteStateOnClear): a deleted grain leaves no row behind.
('ClearStorageKey', '
SELECT orleans_state_delete(@GrainTypeString, @GrainIdN0, @GrainIdN1, @GrainIdExtensionString, @GrainStateVersion) AS NewGrainStateVersion'),

('DeleteStorageKey', '
SELECT orleans_state_delete(@GrainTypeString, @GrainIdN0, @GrainIdN1, @GrainIdExtensionString, @GrainStateVersion) AS NewGrainStateVersion');
