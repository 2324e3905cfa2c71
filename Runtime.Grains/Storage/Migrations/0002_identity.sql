-- Identity grains. Grain tables share one shape: key, version, state (jsonb); the columns that
-- queries need are generated from the state, so the grain's state record stays the one truth.

CREATE TABLE workspaces (
    key        text PRIMARY KEY,
    version    bigint      NOT NULL,
    state      jsonb       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    slug       text GENERATED ALWAYS AS (state ->> 'slug') STORED
);
CREATE UNIQUE INDEX ux_workspaces_slug ON workspaces (slug);

CREATE TABLE api_tokens (
    key          text PRIMARY KEY,
    version      bigint      NOT NULL,
    state        jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    hash         text GENERATED ALWAYS AS (state ->> 'hash') STORED,
    workspace_id text GENERATED ALWAYS AS (state ->> 'workspaceId') STORED,
    member_id    text GENERATED ALWAYS AS (state ->> 'memberId') STORED
);
CREATE UNIQUE INDEX ux_api_tokens_hash ON api_tokens (hash);
CREATE INDEX api_tokens_workspace ON api_tokens (workspace_id, created_at DESC, key DESC);
CREATE INDEX api_tokens_member ON api_tokens (member_id);
