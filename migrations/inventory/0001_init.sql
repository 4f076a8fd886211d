-- Inventory: stock per SKU per location, one reservation per order, and the movement ledger.

CREATE TABLE stock_levels (
  merchant_id text NOT NULL,
  sku         text NOT NULL,
  location    text NOT NULL,
  on_hand     bigint NOT NULL,
  reserved    bigint NOT NULL DEFAULT 0,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, sku, location),
  CHECK (on_hand >= 0),
  CHECK (reserved >= 0),
  CHECK (reserved <= on_hand)
);

-- One row per order, ever. 'released' with no lines is the tombstone left by a ReleaseStock
-- that arrived before (or without) a reservation, so a late ReserveStock does nothing.
CREATE TABLE reservations (
  merchant_id text NOT NULL,
  order_id    text NOT NULL,
  status      text NOT NULL CHECK (status IN ('reserved', 'released', 'rejected')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  released_at timestamptz,
  UNIQUE (merchant_id, order_id)
);

CREATE TABLE reservation_lines (
  merchant_id text NOT NULL,
  order_id    text NOT NULL,
  sku         text NOT NULL,
  location    text NOT NULL,
  quantity    bigint NOT NULL CHECK (quantity > 0),
  FOREIGN KEY (merchant_id, order_id) REFERENCES reservations (merchant_id, order_id)
);
CREATE INDEX reservation_lines_order ON reservation_lines (merchant_id, order_id);

-- The ledger: every change of on_hand or reserved, with why.
CREATE TABLE movements (
  id             bigserial PRIMARY KEY,
  merchant_id    text NOT NULL,
  sku            text NOT NULL,
  location       text NOT NULL,
  delta_on_hand  bigint NOT NULL,
  delta_reserved bigint NOT NULL,
  reason         text NOT NULL,
  order_id       text,
  at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX movements_sku ON movements (merchant_id, sku, location, id);
