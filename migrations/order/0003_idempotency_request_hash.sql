-- The order agent enforces Idempotency-Key on POST /v1/orders itself, in the statement that
-- places the order (the gateway leaves this route's keys to it): the hash of the first request's
-- body tells a retry (same body: the first answer again) from a reused key (another body: 409).
ALTER TABLE orders ADD COLUMN request_hash text;
