#pragma once
// Idempotency-Key decisions, kept pure: what the gateway does with a POST given what it has
// stored for the same key.
#include <optional>
#include <string>
#include <string_view>

namespace gateway {

inline constexpr std::size_t kMaxIdempotencyKeyLength = 255;

// What is stored under (scope, key).
struct StoredRequest {
  std::string request_hash;
  bool done = false;  // false: the first request is still being forwarded
  int status = 0;
  std::string body;
  std::string content_type;
};

enum class IdempotencyAction {
  forward,             // nothing stored (or it was ours): forward and store the answer
  replay,              // same request, answered before: send the stored answer again
  reject_reused,       // same key, another request: 409 idempotency_key_reused
  reject_in_progress,  // same key while the first is still in flight: 409
};

// `existing` is what another request stored under the key; nullopt when the key was free.
IdempotencyAction decide(const std::optional<StoredRequest>& existing,
                         const std::string& request_hash);

// sha256 hex over method, target (path and query) and body, with separators that cannot be
// confused with their content's boundaries.
std::string request_hash(std::string_view method, std::string_view target, std::string_view body);

// nullopt when acceptable; otherwise the reason (empty, too long, or not visible ASCII).
std::optional<std::string> validate_idempotency_key(std::string_view key);

// Server errors are not remembered, so the client may retry with the same key.
bool should_store(int status);

}  // namespace gateway
