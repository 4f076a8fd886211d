// Every payload product produces matches its schema in schemas/product.
#include <gtest/gtest.h>

#include "commerce/bus/schema.hpp"
#include "domain/product.hpp"

namespace product {
namespace {

const commerce::bus::SchemaRegistry& registry() {
  static const auto r = commerce::bus::SchemaRegistry::load(COMMERCE_SOURCE_DIR "/schemas");
  return r;
}

TEST(ProductPayloads, EventsMatchSchemas) {
  Product p{"0190f0c2-7a8b-7c3d-9e4f-0123456789ab",
            "SKU-1",
            "A product",
            {1999, "EUR"},
            true,
            "2026-01-01T00:00:00.000Z",
            "2026-01-01T00:00:00.000Z"};
  for (const auto* type : {kProductCreated, kProductUpdated}) {
    const auto error = registry().validate(type, 1, event_payload(p));
    EXPECT_FALSE(error) << type << ": " << error.value_or("");
  }
  p.price.currency = "eur";
  EXPECT_TRUE(registry().validate(kProductCreated, 1, event_payload(p)));
}

}  // namespace
}  // namespace product
