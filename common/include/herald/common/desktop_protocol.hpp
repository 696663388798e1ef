#pragma once
// The desktop socket between herald-agent and herald-desktop: docs/desktop-protocol.md.
// Names and limits live here once; both ends include this header.
#include <cstddef>
#include <string>
#include <string_view>

namespace herald::desktop_protocol {

inline constexpr int kVersion = 1;
inline constexpr std::string_view kSocketName = "desktop.sock";  // in the agent's data_dir
inline constexpr std::size_t kMaxRequestBytes = 64 * 1024;       // one client line
inline constexpr std::size_t kMaxReplyBytes = 32 * 1024 * 1024;  // one daemon line

namespace op {
inline constexpr std::string_view hello = "hello";
inline constexpr std::string_view inbox = "inbox";
inline constexpr std::string_view show = "show";
inline constexpr std::string_view confirm = "confirm";
inline constexpr std::string_view displayed = "displayed";
inline constexpr std::string_view courses = "courses";
inline constexpr std::string_view chat_history = "chat_history";
inline constexpr std::string_view chat_send = "chat_send";
inline constexpr std::string_view chat_read = "chat_read";
inline constexpr std::string_view subscribe = "subscribe";
}  // namespace op

namespace event {
inline constexpr std::string_view refused = "refused";
inline constexpr std::string_view alert = "alert";
inline constexpr std::string_view inbox = "inbox";
inline constexpr std::string_view chat = "chat";
}  // namespace event

inline std::string socket_path(const std::string& data_dir) { return data_dir + "/" + std::string(kSocketName); }

}  // namespace herald::desktop_protocol
