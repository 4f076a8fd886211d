// Every payload payment produces or accepts matches its schema in schemas/payment.
#include <gtest/gtest.h>

#include "commerce/bus/schema.hpp"
#include "domain/messages.hpp"
#include "domain/sandbox_provider.hpp"

namespace payment {
namespace {

using nlohmann::json;

const commerce::bus::SchemaRegistry& registry() {
  static const auto r = commerce::bus::SchemaRegistry::load(COMMERCE_SOURCE_DIR "/schemas");
  return r;
}

void expect_valid(const std::string& type, const json& payload) {
  const auto error = registry().validate(type, 1, payload);
  EXPECT_FALSE(error) << type << ": " << error.value_or("") << "\n" << payload.dump();
}

const std::string kOrder = "0190f0c2-7a8b-7c3d-9e4f-0123456789ab";

TEST(PaymentPayloads, ProducedEventsMatchSchemas) {
  SandboxProvider sandbox;
  const commerce::core::Money amount{4999, "EUR"};
  const auto approved = sandbox.authorize({"m", kOrder, amount, "tok_visa", kOrder});
  expect_valid(messages::kPaymentAuthorized,
               messages::payment_authorized(kOrder, approved.authorization_id, amount));
  for (const auto* token : {"tok_chargeDeclined", "tok_chargeDeclinedInsufficientFunds",
                            "tok_chargeDeclinedExpiredCard", "tok_nope"}) {
    const auto r = sandbox.authorize({"m", kOrder, amount, token, kOrder});
    expect_valid(messages::kPaymentDeclined,
                 messages::payment_declined(kOrder, r.decline_reason, r.provider_code));
  }
  expect_valid(messages::kPaymentDeclined, messages::payment_declined(kOrder, "voided", "voided"));
  expect_valid(messages::kPaymentVoided,
               messages::payment_voided(kOrder, approved.authorization_id));
  expect_valid(messages::kPaymentVoided, messages::payment_voided(kOrder, std::nullopt));
  EXPECT_TRUE(messages::payment_voided(kOrder, std::nullopt)["authorization_id"].is_null());
}

TEST(PaymentPayloads, AcceptedCommandsMatchSchemasAndParse) {
  const json authorize = {{"order_id", kOrder},
                          {"amount", {{"amount_minor", 1250}, {"currency", "USD"}}},
                          {"card_token", "tok_visa"}};
  expect_valid(messages::kAuthorizePayment, authorize);
  const auto parsed = messages::parse_authorize_payment(authorize);
  EXPECT_EQ(parsed.amount, (commerce::core::Money{1250, "USD"}));
  EXPECT_EQ(parsed.card_token, "tok_visa");
  const json void_payment = {{"order_id", kOrder}, {"reason", "saga_timeout"}};
  expect_valid(messages::kVoidPayment, void_payment);
  EXPECT_EQ(messages::parse_void_payment(void_payment).reason, "saga_timeout");
}

TEST(PaymentPayloads, SchemasRejectBadMessages) {
  EXPECT_TRUE(registry().validate(messages::kAuthorizePayment, 1,
                                  {{"order_id", kOrder},
                                   {"amount", {{"amount_minor", 12.5}, {"currency", "USD"}}},
                                   {"card_token", "tok_visa"}}));
  EXPECT_TRUE(registry().validate(messages::kAuthorizePayment, 1,
                                  {{"order_id", kOrder},
                                   {"amount", {{"amount_minor", 1}, {"currency", "usd"}}},
                                   {"card_token", "tok_visa"}}));
  EXPECT_TRUE(registry().validate(messages::kPaymentDeclined, 1,
                                  messages::payment_declined(kOrder, "fraud", "x")));
  EXPECT_TRUE(registry().validate(messages::kPaymentVoided, 1, {{"order_id", kOrder}}));
}

}  // namespace
}  // namespace payment
