#pragma once
// Limits every JSON document Herald reads must meet before a parser sees it. nlohmann's
// parser is iterative, but dumping, comparing or copying a document recurses once per
// level: a 200 KB payload of 100,000 nested arrays crashed heraldd and every agent with
// a stack overflow, and being retained it did so again at every restart.
#include <cstddef>
#include <string_view>

namespace herald::json_guard {

// Herald's own documents nest at most 4 levels (a status reply's recipients); 32 leaves
// room for extensions and still keeps every recursive walk shallow.
inline constexpr std::size_t kMaxDepth = 32;

// Throws Error(protocol) "JSON nested deeper than 32 levels" if any array or object
// (counted outside string literals) nests deeper than max_depth. Linear, no allocation;
// syntax errors are left to the parser.
void check_depth(std::string_view text, std::size_t max_depth = kMaxDepth);

}  // namespace herald::json_guard
