#pragma once
// Answers to herald/req/{account}/{request-id}/{op}/{scope}: status, pending, list and
// import. The broker's ACL has already decided that the account may ask `op` about
// `scope`; these functions only ever report recipients under `scope`. The results are
// written by herald::results (common/include/herald/common/results.hpp) and documented
// once, in topics.md "Query results": `herald status|pending|list --json` prints them
// unchanged.
//
// Recipients of a message, seen from a scope:
// - for a path target T that overlaps the scope (T under scope or scope under T), the
//   computers under the deeper of the two: those in the directory (kind computer),
//   those that ever sent a presence, and those that sent a receipt;
// - for a person target, "user:LOGIN", visible only with scope "org".
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "herald/common/payloads.hpp"
#include "herald/common/topics.hpp"
#include "herald/scheduler/ledger.hpp"

namespace herald::scheduler::queries {

inline constexpr std::size_t kDefaultListLimit = 100;
inline constexpr std::size_t kMaxListLimit = 10000;

// Does any target of m overlap scope (person targets: only scope "org")?
bool visible_in_scope(const MessageRecord& m, std::string_view scope);

// Each query returns the JSON text of the Reply's `result`, written with results'
// streaming writers rather than through nlohmann::json: a status of 10,000 recipients
// is the hot case and building it as a DOM cost several times the ledger scans.
//
// results::Status. Throws Error(not_found) "unknown message id 'X'" if unknown or not visible in scope.
std::string status(const Ledger& ledger, lmdb::Txn& txn, std::string_view id, std::string_view scope, TimePoint now);

// results::Pending. Throws Error(usage) if the answer would list more than kMaxPendingEntries entries.
inline constexpr std::size_t kMaxPendingEntries = 200000;
std::string pending(const Ledger& ledger, lmdb::Txn& txn, std::string_view scope, TimePoint now);

// results::List, newest first.
std::string list(const Ledger& ledger, lmdb::Txn& txn, std::string_view scope, std::size_t limit, TimePoint now);

// Replaces the whole directory inside `txn` (a write txn): results::Import.
// Throws Error(usage) for a scope other than "org" or a bad CSV (nothing is changed).
std::string import_directory(Ledger& ledger, lmdb::Txn& txn, std::string_view scope, const std::string& csv);

// ---- courses, campaigns, schedules, progress (issue 10) -----------------------------
// Courses are global (any scope sees them); campaigns and schedules are visible when a
// target overlaps the scope as a message's are (person targets only with scope "org").

results::Campaign campaign_summary(const CampaignRecord& c);
results::CampaignDetail campaign_detail(const CampaignRecord& c);
results::ScheduledMessage scheduled_message(const ScheduleRecord& s);

// results::CourseList (id empty) or results::CourseDetail; Error(not_found) for an unknown id.
std::string courses(const Ledger& ledger, lmdb::Txn& txn, std::string_view id);
// results::CampaignList of the campaigns visible in scope (id empty) or one
// results::CampaignDetail; Error(not_found) for an unknown or invisible id.
std::string campaigns(const Ledger& ledger, lmdb::Txn& txn, std::string_view id, std::string_view scope);
// results::ScheduleList of the schedules visible in scope (just `id` if not empty).
std::string schedules(const Ledger& ledger, lmdb::Txn& txn, std::string_view id, std::string_view scope);
// results::Progress of course `course`, per person, restricted to recipients under scope
// (scheduler/README.md, "Progress").
std::string progress(const Ledger& ledger, lmdb::Txn& txn, std::string_view course, std::string_view scope);

// ---- chat (issue 11) ------------------------------------------------------------------
inline constexpr std::size_t kMaxChatHistoryLines = 10000;
// ... and at most this many bytes of lines (payloads::chat_line_bound): the newest lines
// that fit, so a reply stays within the broker's 16 MiB packet limit.
inline constexpr std::size_t kMaxChatHistoryBytes = 12 * 1024 * 1024;

// Request op `chats`. With `id` empty, results::ChatList of the conversations under
// scope (an org path: the computers' conversations under it; "user": every person's;
// "user/LOGIN": that person's), the most recently active first, unread as the helpdesk
// sees it. With `id` a target under scope, its results::ChatHistory: the last `limit`
// lines (0: all), at most kMaxChatHistoryLines. Error(not_found) "no conversation with
// 'X'" for a target not under scope or without a conversation.
std::string chats(const Ledger& ledger, lmdb::Txn& txn, std::string_view id, std::string_view scope, std::size_t limit);

// Runs one request and returns the encoded Reply payload (payloads::Reply's JSON);
// every herald::Error but storage becomes ok=false with its kind and one-line message.
// `ok` tells which it was.
std::string answer(Ledger& ledger, lmdb::Txn& txn, const topics::RequestTopic& topic, const payloads::Request& request,
                   TimePoint now, bool* ok = nullptr, std::string* error = nullptr);

}  // namespace herald::scheduler::queries
