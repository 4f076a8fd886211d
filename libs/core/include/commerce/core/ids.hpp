#pragma once
// Identifiers, time and hashing shared by every agent.
#include <chrono>
#include <string>
#include <string_view>

namespace commerce::core {

// RFC 9562 UUIDv7: time-ordered, so ids sort by creation time in indexes and logs.
std::string uuid_v7();
// The smallest UUIDv7 of millisecond `t` (all other bits zero but version and variant): every
// UUIDv7 made at or after `t` sorts at or above it, every one made before it sorts below.
std::string uuid_v7_floor(std::chrono::system_clock::time_point t);
// 8-4-4-4-12 hex digits, any version and case.
bool is_uuid(std::string_view s);

// UTC timestamp, RFC 3339 with milliseconds: 2026-11-22T10:11:12.345Z
std::string now_rfc3339();
std::string to_rfc3339(std::chrono::system_clock::time_point t);

// Lower-case hex SHA-256 (API keys are stored hashed).
std::string sha256_hex(std::string_view data);

// Cryptographically random token of `bytes` bytes, URL-safe base64 without padding.
std::string random_token(std::size_t bytes = 24);

// 32 lower-case hex characters, for W3C trace ids; 16 for span ids.
std::string random_hex(std::size_t chars);

}  // namespace commerce::core
