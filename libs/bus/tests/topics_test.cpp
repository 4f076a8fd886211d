#include "commerce/bus/topics.hpp"

#include <gtest/gtest.h>

namespace commerce::bus {
namespace {

TEST(Topics, FollowTheNamingScheme) {
  EXPECT_EQ(topics::commands("inventory"), "commerce.inventory.commands");
  EXPECT_EQ(topics::events("order"), "commerce.order.events");
  EXPECT_EQ(topics::dlq("api-gateway"), "commerce.api-gateway.dlq");
}

}  // namespace
}  // namespace commerce::bus
