-- Runtime's own grain runtime is retired: every grain runs on Orleans, whose messages, reminders and
-- activities live in each grain's record (meta) and in Orleans' tables. Its queues go; silos stays
-- (the embedded agents' identity and heartbeat).
DROP TABLE messages;
DROP TABLE reminders;
DROP TABLE activities;
DROP TABLE IF EXISTS test_counters;
