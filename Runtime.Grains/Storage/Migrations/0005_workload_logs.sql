-- Lines printed by workloads, in the order they were read, with their stream and time.
CREATE TABLE workload_logs (
    id          bigserial PRIMARY KEY,
    workload_id text        NOT NULL,
    stream      text        NOT NULL,
    at          timestamptz NOT NULL,
    line        text        NOT NULL
);
CREATE INDEX workload_logs_workload ON workload_logs (workload_id, id);
