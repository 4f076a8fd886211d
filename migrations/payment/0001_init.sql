-- Payment: one authorization row per order, ever. A VoidPayment that arrives first leaves a
-- 'voided' row with no authorization_id (a tombstone), so a late AuthorizePayment is refused.

CREATE TABLE authorizations (
  merchant_id      text NOT NULL,
  order_id         text NOT NULL,
  authorization_id text,
  amount_minor     bigint CHECK (amount_minor >= 0),
  currency         text CHECK (currency ~ '^[A-Z]{3}$'),
  status           text NOT NULL CHECK (status IN ('authorized', 'voided', 'declined')),
  -- Declines: the provider's reason. Tombstones: 'voided' once a late AuthorizePayment was refused.
  decline_reason   text,
  provider_code    text,
  provider         text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  voided_at        timestamptz,
  UNIQUE (merchant_id, order_id),
  CHECK (status <> 'authorized' OR authorization_id IS NOT NULL)
);
CREATE UNIQUE INDEX authorizations_provider_id ON authorizations (provider, authorization_id)
  WHERE authorization_id IS NOT NULL;
