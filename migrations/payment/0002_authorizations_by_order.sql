-- A batch finds its authorizations with order_id = ANY(...) AND merchant_id = ANY(...). With the
-- merchant leading the unique key, only the merchant was an index condition: every authorization
-- of the merchant was read and filtered, per batch (~2 ms at a few thousand rows, and growing).
-- The order id leads now; lookups by both columns are served as before.
CREATE UNIQUE INDEX authorizations_order_merchant ON authorizations (order_id, merchant_id);
ALTER TABLE authorizations DROP CONSTRAINT authorizations_merchant_id_order_id_key;
ALTER TABLE authorizations ADD CONSTRAINT authorizations_order_merchant
  UNIQUE USING INDEX authorizations_order_merchant;
