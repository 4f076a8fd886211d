-- Who was told what. The unique key makes "once per order and kind" a fact of the data.
CREATE TABLE notifications (
  id           bigserial PRIMARY KEY,
  merchant_id  text NOT NULL,
  order_id     text NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('order_confirmed', 'order_cancelled')),
  channel      text NOT NULL,
  recipient    text NOT NULL,
  sent_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (merchant_id, order_id, kind)
);

-- E-mails written by the default channel, waiting for a real SMTP adapter to drain them.
CREATE TABLE emails (
  id           text PRIMARY KEY,
  merchant_id  text NOT NULL,
  order_id     text NOT NULL,
  kind         text NOT NULL,
  recipient    text NOT NULL,
  subject      text NOT NULL,
  body         text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX emails_by_order ON emails (merchant_id, order_id);
