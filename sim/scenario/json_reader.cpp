// See json_reader.h.
#include "sim/scenario/json_reader.h"

#include <cmath>
#include <fstream>
#include <sstream>

namespace kvsim {

std::string json_pointer_escape(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

JsonReader::JsonReader(const nlohmann::json& value, std::string file, std::string pointer)
    : value_(&value), file_(std::move(file)), pointer_(std::move(pointer)) {}

std::string JsonReader::pointer_to(std::string_view key) const {
  return pointer_ + "/" + json_pointer_escape(key);
}

std::string JsonReader::describe(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case nlohmann::json::value_t::string: {
      std::string s = v.get<std::string>();
      if (s.size() > 40) s = s.substr(0, 37) + "...";
      return "the string \"" + s + "\"";
    }
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float: return "the number " + v.dump();
    case nlohmann::json::value_t::object: return "an object";
    case nlohmann::json::value_t::array: return "an array of " + std::to_string(v.size()) + " elements";
    default: return "a value of unknown type";
  }
}

void JsonReader::fail(std::string_view key, std::string expected, std::string found) const {
  throw InputError(file_, pointer_to(key), std::move(expected), std::move(found));
}

void JsonReader::fail_here(std::string expected, std::string found) const {
  throw InputError(file_, pointer_, std::move(expected), std::move(found));
}

void JsonReader::expect_object() const {
  if (!value_->is_object()) fail_here("an object", describe(*value_));
}

void JsonReader::expect_array() const {
  if (!value_->is_array()) fail_here("an array", describe(*value_));
}

bool JsonReader::has(std::string_view key) const {
  return value_->is_object() && value_->contains(key);
}

const nlohmann::json& JsonReader::member(std::string_view key) const {
  expect_object();
  auto it = value_->find(key);
  if (it == value_->end()) fail(key, "a value for this required key", "nothing");
  return *it;
}

JsonReader JsonReader::at(std::string_view key) const { return JsonReader(member(key), file_, pointer_to(key)); }

JsonReader JsonReader::at(std::size_t index) const {
  expect_array();
  if (index >= value_->size()) fail_here("at least " + std::to_string(index + 1) + " elements", describe(*value_));
  return JsonReader((*value_)[index], file_, pointer_ + "/" + std::to_string(index));
}

std::optional<JsonReader> JsonReader::find(std::string_view key) const {
  expect_object();
  if (!value_->contains(key)) return std::nullopt;
  return at(key);
}

std::size_t JsonReader::size() const {
  expect_array();
  return value_->size();
}

std::int64_t JsonReader::as_integer(std::int64_t min, std::int64_t max) const {
  const std::string range = "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
  const nlohmann::json& v = *value_;
  std::int64_t x = 0;
  if (v.is_number_integer()) {
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
      fail_here(range, describe(v));
    x = v.get<std::int64_t>();
  } else if (v.is_number_float() && std::isfinite(v.get<double>()) && std::floor(v.get<double>()) == v.get<double>() &&
             std::fabs(v.get<double>()) < 9e15) {
    x = static_cast<std::int64_t>(v.get<double>());
  } else {
    fail_here(range, describe(v));
  }
  if (x < min || x > max) fail_here(range, describe(v));
  return x;
}

double JsonReader::as_number(double min, double max) const {
  std::ostringstream range;
  range << "a number in [" << min << ", " << max << "]";
  const nlohmann::json& v = *value_;
  if (!v.is_number()) fail_here(range.str(), describe(v));
  const double x = v.get<double>();
  if (!(x >= min && x <= max)) fail_here(range.str(), describe(v));
  return x;
}

std::int64_t JsonReader::integer(std::string_view key, std::int64_t min, std::int64_t max) const {
  return at(key).as_integer(min, max);
}

std::int64_t JsonReader::integer_or(std::string_view key, std::int64_t fallback, std::int64_t min,
                                    std::int64_t max) const {
  return has(key) ? integer(key, min, max) : fallback;
}

double JsonReader::number(std::string_view key, double min, double max) const { return at(key).as_number(min, max); }

double JsonReader::number_or(std::string_view key, double fallback, double min, double max) const {
  return has(key) ? number(key, min, max) : fallback;
}

bool JsonReader::boolean_or(std::string_view key, bool fallback) const {
  if (!has(key)) return fallback;
  const nlohmann::json& v = member(key);
  if (!v.is_boolean()) fail(key, "true or false", describe(v));
  return v.get<bool>();
}

std::string JsonReader::string(std::string_view key) const {
  const nlohmann::json& v = member(key);
  if (!v.is_string()) fail(key, "a string", describe(v));
  return v.get<std::string>();
}

std::string JsonReader::string_or(std::string_view key, std::string fallback) const {
  return has(key) ? string(key) : fallback;
}

std::string JsonReader::choice(std::string_view key, const std::vector<std::string>& choices) const {
  std::string expected = "one of";
  for (std::size_t i = 0; i < choices.size(); ++i) expected += (i ? ", \"" : " \"") + choices[i] + "\"";
  const nlohmann::json& v = member(key);
  if (!v.is_string()) fail(key, expected, describe(v));
  const std::string s = v.get<std::string>();
  for (const auto& c : choices)
    if (c == s) return s;
  fail(key, expected, describe(v));
}

std::string JsonReader::choice_or(std::string_view key, std::string fallback,
                                  const std::vector<std::string>& choices) const {
  return has(key) ? choice(key, choices) : fallback;
}

void JsonReader::reject_unknown_keys(std::initializer_list<std::string_view> allowed) const {
  expect_object();
  for (auto it = value_->begin(); it != value_->end(); ++it) {
    bool known = false;
    for (std::string_view a : allowed) known = known || it.key() == a;
    if (!known) {
      std::string expected = "one of the keys";
      bool first = true;
      for (std::string_view a : allowed) {
        expected += (first ? " " : ", ") + std::string(a);
        first = false;
      }
      throw InputError(file_, pointer_to(it.key()), expected, "the unknown key \"" + it.key() + "\"");
    }
  }
}

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "", "a readable JSON file", "no such file or no permission");
  std::stringstream buffer;
  buffer << in.rdbuf();
  try {
    return nlohmann::json::parse(buffer.str());
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is the 1-based offset of the error; report it as line:column.
    const std::string text = buffer.str();
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') { ++line; column = 1; } else { ++column; }
    }
    throw InputError(path, "", "valid JSON",
                     "a syntax error at line " + std::to_string(line) + ", column " + std::to_string(column));
  }
}

}  // namespace kvsim
