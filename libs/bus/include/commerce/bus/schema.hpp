#pragma once
// JSON Schema validation of messages against schemas/<agent>/<message>.v<N>.json.
// Supports the subset of draft 2020-12 our schemas use: type, properties, required,
// additionalProperties, items, enum, const, minimum, maximum, minLength, maxLength, pattern,
// minItems, maxItems, format (date-time, uuid), $ref to "#/$defs/...".
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace commerce::bus {

class SchemaRegistry {
 public:
  // Loads every *.json under `schemas_dir` (schemas/<agent>/<Name>.v<N>.json); the message type
  // is "<agent>.<Name>", keyed with its version.
  static SchemaRegistry load(const std::string& schemas_dir);

  bool knows(const std::string& type, int version) const;
  // nullopt when valid, otherwise the first violation as "<json pointer>: <what>".
  // An unknown type/version is itself a violation.
  std::optional<std::string> validate(const std::string& type, int version,
                                      const nlohmann::json& payload) const;

 private:
  std::map<std::pair<std::string, int>, nlohmann::json> schemas_;
};

// Validates `instance` against `schema` (root used for $ref). Exposed for tests.
std::optional<std::string> validate_against(const nlohmann::json& schema,
                                            const nlohmann::json& instance,
                                            const nlohmann::json& root);

}  // namespace commerce::bus
