-- Content-addressed blob store (revision archives, model artifacts): SHA-256 keys, deduplicated,
-- chunked so that no single value approaches PostgreSQL's 1 GB field limit or fills memory.
CREATE TABLE blobs (
    hash       text PRIMARY KEY,
    size       bigint      NOT NULL,
    chunks     integer     NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE blob_chunks (
    hash text    NOT NULL,
    seq  integer NOT NULL,
    data bytea   NOT NULL,
    PRIMARY KEY (hash, seq)
);
