-- The installation's identity: made once, by the first silo that starts against this database (not
-- here: a database copied from a migrated template must not share it), and kept for the database's
-- life. Agents record it beside each app they run, so that the next silo started against this
-- database (after a restart of the whole platform, perhaps with PostgreSQL on another port) knows
-- those apps as its own.
CREATE TABLE installation (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now(),
    one        boolean     NOT NULL DEFAULT true UNIQUE CHECK (one)
);
