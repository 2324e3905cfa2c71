-- Pipeline-run reports that runs post (the shape of dlt's load trace), and the runs' own tokens for posting them.
ALTER TABLE runs ADD COLUMN token_hash text;
CREATE UNIQUE INDEX runs_token ON runs (token_hash) WHERE token_hash IS NOT NULL;

CREATE TABLE pipeline_runs (
    id               uuid PRIMARY KEY,
    workspace_id     text        NOT NULL,
    run_id           uuid        NOT NULL,
    job_id           text        NOT NULL,
    pipeline         text        NOT NULL,
    destination_type text        NOT NULL,
    destination_name text        NOT NULL,
    dataset          text        NOT NULL,
    tables           jsonb       NOT NULL,
    rows_loaded      bigint      NOT NULL,
    bytes_loaded     bigint      NOT NULL,
    started_at       timestamptz NOT NULL,
    ended_at         timestamptz NOT NULL,
    status           text        NOT NULL,
    created_at       timestamptz NOT NULL
);
CREATE INDEX pipeline_runs_workspace ON pipeline_runs (workspace_id, pipeline, ended_at DESC);
