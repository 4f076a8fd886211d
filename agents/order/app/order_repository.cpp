#include "app/order_repository.hpp"

#include "commerce/store/store.hpp"

namespace order {

namespace {

// Timestamps leave PostgreSQL as RFC 3339 UTC with milliseconds.
std::string rfc3339(const std::string& column) {
  return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
}

const std::string kOrderColumns =
    "id::text, merchant_id, status, customer_email, currency, total_minor, card_token, "
    "cancel_reason, " +
    rfc3339("placed_at") + ", " + rfc3339("confirmed_at") + ", " + rfc3339("cancelled_at");

// The tenant check of a lookup by primary key, written so the planner cannot use it as an index
// condition: on a table without statistics yet, a cached generic plan otherwise chose
// (merchant_id, idempotency_key) and filtered the id, reading every order of the merchant.
const std::string kTenantIs2 = "(merchant_id = $2) IS TRUE";

OrderRecord order_from_row(const pqxx::row& row) {
  OrderRecord o;
  o.id = row[0].as<std::string>();
  o.merchant_id = row[1].as<std::string>();
  o.status = parse_status(row[2].as<std::string>()).value_or(OrderStatus::pending);
  o.customer_email = row[3].as<std::string>();
  o.total = Money{row[5].as<std::int64_t>(), row[4].as<std::string>()};
  o.card_token = row[6].as<std::string>();
  if (!row[7].is_null()) o.cancel_reason = row[7].as<std::string>();
  o.placed_at = row[8].as<std::string>();
  if (!row[9].is_null()) o.confirmed_at = row[9].as<std::string>();
  if (!row[10].is_null()) o.cancelled_at = row[10].as<std::string>();
  return o;
}

}  // namespace

OrderRecord as_placed(const OrderRecord& order) {
  OrderRecord placed = order;
  placed.status = OrderStatus::pending;
  placed.confirmed_at.reset();
  placed.cancelled_at.reset();
  placed.cancel_reason.reset();
  std::erase_if(placed.timeline, [](const TimelineRow& row) { return row.event != "placed"; });
  return placed;
}

OrderRepository::Inserted OrderRepository::insert(
    pqxx::transaction_base& tx, const std::string& id, const std::string& merchant_id,
    const std::string& customer_email, const PricedOrder& priced, const Catalogue& prices,
    const std::string& card_token, const std::optional<IdempotencyKey>& idempotency,
    const commerce::store::OutboxRow& placed) {
  // The lines as one text array per column (line numbers are their positions).
  std::vector<std::string> skus, titles, quantities, unit_prices, line_totals;
  for (const auto& line : priced.lines) {
    skus.push_back(line.sku);
    titles.push_back(line.title);
    quantities.push_back(std::to_string(line.quantity));
    unit_prices.push_back(std::to_string(line.unit_price.amount_minor));
    line_totals.push_back(std::to_string(line.line_total.amount_minor));
  }
  // The entries priced from, one array per column, to be found unchanged in product_prices.
  std::vector<std::string> p_skus, p_products, p_titles, p_amounts, p_currencies, p_active;
  for (const auto& [sku, entry] : prices) {
    p_skus.push_back(sku);
    p_products.push_back(entry.product_id);
    p_titles.push_back(entry.title);
    p_amounts.push_back(std::to_string(entry.price.amount_minor));
    p_currencies.push_back(entry.price.currency);
    p_active.push_back(entry.active ? "t" : "f");
  }
  const nlohmann::json detail = {
      {"total", {{"amount_minor", priced.total.amount_minor}, {"currency", priced.total.currency}}},
      {"lines", priced.lines.size()}};
  // Order, lines, the "placed" entry and OrderPlaced in the outbox in one autocommitted
  // statement: two round trips fewer than BEGIN and COMMIT around it, and one for the outbox.
  // It first checks, in the same snapshot, that the prices still hold (`fresh`): the entries may
  // come from this process's memory. A stale price or a repeated idempotency key inserts nothing
  // (no lines, timeline or message). Without a relay in this process the statement wakes the
  // standing-by instance's relay.
  auto statement = [](const std::string& wake) {
    return "WITH fresh AS ("
           "  SELECT count(*) = cardinality($20::text[]) AS ok FROM product_prices p "
           "  JOIN unnest($20::text[], $21::text[], $22::text[], $23::bigint[], $24::text[], "
           "  $25::boolean[]) AS c(sku, product_id, title, amount_minor, currency, active) "
           "  ON p.merchant_id = $2 AND p.sku = c.sku AND p.product_id = c.product_id "
           "  AND p.title = c.title AND p.amount_minor = c.amount_minor "
           "  AND p.currency = c.currency AND p.active = c.active), "
           "o AS ("
           "  INSERT INTO orders (id, merchant_id, status, customer_email, currency, "
           "  total_minor, card_token, placed_at, updated_at, idempotency_key, request_hash) "
           "  SELECT $1::uuid, $2, 'pending', $3, $4, $5::bigint, $6, clock_timestamp(), "
           "  clock_timestamp(), $9, $10 FROM fresh WHERE fresh.ok "
           "  ON CONFLICT (merchant_id, idempotency_key) DO NOTHING "
           "  RETURNING id, merchant_id, placed_at), "
           "l AS ("
           "  INSERT INTO order_lines (order_id, line_no, merchant_id, sku, title, quantity, "
           "  unit_price_minor, line_total_minor, currency) "
           "  SELECT o.id, x.line_no, o.merchant_id, x.sku, x.title, x.quantity, "
           "  x.unit_price_minor, x.line_total_minor, $4 FROM o, "
           "  unnest($7::text[], $16::text[], $17::bigint[], $18::bigint[], $19::bigint[]) "
           "  WITH ORDINALITY AS x(sku, title, quantity, unit_price_minor, line_total_minor, "
           "  line_no)), "
           "t AS ("
           "  INSERT INTO order_timeline (order_id, merchant_id, at, event, detail) "
           "  SELECT id, merchant_id, placed_at, 'placed', $8::jsonb FROM o), "
           "appended AS (" +
           commerce::store::outbox_insert_sql(11, "o") + ") SELECT fresh.ok, (SELECT " +
           rfc3339("placed_at") + " FROM o), (SELECT " + wake +
           " FROM appended LIMIT 1) FROM fresh";
  };
  static const std::string quiet = statement("NULL");
  static const std::string notifying = statement(commerce::store::outbox_notify_sql());
  using commerce::store::array_literal;
  auto inserted = commerce::store::exec1(
      tx, commerce::store::relay_woken_in_process(tx) ? quiet : notifying, id, merchant_id,
      customer_email, priced.total.currency, priced.total.amount_minor, card_token,
      array_literal(skus), detail.dump(),
      idempotency ? std::optional<std::string>(idempotency->key) : std::nullopt,
      idempotency ? std::optional<std::string>(idempotency->request_hash) : std::nullopt,
      placed.topic, placed.key, placed.message_id, placed.payload, placed.headers,
      array_literal(titles), array_literal(quantities), array_literal(unit_prices),
      array_literal(line_totals), array_literal(p_skus), array_literal(p_products),
      array_literal(p_titles), array_literal(p_amounts), array_literal(p_currencies),
      array_literal(p_active));
  if (!inserted[0].as<bool>()) return {std::nullopt, true};
  if (inserted[1].is_null()) return {};
  OrderRecord order;
  order.id = id;
  order.merchant_id = merchant_id;
  order.status = OrderStatus::pending;
  order.customer_email = customer_email;
  order.total = priced.total;
  order.card_token = card_token;
  order.placed_at = inserted[1].as<std::string>();
  order.lines = priced.lines;
  order.timeline.push_back(TimelineRow{order.placed_at, "placed", detail});
  if (idempotency) order.request_hash = idempotency->request_hash;
  return {std::move(order), false};
}

std::optional<OrderRecord> OrderRepository::find(pqxx::transaction_base& tx,
                                                 const std::string& merchant_id,
                                                 const std::string& id) {
  auto rows = commerce::store::exec(
      tx, "SELECT " + kOrderColumns + " FROM orders WHERE id = $1::uuid AND " + kTenantIs2, id,
      merchant_id);
  if (rows.empty()) return std::nullopt;
  OrderRecord o = order_from_row(rows[0]);
  for (const auto& row : commerce::store::exec(
           tx,
           "SELECT sku, title, quantity, unit_price_minor, line_total_minor, currency "
           "FROM order_lines WHERE order_id = $1::uuid ORDER BY line_no",
           id)) {
    const auto currency = row[5].as<std::string>();
    o.lines.push_back(PricedLine{
        row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::int64_t>(),
        Money{row[3].as<std::int64_t>(), currency}, Money{row[4].as<std::int64_t>(), currency}});
  }
  for (const auto& row : commerce::store::exec(
           tx,
           "SELECT " + rfc3339("at") +
               ", event, detail::text FROM order_timeline WHERE order_id = $1::uuid "
               "ORDER BY at, id",
           id)) {
    o.timeline.push_back(TimelineRow{row[0].as<std::string>(), row[1].as<std::string>(),
                                     nlohmann::json::parse(row[2].as<std::string>())});
  }
  return o;
}

std::optional<OrderRecord> OrderRepository::find_by_idempotency_key(pqxx::transaction_base& tx,
                                                                    const std::string& merchant_id,
                                                                    const std::string& key) {
  auto rows = commerce::store::exec(
      tx,
      "SELECT id::text, request_hash FROM orders WHERE merchant_id = $1 AND idempotency_key = $2",
      merchant_id, key);
  if (rows.empty()) return std::nullopt;
  auto found = find(tx, merchant_id, rows[0][0].as<std::string>());
  if (found && !rows[0][1].is_null()) found->request_hash = rows[0][1].as<std::string>();
  return found;
}

std::map<std::string, OrderRecord> OrderRepository::lock(pqxx::work& tx,
                                                         const std::vector<std::string>& ids) {
  std::map<std::string, OrderRecord> out;
  if (ids.empty()) return out;
  const auto rows = commerce::store::exec(
      tx,
      "SELECT " + kOrderColumns + " FROM orders WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE",
      commerce::store::array_literal(ids));
  for (const auto& row : rows) {
    auto order = order_from_row(row);
    out.emplace(order.id, std::move(order));
  }
  return out;
}

void OrderRepository::settle(pqxx::work& tx, const std::vector<Settlement>& settlements) {
  if (settlements.empty()) return;
  // Text arrays, one per column (no JSON document built here or parsed there); the timeline
  // entries of every order flattened into one set of arrays, in order.
  std::vector<std::string> ids, statuses, reasons;
  std::vector<std::string> entry_orders, events, ats, details;
  for (const auto& s : settlements) {
    ids.push_back(s.id);
    statuses.push_back(to_string(s.status));
    reasons.push_back(s.reason);
    for (const auto& entry : s.timeline) {
      entry_orders.push_back(s.id);
      events.push_back(entry.event);
      ats.push_back(entry.at);
      details.push_back(entry.detail.is_null() ? "{}" : entry.detail.dump());
    }
  }
  using commerce::store::array_literal;
  commerce::store::exec0(
      tx,
      "WITH s AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]) "
      "    AS s(id, status, reason)), "
      "settled AS ("
      "  UPDATE orders o SET status = s.status, updated_at = clock_timestamp(),"
      "    confirmed_at = CASE WHEN s.status = 'confirmed' THEN clock_timestamp() END,"
      "    cancelled_at = CASE WHEN s.status = 'cancelled' THEN clock_timestamp() END,"
      "    cancel_reason = CASE WHEN s.status = 'cancelled' THEN s.reason END"
      "  FROM s WHERE o.id = ANY($1::uuid[]) AND o.id = s.id RETURNING o.id, o.merchant_id) "
      "INSERT INTO order_timeline (order_id, merchant_id, at, event, detail) "
      "SELECT settled.id, settled.merchant_id, "
      "  COALESCE(NULLIF(e.at, '')::timestamptz, clock_timestamp()), e.event, e.detail::jsonb "
      "FROM unnest($4::uuid[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY "
      "  AS e(order_id, event, at, detail, n) "
      "JOIN settled ON settled.id = e.order_id ORDER BY e.n",
      array_literal(ids), array_literal(statuses), array_literal(reasons),
      array_literal(entry_orders), array_literal(events), array_literal(ats),
      array_literal(details));
}

OrderPage OrderRepository::list(pqxx::work& tx, const std::string& merchant_id, std::size_t limit,
                                const std::optional<std::string>& after_id,
                                const std::optional<OrderStatus>& status) {
  // One more than asked tells whether there is a next page.
  auto rows = commerce::store::exec(
      tx,
      "SELECT " + kOrderColumns +
          " FROM orders WHERE merchant_id = $1 "
          "AND ($2::uuid IS NULL OR id < $2::uuid) AND ($3::text IS NULL OR status = $3) "
          "ORDER BY id DESC LIMIT $4",
      merchant_id, after_id, status ? std::optional<std::string>(to_string(*status)) : std::nullopt,
      static_cast<long>(limit + 1));
  OrderPage page;
  for (const auto& row : rows) {
    if (page.orders.size() == limit) {
      page.next_cursor = page.orders.back().id;
      break;
    }
    page.orders.push_back(order_from_row(row));
  }
  return page;
}

}  // namespace order
