-- An assignment a grain on Orleans emits is stored 'held' just before the grain's state is written,
-- and released to 'pending' (claimable) once it is: an agent never runs what a failed call emitted.
ALTER TABLE assignments DROP CONSTRAINT assignments_status_check;
ALTER TABLE assignments ADD CONSTRAINT assignments_status_check CHECK (status IN ('held', 'pending', 'claimed', 'completed', 'failed'));
