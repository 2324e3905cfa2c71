-- A workspace's Python environments: an interpreter and pip requirements, built into a venv by the agents.
CREATE TABLE python_environments (
    workspace_id             uuid        NOT NULL,
    name                     text        NOT NULL,
    interpreter              text        NOT NULL,
    requirements             text        NOT NULL,
    inherit_system_packages  boolean     NOT NULL,
    created_at               timestamptz NOT NULL,
    updated_at               timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, name)
);
