#include "commerce/bus/schema.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <regex>

namespace commerce::bus {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

std::optional<std::string> check(const json& schema, const json& instance) {
  return validate_against(schema, instance, schema);
}

std::string violation(const json& schema, const json& instance) {
  return check(schema, instance).value_or("(valid)");
}

TEST(SchemaType, AcceptsMatchingAndRejectsOtherTypes) {
  EXPECT_EQ(check(json{{"type", "string"}}, "x"), std::nullopt);
  EXPECT_EQ(check(json{{"type", "object"}}, json::object()), std::nullopt);
  EXPECT_EQ(check(json{{"type", "array"}}, json::array()), std::nullopt);
  EXPECT_EQ(check(json{{"type", "boolean"}}, true), std::nullopt);
  EXPECT_EQ(check(json{{"type", "null"}}, nullptr), std::nullopt);
  EXPECT_EQ(check(json{{"type", "number"}}, 1.5), std::nullopt);
  EXPECT_EQ(check(json{{"type", "number"}}, 2), std::nullopt);
  EXPECT_THAT(violation(json{{"type", "string"}}, 3), HasSubstr("expected string, got integer"));
  EXPECT_THAT(violation(json{{"type", "object"}}, json::array()), HasSubstr("expected object"));
  EXPECT_THAT(violation(json{{"type", "boolean"}}, "true"), HasSubstr("expected boolean"));
}

TEST(SchemaType, IntegerMeansNoFractionalPart) {
  EXPECT_EQ(check(json{{"type", "integer"}}, 7), std::nullopt);
  EXPECT_EQ(check(json{{"type", "integer"}}, -7), std::nullopt);
  EXPECT_EQ(check(json{{"type", "integer"}}, 7.0), std::nullopt);
  EXPECT_THAT(violation(json{{"type", "integer"}}, 7.5), HasSubstr("expected integer"));
  EXPECT_THAT(violation(json{{"type", "integer"}}, "7"), HasSubstr("expected integer"));
}

TEST(SchemaType, ListOfTypes) {
  const json schema{{"type", {"string", "null"}}};
  EXPECT_EQ(check(schema, "x"), std::nullopt);
  EXPECT_EQ(check(schema, nullptr), std::nullopt);
  EXPECT_THAT(violation(schema, 1), HasSubstr("expected string or null"));
}

TEST(SchemaProperties, ValidatesEachKnownPropertyAndPointsAtIt) {
  const json schema{{"type", "object"},
                    {"properties", {{"a", {{"type", "integer"}}}, {"b", {{"type", "string"}}}}}};
  EXPECT_EQ(check(schema, json{{"a", 1}, {"b", "x"}}), std::nullopt);
  EXPECT_EQ(check(schema, json::object()), std::nullopt);
  EXPECT_EQ(violation(schema, json{{"a", 1}, {"b", 2}}), "/b: expected string, got integer");
}

TEST(SchemaRequired, NamesTheMissingProperty) {
  const json schema{{"type", "object"}, {"required", {"order_id", "total"}}};
  EXPECT_EQ(check(schema, json{{"order_id", "o"}, {"total", 1}}), std::nullopt);
  EXPECT_EQ(violation(schema, json{{"order_id", "o"}}), "/total: required property missing");
}

TEST(SchemaAdditionalProperties, FalseRejectsUnknownProperties) {
  const json schema{{"type", "object"},
                    {"properties", {{"a", {{"type", "integer"}}}}},
                    {"additionalProperties", false}};
  EXPECT_EQ(check(schema, json{{"a", 1}}), std::nullopt);
  EXPECT_EQ(violation(schema, json{{"a", 1}, {"zz", 1}}), "/zz: property not allowed");
}

TEST(SchemaAdditionalProperties, SchemaAppliesToUnknownProperties) {
  const json schema{{"type", "object"}, {"additionalProperties", {{"type", "integer"}}}};
  EXPECT_EQ(check(schema, json{{"x", 1}, {"y", 2}}), std::nullopt);
  EXPECT_THAT(violation(schema, json{{"x", "1"}}), HasSubstr("/x: expected integer"));
}

TEST(SchemaItems, ValidatesEveryItemWithItsIndex) {
  const json schema{{"type", "array"}, {"items", {{"type", "integer"}}}};
  EXPECT_EQ(check(schema, json{1, 2, 3}), std::nullopt);
  EXPECT_EQ(violation(schema, json{1, "two", 3}), "/1: expected integer, got string");
}

TEST(SchemaEnum, AcceptsOnlyListedValues) {
  const json schema{{"enum", {"pending", "paid", 3}}};
  EXPECT_EQ(check(schema, "paid"), std::nullopt);
  EXPECT_EQ(check(schema, 3), std::nullopt);
  EXPECT_THAT(violation(schema, "shipped"), HasSubstr("must be one of"));
}

TEST(SchemaConst, AcceptsOnlyTheValue) {
  const json schema{{"const", "EUR"}};
  EXPECT_EQ(check(schema, "EUR"), std::nullopt);
  EXPECT_THAT(violation(schema, "USD"), HasSubstr("must equal \"EUR\""));
}

TEST(SchemaMinimumMaximum, BoundsAreInclusive) {
  const json schema{{"type", "integer"}, {"minimum", 1}, {"maximum", 10}};
  EXPECT_EQ(check(schema, 1), std::nullopt);
  EXPECT_EQ(check(schema, 10), std::nullopt);
  EXPECT_THAT(violation(schema, 0), HasSubstr("must be >= 1"));
  EXPECT_THAT(violation(schema, 11), HasSubstr("must be <= 10"));
  EXPECT_THAT(violation(json{{"minimum", 0}}, -1), HasSubstr("must be >= 0"));
  EXPECT_THAT(violation(json{{"minimum", 0.5}}, 0.25), HasSubstr("must be >= 0.5"));
  // Large integers compare exactly, not through double.
  EXPECT_THAT(violation(json{{"maximum", 9007199254740992}}, 9007199254740993),
              HasSubstr("must be <="));
}

TEST(SchemaLength, CountsCharactersNotBytes) {
  const json schema{{"type", "string"}, {"minLength", 2}, {"maxLength", 3}};
  EXPECT_EQ(check(schema, "ab"), std::nullopt);
  EXPECT_EQ(check(schema, "\xC3\xA9\xC3\xA9\xC3\xA9"), std::nullopt);  // "ééé": 3 chars, 6 bytes
  EXPECT_THAT(violation(schema, "a"), HasSubstr("at least 2 characters"));
  EXPECT_THAT(violation(schema, "abcd"), HasSubstr("at most 3 characters"));
}

TEST(SchemaPattern, MatchesAnywhereUnlessAnchored) {
  EXPECT_EQ(check(json{{"pattern", "b+"}}, "abbbc"), std::nullopt);
  EXPECT_EQ(check(json{{"pattern", "^[A-Z]{3}$"}}, "EUR"), std::nullopt);
  EXPECT_THAT(violation(json{{"pattern", "^[A-Z]{3}$"}}, "EURO"), HasSubstr("does not match"));
  EXPECT_THAT(violation(json{{"pattern", "([a-"}}, "x"), HasSubstr("not a valid regex"));
  EXPECT_THAT(violation(json{{"pattern", "^a*$"}}, std::string(100000, 'a')),
              HasSubstr("too long"));
}

TEST(SchemaItemsCount, MinAndMaxItems) {
  const json schema{{"type", "array"}, {"minItems", 1}, {"maxItems", 2}};
  EXPECT_EQ(check(schema, json{1}), std::nullopt);
  EXPECT_THAT(violation(schema, json::array()), HasSubstr("at least 1 items"));
  EXPECT_THAT(violation(schema, json{1, 2, 3}), HasSubstr("at most 2 items"));
}

TEST(SchemaFormat, DateTime) {
  const json schema{{"type", "string"}, {"format", "date-time"}};
  EXPECT_EQ(check(schema, "2026-11-22T10:11:12.345Z"), std::nullopt);
  EXPECT_EQ(check(schema, "2026-11-22T10:11:12+01:00"), std::nullopt);
  EXPECT_THAT(violation(schema, "2026-11-22 10:11:12"), HasSubstr("date-time"));
  EXPECT_THAT(violation(schema, "2026-13-22T10:11:12Z"), HasSubstr("date-time"));
  EXPECT_THAT(violation(schema, "2026-11-22T10:11:12"), HasSubstr("date-time"));
}

TEST(SchemaFormat, DateTimeEdges) {
  const json schema{{"type", "string"}, {"format", "date-time"}};
  for (const char* ok :
       {"2026-11-22t10:11:12z", "2026-06-30T23:59:60Z", "2026-11-22T00:00:00-05:30",
        "2026-11-22T10:11:12.1Z", "2026-01-31T10:11:12.123456+00:00"}) {
    EXPECT_EQ(check(schema, ok), std::nullopt) << ok;
  }
  for (const char* bad :
       {"2026-11-22T24:00:00Z", "2026-11-22T10:60:00Z", "2026-11-22T10:11:61Z",
        "2026-11-00T10:11:12Z", "2026-11-32T10:11:12Z", "2026-00-22T10:11:12Z",
        "2026-11-22T10:11:12.Z", "2026-11-22T10:11:12+0100", "2026-11-22T10:11:12+24:00",
        "2026-11-22T10:11:12Zx", "26-11-22T10:11:12Z", "2026-11-22T10:11:12 Z", ""}) {
    EXPECT_THAT(violation(schema, bad), HasSubstr("date-time")) << bad;
  }
}

TEST(SchemaPattern, CharacterClassRunsMatchAsTheRegexWould) {
  // Patterns of the shape ^[class]{m,n}$ take the table path; they must answer as std::regex.
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"^[A-Z]{3}$", {"EUR", "EURO", "eur", "EU", "E1R", ""}},
      {"^[A-Za-z0-9._-]{1,64}$",
       {"a", "SKU-1.b_c", "", "a b", std::string(64, 'x'), std::string(65, 'x'), "ä", "a/b"}},
      {"^[a-c-]{2}$", {"a-", "-c", "ad", "abc"}},
      {"^[A-Z]{2,1}$", {"AB"}},         // not that shape (max < min): std::regex decides
      {"^[^A-Z]{1,3}$", {"ab", "AB"}},  // negated class: std::regex
      {"[A-Z]{3}", {"xEURx", "EU"}},    // unanchored: std::regex
  };
  for (const auto& [pattern, inputs] : cases) {
    std::optional<std::regex> re;
    try {
      re.emplace(pattern, std::regex::ECMAScript);
    } catch (const std::regex_error&) {
    }
    for (const auto& input : inputs) {
      const bool want = re && std::regex_search(input, *re);
      EXPECT_EQ(check(json{{"pattern", pattern}}, input) == std::nullopt, want)
          << pattern << " on '" << input << "'";
    }
  }
}

TEST(SchemaFormat, Uuid) {
  const json schema{{"type", "string"}, {"format", "uuid"}};
  EXPECT_EQ(check(schema, "01890a5d-ac96-774b-bcce-b302099a8057"), std::nullopt);
  EXPECT_THAT(violation(schema, "01890a5d-ac96-774b-bcce-b302099a805"), HasSubstr("UUID"));
  EXPECT_THAT(violation(schema, "not-a-uuid"), HasSubstr("UUID"));
}

TEST(SchemaRef, ResolvesDefsFromTheRoot) {
  const json schema = json::parse(R"({
    "type": "object",
    "properties": {"total": {"$ref": "#/$defs/Money"}},
    "$defs": {"Money": {"type": "object", "required": ["amount_minor", "currency"],
      "properties": {"amount_minor": {"type": "integer"},
                     "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}}}}
  })");
  EXPECT_EQ(check(schema, json::parse(R"({"total": {"amount_minor": 100, "currency": "EUR"}})")),
            std::nullopt);
  EXPECT_EQ(
      violation(schema, json::parse(R"({"total": {"amount_minor": 1.5, "currency": "EUR"}})")),
      "/total/amount_minor: expected integer, got number");
  EXPECT_THAT(violation(json{{"$ref", "#/$defs/Nope"}}, 1), HasSubstr("unresolvable $ref"));
}

TEST(SchemaRef, SelfReferenceTerminates) {
  const json schema{{"$ref", "#"}};
  EXPECT_THAT(violation(schema, 1), HasSubstr("too deep"));
}

TEST(SchemaPointer, EscapesSlashAndTilde) {
  const json schema{{"type", "object"}, {"additionalProperties", false}};
  EXPECT_EQ(violation(schema, json{{"a/b~c", 1}}), "/a~1b~0c: property not allowed");
}

// ---- the registry over real files ----------------------------------------------------------

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("bus-schemas-" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  void write(const std::string& relative, const std::string& text) const {
    fs::create_directories((path_ / relative).parent_path());
    std::ofstream(path_ / relative) << text;
  }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

TEST(SchemaRegistry, KeysByFolderNameAndVersion) {
  TempDir dir;
  dir.write("envelope.v1.json", R"({"type": "object"})");
  dir.write("api-gateway/KeyUsed.v2.json", R"({"type": "object", "required": ["key_id"]})");
  dir.write("order/OrderPlaced.v1.json", R"({"type": "object"})");
  const auto registry = SchemaRegistry::load(dir.str());
  EXPECT_TRUE(registry.knows("api-gateway.KeyUsed", 2));
  EXPECT_FALSE(registry.knows("api-gateway.KeyUsed", 1));
  EXPECT_TRUE(registry.knows("order.OrderPlaced", 1));
  EXPECT_FALSE(registry.knows("envelope", 1));
  EXPECT_EQ(registry.validate("api-gateway.KeyUsed", 2, json{{"key_id", "k"}}), std::nullopt);
  EXPECT_EQ(registry.validate("api-gateway.KeyUsed", 2, json::object()).value_or(""),
            "/key_id: required property missing");
  EXPECT_THAT(registry.validate("order.Nope", 1, json::object()).value_or(""),
              HasSubstr("unknown message type order.Nope v1"));
}

TEST(SchemaRegistry, BadFilesFailTheLoadWithTheirName) {
  TempDir misnamed;
  misnamed.write("order/order_placed.json", "{}");
  EXPECT_THROW(
      {
        try {
          SchemaRegistry::load(misnamed.str());
        } catch (const std::runtime_error& e) {
          EXPECT_THAT(e.what(), HasSubstr("order_placed.json"));
          throw;
        }
      },
      std::runtime_error);
  TempDir broken;
  broken.write("order/OrderPlaced.v1.json", "{oops");
  EXPECT_THROW(SchemaRegistry::load(broken.str()), std::runtime_error);
  EXPECT_THROW(SchemaRegistry::load("/nonexistent/schemas"), std::runtime_error);
}

TEST(SchemaRegistry, LoadsTheProjectSchemasAndValidatesAnOrder) {
  const auto registry = SchemaRegistry::load(std::string(COMMERCE_SOURCE_DIR) + "/schemas");
  ASSERT_TRUE(registry.knows("order.OrderPlaced", 1));
  const json good = json::parse(R"({
    "order_id": "01890a5d-ac96-774b-bcce-b302099a8057",
    "customer_email": "ada@example.com",
    "lines": [{"sku": "SKU-1", "quantity": 2,
               "unit_price": {"amount_minor": 500, "currency": "EUR"},
               "line_total": {"amount_minor": 1000, "currency": "EUR"}}],
    "total": {"amount_minor": 1000, "currency": "EUR"},
    "card_token": "tok_visa"
  })");
  EXPECT_EQ(registry.validate("order.OrderPlaced", 1, good), std::nullopt);
  json bad = good;
  bad["lines"][0]["quantity"] = 0;
  EXPECT_THAT(registry.validate("order.OrderPlaced", 1, bad).value_or(""),
              HasSubstr("/lines/0/quantity: must be >= 1"));
  bad = good;
  bad["total"]["currency"] = "eur";
  EXPECT_THAT(registry.validate("order.OrderPlaced", 1, bad).value_or(""),
              HasSubstr("/total/currency"));
}

}  // namespace
}  // namespace commerce::bus
