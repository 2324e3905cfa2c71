-- Project, job and environment grains run on Orleans: their state stays in their tables (generated
-- columns, unique indexes), projects announced on runtime_changes as before (the Api's app routes).
INSERT INTO grain_state_tables (state_name, table_name, announces) VALUES
    ('project', 'projects', true),
    ('job', 'jobs', false),
    ('environment', 'environments', false);
