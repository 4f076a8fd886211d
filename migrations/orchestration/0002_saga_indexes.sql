-- Indexes for the hot path: a batch reads its sagas by order id, and every state change writes
-- one entry per index.
--
-- The unique key leads with order_id, so `order_id = ANY($ids) AND type = $1` is always an
-- index condition on it. With (type, order_id), a plan made while the table was empty (and kept
-- by the prepared statement) used the index for `type` alone and filtered every saga.
ALTER TABLE sagas DROP CONSTRAINT sagas_type_order_id_key;
ALTER TABLE sagas ADD CONSTRAINT sagas_order_id_type_key UNIQUE (order_id, type);
-- Listing by state reads newest first by primary key with a filter, and counting by state scans
-- the table either way; stuck sagas have their own partial index. One index fewer to write.
DROP INDEX IF EXISTS sagas_by_state;
