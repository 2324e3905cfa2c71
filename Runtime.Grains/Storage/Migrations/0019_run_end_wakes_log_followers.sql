-- A run's log followers close their stream once the run has ended and they have sent every line. The
-- run's end is announced on the logs channel ('runtime_logs'), as stored lines are, in the transaction
-- that records it, so that followers see it at once rather than at their next fallback poll.
CREATE FUNCTION runs_announce_end() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('runtime_logs', 'run/' || NEW.id::text);
    RETURN NULL;
END $$;

CREATE TRIGGER runs_announce_end AFTER UPDATE ON runs
FOR EACH ROW WHEN (OLD.ended_at IS NULL AND NEW.ended_at IS NOT NULL)
EXECUTE FUNCTION runs_announce_end();
