#pragma once
// heraldd's ledger: the system of record for every message, its targets, receipts,
// recalls, person routes, the org directory and the last presence of every computer.
// One LMDB environment, one named database per concept, keys laid out so that every
// question heraldd answers is a range scan over one prefix.
//
// Key layout (a "\0" separates levels; ids, logins and org paths never contain NUL;
// a key is at most 511 bytes, and a longer one fails its message with Error(protocol),
// see lmdb::Db):
//   messages     id                        -> MessageRecord (compact JSON, no body; "rc":
//                                             true only for a require_confirm message)
//   payloads     id                        -> the Delivery payload as first received
//   by_sent      be64(sent_at ms) id       -> ""          list: newest first (reverse scan)
//   open         be64(expires_at ms) id    -> ""          messages whose retained topics
//                                                         still exist on the broker; no
//                                                         expiry = be64(max). Expiry timer
//                                                         and restore read this.
//   receipts     id \0 recipient           -> Receipt (binary; encode_receipt)   status: one
//                                                         prefix scan;
//                                                         recipients under a scope are a
//                                                         sub-prefix (id \0 org/branch01)
//   person_msgs  login \0 id               -> ""          person messages of a login
//   routes       id \0 computer            -> login       person copies heraldd published
//   tombstones   id \0 account \0 target   -> Recall payload as received
//   presence     computer path             -> PresenceRecord (binary)
//   online_users login \0 computer         -> ""          computers where login is online
//   directory    org path                  -> kind \0 name \0 login \0 person  (no JSON:
//                                                         decoded on every status scan)
//   meta         name                      -> value   ("directory_entries" -> count,
//                                                         decimal: a directory was imported)
//   early        id \0 agent \0 state       -> be64(kept_at ms) Ack payload as received:
//                                                         receipts for a message not recorded
//                                                         yet, applied when it is (see EARLY)
//   early_by_age be64(kept_at ms) early-key  -> ""          oldest first, for the age bound
//   quarantine   table \0 key               -> the bytes of a damaged record, set aside
//
// Courses, campaigns and scheduled messages (issue 10; scheduler/README.md, "Scheduled
// sending"):
//   courses      course id                 -> the course as received (wire JSON, images inside)
//   course_info  course id                 -> CourseInfo (JSON): what listings show, without
//                                             decoding the course's images
//   campaigns    campaign id               -> CampaignRecord (JSON), its occurrences inside
//   course_camps course id \0 campaign id  -> ""          the campaigns of a course
//   schedules    schedule id               -> ScheduleRecord (JSON)
//   due          be64(due ms) kind id      -> ""          the next occurrence of every active
//                                             campaign (kind 'c') and schedule ('s'), in the
//                                             scheduler clock's time: the first key is the
//                                             next thing to send (one cursor read)
//
// Chat (issue 11; topics.md "Chat", scheduler/README.md "Chat"). A conversation's id is
// its target (an org path or "user:LOGIN"); `seq` is 20 decimal digits, zero-padded, so
// key order is seq order:
//   chats        target                    -> ChatRecord (JSON): marks, counts and the
//                                             last line's seq and time: what a chat list
//                                             row needs without reading the lines
//   chat_lines   target \0 seq              -> ChatLine (binary, see encode_chat_line)
//   chat_posts   writer \0 post id          -> seq target: the line a post was recorded as
//                                             (writer: the account or the agent path), so
//                                             a repeated post is recorded once
//   chat_acks    target \0 agent            -> seq (decimal): the agent holds lines 1..seq
//   chat_undeliv target                    -> ""          conversations with a helpdesk line
//                                             no agent acknowledged: what re-sends scan
//   chat_by_last be64(last line ms) target -> ""          oldest first: the retention sweep
//   logins_seen  login                     -> ""          every user a presence ever named
//                                             (put_presence): who may be chatted with
//
// DAMAGED RECORDS never stop heraldd: a record that does not decode is logged once per
// table and key ("damaged record ... skipped"), and every read treats it as absent
// (message() nullopt, scans skip it). The expiry run moves a damaged message record to
// `quarantine` with set_aside_message, so it is not met again.
//
// DURABILITY: what is durable when.
// - heraldd applies a batch of received MQTT messages in ONE write transaction and
//   commits it with fsync (the environment is opened without MDB_NOSYNC) BEFORE it
//   publishes anything that depends on it: the "recorded" reply, person-routed copies,
//   clears. So when `herald send` sees {"recorded": id}, the message is on disk, and a
//   receipt is durable once the batch that contains it has committed.
// - RECEIPTS ARE CONFIRMED END TO END. The broker's PUBACK to an agent proves nothing
//   about heraldd (a broker that lost heraldd's session drops receipts nobody is
//   subscribed to), nor does Paho's PUBACK from heraldd (sent when the message is in
//   heraldd's in-memory queue). So after the write transaction that recorded a batch's
//   receipts has committed, heraldd publishes, per agent, one Receipted confirmation
//   (herald/receipted/{agent}: the ids and states of its receipts in that batch), and
//   the agent deletes a receipt from its outbox only then; it re-sends unconfirmed
//   ones after a reconnect and after a timeout. A receipt lost anywhere on the way
//   (broker restart without heraldd's session, kill -9 of heraldd before the commit)
//   is therefore sent again. Repeats are recorded once and confirmed again. Presences
//   in such a window are still lost: the next one replaces them. Retained deliveries
//   and tombstones are not lost for good either: the broker still retains them and
//   re-sends them on heraldd's next subscribe, and heraldd records them then (without
//   the "recorded" reply the sender was waiting for).
// - EARLY RECEIPTS. A receipt for an id heraldd has not recorded (it missed the live
//   delivery and records the message later from the broker's retained store) is kept
//   in `early` and confirmed to the agent; recording the message applies and deletes
//   its early receipts in the same transaction. Bounds: an early receipt is deleted
//   unapplied kEarlyReceiptMaxAge (24 h) after it was kept (a message that has not
//   arrived by then is not coming: a forged id or a ledger restored from an old
//   backup), and at most kMaxEarlyReceipts (100,000) are kept: when full, a new one is
//   dropped WITHOUT confirmation, so its agent keeps it and sends it again later.
// - Requests (status, pending, list) are answered inside the batch's write transaction,
//   so they see every receipt recorded earlier in the same batch, and their replies go
//   out after the commit like everything else. A batch of requests alone writes
//   nothing, and LMDB commits a write transaction without dirty pages without any
//   fsync: such replies do not wait for the disk (strace of herald-bench-queries: no
//   fsync). Only a batch that also recorded something waits for its fsync (bench/README.md
//   has what a commit costs), which the reply needs anyway since it may show what was
//   recorded.
// - A failed commit (disk full, map full) is fatal: heraldd logs it and exits with the
//   storage exit code rather than carry on with state it could not write.
// - The broker's retained store is not the system of record: after every (re)connect
//   heraldd republishes the unexpired deliveries and tombstones the broker lost.
//
// VIEWS: every table is an lmdb::Db. Every string_view or ReceiptView the ledger hands
// out (to a scan's callback, or from receipt_view) points into LMDB's memory map: valid
// until the transaction ends or its next write, never copied. That is what lets a
// status of thousands of recipients read its receipts, directory and presences in
// place. What is returned by value (MessageRecord, Receipt, strings) is a copy.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/common/directory.hpp"
#include "herald/common/lmdb.hpp"
#include "herald/common/payloads.hpp"
#include "herald/common/results.hpp"
#include "herald/common/schedule.hpp"
#include "herald/common/time.hpp"
#include "herald/common/topics.hpp"

namespace herald::scheduler {

// The states of a message and of a receipt are those of the query results, so the
// ledger, heraldd's answers and the CLI cannot disagree on a name or an order.
using results::MessageState;
using results::ReceiptState;
using results::state_name;

struct MessageRecord {
  std::string id;
  topics::Kind kind = topics::Kind::message;
  std::string sender;                // the account from the topic
  std::vector<std::string> targets;  // Target::to_string(): "org/branch01", "user:jkowalski"
  std::string title;
  std::string severity = "info";
  TimePoint sent_at{};
  std::optional<TimePoint> expires_at;
  TimePoint recorded_at{};
  std::optional<TimePoint> recalled_at;
  std::string recalled_by;
  // Sent with require_confirm: a `confirmed` receipt counts only for such a message,
  // and it stays pending for a recipient until confirmed.
  bool require_confirm = false;

  MessageState state(TimePoint now) const;
  bool has_target(std::string_view target) const;
};

struct Receipt {
  ReceiptState state = ReceiptState::pending;
  std::optional<TimePoint> delivered_at;  // first time each state was reported
  std::optional<TimePoint> displayed_at;
  std::optional<TimePoint> read_at;
  std::string user;                         // employee named by the latest receipt that named one
  std::string computer;                     // the agent that sent the latest receipt
  std::optional<TimePoint> confirmed_at{};  // last: brace-initialisations stay valid

  // Keeps the highest state and the earliest time of each state. A `displayed`, `read`
  // or `confirmed` receipt also sets delivered_at if none was recorded (agents may send
  // only the furthest state), and `confirmed` sets read_at; displayed_at is never implied.
  void merge(payloads::AckState state, TimePoint at, std::string_view user, std::string_view computer);
};

// A receipt record read in place: the strings point into the record's bytes (for a
// ledger value: valid until the transaction ends or its next write). Queries over
// thousands of receipts read these instead of Receipt, which allocates two strings.
struct ReceiptView {
  ReceiptState state = ReceiptState::pending;
  std::optional<TimePoint> delivered_at;
  std::optional<TimePoint> displayed_at;
  std::optional<TimePoint> read_at;
  std::string_view user;
  std::string_view computer;
  std::optional<TimePoint> confirmed_at{};
};

// The bounds of the early receipts (see EARLY RECEIPTS above).
inline constexpr std::chrono::hours kEarlyReceiptMaxAge{24};
inline constexpr std::size_t kMaxEarlyReceipts = 100000;

struct PresenceRecord {
  bool online = false;
  TimePoint at{};
  std::string user;
};

// A stored course's description, kept beside the course so that listings never decode
// (or base64-decode the images of) the course itself.
struct CourseInfo {
  std::string id;
  std::string title;
  std::string created_by;
  TimePoint created_at{};  // also the course's generation: a campaign names the one it used
  std::vector<results::LessonSummary> lessons;
};

// A campaign: one lesson of a course per occurrence of a schedule, to fixed targets.
// The due instants of all its lessons are expanded once, when it starts.
struct CampaignRecord {
  struct Occurrence {
    TimePoint due{};                   // scheduler clock
    std::optional<TimePoint> sent_at;  // real time, when heraldd sent it
    std::string message;               // the lesson's message id once sent
  };
  std::string id;
  std::string course;
  TimePoint course_created{};  // CourseInfo::created_at of the course it started with
  std::string sender;          // the account that started it: lessons are sent in its name
  std::vector<std::string> targets;
  schedule::Recurrence when;
  std::chrono::seconds lifetime{0};
  results::CampaignState state = results::CampaignState::active;
  TimePoint created_at{};
  std::vector<Occurrence> occurrences;  // one per lesson, in course order

  std::size_t sent() const;                   // lessons sent so far (they are sent in order)
  std::optional<TimePoint> next_due() const;  // of the next lesson, if any is left
};

// A delayed (empty rule) or recurring message. Occurrences are expanded from `when` as
// they come due; next_index is the index of the next one.
struct ScheduleRecord {
  std::string id;
  topics::Kind kind = topics::Kind::message;
  std::string sender;
  std::string title, body, severity = "info";
  std::vector<std::string> links;
  bool require_confirm = false;
  std::chrono::seconds lifetime{0};
  std::vector<std::string> targets;
  schedule::Recurrence when;
  results::ScheduleState state = results::ScheduleState::active;
  TimePoint created_at{};
  std::size_t next_index = 0;
  std::optional<TimePoint> next_at;  // scheduler clock; nullopt once finished or cancelled
  std::size_t sent = 0, skipped = 0;
  std::optional<std::size_t> total;  // nullopt: open-ended
  std::string last_message;
};

// A chat conversation as the ledger keeps it (lines apart, in chat_lines).
struct ChatRecord {
  std::string target;                // Target::to_string()
  std::optional<std::string> about;  // a message id heraldd knows
  bool open = true;
  std::uint64_t last_seq = 0;           // lines are 1..last_seq (also how many there are)
  std::uint64_t last_helpdesk_seq = 0;  // the latest helpdesk line
  std::uint64_t acked = 0;              // the highest seq any agent acknowledged
  std::uint64_t helpdesk_read = 0;      // the helpdesk's read mark (employee lines up to it)
  std::uint64_t employee_read = 0;      // the employee's read mark (helpdesk lines up to it)
  std::size_t helpdesk_unread = 0;      // employee lines after helpdesk_read
  std::size_t employee_unread = 0;      // helpdesk lines after employee_read
  TimePoint last_at{};                  // of the last line

  // Some helpdesk line no agent has acknowledged yet (re-sends look for these).
  bool undelivered() const { return last_helpdesk_seq > acked; }
};

// Where a post id was recorded (chat_posts).
struct ChatPostRef {
  std::string target;
  std::uint64_t seq = 0;
};

// What the due table schedules: a campaign's next lesson or a schedule's next occurrence.
enum class DueKind : char { campaign = 'c', schedule = 's' };
struct DueItem {
  TimePoint at{};
  DueKind kind = DueKind::campaign;
  std::string id;
  bool operator==(const DueItem&) const = default;
};

class Ledger {
 public:
  struct Options {
    std::string dir;
    bool durable = true;                                 // false only in tests and benchmarks
    std::size_t map_size = std::size_t{16} << 30;        // address space, not disk: 16 GiB
    std::size_t max_early_receipts = kMaxEarlyReceipts;  // smaller only in tests
  };
  explicit Ledger(const Options& options);

  lmdb::Env& env() { return env_; }
  lmdb::Txn read() { return lmdb::Txn(env_, lmdb::Txn::Mode::read); }
  lmdb::Txn write() { return lmdb::Txn(env_, lmdb::Txn::Mode::write); }

  // Messages. put_message on a new id also indexes it (by_sent, open).
  std::optional<MessageRecord> message(lmdb::Txn& txn, std::string_view id) const;
  void put_message(lmdb::Txn& txn, const MessageRecord& m, bool is_new);
  void put_payload(lmdb::Txn& txn, std::string_view id, std::string_view payload);
  std::optional<std::string> payload(lmdb::Txn& txn, std::string_view id) const;
  // Newest first by sent_at until fn returns false.
  void scan_newest_first(lmdb::Txn& txn, const std::function<bool(std::string_view id)>& fn) const;

  // Open messages: retained topics still on the broker (until expiry is processed).
  // fn(id, expires_at or nullopt) ascending by expiry, starting at `from`.
  void scan_open(lmdb::Txn& txn, TimePoint from,
                 const std::function<bool(std::string_view id, std::optional<TimePoint> expires)>& fn) const;
  std::vector<std::string> open_due(lmdb::Txn& txn, TimePoint now) const;  // expires_at <= now
  std::optional<TimePoint> next_expiry(lmdb::Txn& txn) const;
  void close_open(lmdb::Txn& txn, const MessageRecord& m);
  // Moves the message record of `id` to `quarantine` (if present) and drops its `open`
  // entries: for a record message() could not decode, so the expiry run does not meet
  // it again at every tick.
  void set_aside_message(lmdb::Txn& txn, std::string_view id);

  // Receipts.
  std::optional<Receipt> receipt(lmdb::Txn& txn, std::string_view id, std::string_view recipient) const;
  void put_receipt(lmdb::Txn& txn, std::string_view id, std::string_view recipient, const Receipt& r);
  // Receipts of id whose recipient starts with recipient_prefix (caller filters levels).
  void scan_receipts(lmdb::Txn& txn, std::string_view id, std::string_view recipient_prefix,
                     const std::function<bool(std::string_view recipient, const Receipt&)>& fn) const;
  // The same without copies: recipient and the view's strings point into the ledger
  // (valid until the transaction ends or its next write).
  void scan_receipt_views(lmdb::Txn& txn, std::string_view id, std::string_view recipient_prefix,
                          const std::function<bool(std::string_view recipient, const ReceiptView&)>& fn) const;
  std::optional<ReceiptView> receipt_view(lmdb::Txn& txn, std::string_view id, std::string_view recipient) const;

  // Presence (last one per computer), the online-user index and logins_seen.
  std::optional<PresenceRecord> presence(lmdb::Txn& txn, std::string_view computer) const;
  void put_presence(lmdb::Txn& txn, std::string_view computer, const PresenceRecord& p);
  // Paths of the computers at or under `under` (string prefix; caller filters levels),
  // pointing into the ledger (valid until the txn ends or its next write).
  void scan_presence_computers(lmdb::Txn& txn, std::string_view under,
                               const std::function<bool(std::string_view computer)>& fn) const;
  std::vector<std::string> online_computers_of(lmdb::Txn& txn, std::string_view login) const;

  // Person messages and the copies heraldd routed.
  void add_person_message(lmdb::Txn& txn, std::string_view login, std::string_view id);
  std::vector<std::string> person_messages(lmdb::Txn& txn, std::string_view login) const;
  bool has_route(lmdb::Txn& txn, std::string_view id, std::string_view computer) const;
  void put_route(lmdb::Txn& txn, std::string_view id, std::string_view computer, std::string_view login);
  std::optional<std::string> route_login(lmdb::Txn& txn, std::string_view id, std::string_view computer) const;
  void scan_routes(lmdb::Txn& txn, std::string_view id,
                   const std::function<void(std::string_view computer, std::string_view login)>& fn) const;

  // Recall tombstones as published (account = the recalling account).
  // Returns false if this exact tombstone was already known.
  bool put_tombstone(lmdb::Txn& txn, std::string_view id, std::string_view account, std::string_view target,
                     std::string_view payload);
  void scan_tombstones(
      lmdb::Txn& txn, std::string_view id,
      const std::function<void(std::string_view account, std::string_view target, std::string_view payload)>& fn) const;

  // Early receipts: `ack_payload` (as received) of `agent`'s receipt in `state` for an
  // id not recorded yet. Deletes those older than kEarlyReceiptMaxAge first. Returns
  // false, keeping nothing, if Options::max_early_receipts are kept already. A repeat replaces
  // the earlier copy.
  bool put_early_receipt(lmdb::Txn& txn, std::string_view id, std::string_view agent, payloads::AckState state,
                         std::string_view ack_payload, TimePoint now);
  // Calls fn(agent, ack_payload) for each early receipt of id and deletes them all.
  void take_early_receipts(lmdb::Txn& txn, std::string_view id,
                           const std::function<void(std::string_view agent, std::string_view ack_payload)>& fn);
  std::size_t early_receipt_count(lmdb::Txn& txn) const;

  // Org directory.
  bool has_directory(lmdb::Txn& txn) const;
  void replace_directory(lmdb::Txn& txn, const std::vector<DirectoryEntry>& entries);
  // Entries at or under `under` (string prefix; caller filters levels), in path order.
  void scan_directory(lmdb::Txn& txn, std::string_view under,
                      const std::function<bool(const DirectoryEntry&)>& fn) const;
  // Paths of the entries of kind computer at or under `under`, without decoding the
  // entries; they point into the ledger (valid until the txn ends or its next write).
  void scan_directory_computers(lmdb::Txn& txn, std::string_view under,
                                const std::function<bool(std::string_view path)>& fn) const;

  // Courses. put_course stores a new course (the caller has refused an existing id).
  std::optional<CourseInfo> course_info(lmdb::Txn& txn, std::string_view id) const;
  std::optional<std::string> course_json(lmdb::Txn& txn, std::string_view id) const;
  void put_course(lmdb::Txn& txn, const CourseInfo& info, std::string_view course_json);
  void delete_course(lmdb::Txn& txn, std::string_view id);
  void scan_courses(lmdb::Txn& txn, const std::function<bool(const CourseInfo&)>& fn) const;

  // Campaigns (put_campaign also indexes it under its course).
  std::optional<CampaignRecord> campaign(lmdb::Txn& txn, std::string_view id) const;
  void put_campaign(lmdb::Txn& txn, const CampaignRecord& c);
  void scan_campaigns(lmdb::Txn& txn, const std::function<bool(const CampaignRecord&)>& fn) const;
  std::vector<std::string> campaigns_of_course(lmdb::Txn& txn, std::string_view course) const;

  // Delayed and recurring messages.
  std::optional<ScheduleRecord> schedule(lmdb::Txn& txn, std::string_view id) const;
  void put_schedule(lmdb::Txn& txn, const ScheduleRecord& s);
  void scan_schedules(lmdb::Txn& txn, const std::function<bool(const ScheduleRecord&)>& fn) const;

  // The due index (scheduler clock).
  void put_due(lmdb::Txn& txn, const DueItem& item);
  void del_due(lmdb::Txn& txn, const DueItem& item);
  std::optional<DueItem> next_due(lmdb::Txn& txn) const;
  std::vector<DueItem> due_until(lmdb::Txn& txn, TimePoint now) const;  // at <= now, earliest first

  // Chat conversations. put_chat keeps chat_undeliv and chat_by_last in step with the record.
  std::optional<ChatRecord> chat(lmdb::Txn& txn, std::string_view target) const;
  void put_chat(lmdb::Txn& txn, const ChatRecord& c);
  // Conversations whose target starts with `prefix` (caller filters levels), by target.
  void scan_chats(lmdb::Txn& txn, std::string_view prefix, const std::function<bool(const ChatRecord&)>& fn) const;
  // Targets of the conversations with ChatRecord::undelivered().
  std::vector<std::string> undelivered_chats(lmdb::Txn& txn) const;
  // The time of the oldest conversation's last line (nullopt: no conversation).
  std::optional<TimePoint> oldest_chat(lmdb::Txn& txn) const;
  // Deletes every conversation whose last line is before `cutoff`, with its lines, post
  // ids and acknowledgements; returns their targets.
  std::vector<std::string> expire_chats(lmdb::Txn& txn, TimePoint cutoff);

  // Chat lines, by conversation and seq.
  std::optional<results::ChatLine> chat_line(lmdb::Txn& txn, std::string_view target, std::uint64_t seq) const;
  void put_chat_line(lmdb::Txn& txn, std::string_view target, const results::ChatLine& line);
  // Lines of `target` with seq >= from, by seq, until fn returns false.
  void scan_chat_lines(lmdb::Txn& txn, std::string_view target, std::uint64_t from,
                       const std::function<bool(const results::ChatLine&)>& fn) const;

  // Can the ledger hold a line of `target` written by `writer` (an account or an agent
  // path) with `post`, and `writer`'s acknowledgements in that conversation? LMDB keys
  // are at most 511 bytes, and an org path 8 levels of 64 characters deep is longer:
  // checked before the first write, so such a line is refused whole.
  bool chat_keys_fit(std::string_view target, std::string_view writer, std::string_view post) const;

  // Post ids (writer: the helpdesk account or the agent path).
  std::optional<ChatPostRef> chat_post(lmdb::Txn& txn, std::string_view writer, std::string_view post) const;
  void put_chat_post(lmdb::Txn& txn, std::string_view writer, std::string_view post, const ChatPostRef& ref);

  // The highest seq `agent` acknowledged in conversation `target` (0: none).
  std::uint64_t chat_acked(lmdb::Txn& txn, std::string_view target, std::string_view agent) const;
  void put_chat_acked(lmdb::Txn& txn, std::string_view target, std::string_view agent, std::uint64_t seq);

  // Is `login` a person heraldd knows: named by a presence ever (logins_seen), the login
  // of a directory computer, or the user of a computer's latest presence (ledgers from
  // before logins_seen)? The last two scan their tables: for a new conversation only.
  bool login_known(lmdb::Txn& txn, std::string_view login) const;
  // Is `path` a computer heraldd knows: in the directory as a computer, or with a presence?
  bool computer_known(lmdb::Txn& txn, std::string_view path) const;

 private:
  lmdb::Env env_;
  std::size_t max_early_receipts_;
  lmdb::Db messages_, payloads_, by_sent_, open_, receipts_, person_msgs_, routes_, tombstones_, presence_,
      online_users_, directory_, meta_, quarantine_, early_, early_by_age_, courses_, course_info_, campaigns_,
      course_campaigns_, schedules_, due_, chats_, chat_lines_, chat_posts_, chat_acks_, chat_undelivered_,
      chat_by_last_, logins_seen_;
};

// Encodings, exposed for tests.
std::string encode_message(const MessageRecord& m);
MessageRecord decode_message(std::string_view id, std::string_view bytes);
std::string encode_receipt(const Receipt& r);
Receipt decode_receipt(std::string_view bytes);
ReceiptView view_receipt(std::string_view bytes);  // strings point into `bytes`
// at(8) delivered(8) read(8) from_len(2) from post_len(2) post text; seq comes from the key.
std::string encode_chat_line(const results::ChatLine& line);
results::ChatLine decode_chat_line(std::uint64_t seq, std::string_view bytes);

}  // namespace herald::scheduler
