#include "domain/idempotency.hpp"

#include "commerce/core/ids.hpp"

namespace gateway {

IdempotencyAction decide(const std::optional<StoredRequest>& existing,
                         const std::string& request_hash) {
  if (!existing) return IdempotencyAction::forward;
  if (existing->request_hash != request_hash) return IdempotencyAction::reject_reused;
  if (!existing->done) return IdempotencyAction::reject_in_progress;
  return IdempotencyAction::replay;
}

std::string request_hash(std::string_view method, std::string_view target, std::string_view body) {
  std::string material;
  material.reserve(method.size() + target.size() + body.size() + 2);
  material.append(method).append("\n").append(target).append("\n").append(body);
  return commerce::core::sha256_hex(material);
}

std::optional<std::string> validate_idempotency_key(std::string_view key) {
  if (key.empty()) return "Idempotency-Key must not be empty";
  if (key.size() > kMaxIdempotencyKeyLength) {
    return "Idempotency-Key must be at most 255 characters";
  }
  for (char c : key) {
    if (c < 0x21 || c > 0x7e) return "Idempotency-Key must be visible ASCII without spaces";
  }
  return std::nullopt;
}

bool should_store(int status) { return status < 500; }

}  // namespace gateway
