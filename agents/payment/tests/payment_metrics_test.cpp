#include "app/payment_metrics.hpp"

#include <gtest/gtest.h>

#include "commerce/metrics/registry.hpp"

TEST(PaymentMetrics, DeclinesByReasonFromTheFixedVocabulary) {
  commerce::metrics::Registry r;
  payment::PaymentMetrics m(r);
  auto text = r.render();
  EXPECT_NE(text.find("payment_declines_total{reason=\"expired_card\"} 0\n"), std::string::npos)
      << "every reason exists at 0: " << text;
  m.declined("insufficient_funds");
  m.declined("provider says: 05 do not honour");  // outside the vocabulary
  m.authorized({2500, "EUR"});
  text = r.render();
  EXPECT_NE(text.find("payment_declines_total{reason=\"insufficient_funds\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("payment_declines_total{reason=\"other\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("payment_authorizations_total{outcome=\"declined\"} 2\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("payment_authorizations_total{outcome=\"authorized\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("payment_authorized_amount_minor_units_total{currency=\"EUR\"} 2500\n"),
            std::string::npos)
      << text;
}
