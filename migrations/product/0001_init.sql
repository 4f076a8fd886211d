-- Product: the merchant's catalogue. One SKU per merchant.

CREATE TABLE products (
  id           uuid PRIMARY KEY,  -- UUIDv7, so keyset paging by id is creation order
  merchant_id  text NOT NULL,
  sku          text NOT NULL CHECK (sku ~ '^[A-Za-z0-9._-]{1,64}$'),
  title        text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
  amount_minor bigint NOT NULL CHECK (amount_minor BETWEEN 0 AND 1000000000000),
  currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  active       boolean NOT NULL DEFAULT true,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (merchant_id, sku)
);
CREATE INDEX products_merchant_id ON products (merchant_id, id);
