-- The order agent's tables (schema "order", resolved by the role's search_path).

CREATE TABLE orders (
  id             uuid PRIMARY KEY,          -- UUIDv7: time ordered, so paging by id is by age
  merchant_id    text NOT NULL,
  status         text NOT NULL CHECK (status IN ('pending', 'confirmed', 'cancelled')),
  customer_email text NOT NULL,
  currency       char(3) NOT NULL,
  total_minor    bigint NOT NULL CHECK (total_minor >= 0),
  card_token     text NOT NULL,
  cancel_reason  text,
  placed_at      timestamptz NOT NULL,
  confirmed_at   timestamptz,
  cancelled_at   timestamptz,
  updated_at     timestamptz NOT NULL
);
-- Merchant-scoped paging, newest first, with and without a status filter.
CREATE INDEX orders_merchant_page ON orders (merchant_id, id DESC);
CREATE INDEX orders_merchant_status_page ON orders (merchant_id, status, id DESC);

CREATE TABLE order_lines (
  order_id         uuid NOT NULL REFERENCES orders (id),
  line_no          integer NOT NULL,
  merchant_id      text NOT NULL,
  sku              text NOT NULL,
  title            text NOT NULL,
  quantity         integer NOT NULL CHECK (quantity > 0),
  unit_price_minor bigint NOT NULL,
  line_total_minor bigint NOT NULL,
  currency         char(3) NOT NULL,
  PRIMARY KEY (order_id, line_no)
);

CREATE TABLE order_timeline (
  id          bigserial PRIMARY KEY,
  order_id    uuid NOT NULL REFERENCES orders (id),
  merchant_id text NOT NULL,
  at          timestamptz NOT NULL,
  event       text NOT NULL,
  detail      jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX order_timeline_by_order ON order_timeline (order_id, at, id);

-- The order agent's own copy of the product catalogue's prices, fed by product events and by
-- asking the product agent on a miss. Prices never come from the request.
CREATE TABLE product_prices (
  merchant_id  text NOT NULL,
  sku          text NOT NULL,
  product_id   text NOT NULL,
  title        text NOT NULL,
  amount_minor bigint NOT NULL CHECK (amount_minor >= 0),
  currency     char(3) NOT NULL,
  active       boolean NOT NULL,
  updated_at   timestamptz NOT NULL,
  PRIMARY KEY (merchant_id, sku)
);
