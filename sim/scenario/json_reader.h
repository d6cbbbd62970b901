// JsonReader: typed, validating access to one JSON object of a user file. Every failure becomes an
// InputError that names the file, the JSON pointer of the offending value, what was expected and what
// was found. reject_unknown_keys() makes a typo in a key an error instead of a silent default.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/core/input_error.h"

namespace kvsim {

class JsonReader {
 public:
  // `value` must outlive the reader. `pointer` is the JSON pointer of `value` in `file` ("" = root).
  JsonReader(const nlohmann::json& value, std::string file, std::string pointer);

  const nlohmann::json& json() const { return *value_; }
  const std::string& file() const { return file_; }
  const std::string& pointer() const { return pointer_; }
  std::string pointer_to(std::string_view key) const;

  bool has(std::string_view key) const;
  // The reader of a member (required) or of an array element.
  JsonReader at(std::string_view key) const;
  JsonReader at(std::size_t index) const;
  std::optional<JsonReader> find(std::string_view key) const;

  // Members with their checks. The "optional" forms return the default when the key is absent.
  std::int64_t integer(std::string_view key, std::int64_t min, std::int64_t max) const;
  std::int64_t integer_or(std::string_view key, std::int64_t fallback, std::int64_t min, std::int64_t max) const;
  double number(std::string_view key, double min, double max) const;
  double number_or(std::string_view key, double fallback, double min, double max) const;
  bool boolean_or(std::string_view key, bool fallback) const;
  std::string string(std::string_view key) const;
  std::string string_or(std::string_view key, std::string fallback) const;
  // A string that must be one of `choices` (the message lists them).
  std::string choice(std::string_view key, const std::vector<std::string>& choices) const;
  std::string choice_or(std::string_view key, std::string fallback, const std::vector<std::string>& choices) const;

  // This value itself, for readers of scalars and arrays.
  void expect_object() const;
  void expect_array() const;
  std::int64_t as_integer(std::int64_t min, std::int64_t max) const;
  double as_number(double min, double max) const;
  std::size_t size() const;  // elements of an array

  // Fails on the first key not in `allowed` (in the object's key order).
  void reject_unknown_keys(std::initializer_list<std::string_view> allowed) const;

  [[noreturn]] void fail(std::string_view key, std::string expected, std::string found) const;
  [[noreturn]] void fail_here(std::string expected, std::string found) const;

  // "the number 3", "a string \"abc\"", "an array of 2 elements", "null", ...
  static std::string describe(const nlohmann::json& value);

 private:
  const nlohmann::json& member(std::string_view key) const;  // fails if absent
  const nlohmann::json* value_;
  std::string file_;
  std::string pointer_;
};

// Escapes a key for use in a JSON pointer ("~" -> "~0", "/" -> "~1").
std::string json_pointer_escape(std::string_view key);

// Parses a JSON file; a missing file or a syntax error becomes an InputError.
nlohmann::json read_json_file(const std::string& path);

}  // namespace kvsim
