#include "herald/common/plans.hpp"

#include <cstdint>
#include <string>

#include "herald/common/error.hpp"
#include "herald/common/orgpath.hpp"
#include "herald/common/time.hpp"

namespace herald::plans {
namespace {

using nlohmann::json;

// The wire's field names, once.
constexpr const char* kV = "v";
constexpr const char* kOp = "op";
constexpr const char* kCourse = "course";
constexpr const char* kId = "id";
constexpr const char* kCourseId = "course_id";
constexpr const char* kTargets = "targets";
constexpr const char* kRule = "rule";
constexpr const char* kAt = "at";
constexpr const char* kTz = "tz";
constexpr const char* kStart = "start";
constexpr const char* kSkipDates = "skip_dates";
constexpr const char* kLifetime = "lifetime_s";
constexpr const char* kTitle = "title";
constexpr const char* kBody = "body";
constexpr const char* kSeverity = "severity";
constexpr const char* kLinks = "links";
constexpr const char* kRequireConfirm = "require_confirm";

constexpr CampaignOp kCampaignOps[] = {CampaignOp::course_create, CampaignOp::course_delete, CampaignOp::start,
                                       CampaignOp::pause,         CampaignOp::resume,        CampaignOp::cancel,
                                       CampaignOp::remind};
constexpr ScheduleOp kScheduleOps[] = {ScheduleOp::create, ScheduleOp::cancel, ScheduleOp::remind};

[[noreturn]] void bad(const char* key, const std::string& what) {
  throw Error(ErrorKind::protocol, std::string("field '") + key + "' " + what);
}

// The op named `name` in `ops`; a name of no op is a protocol error naming the request.
template <typename Op, std::size_t N>
Op op_named(const Op (&ops)[N], const std::string& name, const std::string& request) {
  for (auto candidate : ops)
    if (op_name(candidate) == name) return candidate;
  bad(kOp, "names no " + request + " operation: '" + name.substr(0, 40) + "'");
}

void check_version(const json& j, const char* what) {
  if (!j.is_object()) throw Error(ErrorKind::protocol, std::string(what) + " is not a JSON object");
  auto it = j.find(kV);
  if (it == j.end()) bad(kV, "is missing");
  // Compared as the JSON number itself: get<int>() would wrap 4294967297 to 1.
  if (!it->is_number_integer() || *it != json(payloads::kSchemaVersion))
    throw Error(ErrorKind::protocol, "unsupported payload version " + it->dump().substr(0, 40) +
                                         " (this build speaks v" + std::to_string(payloads::kSchemaVersion) + ")");
}

const json& required(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) bad(key, "is missing");
  return *it;
}

std::string string_at(const json& j, const char* key) {
  const auto& v = required(j, key);
  if (!v.is_string()) bad(key, "must be a string");
  return v.get<std::string>();
}

// Absent or null: "".
std::string optional_string(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_string()) bad(key, "must be a string");
  return it->get<std::string>();
}

std::string token_at(const json& j, const char* key) {
  auto value = string_at(j, key);
  if (!is_valid_token(value)) bad(key, "is not 1-64 of A-Z a-z 0-9 . _ -: '" + value.substr(0, 80) + "'");
  return value;
}

std::vector<std::string> strings(const json& v, const char* key) {
  if (!v.is_array()) bad(key, "must be an array");
  std::vector<std::string> out;
  for (const auto& item : v) {
    if (!item.is_string()) bad(key, "must hold strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

// Absent or null: empty.
std::vector<std::string> optional_strings(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  return strings(*it, key);
}

// At least one, each a target as Target::parse reads it (org/..., user:LOGIN), kept in
// its canonical form.
std::vector<std::string> targets_at(const json& j) {
  auto texts = strings(required(j, kTargets), kTargets);
  if (texts.empty()) bad(kTargets, "is empty: a request needs at least one target");
  for (auto& text : texts) {
    try {
      text = Target::parse(text).to_string();
    } catch (const Error& e) {
      bad(kTargets, std::string("holds an invalid target: ") + e.what());
    }
  }
  return texts;
}

// How long each message stays in inboxes after it is sent: 1 s to kMaxExpiry (366 days).
std::chrono::seconds lifetime_of(const json& v) {
  if (!v.is_number_integer()) bad(kLifetime, "must be an integer (seconds)");
  const auto max = std::chrono::duration_cast<std::chrono::seconds>(kMaxExpiry).count();
  // Each sign read as itself: get<int64_t>() of a huge unsigned would wrap into range.
  bool in_range = v.is_number_unsigned()
                      ? v.get<std::uint64_t>() >= 1 && v.get<std::uint64_t>() <= static_cast<std::uint64_t>(max)
                      : v.get<std::int64_t>() >= 1 && v.get<std::int64_t>() <= max;
  if (!in_range)
    bad(kLifetime, "must be 1 s to 366 days (" + std::to_string(max) + " s), not " + v.dump().substr(0, 40));
  return std::chrono::seconds(v.get<std::int64_t>());
}

// The schedule fields; libical's checks (schedule::validate) are the receiver's, since
// they need the receiver's own clock for "in the past".
schedule::Recurrence when_at(const json& j) {
  schedule::Recurrence r;
  r.rule = optional_string(j, kRule);
  r.at = string_at(j, kAt);
  r.tz = string_at(j, kTz);
  r.start = string_at(j, kStart);
  r.skip_dates = optional_strings(j, kSkipDates);
  return r;
}

void put_when(json& j, const schedule::Recurrence& r) {
  j[kRule] = r.rule;
  j[kAt] = r.at;
  j[kTz] = r.tz;
  j[kStart] = r.start;
  j[kSkipDates] = r.skip_dates;
}

}  // namespace

std::string_view op_name(CampaignOp op) {
  switch (op) {
    case CampaignOp::course_create:
      return "course-create";
    case CampaignOp::course_delete:
      return "course-delete";
    case CampaignOp::start:
      return "start";
    case CampaignOp::pause:
      return "pause";
    case CampaignOp::resume:
      return "resume";
    case CampaignOp::cancel:
      return "cancel";
    case CampaignOp::remind:
      return "remind";
  }
  return "start";
}

std::string_view op_name(ScheduleOp op) {
  switch (op) {
    case ScheduleOp::create:
      return "create";
    case ScheduleOp::cancel:
      return "cancel";
    case ScheduleOp::remind:
      return "remind";
  }
  return "create";
}

void to_json(json& j, const CampaignRequest& r) {
  j = json{{kV, payloads::kSchemaVersion}, {kOp, op_name(r.op)}};
  switch (r.op) {
    case CampaignOp::course_create:
      if (!r.course) throw Error(ErrorKind::usage, "course-create without a course");
      j[kCourse] = *r.course;
      break;
    case CampaignOp::start:
      j[kId] = r.id;
      j[kCourseId] = r.course_id;
      j[kTargets] = r.targets;
      put_when(j, r.when);
      j[kLifetime] = r.lifetime.count();
      break;
    case CampaignOp::course_delete:
    case CampaignOp::pause:
    case CampaignOp::resume:
    case CampaignOp::cancel:
    case CampaignOp::remind:
      j[kId] = r.id;
      break;
  }
}

void from_json(const json& j, CampaignRequest& r) {
  check_version(j, "campaign request");
  r = CampaignRequest{};
  r.op = op_named(kCampaignOps, string_at(j, kOp), "campaign");
  switch (r.op) {
    case CampaignOp::course_create: {
      // course::from_json checks types and every limit (course::validate); its usage
      // errors are the sender's protocol errors here.
      course::Course c;
      try {
        c = required(j, kCourse).get<course::Course>();
      } catch (const Error& e) {
        if (e.kind() == ErrorKind::protocol) throw;
        throw Error(ErrorKind::protocol, std::string("field 'course': ") + e.what());
      } catch (const json::exception& e) {
        throw Error(ErrorKind::protocol, std::string("field 'course': ") + e.what());
      }
      r.course = std::move(c);
      break;
    }
    case CampaignOp::start:
      r.id = token_at(j, kId);
      r.course_id = token_at(j, kCourseId);
      r.targets = targets_at(j);
      r.when = when_at(j);
      if (auto it = j.find(kLifetime); it != j.end() && !it->is_null()) r.lifetime = lifetime_of(*it);
      break;
    case CampaignOp::course_delete:
    case CampaignOp::pause:
    case CampaignOp::resume:
    case CampaignOp::cancel:
    case CampaignOp::remind:
      r.id = token_at(j, kId);
      break;
  }
}

void to_json(json& j, const ScheduleRequest& r) {
  j = json{{kV, payloads::kSchemaVersion}, {kOp, op_name(r.op)}, {kId, r.id}};
  if (r.op != ScheduleOp::create) return;
  j[kTitle] = r.title;
  j[kBody] = r.body;
  j[kSeverity] = r.severity;
  j[kLinks] = r.links;
  if (r.require_confirm) j[kRequireConfirm] = true;
  j[kLifetime] = r.lifetime.count();
  j[kTargets] = r.targets;
  put_when(j, r.when);
}

void from_json(const json& j, ScheduleRequest& r) {
  check_version(j, "schedule request");
  r = ScheduleRequest{};
  r.op = op_named(kScheduleOps, string_at(j, kOp), "schedule");
  r.id = token_at(j, kId);
  if (r.op != ScheduleOp::create) return;
  r.title = optional_string(j, kTitle);
  r.body = string_at(j, kBody);
  r.severity = optional_string(j, kSeverity);
  if (r.severity.empty()) r.severity = "info";
  r.links = optional_strings(j, kLinks);
  if (auto it = j.find(kRequireConfirm); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) throw Error(ErrorKind::protocol, "field 'require_confirm' must be a boolean");
    r.require_confirm = it->get<bool>();
  }
  r.lifetime = lifetime_of(required(j, kLifetime));
  r.targets = targets_at(j);
  r.when = when_at(j);
  // Each occurrence becomes a Delivery: refuse now what every occurrence would break.
  payloads::Delivery d;
  d.title = r.title;
  d.body = r.body;
  d.severity = r.severity;
  d.links = r.links;
  d.sent_at = TimePoint{};
  d.expires_at = d.sent_at + r.lifetime;
  try {
    payloads::validate(d);
  } catch (const Error& e) {
    throw Error(ErrorKind::protocol, e.what());
  }
}

}  // namespace herald::plans
