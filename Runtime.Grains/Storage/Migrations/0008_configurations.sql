-- Configuration versions: a project's dlt-style settings files, versioned apart from its code. Secret files are stored encrypted.
CREATE TABLE configuration_versions (
    project_id  text        NOT NULL,
    version     int         NOT NULL,
    hash        text        NOT NULL,
    files       jsonb       NOT NULL,
    created_at  timestamptz NOT NULL,
    created_by  text        NOT NULL,
    PRIMARY KEY (project_id, version)
);
ALTER TABLE runs ADD COLUMN configuration_version int;
