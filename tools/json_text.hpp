// JSON text for the tool's --json output, written in one place so every command escapes the same way
// (names, notes and error messages may hold quotes, backslashes or control characters).
#pragma once

#include <string>
#include <string_view>

namespace tuntap::cli {

// `text` as a JSON string, quotes included: '"' and '\' escaped, control characters as \u00XX.
std::string json_quote(std::string_view text);

}  // namespace tuntap::cli
