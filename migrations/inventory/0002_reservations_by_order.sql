-- A batch finds its reservations with order_id = ANY(...) AND merchant_id = ANY(...). With the
-- merchant leading the unique key, only the merchant was an index condition: every reservation of
-- the merchant was read and filtered, per batch (2-6 ms at a few thousand rows, and growing).
-- The order id leads now; lookups by both columns are served as before.
CREATE UNIQUE INDEX reservations_order_merchant ON reservations (order_id, merchant_id);
ALTER TABLE reservation_lines DROP CONSTRAINT reservation_lines_merchant_id_order_id_fkey;
ALTER TABLE reservations DROP CONSTRAINT reservations_merchant_id_order_id_key;
ALTER TABLE reservations ADD CONSTRAINT reservations_order_merchant
  UNIQUE USING INDEX reservations_order_merchant;
ALTER TABLE reservation_lines ADD CONSTRAINT reservation_lines_reservation
  FOREIGN KEY (merchant_id, order_id) REFERENCES reservations (merchant_id, order_id);
