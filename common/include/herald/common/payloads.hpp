#pragma once
// The wire contract's payloads: one struct per JSON document, with to_json/from_json
// beside it. Every document carries "v": kSchemaVersion; from_json rejects any other
// version, wrong types and missing fields with Error(protocol), so a hostile payload is
// an error to log, never undefined behaviour. Identity (sender, target, message id,
// agent path) is NOT in payloads: it is in the topic, where the broker's ACL binds it.
#include <chrono>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/common/results.hpp"
#include "herald/common/time.hpp"

namespace herald::payloads {

inline constexpr int kSchemaVersion = 1;

// Documented limits (topics.md). The dispatcher refuses input over them; receivers
// drop payloads over kMaxPayloadBytes before parsing.
inline constexpr std::size_t kMaxTitleBytes = 200;
inline constexpr std::size_t kMaxBodyBytes = 64 * 1024;
inline constexpr std::size_t kMaxLinks = 20;
inline constexpr std::size_t kMaxLinkBytes = 2048;
inline constexpr std::size_t kMaxPayloadBytes = 256 * 1024;
inline constexpr std::size_t kMaxRequestBytes = 8 * 1024 * 1024;  // directory import

// An image that travels inside a Delivery (a course lesson's). On the wire `data` is
// base64; in memory it is the raw bytes. `name` is a safe file name (1-64 of
// A-Z a-z 0-9 . _ -, not starting with '.'), so an agent can write it into a folder.
struct Image {
  std::string name;
  std::string type;  // "image/png" | "image/jpeg", checked against the magic bytes
  std::string data;  // raw bytes
  bool operator==(const Image&) const = default;
};
inline constexpr std::size_t kMaxImages = 8;
// 1-64 of A-Z a-z 0-9 . _ -, not starting with '.': never a path, never hidden.
bool is_safe_file_name(std::string_view name);
// "image/png" or "image/jpeg" by the magic bytes of `data`; "" for anything else.
std::string_view sniff_image_type(std::string_view data);
// Strict base64 (RFC 4648 alphabet, padded, no whitespace). decode throws Error(protocol).
std::string base64_encode(std::string_view bytes);
std::string base64_decode(std::string_view text);
// Throws Error(usage) naming the image: unsafe name, unknown type, type not matching
// the magic bytes, no data.
void validate(const Image& i);

// What makes a Delivery a course lesson: lesson `number` of `of` of course `course`,
// sent by campaign `campaign`. Shown by agents ("lesson 3 of 8"); heraldd counts
// progress from its own records, never from this claim.
struct LessonRef {
  std::string course;      // course id
  std::string campaign;    // campaign id
  std::size_t number = 0;  // 1-based
  std::size_t of = 0;
  bool operator==(const LessonRef&) const = default;
};

// herald/alert/... and herald/msg/...
struct Delivery {
  std::string title;
  std::string body;
  std::string severity = "info";  // info | warning | critical
  std::vector<std::string> links;
  TimePoint sent_at{};
  std::optional<TimePoint> expires_at;
  // Set by heraldd on the copy of a person-addressed message that it routes to the
  // computer where that person is logged in.
  std::string for_user;
  std::vector<Image> images;        // optional on the wire ("images"), at most kMaxImages
  std::optional<LessonRef> lesson;  // optional on the wire ("lesson")
  // The employee must confirm it ("I have read and understood", `herald-agent confirm`):
  // the receipt state `confirmed` follows `read`, and it stays pending until then. On
  // the wire only when true, so a payload without it is byte-identical to before.
  bool require_confirm = false;
};
// Throws Error(usage) naming the first limit a Delivery breaks. Every message expires:
// expires_at is required, after sent_at and at most kMaxExpiry (366 days) after it.
void validate(const Delivery& d);

// How far a sender's clock may run ahead of a receiver's. A Delivery whose sent_at is
// later than the receiver's now + kMaxClockSkew is refused: it would otherwise sort
// first in `herald list` for as long as its publisher liked.
inline constexpr std::chrono::minutes kMaxClockSkew{5};
// What every receiver (agent, heraldd) checks beyond the schema, against its own clock.
// Throws Error(protocol).
void check_received(const Delivery& d, TimePoint now);
bool is_valid_severity(std::string_view s);

// herald/recall/...: a retained tombstone; kept until the message would have expired.
// expires_at is required (it is the message's own expiry) and at most kMaxExpiry after
// recalled_at.
struct Recall {
  TimePoint recalled_at{};
  std::optional<TimePoint> expires_at;
};

// herald/remind/{account}/{id}/{agent-path}: heraldd asks one agent to show a message
// it holds but has not read again (`herald remind`). Not retained; `at` is when
// heraldd sent it. The agent ignores it unless it holds that id from that account
// unread; it never creates an inbox entry.
struct Remind {
  TimePoint at{};
};

// confirmed follows read, and only for a Delivery with require_confirm (heraldd drops it
// for any other message).
enum class AckState { delivered = 1, displayed = 2, read = 3, confirmed = 4 };
std::string_view ack_state_name(AckState s);
AckState ack_state_from_name(std::string_view name);  // throws Error(protocol)

// herald/ack/{id}/{agent}
struct Ack {
  AckState state = AckState::delivered;
  TimePoint at{};
  std::string user;  // the employee logged in when it happened ("" if none)
  // The {account} level of the delivery topic this receipt is about. Ids are chosen by
  // their sender, so another account could publish under a known id; heraldd counts a
  // receipt only for the message of this sender. The agent is trusted for its own
  // receipts and nothing more, which this does not widen. "" from agents before 0.2.
  std::string sender;
};

// herald/receipted/{agent}: heraldd's confirmation that these receipts of that agent
// are recorded durably (committed to the ledger, or kept as early receipts for a
// message not recorded yet). The agent deletes an outbox entry only when confirmed;
// heraldd confirms repeats too, so a lost confirmation costs one re-send.
// At most kMaxReceiptedItems items per publish (heraldd splits longer lists).
inline constexpr std::size_t kMaxReceiptedItems = 1000;
struct Receipted {
  struct Item {
    std::string id;  // the message id of the receipt's topic
    AckState state = AckState::delivered;
    bool operator==(const Item&) const = default;
  };
  std::vector<Item> receipts;
};

// herald/presence/{agent}
struct Presence {
  bool online = false;
  TimePoint at{};
  std::string user;
  std::string host;
  std::string version;
};

// herald/req/...: arguments of a request; the op and scope are in the topic.
struct Request {
  std::string id;   // status: the message id
  std::string csv;  // import: the org directory
  std::size_t limit = 0;
};

// herald/reply/...
struct Reply {
  bool ok = true;
  int error_kind = 0;     // an ErrorKind value when !ok
  std::string error;      // one line, for the admin
  nlohmann::json result;  // op-specific
};

// ---- chat (topics.md "Chat") -------------------------------------------------------
// A chat line's text: 1 to kMaxChatTextBytes bytes of UTF-8 (4 KiB: a long paragraph,
// never a document). 50 of them fit one ChatUpdate (kMaxPayloadBytes) when written
// plainly, but JSON escapes a control character as six bytes: 10 always fit.
inline constexpr std::size_t kMaxChatTextBytes = 4096;
// Throws Error(usage) with the line an employee or operator should read:
// "empty line", "line too long (5000 bytes; at most 4096)", "line is not valid UTF-8".
void validate_chat_text(std::string_view text);

enum class ChatOp { say, read, close };
std::string_view chat_op_name(ChatOp op);
ChatOp chat_op_from_name(std::string_view name);  // throws Error(protocol)

// herald/chat/{account}/{post-id}/{target...}: a helpdesk account's post. The account,
// post id and conversation are topic levels (the broker checks the `chat` right over
// the target); heraldd answers on herald/reply/{account}/{post-id} with a ChatPosted
// result, or an error (unknown target, over-long line...). A post id repeated by the
// same account is recorded once and answered again.
struct ChatPost {
  ChatOp op = ChatOp::say;
  std::string text;                  // say: the line (validate_chat_text)
  std::optional<std::string> about;  // say: a message id the conversation is about
  std::uint64_t seq = 0;             // read: every employee line up to seq was seen
  TimePoint at{};                    // when the operator wrote it (shown; heraldd's own time orders)
};

// herald/chatup/{agent-path...}: the employee's side. The agent path is the topic's;
// `conversation` is the agent's own path or "user:LOGIN" of the person logged in there
// (the same trust as Presence's user; heraldd checks it against that presence).
//   say:  a line (post = the agent's id for it, so a repeat is recorded once; heraldd
//         echoes it back in a ChatUpdate, which is the agent's confirmation)
//   read: the employee saw every helpdesk line up to seq
//   ack:  the agent stored every line up to seq (marks helpdesk lines delivered)
//   sync: the agent holds lines up to seq: heraldd sends every later one (on connect)
enum class ChatUpOp { say, read, ack, sync };
std::string_view chat_up_op_name(ChatUpOp op);
ChatUpOp chat_up_op_from_name(std::string_view name);  // throws Error(protocol)
struct ChatUp {
  ChatUpOp op = ChatUpOp::say;
  std::string conversation;          // Target::to_string(): "org/..." or "user:LOGIN"
  std::string post;                  // say: a token (1-64 of A-Z a-z 0-9 . _ -)
  std::string text;                  // say
  std::optional<std::string> about;  // say: a message id
  std::uint64_t seq = 0;             // read, ack, sync
  TimePoint at{};
};

// herald/chatdown/{agent-path...} and herald/chatlog/{target...}: heraldd's news about
// one conversation: its state and the lines that are new or whose marks changed (the
// full line each time, so a receiver upserts by seq). At most kMaxChatLinesPerUpdate
// lines; heraldd splits longer runs, in seq order. `conversation.unread` counts for the
// receiver (the employee on chatdown, the helpdesk on chatlog).
inline constexpr std::size_t kMaxChatLinesPerUpdate = 50;
// Lines whose bounds add up to more than this go in the next update: the payload stays
// under kMaxPayloadBytes with room for the conversation, however the text escapes.
inline constexpr std::size_t kMaxChatUpdateLineBytes = 192 * 1024;
// An upper bound of one line's encoded bytes (every byte of its strings escaped six-fold
// as \u00XX, plus its keys and times): what heraldd splits updates and caps histories by.
std::size_t chat_line_bound(const results::ChatLine& line);
struct ChatUpdate {
  results::ChatHistory history;
};

void to_json(nlohmann::json& j, const Image& i);    // {"name","type","data": base64}
void from_json(const nlohmann::json& j, Image& i);  // types and base64 only; validate() the rest
void to_json(nlohmann::json& j, const LessonRef& l);
void from_json(const nlohmann::json& j, LessonRef& l);
void to_json(nlohmann::json& j, const Delivery& d);
void from_json(const nlohmann::json& j, Delivery& d);
void to_json(nlohmann::json& j, const Remind& r);
void from_json(const nlohmann::json& j, Remind& r);
void to_json(nlohmann::json& j, const Recall& r);
void from_json(const nlohmann::json& j, Recall& r);
void to_json(nlohmann::json& j, const Ack& a);
void from_json(const nlohmann::json& j, Ack& a);
void to_json(nlohmann::json& j, const Receipted& r);
void from_json(const nlohmann::json& j, Receipted& r);
void to_json(nlohmann::json& j, const Presence& p);
void from_json(const nlohmann::json& j, Presence& p);
void to_json(nlohmann::json& j, const Request& r);
void from_json(const nlohmann::json& j, Request& r);
void to_json(nlohmann::json& j, const Reply& r);
void from_json(const nlohmann::json& j, Reply& r);
void to_json(nlohmann::json& j, const ChatPost& p);  // from_json checks ids, text, op fields
void from_json(const nlohmann::json& j, ChatPost& p);
void to_json(nlohmann::json& j, const ChatUp& u);
void from_json(const nlohmann::json& j, ChatUp& u);
void to_json(nlohmann::json& j, const ChatUpdate& u);
void from_json(const nlohmann::json& j, ChatUpdate& u);

// Parse a received payload: size check, JSON syntax, version, schema. Throws
// Error(protocol) with a one-line reason.
template <typename T>
T decode(std::string_view payload, std::size_t max_bytes = kMaxPayloadBytes);
template <typename T>
std::string encode(const T& value) {
  nlohmann::json j = value;
  return j.dump();
}

}  // namespace herald::payloads
