// A small JSON reader for the system tests of the netlink part: `ip -j` and `tuntap show --json`
// output is compared field by field. Strict enough to reject what is not JSON (the tests also use
// it to check that our own output parses); not a general-purpose library.
#pragma once

#include <cctype>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tuntap::test {

class Json {
 public:
  enum class Type { null, boolean, number, string, array, object };

  static Json parse(std::string_view text) {
    Reader r{text};
    Json value = r.value();
    r.skip_space();
    if (r.pos != text.size()) r.fail("trailing characters");
    return value;
  }

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::null; }
  bool boolean() const { return expect(Type::boolean).bool_; }
  double number() const { return expect(Type::number).number_; }
  long long integer() const { return static_cast<long long>(number()); }
  const std::string& string() const { return expect(Type::string).string_; }
  std::size_t size() const {
    return type_ == Type::array ? items_.size() : type_ == Type::object ? members_.size() : 0;
  }
  // The element, or null when out of range / not an array.
  const Json& operator[](std::size_t i) const {
    return type_ == Type::array && i < items_.size() ? items_[i] : null_value();
  }
  // The member, or null when absent / not an object.
  const Json& operator[](std::string_view key) const {
    if (type_ == Type::object) {
      for (const auto& [k, v] : members_)
        if (k == key) return v;
    }
    return null_value();
  }
  bool has(std::string_view key) const { return !(*this)[key].is_null(); }
  const std::vector<Json>& items() const { return expect(Type::array).items_; }
  const std::vector<std::pair<std::string, Json>>& members() const { return expect(Type::object).members_; }
  // True when the array holds the string.
  bool contains(std::string_view text) const {
    if (type_ != Type::array) return false;
    for (const auto& item : items_)
      if (item.type_ == Type::string && item.string_ == text) return true;
    return false;
  }

 private:
  static const Json& null_value() {
    static const Json null;
    return null;
  }
  const Json& expect(Type t) const {
    if (type_ != t) throw std::runtime_error("JSON value of another type");
    return *this;
  }

  struct Reader {
    std::string_view text;
    std::size_t pos = 0;

    [[noreturn]] void fail(const char* why) const {
      throw std::runtime_error(std::string("JSON: ") + why + " at offset " + std::to_string(pos));
    }
    void skip_space() {
      while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\n' || text[pos] == '\r' || text[pos] == '\t'))
        ++pos;
    }
    char peek() {
      skip_space();
      if (pos >= text.size()) fail("unexpected end");
      return text[pos];
    }
    void take(char c) {
      if (peek() != c) fail("unexpected character");
      ++pos;
    }
    bool take_word(std::string_view word) {
      if (text.substr(pos, word.size()) != word) return false;
      pos += word.size();
      return true;
    }
    Json value() {
      Json j;
      char c = peek();
      if (c == '{') {
        j.type_ = Type::object;
        ++pos;
        if (peek() == '}') {
          ++pos;
          return j;
        }
        while (true) {
          std::string key = string_literal();
          take(':');
          j.members_.emplace_back(std::move(key), value());
          if (peek() == ',') {
            ++pos;
            continue;
          }
          take('}');
          return j;
        }
      }
      if (c == '[') {
        j.type_ = Type::array;
        ++pos;
        if (peek() == ']') {
          ++pos;
          return j;
        }
        while (true) {
          j.items_.push_back(value());
          if (peek() == ',') {
            ++pos;
            continue;
          }
          take(']');
          return j;
        }
      }
      if (c == '"') {
        j.type_ = Type::string;
        j.string_ = string_literal();
        return j;
      }
      if (take_word("true")) {
        j.type_ = Type::boolean;
        j.bool_ = true;
        return j;
      }
      if (take_word("false")) {
        j.type_ = Type::boolean;
        j.bool_ = false;
        return j;
      }
      if (take_word("null")) return j;
      std::size_t start = pos;
      while (pos < text.size() && (std::isdigit(static_cast<unsigned char>(text[pos])) || text[pos] == '-' ||
                                   text[pos] == '+' || text[pos] == '.' || text[pos] == 'e' || text[pos] == 'E')) {
        ++pos;
      }
      if (start == pos) fail("not a value");
      std::string digits(text.substr(start, pos - start));
      char* end = nullptr;
      j.type_ = Type::number;
      j.number_ = std::strtod(digits.c_str(), &end);
      if (end != digits.c_str() + digits.size()) fail("bad number");
      return j;
    }
    std::string string_literal() {
      take('"');
      std::string out;
      while (true) {
        if (pos >= text.size()) fail("unterminated string");
        char c = text[pos++];
        if (c == '"') return out;
        if (static_cast<unsigned char>(c) < 0x20) fail("control character in string");
        if (c != '\\') {
          out += c;
          continue;
        }
        if (pos >= text.size()) fail("unterminated escape");
        char e = text[pos++];
        switch (e) {
          case '"':
          case '\\':
          case '/': out += e; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            if (pos + 4 > text.size()) fail("short \\u escape");
            unsigned code = static_cast<unsigned>(std::stoul(std::string(text.substr(pos, 4)), nullptr, 16));
            pos += 4;
            if (code < 0x80) out += static_cast<char>(code);
            else out += '?';  // the tests compare ASCII only
            break;
          }
          default: fail("bad escape");
        }
      }
    }
  };

  Type type_ = Type::null;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<Json> items_;
  std::vector<std::pair<std::string, Json>> members_;
};

}  // namespace tuntap::test
