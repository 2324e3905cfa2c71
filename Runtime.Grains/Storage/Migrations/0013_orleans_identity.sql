-- Workspace and token grains run on Orleans: their state stays in workspaces and api_tokens (the
-- generated columns and unique indexes unchanged), announced on runtime_changes as before. Every
-- grain table gets the meta column Orleans' storage SQL keeps beside the state.
ALTER TABLE workspaces ADD COLUMN meta jsonb NOT NULL DEFAULT '{}';
ALTER TABLE api_tokens ADD COLUMN meta jsonb NOT NULL DEFAULT '{}';
ALTER TABLE projects ADD COLUMN meta jsonb NOT NULL DEFAULT '{}';
ALTER TABLE jobs ADD COLUMN meta jsonb NOT NULL DEFAULT '{}';
ALTER TABLE environments ADD COLUMN meta jsonb NOT NULL DEFAULT '{}';

INSERT INTO grain_state_tables (state_name, table_name, announces) VALUES
    ('workspace', 'workspaces', true),
    ('token', 'api_tokens', true);
