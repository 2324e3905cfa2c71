-- Project grains: Git-backed apps. Slugs are unique per workspace.
CREATE TABLE projects (
    key          text PRIMARY KEY,
    version      bigint      NOT NULL,
    state        jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    workspace_id text GENERATED ALWAYS AS (state ->> 'workspaceId') STORED,
    slug         text GENERATED ALWAYS AS (state ->> 'slug') STORED
);
CREATE UNIQUE INDEX ux_projects_slug ON projects (workspace_id, slug);
CREATE INDEX projects_workspace ON projects (workspace_id, created_at DESC, key DESC);
