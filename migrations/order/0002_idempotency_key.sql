-- The Idempotency-Key the gateway forwards: a retried POST (after a crash or a lost answer
-- anywhere between the caller and this table) finds the order it already created instead of
-- creating a second one. NULL keys (callers without one) never conflict.
ALTER TABLE orders ADD COLUMN idempotency_key text;
CREATE UNIQUE INDEX orders_by_idempotency_key ON orders (merchant_id, idempotency_key);
