-- A reservation's lines are written only by this agent, in the transaction that inserts the
-- reservation, and no path deletes a reservation: a line cannot point at a missing reservation.
-- The foreign key re-checked that with a locking lookup per line (docs/performance.md, session 8).
ALTER TABLE reservation_lines DROP CONSTRAINT IF EXISTS reservation_lines_reservation;
