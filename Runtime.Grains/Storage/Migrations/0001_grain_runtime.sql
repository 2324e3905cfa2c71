-- The grain runtime: silo membership and the four durable queues (DESIGN §3).
-- Every queue row carries available_at: when it may next be claimed. It is the due time while
-- unclaimed, the lease expiry while claimed, the retry time after a failure. One index on it
-- answers both "what is due now" and "when must a pump wake next".

CREATE TABLE silos (
    id           uuid PRIMARY KEY,
    name         text        NOT NULL,
    host         text        NOT NULL,
    pid          integer     NOT NULL,
    started_at   timestamptz NOT NULL,
    heartbeat_at timestamptz NOT NULL,
    status       text        NOT NULL CHECK (status IN ('active', 'stopped', 'dead')),
    ended_at     timestamptz
);
CREATE INDEX silos_active ON silos (heartbeat_at) WHERE status = 'active';

CREATE TABLE messages (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    grain_type   text        NOT NULL,
    grain_key    text        NOT NULL,
    method       text        NOT NULL,
    args         jsonb       NOT NULL,
    due_at       timestamptz NOT NULL,
    available_at timestamptz NOT NULL,
    claimed_by   uuid,
    attempts     integer     NOT NULL DEFAULT 0,
    last_error   text,
    trace_parent text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_available ON messages (available_at);
CREATE INDEX messages_grain ON messages (grain_type, grain_key);

CREATE TABLE reminders (
    grain_type    text        NOT NULL,
    grain_key     text        NOT NULL,
    name          text        NOT NULL,
    schedule      jsonb       NOT NULL,
    due_at        timestamptz NOT NULL,
    available_at  timestamptz NOT NULL,
    claimed_by    uuid,
    attempts      integer     NOT NULL DEFAULT 0,
    registered_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (grain_type, grain_key, name)
);
CREATE INDEX reminders_available ON reminders (available_at);

CREATE TABLE activities (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text        NOT NULL,
    payload      jsonb       NOT NULL,
    grain_type   text        NOT NULL,
    grain_key    text        NOT NULL,
    available_at timestamptz NOT NULL,
    claimed_by   uuid,
    attempts     integer     NOT NULL DEFAULT 0,
    last_error   text,
    trace_parent text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX activities_available ON activities (available_at);

-- Work for the agents of an environment; claimed by agent id, not silo id.
CREATE TABLE assignments (
    id             uuid PRIMARY KEY,
    environment_id text        NOT NULL,
    workload_id    text        NOT NULL,
    kind           text        NOT NULL,
    spec           jsonb       NOT NULL,
    grain_type     text        NOT NULL,
    grain_key      text        NOT NULL,
    status         text        NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'claimed', 'completed', 'failed')),
    available_at   timestamptz NOT NULL,
    claimed_by     text,
    attempts       integer     NOT NULL DEFAULT 0,
    result         jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    completed_at   timestamptz
);
CREATE INDEX assignments_claimable ON assignments (environment_id, available_at)
    WHERE status IN ('pending', 'claimed');
CREATE INDEX assignments_workload ON assignments (workload_id, created_at DESC);

-- What could not be delivered, kept for operators instead of retried forever.
CREATE TABLE dead_letters (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source     text        NOT NULL CHECK (source IN ('message', 'activity', 'reminder')),
    grain_type text        NOT NULL,
    grain_key  text        NOT NULL,
    name       text        NOT NULL,
    payload    jsonb       NOT NULL,
    attempts   integer     NOT NULL,
    error      text        NOT NULL,
    created_at timestamptz NOT NULL,
    died_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dead_letters_grain ON dead_letters (grain_type, grain_key);
