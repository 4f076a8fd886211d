-- The gateway's own copy of API keys (learnt from merchant.ApiKeyCreated / ApiKeyRevoked; it
-- never reads the merchant agent's tables) and the stored answers to Idempotency-Key POSTs.
CREATE TABLE api_keys (
  key_hash     text PRIMARY KEY,          -- sha256 hex of the key
  key_id       text NOT NULL,
  merchant_id  text NOT NULL,
  revoked      boolean NOT NULL DEFAULT false,
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- merchant_id is the tenant, or 'operator:<token hash>' for operator routes.
CREATE TABLE idempotency_keys (
  merchant_id            text NOT NULL,
  key                    text NOT NULL,
  request_hash           text NOT NULL,   -- sha256 of method, path and query, body
  state                  text NOT NULL CHECK (state IN ('in_progress', 'done')),
  status                 integer,
  response_body          text,
  response_content_type  text,
  created_at             timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, key)
);

CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
