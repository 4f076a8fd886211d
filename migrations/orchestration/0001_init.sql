-- The orchestration agent's tables (schema "orchestration", resolved by the role's search_path).

-- One row per saga: its persisted state is the whole truth, so a killed orchestration resumes
-- exactly where it stopped.
CREATE TABLE sagas (
  id             uuid PRIMARY KEY,            -- UUIDv7
  type           text NOT NULL,               -- place_order
  order_id       uuid NOT NULL,
  merchant_id    text NOT NULL,
  state          text NOT NULL CHECK (state IN ('reserving', 'authorizing', 'confirming',
                   'completed', 'voiding', 'releasing', 'cancelling', 'compensated')),
  step           text NOT NULL,               -- the command the state waits on ('' when ended)
  deadline       timestamptz NOT NULL,
  data           jsonb NOT NULL,              -- lines, amount, card token, email, reason, attempts
  correlation_id text NOT NULL,
  traceparent    text NOT NULL DEFAULT '',
  started_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  finished_at    timestamptz,
  UNIQUE (type, order_id)
);
-- The timeout worker's scan: only sagas still running, by deadline.
CREATE INDEX sagas_running_by_deadline ON sagas (deadline) WHERE state NOT IN ('completed', 'compensated');
CREATE INDEX sagas_by_state ON sagas (state, id DESC);
CREATE INDEX sagas_by_merchant ON sagas (merchant_id, id DESC);

-- Every state change and every ignored (late or duplicate) reply, in order.
CREATE TABLE saga_steps (
  id         bigserial PRIMARY KEY,
  saga_id    uuid NOT NULL REFERENCES sagas (id),
  merchant_id text NOT NULL,
  at         timestamptz NOT NULL DEFAULT clock_timestamp(),
  from_state text,                            -- NULL for the saga's start
  to_state   text NOT NULL,
  message_id text,                            -- the message that caused it; NULL for timeouts
  note       text NOT NULL
);
CREATE INDEX saga_steps_by_saga ON saga_steps (saga_id, id);
