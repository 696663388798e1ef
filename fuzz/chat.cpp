// The chat payloads and results (topics.md "Chat"); the first byte picks the decoder
// ('0' ChatPost, '1' ChatUp, '2' ChatUpdate, '3' ChatHistory, '4' ChatList, '5'
// ChatPosted: the byte mod 6), the rest is what a receiver would get. Whatever decodes
// re-encodes and decodes to the same encoding; every accepted text passes
// validate_chat_text; and no accepted line reaches a terminal with a control character
// (herald::chat::format_line).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "finding.hpp"
#include "herald/common/chat_terminal.hpp"
#include "herald/common/error.hpp"
#include "herald/common/payloads.hpp"
#include "herald/common/results.hpp"

namespace {

namespace p = herald::payloads;
namespace r = herald::results;

void check_text(const std::string& text) {
  try {
    p::validate_chat_text(text);
  } catch (const herald::Error& e) {
    herald::fuzz::finding("an accepted chat text fails validate_chat_text", std::string(e.what()) + " | " + text);
  }
}

void check_lines(const r::ChatHistory& h) {
  for (const auto& line : h.lines)
    for (auto side : {herald::chat::Side::employee, herald::chat::Side::helpdesk}) {
      auto shown = herald::chat::format_line(line, side);
      for (char c : shown)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
          herald::fuzz::finding("format_line lets a control character through", shown);
    }
}

template <typename T>
void payload(std::string_view text) {
  T value;
  try {
    value = p::decode<T>(text);
  } catch (const herald::Error&) {
    return;
  }
  std::string once = p::encode(value);
  std::string twice;
  try {
    twice = p::encode(p::decode<T>(once));
  } catch (const herald::Error& e) {
    herald::fuzz::finding("an accepted payload's own encoding is refused", std::string(e.what()) + " | " + once);
  }
  if (once != twice) herald::fuzz::finding("encode(decode(encode(x))) != encode(x)", once + " | " + twice);
  if constexpr (std::is_same_v<T, p::ChatPost>) {
    if (value.op == p::ChatOp::say) check_text(value.text);
  } else if constexpr (std::is_same_v<T, p::ChatUp>) {
    if (value.op == p::ChatUpOp::say) check_text(value.text);
  } else {
    if (value.history.lines.size() > p::kMaxChatLinesPerUpdate)
      herald::fuzz::finding("a ChatUpdate over the line limit was accepted");
    for (const auto& line : value.history.lines) check_text(line.text);
    check_lines(value.history);
  }
}

template <typename T>
void result(std::string_view text) {
  T value;
  try {
    value = r::decode<T>(text);
  } catch (const herald::Error&) {
    return;
  }
  std::string once = r::encode(value);
  T back;
  try {
    back = r::decode<T>(once);
  } catch (const herald::Error& e) {
    herald::fuzz::finding("an accepted result's own encoding is refused", std::string(e.what()) + " | " + once);
  }
  if (!(back == value)) herald::fuzz::finding("decode(encode(x)) != x", once);
  if constexpr (std::is_same_v<T, r::ChatHistory>) check_lines(value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0:
      payload<p::ChatPost>(text);
      break;
    case 1:
      payload<p::ChatUp>(text);
      break;
    case 2:
      payload<p::ChatUpdate>(text);
      break;
    case 3:
      result<r::ChatHistory>(text);
      break;
    case 4:
      result<r::ChatList>(text);
      break;
    default:
      result<r::ChatPosted>(text);
      break;
  }
  return 0;
}
