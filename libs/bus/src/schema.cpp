#include "commerce/bus/schema.hpp"

#include <array>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "commerce/core/ids.hpp"

namespace commerce::bus {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// JSON pointer escaping (RFC 6901).
std::string escape_token(const std::string& token) {
  std::string out;
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

constexpr std::size_t kMaxPatternInput = 4096;

std::string where(const std::string& pointer) { return pointer.empty() ? "(root)" : pointer; }

std::size_t utf8_length(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;  // count lead bytes only
  }
  return n;
}

// minLength and friends: a non-negative integer, or absent.
std::optional<std::size_t> count_keyword(const json& schema, const char* name) {
  auto it = schema.find(name);
  if (it == schema.end() || !it->is_number_integer()) return std::nullopt;
  if (it->is_number_unsigned()) return it->get<std::size_t>();
  const auto n = it->get<std::int64_t>();
  if (n < 0) return std::nullopt;
  return static_cast<std::size_t>(n);
}

bool is_integer(const json& v) {
  if (v.is_number_integer()) return true;
  if (v.is_number_float()) {
    const double d = v.get<double>();
    return std::isfinite(d) && std::floor(d) == d;
  }
  return false;
}

bool has_type(const json& v, const std::string& type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "boolean") return v.is_boolean();
  if (type == "null") return v.is_null();
  if (type == "number") return v.is_number();
  if (type == "integer") return is_integer(v);
  return false;
}

const char* type_of(const json& v) {
  if (v.is_number_integer()) return "integer";
  if (v.is_number()) return "number";
  return v.type_name();
}

// A pattern of the one shape our schemas use for codes and names, `^[class]{n}$` or
// `^[class]{m,n}$` (a class of literals and ranges, no escapes or negation), matched with a
// table instead of std::regex, which took a few microseconds per field on every message.
struct CharClassRun {
  std::array<bool, 256> allowed{};
  std::size_t min = 0;
  std::size_t max = 0;

  bool matches(const std::string& s) const {
    if (s.size() < min || s.size() > max) return false;
    for (unsigned char c : s) {
      if (!allowed[c]) return false;
    }
    return true;
  }
};

std::optional<std::size_t> parse_count(const std::string& text) {
  if (text.empty() || text.size() > 6 || text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return static_cast<std::size_t>(std::stoul(text));
}

std::optional<CharClassRun> char_class_run(const std::string& pattern) {
  if (pattern.size() < 7 || pattern.front() != '^' || pattern.back() != '$' || pattern[1] != '[')
    return std::nullopt;
  const auto close = pattern.find(']', 2);
  if (close == std::string::npos || close == 2) return std::nullopt;
  const std::string members = pattern.substr(2, close - 2);
  if (members.front() == '^' || members.find('\\') != std::string::npos ||
      members.find('[') != std::string::npos)
    return std::nullopt;
  CharClassRun run;
  for (std::size_t i = 0; i < members.size(); ++i) {
    const auto from = static_cast<unsigned char>(members[i]);
    if (i + 2 < members.size() && members[i + 1] == '-') {
      const auto to = static_cast<unsigned char>(members[i + 2]);
      if (to < from) return std::nullopt;
      for (unsigned c = from; c <= to; ++c) run.allowed[c] = true;
      i += 2;
    } else {
      run.allowed[from] = true;
    }
  }
  // The quantifier, then the closing anchor.
  const std::string rest = pattern.substr(close + 1, pattern.size() - close - 2);
  if (rest.size() < 3 || rest.front() != '{' || rest.back() != '}') return std::nullopt;
  const std::string counts = rest.substr(1, rest.size() - 2);
  const auto comma = counts.find(',');
  const auto min = parse_count(counts.substr(0, comma));
  const auto max = comma == std::string::npos ? min : parse_count(counts.substr(comma + 1));
  if (!min || !max || *max < *min) return std::nullopt;
  run.min = *min;
  run.max = *max;
  return run;
}

struct CompiledPattern {
  std::optional<CharClassRun> run;  // when the pattern has that shape
  std::regex regex;                 // otherwise
};

// Patterns are compiled once per process; schemas are few and fixed.
const CompiledPattern& compiled(const std::string& pattern) {
  static std::mutex mutex;
  static std::unordered_map<std::string, CompiledPattern> cache;
  std::lock_guard lock(mutex);
  auto it = cache.find(pattern);
  if (it == cache.end()) {
    CompiledPattern c;
    c.run = char_class_run(pattern);
    if (!c.run) c.regex = std::regex(pattern, std::regex::ECMAScript);
    it = cache.emplace(pattern, std::move(c)).first;
  }
  return it->second;
}

bool pattern_matches(const std::string& s, const std::string& pattern) {
  const auto& c = compiled(pattern);
  // JSON Schema patterns are not anchored: a match anywhere counts.
  return c.run ? c.run->matches(s) : std::regex_search(s, c.regex);
}

bool digits(const std::string& s, std::size_t at, std::size_t n) {
  if (at + n > s.size()) return false;
  for (std::size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

int number(const std::string& s, std::size_t at, std::size_t n) {
  int v = 0;
  for (std::size_t i = at; i < at + n; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

// RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM), second 60 for a leap second.
bool is_date_time(const std::string& s) {
  if (s.size() < 20 || !digits(s, 0, 4) || s[4] != '-' || !digits(s, 5, 2) || s[7] != '-' ||
      !digits(s, 8, 2) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2) || s[13] != ':' ||
      !digits(s, 14, 2) || s[16] != ':' || !digits(s, 17, 2))
    return false;
  const int month = number(s, 5, 2), day = number(s, 8, 2), hour = number(s, 11, 2),
            minute = number(s, 14, 2), second = number(s, 17, 2);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return false;
  std::size_t i = 19;
  if (s[i] == '.') {
    const auto start = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return false;
  }
  if (i == s.size()) return false;
  if (s[i] == 'Z' || s[i] == 'z') return i + 1 == s.size();
  if (s[i] != '+' && s[i] != '-') return false;
  return i + 6 == s.size() && digits(s, i + 1, 2) && number(s, i + 1, 2) <= 23 && s[i + 3] == ':' &&
         digits(s, i + 4, 2) && number(s, i + 4, 2) <= 59;
}

std::string show(const json& v) {
  std::string s = v.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

class Validator {
 public:
  explicit Validator(const json& root) : root_(root) {}

  std::optional<std::string> check(const json& schema, const json& v, const std::string& at,
                                   int depth = 0) const {
    if (depth > 64) return where(at) + ": schema $ref nesting too deep";
    if (schema.is_boolean()) {
      if (schema.get<bool>()) return std::nullopt;
      return where(at) + ": not allowed";
    }
    if (!schema.is_object()) return std::nullopt;

    if (auto it = schema.find("$ref"); it != schema.end()) {
      const json* target = resolve(*it);
      if (target == nullptr) return where(at) + ": unresolvable $ref " + show(*it);
      if (auto err = check(*target, v, at, depth + 1)) return err;
    }

    if (auto it = schema.find("type"); it != schema.end()) {
      bool ok = false;
      if (it->is_string()) {
        ok = has_type(v, it->get<std::string>());
      } else if (it->is_array()) {
        for (const auto& t : *it) ok = ok || (t.is_string() && has_type(v, t.get<std::string>()));
      }
      if (!ok) return where(at) + ": expected " + describe_type(*it) + ", got " + type_of(v);
    }

    if (auto it = schema.find("const"); it != schema.end() && v != *it) {
      return where(at) + ": must equal " + show(*it);
    }
    if (auto it = schema.find("enum"); it != schema.end() && it->is_array()) {
      bool found = false;
      for (const auto& option : *it) found = found || option == v;
      if (!found) return where(at) + ": must be one of " + show(*it);
    }

    if (v.is_number()) {
      if (auto it = schema.find("minimum"); it != schema.end() && it->is_number()) {
        if (below(v, *it)) return where(at) + ": must be >= " + it->dump() + ", got " + v.dump();
      }
      if (auto it = schema.find("maximum"); it != schema.end() && it->is_number()) {
        if (below(*it, v)) return where(at) + ": must be <= " + it->dump() + ", got " + v.dump();
      }
    }

    if (v.is_string()) {
      const auto& s = v.get_ref<const std::string&>();
      if (auto limit = count_keyword(schema, "minLength")) {
        if (utf8_length(s) < *limit) {
          return where(at) + ": must be at least " + std::to_string(*limit) + " characters long";
        }
      }
      if (auto limit = count_keyword(schema, "maxLength")) {
        if (utf8_length(s) > *limit) {
          return where(at) + ": must be at most " + std::to_string(*limit) + " characters long";
        }
      }
      if (auto it = schema.find("pattern"); it != schema.end() && it->is_string()) {
        // std::regex recurses per character: bound the input so it cannot exhaust the stack.
        if (s.size() > kMaxPatternInput) {
          return where(at) + ": too long to match pattern " + it->get<std::string>();
        }
        bool matched = false;
        try {
          matched = pattern_matches(s, it->get<std::string>());
        } catch (const std::regex_error&) {
          return where(at) + ": schema pattern is not a valid regex: " + it->get<std::string>();
        }
        if (!matched) return where(at) + ": does not match pattern " + it->get<std::string>();
      }
      if (auto it = schema.find("format"); it != schema.end() && it->is_string()) {
        const auto& format = it->get_ref<const std::string&>();
        if (format == "date-time" && !is_date_time(s)) {
          return where(at) + ": not an RFC 3339 date-time";
        }
        if (format == "uuid" && !core::is_uuid(s)) return where(at) + ": not a UUID";
      }
    }

    if (v.is_array()) {
      if (auto limit = count_keyword(schema, "minItems")) {
        if (v.size() < *limit) {
          return where(at) + ": must have at least " + std::to_string(*limit) + " items";
        }
      }
      if (auto limit = count_keyword(schema, "maxItems")) {
        if (v.size() > *limit) {
          return where(at) + ": must have at most " + std::to_string(*limit) + " items";
        }
      }
      if (auto it = schema.find("items"); it != schema.end()) {
        for (std::size_t i = 0; i < v.size(); ++i) {
          if (auto err = check(*it, v[i], at + "/" + std::to_string(i), depth)) return err;
        }
      }
    }

    if (v.is_object()) {
      if (auto it = schema.find("required"); it != schema.end() && it->is_array()) {
        for (const auto& name : *it) {
          if (name.is_string() && !v.contains(name.get<std::string>())) {
            return at + "/" + escape_token(name.get<std::string>()) + ": required property missing";
          }
        }
      }
      const json* properties = nullptr;
      if (auto it = schema.find("properties"); it != schema.end() && it->is_object()) {
        properties = &*it;
      }
      const json* additional = nullptr;
      if (auto it = schema.find("additionalProperties"); it != schema.end()) additional = &*it;
      for (const auto& [key, value] : v.items()) {
        const std::string child = at + "/" + escape_token(key);
        if (properties != nullptr) {
          if (auto p = properties->find(key); p != properties->end()) {
            if (auto err = check(*p, value, child, depth)) return err;
            continue;
          }
        }
        if (additional != nullptr) {
          if (additional->is_boolean() && !additional->get<bool>()) {
            return child + ": property not allowed";
          }
          if (auto err = check(*additional, value, child, depth)) return err;
        }
      }
    }
    return std::nullopt;
  }

 private:
  // a < b for two JSON numbers without losing 64-bit integer precision.
  static bool below(const json& a, const json& b) {
    if (a.is_number_integer() && b.is_number_integer()) {
      const bool a_neg = !a.is_number_unsigned() && a.get<std::int64_t>() < 0;
      const bool b_neg = !b.is_number_unsigned() && b.get<std::int64_t>() < 0;
      if (a_neg != b_neg) return a_neg;
      if (a_neg) return a.get<std::int64_t>() < b.get<std::int64_t>();
      return a.get<std::uint64_t>() < b.get<std::uint64_t>();
    }
    return a.get<double>() < b.get<double>();
  }

  static std::string describe_type(const json& type) {
    if (type.is_string()) return type.get<std::string>();
    std::string out;
    for (const auto& t : type) {
      if (!out.empty()) out += " or ";
      out += t.is_string() ? t.get<std::string>() : t.dump();
    }
    return out;
  }

  const json* resolve(const json& ref) const {
    if (!ref.is_string()) return nullptr;
    const auto& r = ref.get_ref<const std::string&>();
    if (r == "#") return &root_;
    if (r.rfind("#/", 0) != 0) return nullptr;
    try {
      const json::json_pointer pointer(r.substr(1));
      if (!root_.contains(pointer)) return nullptr;
      return &root_.at(pointer);
    } catch (const json::exception&) {
      return nullptr;
    }
  }

  const json& root_;
};

}  // namespace

std::optional<std::string> validate_against(const nlohmann::json& schema,
                                            const nlohmann::json& instance,
                                            const nlohmann::json& root) {
  return Validator(root).check(schema, instance, "");
}

SchemaRegistry SchemaRegistry::load(const std::string& schemas_dir) {
  SchemaRegistry registry;
  const fs::path base(schemas_dir);
  if (!fs::is_directory(base)) {
    throw std::runtime_error("schemas: " + schemas_dir + " is not a directory");
  }
  static const std::regex name_re(R"(^([A-Za-z][A-Za-z0-9]*)\.v([1-9][0-9]{0,5})\.json$)");
  for (const auto& entry : fs::recursive_directory_iterator(base)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
    const fs::path relative = fs::relative(entry.path(), base);
    const auto depth = std::distance(relative.begin(), relative.end());
    if (depth == 1) continue;  // envelope.v1.json and other root files are not message schemas
    const std::string file = relative.filename().string();
    std::smatch m;
    if (depth != 2 || !std::regex_match(file, m, name_re)) {
      throw std::runtime_error("schemas: " + relative.string() +
                               " is not named <agent>/<Name>.v<N>.json");
    }
    const std::string type = relative.begin()->string() + "." + m[1].str();
    const int version = std::stoi(m[2].str());
    std::ifstream in(entry.path());
    json schema = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (schema.is_discarded() || !(schema.is_object() || schema.is_boolean())) {
      throw std::runtime_error("schemas: " + relative.string() + " is not a JSON schema object");
    }
    registry.schemas_[{type, version}] = std::move(schema);
  }
  return registry;
}

bool SchemaRegistry::knows(const std::string& type, int version) const {
  return schemas_.count({type, version}) != 0;
}

std::optional<std::string> SchemaRegistry::validate(const std::string& type, int version,
                                                    const nlohmann::json& payload) const {
  auto it = schemas_.find({type, version});
  if (it == schemas_.end()) {
    return "(root): unknown message type " + type + " v" + std::to_string(version);
  }
  return validate_against(it->second, payload, it->second);
}

}  // namespace commerce::bus
