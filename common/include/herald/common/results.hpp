#pragma once
// Results of heraldd's queries: the `result` of a herald/reply/... payload, which
// `herald ... --json` prints unchanged (monitoring scripts rely on its layout). One
// struct per result, its keys (namespace key) and its one writer are defined here;
// topics.md ("Query results") documents each with an example.
//
// Writing: encode() and the streaming writers (StatusWriter, PendingWriter, ListWriter)
// append JSON text directly, never through an nlohmann document: a status of 10,000
// recipients is heraldd's hot case and building it as a DOM cost several times the
// ledger scans. to_json() parses that same text, so there is one layout.
// Reading: from_json() checks every field's presence and type and throws
// Error(protocol) naming it, so a malformed reply is an error, never undefined
// behaviour. Nullable fields (times, user, computer, ...) may also be absent.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/common/time.hpp"
#include "herald/common/topics.hpp"

namespace herald::results {

// Every key of every result, once: the writers here, from_json and the CLI's simdjson
// reader of status (dispatcher/src/format.cpp) all use these.
namespace key {
// status, list
inline constexpr std::string_view id = "id";
inline constexpr std::string_view kind = "kind";
inline constexpr std::string_view title = "title";
inline constexpr std::string_view sender = "sender";
inline constexpr std::string_view targets = "targets";
inline constexpr std::string_view sent_at = "sent_at";
inline constexpr std::string_view expires_at = "expires_at";
inline constexpr std::string_view recalled_at = "recalled_at";
inline constexpr std::string_view recalled_by = "recalled_by";
inline constexpr std::string_view state = "state";
inline constexpr std::string_view totals = "totals";
inline constexpr std::string_view recipients = "recipients";  // a count, or status's rows
inline constexpr std::string_view pending = "pending";
inline constexpr std::string_view delivered = "delivered";
inline constexpr std::string_view displayed = "displayed";
inline constexpr std::string_view read = "read";
inline constexpr std::string_view recipient = "recipient";
inline constexpr std::string_view delivered_at = "delivered_at";
inline constexpr std::string_view displayed_at = "displayed_at";
inline constexpr std::string_view read_at = "read_at";
inline constexpr std::string_view confirmed = "confirmed";
inline constexpr std::string_view confirmed_at = "confirmed_at";
inline constexpr std::string_view require_confirm = "require_confirm";
inline constexpr std::string_view user = "user";
inline constexpr std::string_view computer = "computer";
inline constexpr std::string_view messages = "messages";
// pending
inline constexpr std::string_view under = "under";
inline constexpr std::string_view total_unread = "total_unread";
inline constexpr std::string_view unread = "unread";
// import, recorded
inline constexpr std::string_view entries = "entries";
inline constexpr std::string_view computers = "computers";
inline constexpr std::string_view recorded = "recorded";
// progress, campaign list, chat history (reserved for upcoming features)
inline constexpr std::string_view course = "course";
inline constexpr std::string_view people = "people";
inline constexpr std::string_view login = "login";
inline constexpr std::string_view name = "name";
inline constexpr std::string_view sent = "sent";
inline constexpr std::string_view total = "total";
inline constexpr std::string_view first_at = "first_at";
inline constexpr std::string_view last_at = "last_at";
inline constexpr std::string_view lessons = "lessons";
inline constexpr std::string_view lesson = "lesson";
inline constexpr std::string_view not_started = "not_started";
inline constexpr std::string_view campaigns = "campaigns";
inline constexpr std::string_view schedule = "schedule";
inline constexpr std::string_view at = "at";
inline constexpr std::string_view tz = "tz";
inline constexpr std::string_view next_at = "next_at";
inline constexpr std::string_view conversation = "conversation";
inline constexpr std::string_view target = "target";
inline constexpr std::string_view about = "about";
inline constexpr std::string_view lines = "lines";
inline constexpr std::string_view seq = "seq";
inline constexpr std::string_view from = "from";
inline constexpr std::string_view text = "text";
// campaign detail, courses, schedules, reminded
inline constexpr std::string_view campaign = "campaign";
inline constexpr std::string_view occurrences = "occurrences";
inline constexpr std::string_view number = "number";
inline constexpr std::string_view due_at = "due_at";
inline constexpr std::string_view message = "message";
inline constexpr std::string_view courses = "courses";
inline constexpr std::string_view created_by = "created_by";
inline constexpr std::string_view created_at = "created_at";
inline constexpr std::string_view images = "images";
inline constexpr std::string_view links = "links";
inline constexpr std::string_view bytes = "bytes";
inline constexpr std::string_view schedules = "schedules";
inline constexpr std::string_view start = "start";
inline constexpr std::string_view last_message = "last_message";
// chat
inline constexpr std::string_view post = "post";
inline constexpr std::string_view conversations = "conversations";
inline constexpr std::string_view last = "last";
}  // namespace key

enum class MessageState { active, expired, recalled };
// A recipient's furthest receipt; ranked pending < delivered < displayed < read <
// confirmed (only a message sent with require_confirm is ever confirmed; confirmed
// implies read). The values are stored in heraldd's ledger (one byte per receipt):
// never renumber them.
enum class ReceiptState : std::uint8_t { pending = 0, delivered = 1, displayed = 2, read = 3, confirmed = 4 };
std::string_view state_name(MessageState s);
std::string_view state_name(ReceiptState s);
MessageState message_state_from_name(std::string_view name);  // throws Error(protocol)
ReceiptState receipt_state_from_name(std::string_view name);  // throws Error(protocol)

// Each recipient counted once, in its furthest state: someone who confirmed is counted
// in `confirmed`, not in `read` (read + confirmed is everyone who read it). `confirmed`
// is written only for a message that asks for confirmation; absent, it reads as 0.
struct Totals {
  std::size_t recipients = 0, pending = 0, delivered = 0, displayed = 0, read = 0, confirmed = 0;
  void add(ReceiptState s);
  bool operator==(const Totals&) const = default;
};

// The fields status and list share, first and in this order.
struct MessageSummary {
  std::string id;
  topics::Kind kind = topics::Kind::message;
  std::string title;
  std::string sender;
  std::vector<std::string> targets;  // those visible in the asker's scope
  TimePoint sent_at{};
  std::optional<TimePoint> expires_at;
  bool operator==(const MessageSummary&) const = default;
};

// ---- status: `herald status ID --json` ------------------------------------------
struct RecipientStatus {
  std::string recipient;  // an org path, or "user:LOGIN"
  ReceiptState state = ReceiptState::pending;
  std::optional<TimePoint> delivered_at, displayed_at, read_at;
  std::optional<std::string> user;      // null until a receipt names one
  std::optional<std::string> computer;  // null until a receipt
  // Null unless confirmed; on the wire (after read_at) only in the status of a message
  // that asks for confirmation. Last here, so brace-initialisations stay valid.
  std::optional<TimePoint> confirmed_at{};
  bool operator==(const RecipientStatus&) const = default;
};

// Everything of a status but its rows: what StatusWriter writes first.
struct StatusHead {
  MessageSummary message;
  std::optional<TimePoint> recalled_at;
  std::optional<std::string> recalled_by;
  MessageState state = MessageState::active;
  // Sent with --require-confirm. Only such a status has "require_confirm": true, a
  // totals.confirmed and a confirmed_at per row: every other status is written as it
  // was before confirmations existed.
  bool require_confirm = false;
  Totals totals;
  bool operator==(const StatusHead&) const = default;
};

struct Status : StatusHead {
  std::vector<RecipientStatus> recipients;  // sorted by recipient
  bool operator==(const Status&) const = default;
};

// A row as views, for the hot path: heraldd's rows point into the ledger.
struct RecipientStatusRef {
  std::string_view recipient;
  ReceiptState state = ReceiptState::pending;
  std::optional<TimePoint> delivered_at, displayed_at, read_at;
  std::optional<std::string_view> user;
  std::optional<std::string_view> computer;
  // Last, with an initializer: existing brace-initialisations stay valid and quiet.
  std::optional<TimePoint> confirmed_at{};
};

// Appends a status to `out`: the head at construction, then one add() per row, then
// finish(). encode(const Status&) is this writer.
class StatusWriter {
 public:
  StatusWriter(std::string& out, const StatusHead& head, std::size_t expected_rows = 0);
  void add(const RecipientStatusRef& row);
  void finish();

 private:
  std::string& out_;
  bool first_ = true;
  bool confirming_ = false;  // head.require_confirm: rows carry confirmed_at
};

// ---- pending: `herald pending [--under PATH] --json` ----------------------------
struct UnreadMessage {
  std::string id;
  topics::Kind kind = topics::Kind::message;
  std::string title;
  TimePoint sent_at{};
  // Sent with require_confirm: pending until confirmed, so it may have been read
  // already. On the wire only when true.
  bool require_confirm = false;
  bool operator==(const UnreadMessage&) const = default;
};

struct PendingRecipient {
  std::string recipient;
  // Optional: the employee to show next to the recipient. heraldd does not send it
  // today; the CLI shows it when present.
  std::optional<std::string> user;
  std::vector<UnreadMessage> unread;  // oldest first
  bool operator==(const PendingRecipient&) const = default;
};

struct Pending {
  std::string under;  // the scope asked about
  std::size_t total_unread = 0;
  std::vector<PendingRecipient> recipients;  // sorted, only those with something unread
  bool operator==(const Pending&) const = default;
};

// Appends a pending result: begin_recipient / add_unread... / end_recipient per
// recipient, then finish(). An unread entry can be encoded once (encode_unread) and
// added to many recipients as text.
class PendingWriter {
 public:
  PendingWriter(std::string& out, std::string_view under, std::size_t total_unread);
  void begin_recipient(std::string_view recipient, std::optional<std::string_view> user = std::nullopt);
  void add_unread(const UnreadMessage& m);
  void add_unread_text(std::string_view encoded);  // from encode_unread
  void end_recipient();
  void finish();

 private:
  std::string& out_;
  bool first_recipient_ = true, first_unread_ = true;
};
std::string encode_unread(const UnreadMessage& m);

// ---- list: `herald list [--under PATH] [--limit N] --json` ----------------------
struct ListedMessage {
  MessageSummary message;
  MessageState state = MessageState::active;
  // Written flat: recipients, delivered, displayed, read, [confirmed,] pending. With
  // require_confirm (written as "require_confirm": true after state) also "confirmed".
  Totals counts;
  bool require_confirm = false;
  bool operator==(const ListedMessage&) const = default;
};

struct List {
  std::vector<ListedMessage> messages;  // newest first
  bool operator==(const List&) const = default;
};

class ListWriter {
 public:
  explicit ListWriter(std::string& out);
  void add(const ListedMessage& m);
  void finish();

 private:
  std::string& out_;
  bool first_ = true;
};

// ---- import: `herald import-org FILE --json` --------------------------------------
struct Import {
  std::size_t entries = 0;
  std::size_t computers = 0;
  bool operator==(const Import&) const = default;
};

// ---- recorded: heraldd's confirmation of a sent message (herald send/alert waits) ----
struct Recorded {
  std::string id;
  bool operator==(const Recorded&) const = default;
};

// ---- reserved for upcoming features: not answered by heraldd yet --------------------
// `herald progress COURSE --json`
struct PersonProgress {
  std::string login;
  std::string name;
  std::size_t read = 0;                        // lessons read (confirmed ones included) ...
  std::size_t sent = 0;                        // ... of those sent to this person so far ...
  std::size_t total = 0;                       // ... and of the whole course
  std::optional<TimePoint> first_at, last_at;  // first and last activity
  std::size_t confirmed = 0;                   // lessons confirmed (of those that ask for it)
  bool operator==(const PersonProgress&) const = default;
};
struct LessonProgress {
  std::string lesson;  // the lesson's message id
  std::string title;
  std::size_t sent = 0, read = 0, unread = 0;
  std::size_t confirmed = 0;     // people who confirmed it (read counts them too)
  bool require_confirm = false;  // the lesson asks for confirmation (on the wire only when true)
  bool operator==(const LessonProgress&) const = default;
};
struct Person {
  std::string login;
  std::string name;
  bool operator==(const Person&) const = default;
};
struct Progress {
  std::string course;
  std::vector<PersonProgress> people;
  std::vector<LessonProgress> lessons;  // in course order
  std::vector<Person> not_started;      // targeted, nothing read yet
  bool operator==(const Progress&) const = default;
};

// `herald campaign list --json`
enum class CampaignState { active, paused, cancelled, finished };
std::string_view state_name(CampaignState s);
CampaignState campaign_state_from_name(std::string_view name);  // throws Error(protocol)
struct Campaign {
  std::string id;
  std::string course;
  std::vector<std::string> targets;
  std::string schedule;  // the rule, e.g. "weekdays"
  std::string at;        // local time of day, "09:00"
  std::string tz;        // IANA zone, "Europe/Warsaw"
  CampaignState state = CampaignState::active;
  std::size_t sent = 0, total = 0;   // lessons
  std::optional<TimePoint> next_at;  // null unless active
  bool operator==(const Campaign&) const = default;
};
struct CampaignList {
  std::vector<Campaign> campaigns;
  bool operator==(const CampaignList&) const = default;
};

// One campaign with its lessons' occurrences: `herald campaign show ID --json`.
struct Occurrence {
  std::size_t number = 0;              // lesson number, 1-based
  TimePoint due_at{};                  // when the schedule says
  std::optional<TimePoint> sent_at;    // when heraldd sent it (null: not yet)
  std::optional<std::string> message;  // the lesson's message id once sent
  bool operator==(const Occurrence&) const = default;
};
struct CampaignDetail {
  Campaign campaign;
  std::string sender;                   // the account that started it (lessons are sent in its name)
  std::vector<Occurrence> occurrences;  // every lesson, in order
  bool operator==(const CampaignDetail&) const = default;
};

// `herald course list --json`, and one course (`herald course show ID --json`).
struct CourseSummary {
  std::string id;
  std::string title;
  std::size_t lessons = 0;
  std::string created_by;
  TimePoint created_at{};
  std::size_t campaigns = 0;  // active or paused campaigns using it
  bool operator==(const CourseSummary&) const = default;
};
struct CourseList {
  std::vector<CourseSummary> courses;
  bool operator==(const CourseList&) const = default;
};
struct LessonSummary {
  std::size_t number = 0;
  std::string title;
  std::size_t images = 0, links = 0, bytes = 0;  // bytes: the lesson's encoded Delivery
  bool require_confirm = false;                  // on the wire only when true
  bool operator==(const LessonSummary&) const = default;
};
struct CourseDetail {
  CourseSummary course;
  std::vector<LessonSummary> lessons;
  bool operator==(const CourseDetail&) const = default;
};

// `herald schedule list --json`: delayed and recurring messages.
enum class ScheduleState { active, cancelled, finished };
std::string_view state_name(ScheduleState s);
ScheduleState schedule_state_from_name(std::string_view name);  // throws Error(protocol)
struct ScheduledMessage {
  std::string id;
  std::string kind;  // alert | message
  std::string title;
  std::string sender;
  std::vector<std::string> targets;
  std::string schedule;  // the rule; "" for one delayed message
  std::string at, tz, start;
  ScheduleState state = ScheduleState::active;
  std::size_t sent = 0;
  std::optional<std::size_t> total;  // null: open-ended
  std::optional<TimePoint> next_at;
  std::optional<std::string> last_message;  // id of the latest occurrence
  bool operator==(const ScheduledMessage&) const = default;
};
struct ScheduleList {
  std::vector<ScheduledMessage> schedules;
  bool operator==(const ScheduleList&) const = default;
};

// `herald remind COURSE|ID --json`: who was notified again.
struct Reminded {
  std::string id;                       // the course or message id
  std::vector<std::string> recipients;  // computers (org paths) notified, sorted
  bool operator==(const Reminded&) const = default;
};

// Chat (topics.md "Chat"). A conversation is identified by its target: a computer's
// org path or "user:LOGIN". `from` of a line is the helpdesk account that wrote it (no
// '/') or the org path of the computer the employee wrote from (always has a '/').
// Marks: a helpdesk line is delivered when an agent of the conversation stored it and
// read when the employee saw it; an employee's line is delivered when heraldd recorded
// it and read when a helpdesk account saw it.
struct ChatLine {
  std::uint64_t seq = 0;  // 1, 2, ... per conversation, given by heraldd
  std::string from;       // an account or an agent path
  std::string text;
  TimePoint at{};
  std::optional<TimePoint> delivered_at, read_at;
  // The writer's post id ("" if none is known): an agent recognises its own line coming
  // back and drops it from its chat outbox; a repeated post is recorded once.
  std::string post;
  bool operator==(const ChatLine&) const = default;
};
// A line's author is an employee (an agent path) rather than a helpdesk account.
bool from_employee(const ChatLine& line);
struct Conversation {
  std::string target;
  std::optional<std::string> about;  // the message id the chat is about
  bool open = true;                  // "state": "open" | "closed"
  // Lines the reader has not seen: for a helpdesk account the employee's lines after
  // the helpdesk's read mark; for an agent the helpdesk's lines after the employee's.
  std::size_t unread = 0;
  bool operator==(const Conversation&) const = default;
};
// `herald chat history TARGET --json`; also the body of a ChatUpdate payload.
struct ChatHistory {
  Conversation conversation;
  std::vector<ChatLine> lines;  // by seq
  bool operator==(const ChatHistory&) const = default;
};
// `herald chat --json`: one row per conversation in the asker's scope, the most
// recently active first.
struct ChatSummary {
  Conversation conversation;
  std::optional<ChatLine> last;  // the latest line (null if none)
  std::size_t lines = 0;         // how many lines it has
  bool operator==(const ChatSummary&) const = default;
};
struct ChatList {
  std::vector<ChatSummary> conversations;
  bool operator==(const ChatList&) const = default;
};
// heraldd's reply to a helpdesk post (on herald/reply/{account}/{post-id}): the line
// is recorded as `seq` of conversation `target` (seq 0 for a read mark or a close).
struct ChatPosted {
  std::string post;
  std::string target;
  std::uint64_t seq = 0;
  bool operator==(const ChatPosted&) const = default;
};

// ---- encoding and decoding --------------------------------------------------------
std::string encode(const Status& r);
std::string encode(const Pending& r);
std::string encode(const List& r);
std::string encode(const Import& r);
std::string encode(const Recorded& r);
std::string encode(const Progress& r);
std::string encode(const CampaignList& r);
std::string encode(const ChatHistory& r);
std::string encode(const ChatList& r);
std::string encode(const ChatPosted& r);
std::string encode(const CampaignDetail& r);
std::string encode(const CourseList& r);
std::string encode(const CourseDetail& r);
std::string encode(const ScheduleList& r);
std::string encode(const Reminded& r);

void to_json(nlohmann::json& j, const Status& r);
void from_json(const nlohmann::json& j, Status& r);
void to_json(nlohmann::json& j, const Pending& r);
void from_json(const nlohmann::json& j, Pending& r);
void to_json(nlohmann::json& j, const List& r);
void from_json(const nlohmann::json& j, List& r);
void to_json(nlohmann::json& j, const Import& r);
void from_json(const nlohmann::json& j, Import& r);
void to_json(nlohmann::json& j, const Recorded& r);
void from_json(const nlohmann::json& j, Recorded& r);
void to_json(nlohmann::json& j, const Progress& r);
void from_json(const nlohmann::json& j, Progress& r);
void to_json(nlohmann::json& j, const CampaignList& r);
void from_json(const nlohmann::json& j, CampaignList& r);
void to_json(nlohmann::json& j, const ChatHistory& r);
void from_json(const nlohmann::json& j, ChatHistory& r);
void to_json(nlohmann::json& j, const ChatList& r);
void from_json(const nlohmann::json& j, ChatList& r);
void to_json(nlohmann::json& j, const ChatPosted& r);
void from_json(const nlohmann::json& j, ChatPosted& r);
void to_json(nlohmann::json& j, const CampaignDetail& r);
void from_json(const nlohmann::json& j, CampaignDetail& r);
void to_json(nlohmann::json& j, const CourseList& r);
void from_json(const nlohmann::json& j, CourseList& r);
void to_json(nlohmann::json& j, const CourseDetail& r);
void from_json(const nlohmann::json& j, CourseDetail& r);
void to_json(nlohmann::json& j, const ScheduleList& r);
void from_json(const nlohmann::json& j, ScheduleList& r);
void to_json(nlohmann::json& j, const Reminded& r);
void from_json(const nlohmann::json& j, Reminded& r);

// A Reply's `result` as T; throws Error(protocol) naming what does not match.
template <typename T>
T read(const nlohmann::json& result) {
  T value;
  from_json(result, value);
  return value;
}
nlohmann::json parse(std::string_view text);  // throws Error(protocol)
// The same from JSON text; throws Error(protocol) for invalid JSON too.
template <typename T>
T decode(std::string_view text) {
  return read<T>(parse(text));
}

}  // namespace herald::results
