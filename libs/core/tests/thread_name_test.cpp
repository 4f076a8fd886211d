#include "commerce/core/thread_name.hpp"

#include <gtest/gtest.h>

#include <thread>

using namespace commerce::core;

TEST(ThreadName, NamesTheCallingThreadOnly) {
  const auto before = this_thread_name();
  std::string inside;
  std::thread([&] {
    name_this_thread("bus-consume");
    inside = this_thread_name();
  }).join();
  EXPECT_EQ(inside, "bus-consume");
  EXPECT_EQ(this_thread_name(), before);
}

TEST(ThreadName, LongNamesAreCutToFifteenBytes) {
  std::thread([] {
    name_this_thread("a-name-much-longer-than-linux-keeps");
    EXPECT_EQ(this_thread_name(), "a-name-much-lon");
  }).join();
}

TEST(ThreadName, ScopedNameIsInheritedByNewThreadsAndRestored) {
  std::thread([] {
    name_this_thread("creator");
    std::string child;
    {
      ScopedThreadName scoped("http-work");
      std::thread([&] { child = this_thread_name(); }).join();
    }
    EXPECT_EQ(child, "http-work");
    EXPECT_EQ(this_thread_name(), "creator");
  }).join();
}
