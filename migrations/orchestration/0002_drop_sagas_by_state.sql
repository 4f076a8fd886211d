-- Every state change wrote an entry in this index too. Listing by state reads newest first by
-- primary key with a filter, and counting by state scans the table either way; stuck sagas
-- have their own partial index. One index fewer on the fleet's hottest update.
DROP INDEX IF EXISTS sagas_by_state;
