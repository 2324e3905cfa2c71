-- Environment grains: a project's custom execution targets, each served by one remote agent.
CREATE TABLE environments (
    key                 text PRIMARY KEY,
    version             bigint      NOT NULL,
    state               jsonb       NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    workspace_id        text GENERATED ALWAYS AS (state ->> 'workspaceId') STORED,
    project_id          text GENERATED ALWAYS AS (state ->> 'projectId') STORED,
    name                text GENERATED ALWAYS AS (state ->> 'name') STORED,
    token_hash          text GENERATED ALWAYS AS (state ->> 'tokenHash') STORED,
    previous_token_hash text GENERATED ALWAYS AS (state ->> 'previousTokenHash') STORED
);
CREATE UNIQUE INDEX ux_environments_name ON environments (project_id, name);
CREATE UNIQUE INDEX ux_environments_token ON environments (token_hash) WHERE token_hash IS NOT NULL;
CREATE INDEX environments_previous_token ON environments (previous_token_hash) WHERE previous_token_hash IS NOT NULL;
