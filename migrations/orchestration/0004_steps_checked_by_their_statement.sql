-- A saga's steps are written only by this agent, in the statement that inserts the saga or while
-- its row is locked FOR UPDATE, and no path deletes a saga: a step cannot point at a missing
-- saga. The foreign key re-checked that with a locking lookup of the saga per step (about four
-- per order), docs/performance.md, session 8.
ALTER TABLE saga_steps DROP CONSTRAINT IF EXISTS saga_steps_saga_id_fkey;
