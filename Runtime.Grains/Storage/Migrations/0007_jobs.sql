-- Job grains: a project's script, run on demand or on a schedule. Names are unique per project.
CREATE TABLE jobs (
    key          text PRIMARY KEY,
    version      bigint      NOT NULL,
    state        jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    workspace_id text GENERATED ALWAYS AS (state ->> 'workspaceId') STORED,
    project_id   text GENERATED ALWAYS AS (state ->> 'projectId') STORED,
    name         text GENERATED ALWAYS AS (state ->> 'name') STORED
);
CREATE UNIQUE INDEX ux_jobs_name ON jobs (project_id, name);
CREATE INDEX jobs_workspace ON jobs (workspace_id, created_at DESC, key DESC);

-- Every run of a job, written by the job grain in its own transactions: the history the grain's state does not keep.
CREATE TABLE runs (
    id            uuid PRIMARY KEY,
    job_id        text        NOT NULL,
    workspace_id  text        NOT NULL,
    number        int         NOT NULL,
    trigger       text        NOT NULL,
    attempt       int         NOT NULL DEFAULT 1,
    retry_of      uuid,
    status        text        NOT NULL,
    created_at    timestamptz NOT NULL,
    scheduled_for timestamptz,
    started_at    timestamptz,
    ended_at      timestamptz,
    exit_code     int,
    reason        text,
    warning       text,
    revision      text,
    UNIQUE (job_id, number)
);
CREATE INDEX runs_job ON runs (job_id, number DESC);
CREATE INDEX runs_workspace ON runs (workspace_id, created_at DESC);
-- Runs not yet ended: what every silo's sweep for runs whose agent is gone looks at.
CREATE INDEX runs_active ON runs (id) WHERE ended_at IS NULL;
