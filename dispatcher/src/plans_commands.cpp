#include "herald/dispatcher/plans_commands.hpp"

#include <date/date.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "herald/common/broker_errors.hpp"
#include "herald/common/clock.hpp"
#include "herald/common/config.hpp"
#include "herald/common/course.hpp"
#include "herald/common/error.hpp"
#include "herald/common/i18n.hpp"
#include "herald/common/ids.hpp"
#include "herald/common/plans.hpp"
#include "herald/common/results.hpp"
#include "herald/common/text.hpp"
#include "herald/common/topics.hpp"
#include "herald/dispatcher/format.hpp"
#include "herald/dispatcher/session.hpp"
#include "herald/dispatcher/settings.hpp"

namespace herald::dispatcher {
namespace {

using nlohmann::json;

// How many upcoming times `campaign start` and `send --repeat` print.
constexpr std::size_t kShownTimes = 3;

std::string trim(std::string text) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && blank(text.back())) text.pop_back();
  std::size_t first = 0;
  while (first < text.size() && blank(text[first])) ++first;
  return text.substr(first);
}

bool is_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_hhmm(std::string_view text) {
  return text.size() == 5 && is_digits(text.substr(0, 2)) && text[2] == ':' && is_digits(text.substr(3, 2));
}

bool is_date(std::string_view text) {
  return text.size() == 10 && is_digits(text.substr(0, 4)) && text[4] == '-' && is_digits(text.substr(5, 2)) &&
         text[7] == '-' && is_digits(text.substr(8, 2));
}

// "2026-12-24,2026-12-25": dates given directly rather than a file.
bool is_date_list(std::string_view text) {
  while (true) {
    auto comma = text.find(',');
    if (!is_date(trim(std::string(text.substr(0, comma))))) return false;
    if (comma == std::string_view::npos) return true;
    text.remove_prefix(comma + 1);
  }
}

std::string read_file_or_throw(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::not_found, trf("cannot read {1} {2}", {what, path}));
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void require_id(std::string_view id, std::string_view what) {
  if (!is_valid_token(id))
    throw Error(ErrorKind::usage, trf("invalid {1} '{2}': an id is 1-64 letters, digits, '.', '_' or '-'", {what, id}));
}

std::vector<Target> parse_targets(const std::vector<std::string>& texts) {
  std::vector<Target> targets;
  for (const auto& text : texts) {
    auto target = Target::parse(text);
    if (std::find(targets.begin(), targets.end(), target) == targets.end()) targets.push_back(target);
  }
  return targets;
}

std::vector<std::string> target_names(const std::vector<Target>& targets) {
  std::vector<std::string> names;
  for (const auto& t : targets) names.push_back(t.to_string());
  return names;
}

std::vector<Target> targets_from_result(const std::vector<std::string>& names, const std::string& of) {
  if (names.empty()) throw Error(ErrorKind::protocol, trf("heraldd's answer about {1} names no targets", {of}));
  std::vector<Target> targets;
  for (const auto& n : names) targets.push_back(target_from_result(n));
  return targets;
}

std::string scope_or(const std::string& under, const Settings& settings) {
  return under.empty() ? settings.scope : under;
}

// Publishes one plan request (QoS 1, not retained: heraldd acts on it once) and returns
// heraldd's result. `refused` is the not-permitted text for a broker refusal.
json submit(Session& session, const Settings& settings, const std::string& topic, const std::string& request_id,
            const std::string& payload, const std::string& refused) {
  auto outcomes = session.publish_all({Publication{topic, payload, false}}, settings.request_timeout);
  if (const auto& outcome = outcomes.front(); !outcome.accepted) {
    using mqtt_edge::Operation;
    if (mqtt_edge::error_kind(outcome.reason_code, 5, Operation::publish) == ErrorKind::not_permitted)
      throw Error(ErrorKind::not_permitted, refused);
    throw mqtt_edge::broker_error(outcome.reason_code, 5, Operation::publish, trf("publishing on {1}", {topic}));
  }
  auto reply = session.await_reply(request_id, settings.request_timeout);
  if (!reply) {
    auto text = no_answer_text(settings.request_timeout);
    // MQTT 3.1.1 drops a refused publish silently, so a refusal looks the same.
    if (!session.reports_refusals())
      text += "; " + trf("with MQTT 3.1.1 a refusal by the broker looks the same ({1}?)", {refused});
    throw Error(ErrorKind::unreachable, text);
  }
  if (!reply->ok) throw Error(error_kind_from_reply(reply->error_kind), reply->error);
  return std::move(reply->result);
}

std::string campaign_refused_text(std::string_view account, plans::CampaignOp op, std::string_view scope) {
  // Whole sentences, so a translation can order them as its language needs.
  const char* text = "";
  switch (op) {
    case plans::CampaignOp::course_create:
      text = tr("{1} may not create courses under {2}");
      break;
    case plans::CampaignOp::course_delete:
      text = tr("{1} may not delete courses under {2}");
      break;
    case plans::CampaignOp::start:
      text = tr("{1} may not start campaigns under {2}");
      break;
    case plans::CampaignOp::pause:
      text = tr("{1} may not pause campaigns under {2}");
      break;
    case plans::CampaignOp::resume:
      text = tr("{1} may not resume campaigns under {2}");
      break;
    case plans::CampaignOp::cancel:
      text = tr("{1} may not cancel campaigns under {2}");
      break;
    case plans::CampaignOp::remind:
      text = tr("{1} may not send course reminders under {2}");
      break;
  }
  return trf(text, {account, scope});
}

std::string schedule_refused_text(std::string_view account, plans::ScheduleOp op, topics::Kind kind,
                                  std::string_view scope) {
  bool alert = kind == topics::Kind::alert;
  const char* text =
      op == plans::ScheduleOp::create
          ? (alert ? tr("{1} may not schedule alerts under {2}") : tr("{1} may not schedule messages under {2}"))
      : op == plans::ScheduleOp::cancel ? (alert ? tr("{1} may not cancel scheduled alerts under {2}")
                                                 : tr("{1} may not cancel scheduled messages under {2}"))
                                        : (alert ? tr("{1} may not send reminders of alerts under {2}")
                                                 : tr("{1} may not send reminders of messages under {2}"));
  return trf(text, {account, scope});
}

struct Connected {
  Settings settings;
  Session session;
  explicit Connected(const GlobalOptions& global) : Connected(Settings::load(global.config_path)) {}
  explicit Connected(Settings s) : settings(std::move(s)), session(settings.broker) { session.subscribe_replies(); }

  json ask(std::string_view op, std::string_view scope, const payloads::Request& request) {
    return session.ask(op, scope, request, settings.request_timeout);
  }
  json campaign(const plans::CampaignRequest& request, const std::string& scope) {
    auto rid = new_id();
    return submit(session, settings, topics::campaign(session.account(), rid, scope), rid, payloads::encode(request),
                  campaign_refused_text(session.account(), request.op, scope));
  }
  json schedule(const plans::ScheduleRequest& request, topics::Kind kind, const std::string& scope) {
    auto rid = new_id();
    return submit(session, settings, topics::schedule(session.account(), rid, kind, scope), rid,
                  payloads::encode(request), schedule_refused_text(session.account(), request.op, kind, scope));
  }
};

// COURSE on a command line: an existing file or folder is a course to read; anything
// else must be a course id known to heraldd.
struct CourseRef {
  std::optional<course::Course> loaded;
  std::string id;
};

CourseRef course_ref(const std::string& text) {
  std::error_code ec;
  CourseRef ref;
  if (std::filesystem::exists(text, ec)) {
    ref.loaded = course::load(text);
    ref.id = ref.loaded->id;
    return ref;
  }
  if (!is_valid_token(text))
    throw Error(ErrorKind::not_found, trf("no course file or folder {1} (and it is not a course id)", {text}));
  ref.id = text;
  return ref;
}

std::chrono::seconds lifetime_from(const std::string& expires, std::chrono::seconds fallback) {
  if (expires.empty()) return fallback;
  auto lifetime = parse_duration(expires);
  if (lifetime > kMaxExpiry) throw Error(ErrorKind::usage, trf("--expires {1} is over the limit of 366d", {expires}));
  return lifetime;
}

std::string tz_or_default(const std::string& tz, const LocalDefaults& defaults) {
  return tz.empty() ? defaults.timezone : tz;
}

std::vector<PlannedDelivery> planned_from(const std::vector<TimePoint>& times, const std::vector<std::string>& titles) {
  std::vector<PlannedDelivery> planned;
  for (std::size_t i = 0; i < times.size(); ++i)
    planned.push_back({i + 1, i < titles.size() ? titles[i] : std::string(), times[i]});
  return planned;
}

json times_json(const std::vector<TimePoint>& times) {
  json j = json::array();
  for (auto t : times) j.push_back(to_rfc3339(t));
  return j;
}

// A campaign's or schedule's targets, and the scope covering them, from heraldd.
results::CampaignDetail campaign_detail(Connected& c, const std::string& id) {
  payloads::Request request;
  request.id = id;
  return results::read<results::CampaignDetail>(c.ask(topics::kOpCampaigns, c.settings.scope, request));
}

// An RFC 3339 instant with "Z" or a "+HH:MM"/"-HH:MM" offset.
TimePoint parse_instant(const std::string& text) {
  auto bad = [&] {
    return Error(ErrorKind::usage, trf("invalid --at '{1}': expected HH:MM, \"YYYY-MM-DD HH:MM\" or an RFC 3339 time "
                                       "such as 2026-12-01T09:00:00+01:00",
                                       {text}));
  };
  try {
    if (!text.empty() && text.back() == 'Z') return from_rfc3339(text);
    if (text.size() < 25) throw bad();
    auto offset = text.substr(text.size() - 6);
    if ((offset[0] != '+' && offset[0] != '-') || !is_hhmm(offset.substr(1))) throw bad();
    auto utc = from_rfc3339(text.substr(0, text.size() - 6) + "Z");
    std::chrono::minutes shift{std::stoi(offset.substr(1, 2)) * 60 + std::stoi(offset.substr(4, 2))};
    return offset[0] == '+' ? utc - shift : utc + shift;
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::usage) throw;
    throw bad();
  }
}

}  // namespace

// ---- helpers ---------------------------------------------------------------------

std::string system_timezone(const std::filesystem::path& etc) {
  std::error_code ec;
  {
    std::ifstream in(etc / "timezone");
    std::string line;
    if (in && std::getline(in, line)) {
      line = trim(line);
      if (!line.empty() && line.find(' ') == std::string::npos) return line;
    }
  }
  auto link = std::filesystem::read_symlink(etc / "localtime", ec);
  if (ec) return {};
  auto text = link.string();
  auto at = text.find("zoneinfo/");
  if (at == std::string::npos) return {};
  return text.substr(at + 9);
}

LocalDefaults local_defaults(const std::string& config_flag) {
  LocalDefaults d;
  d.now = now();
  if (auto path = resolve_config_path(config_flag); !path.empty()) {
    auto config = Config::load(path);
    if (auto tz = config.get("timezone"); tz && !tz->empty()) d.timezone = *tz;
    if (auto clock = config.get("clock"); clock && !clock->empty()) d.now = clock_from_config(*clock)->now();
  }
  if (d.timezone.empty()) d.timezone = system_timezone();
  if (d.timezone.empty()) d.timezone = "UTC";
  return d;
}

std::vector<std::string> read_skip_dates(const std::string& value) {
  if (is_date_list(value)) {
    std::string lines;
    std::string_view rest = value;
    while (true) {
      auto comma = rest.find(',');
      lines += trim(std::string(rest.substr(0, comma))) + "\n";
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    return schedule::parse_skip_dates(lines);
  }
  auto text = read_file_or_throw(value, tr("skip dates file"));
  try {
    return schedule::parse_skip_dates(text);
  } catch (const Error& e) {
    throw Error(e.kind(), value + ": " + e.what());
  }
}

std::string next_day(std::string_view text) {
  int y = 0;
  unsigned m = 0, d = 0;
  if (!is_date(text) || std::sscanf(std::string(text).c_str(), "%d-%u-%u", &y, &m, &d) != 3)
    throw Error(ErrorKind::usage, trf("invalid date '{1}': expected YYYY-MM-DD", {text}));
  date::year_month_day ymd{date::year{y}, date::month{m}, date::day{d}};
  if (!ymd.ok()) throw Error(ErrorKind::usage, trf("invalid date '{1}': expected YYYY-MM-DD", {text}));
  return date::format("%F", date::sys_days{ymd} + date::days{1});
}

schedule::Recurrence resolve_recurrence(const WhenOptions& o, std::string_view tz, TimePoint now) {
  schedule::Recurrence r;
  r.rule = o.rule;
  r.at = o.at.empty() ? "09:00" : o.at;
  r.tz = std::string(tz);
  if (!o.skip_dates.empty()) r.skip_dates = read_skip_dates(o.skip_dates);
  if (!o.start.empty()) {
    r.start = o.start;
    schedule::validate(r);
    auto first = schedule::occurrences(r, 1);
    if (first.empty()) throw Error(ErrorKind::usage, trf("the schedule has no occurrence from {1}", {r.start}));
    if (first.front() < now)
      throw Error(ErrorKind::usage,
                  trf("the first delivery, {1} {2}, is in the past", {schedule::local_time(first.front(), tz), r.tz}));
    return r;
  }
  // Today in the zone, unless today's time has passed: a course started at 10:00
  // with --at 09:00 begins tomorrow rather than with a lesson late or missed.
  r.start = schedule::today(now, tz);
  schedule::validate(r);
  if (auto first = schedule::occurrences(r, 1); !first.empty() && first.front() < now) {
    r.start = next_day(r.start);
    schedule::validate(r);
  }
  return r;
}

schedule::Recurrence resolve_delayed(const WhenOptions& o, std::string_view tz, TimePoint now) {
  const auto& t = o.at;
  WhenOptions once = o;
  once.rule.clear();
  if (is_hhmm(t)) return resolve_recurrence(once, tz, now);
  if (t.size() == 16 && is_date(std::string_view(t).substr(0, 10)) && (t[10] == ' ' || t[10] == 'T') &&
      is_hhmm(std::string_view(t).substr(11))) {
    if (!o.start.empty()) throw Error(ErrorKind::usage, trf("--at {1} names a day already: drop --start", {t}));
    once.start = t.substr(0, 10);
    once.at = t.substr(11);
    return resolve_recurrence(once, tz, now);
  }
  auto instant = parse_instant(t);
  if (!o.start.empty()) throw Error(ErrorKind::usage, trf("--at {1} names a day already: drop --start", {t}));
  // Minutes are the schedule's resolution: never earlier than asked.
  auto minute = std::chrono::floor<std::chrono::minutes>(instant);
  if (minute != instant) instant = minute + std::chrono::minutes(1);
  if (instant < now) throw Error(ErrorKind::usage, trf("--at {1} is in the past", {t}));
  schedule::Recurrence r;
  r.tz = "UTC";  // an instant is exact in UTC; a local time could be ambiguous at a DST change
  r.start = schedule::local_date(instant, r.tz);
  r.at = schedule::local_time(instant, r.tz).substr(11, 5);
  schedule::validate(r);
  return r;
}

std::string plan_scope(const std::vector<Target>& targets) {
  if (targets.empty())
    throw Error(ErrorKind::usage, tr("no target: pass --to TARGET (an org path such as org/branch01, or user:LOGIN)"));
  bool people = std::any_of(targets.begin(), targets.end(), [](const Target& t) { return t.is_person(); });
  bool computers = std::any_of(targets.begin(), targets.end(), [](const Target& t) { return !t.is_person(); });
  if (people && computers)
    throw Error(ErrorKind::usage,
                tr("cannot plan for computers (org/...) and people (user:...) at once: make one for each, as "
                   "they need different rights"));
  return topics::scope_covering(targets);
}

Target target_from_result(std::string text) {
  if (text.rfind("user/", 0) == 0) text = "user:" + text.substr(5);
  try {
    return Target::parse(text);
  } catch (const Error& e) {
    throw Error(ErrorKind::protocol, trf("heraldd's answer lists an invalid target: {1}", {e.what()}));
  }
}

bool looks_like_message_id(std::string_view text) {
  // new_id(): YYYYMMDDTHHMMSSZ-<hex>
  if (text.size() < 18 || !is_valid_token(text)) return false;
  if (!is_digits(text.substr(0, 8)) || text[8] != 'T' || !is_digits(text.substr(9, 6)) || text[15] != 'Z' ||
      text[16] != '-')
    return false;
  auto hex = text.substr(17);
  return std::all_of(hex.begin(), hex.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// ---- courses ---------------------------------------------------------------------

int run_course_create(const CourseOptions& o, const GlobalOptions& global, std::ostream& out) {
  auto course = course::load(o.path_or_id);
  plans::CampaignRequest request;
  request.op = plans::CampaignOp::course_create;
  request.course = course;
  auto payload = payloads::encode(request);
  if (payload.size() > payloads::kMaxRequestBytes)
    throw Error(ErrorKind::usage,
                trf("course {1} is {2} bytes as JSON, over the limit of {3}",
                    {course.id, std::to_string(payload.size()), std::to_string(payloads::kMaxRequestBytes)}));
  Connected c(global);
  auto rid = new_id();
  auto scope = c.settings.scope;
  auto recorded = results::read<results::Recorded>(
      submit(c.session, c.settings, topics::campaign(c.session.account(), rid, scope), rid, payload,
             campaign_refused_text(c.session.account(), request.op, scope)));
  if (o.json)
    out << json{{"id", recorded.id}, {"title", course.title}, {"lessons", course.lessons.size()}}.dump() << '\n';
  else
    out << trf("created course {1} ({2})", {recorded.id, trn("{1} lesson", "{1} lessons", course.lessons.size())})
        << '\n';
  return 0;
}

int run_course_list(const CourseOptions& o, const GlobalOptions& global, std::ostream& out) {
  Connected c(global);
  auto result = c.ask(topics::kOpCourses, c.settings.scope, payloads::Request{});
  if (o.json)
    out << result.dump() << '\n';
  else
    print_course_list(results::read<results::CourseList>(result), out);
  return 0;
}

int run_course_show(const CourseOptions& o, const GlobalOptions& global, std::ostream& out) {
  require_id(o.path_or_id, tr("course id"));
  Connected c(global);
  payloads::Request request;
  request.id = o.path_or_id;
  auto result = c.ask(topics::kOpCourses, c.settings.scope, request);
  if (o.json)
    out << result.dump() << '\n';
  else
    print_course_detail(results::read<results::CourseDetail>(result), out);
  return 0;
}

int run_course_delete(const CourseOptions& o, const GlobalOptions& global, std::ostream& out) {
  require_id(o.path_or_id, tr("course id"));
  Connected c(global);
  plans::CampaignRequest request;
  request.op = plans::CampaignOp::course_delete;
  request.id = o.path_or_id;
  auto recorded = results::read<results::Recorded>(c.campaign(request, c.settings.scope));
  if (o.json)
    out << json{{"id", recorded.id}, {"deleted", true}}.dump() << '\n';
  else
    out << trf("deleted course {1}", {recorded.id}) << '\n';
  return 0;
}

// ---- campaigns -------------------------------------------------------------------

int run_campaign_start(const CampaignOptions& o, const GlobalOptions& global, std::ostream& out) {
  auto targets = parse_targets(o.to);
  auto scope = plan_scope(targets);
  if (o.when.rule.empty())
    throw Error(ErrorKind::usage, tr("missing --schedule RULE (e.g. FREQ=WEEKLY;BYDAY=TU,WE,TH,FR;COUNT=8)"));
  if (!is_hhmm(o.when.at)) throw Error(ErrorKind::usage, trf("invalid --at '{1}': expected HH:MM", {o.when.at}));
  auto lifetime = lifetime_from(o.expires, plans::kDefaultLessonLifetime);
  auto ref = course_ref(o.course);
  auto defaults = local_defaults(global.config_path);
  auto tz = tz_or_default(o.when.tz, defaults);
  auto when = resolve_recurrence(o.when, tz, defaults.now);

  std::vector<std::string> titles;
  std::size_t shown = kShownTimes;
  if (ref.loaded) {
    const auto& lessons = ref.loaded->lessons;
    auto all = schedule::occurrences(when, lessons.size());
    if (all.size() < lessons.size())
      throw Error(ErrorKind::usage,
                  trf("the schedule has {1} occurrences for {2} lessons: lessons {3}-{4} would never be sent",
                      {std::to_string(all.size()), std::to_string(lessons.size()), std::to_string(all.size() + 1),
                       std::to_string(lessons.size())}));
    for (const auto& l : lessons) titles.push_back(l.title);
    shown = std::min(shown, lessons.size());
  }
  auto first = schedule::occurrences(when, shown);

  plans::CampaignRequest request;
  request.op = plans::CampaignOp::start;
  request.id = new_id();
  request.course_id = ref.id;
  request.targets = target_names(targets);
  request.when = when;
  request.lifetime = lifetime;
  Connected c(global);
  auto recorded = results::read<results::Recorded>(c.campaign(request, scope));
  if (o.json) {
    out << json{{"id", recorded.id},
                {"course", ref.id},
                {"targets", request.targets},
                {"rule", when.rule},
                {"at", when.at},
                {"tz", when.tz},
                {"start", when.start},
                {"first_deliveries", times_json(first)}}
               .dump()
        << '\n';
  } else {
    out << recorded.id << '\n';
    out << tr("first deliveries:") << '\n';
    print_planned(planned_from(first, titles), when.tz, out);
  }
  return 0;
}

int run_campaign_preview(const CampaignOptions& o, const GlobalOptions& global, std::ostream& out) {
  if (!o.to.empty()) (void)plan_scope(parse_targets(o.to));
  if (o.when.rule.empty())
    throw Error(ErrorKind::usage, tr("missing --schedule RULE (e.g. FREQ=WEEKLY;BYDAY=TU,WE,TH,FR;COUNT=8)"));
  if (!is_hhmm(o.when.at)) throw Error(ErrorKind::usage, trf("invalid --at '{1}': expected HH:MM", {o.when.at}));
  if (!o.expires.empty()) (void)lifetime_from(o.expires, plans::kDefaultLessonLifetime);
  auto ref = course_ref(o.course);
  auto defaults = local_defaults(global.config_path);
  auto tz = tz_or_default(o.when.tz, defaults);
  auto when = resolve_recurrence(o.when, tz, defaults.now);

  std::vector<std::string> titles;
  if (ref.loaded) {
    for (const auto& l : ref.loaded->lessons) titles.push_back(l.title);
  } else {
    Connected c(global);
    payloads::Request request;
    request.id = ref.id;
    auto detail = results::read<results::CourseDetail>(c.ask(topics::kOpCourses, c.settings.scope, request));
    for (const auto& l : detail.lessons) titles.push_back(l.title);
  }
  auto times = schedule::occurrences(when, titles.size());
  auto planned = planned_from(times, titles);
  if (o.json) {
    json deliveries = json::array();
    for (const auto& p : planned)
      deliveries.push_back({{"lesson", p.number},
                            {"title", p.title},
                            {"local", schedule::local_time(p.at, tz)},
                            {"at", to_rfc3339(p.at)}});
    out << json{{"course", ref.id},    {"rule", when.rule},        {"at", when.at},           {"tz", when.tz},
                {"start", when.start}, {"lessons", titles.size()}, {"deliveries", deliveries}}
               .dump()
        << '\n';
    return 0;
  }
  out << trf("course {1}: {2} lessons, {3} at {4} {5} from {6}",
             {text::printable(ref.id), std::to_string(titles.size()), when.rule, when.at, when.tz, when.start})
      << '\n';
  print_planned(planned, when.tz, out);
  if (times.size() < titles.size())
    out << trf("warning: the schedule ends after {1} of {2} lessons; heraldd would refuse this campaign",
               {std::to_string(times.size()), std::to_string(titles.size())})
        << '\n';
  return 0;
}

int run_campaign_list(const CampaignOptions& o, const GlobalOptions& global, std::ostream& out) {
  Connected c(global);
  auto result = c.ask(topics::kOpCampaigns, c.settings.scope, payloads::Request{});
  if (o.json)
    out << result.dump() << '\n';
  else
    print_campaign_list(results::read<results::CampaignList>(result), out);
  return 0;
}

int run_campaign_show(const CampaignOptions& o, const GlobalOptions& global, std::ostream& out) {
  require_id(o.id, tr("campaign id"));
  Connected c(global);
  payloads::Request request;
  request.id = o.id;
  auto result = c.ask(topics::kOpCampaigns, c.settings.scope, request);
  if (o.json)
    out << result.dump() << '\n';
  else
    print_campaign_detail(results::read<results::CampaignDetail>(result), out);
  return 0;
}

int run_campaign_change(std::string_view op, const CampaignOptions& o, const GlobalOptions& global, std::ostream& out) {
  plans::CampaignRequest request;
  if (op == "pause")
    request.op = plans::CampaignOp::pause;
  else if (op == "resume")
    request.op = plans::CampaignOp::resume;
  else if (op == "cancel")
    request.op = plans::CampaignOp::cancel;
  else
    throw Error(ErrorKind::internal, "unknown campaign change '" + std::string(op) + "'");
  require_id(o.id, tr("campaign id"));
  request.id = o.id;
  Connected c(global);
  // The broker judges the change by the scope in its topic: the one covering the
  // campaign's targets, which only heraldd knows.
  auto before = campaign_detail(c, o.id);
  auto scope = plan_scope(targets_from_result(before.campaign.targets, trf("campaign {1}", {o.id})));
  auto result = c.campaign(request, scope);
  if (o.json) {
    out << result.dump() << '\n';
    return 0;
  }
  auto after = results::read<results::CampaignDetail>(result);
  const char* done = op == "pause"    ? tr("paused {1} ({2}, {3} of {4} lessons sent)")
                     : op == "resume" ? tr("resumed {1} ({2}, {3} of {4} lessons sent)")
                                      : tr("cancelled {1} ({2}, {3} of {4} lessons sent)");
  out << trf(done, {text::printable(after.campaign.id), tr_word(results::state_name(after.campaign.state)),
                    std::to_string(after.campaign.sent), std::to_string(after.campaign.total)})
      << '\n';
  return 0;
}

// ---- delayed and recurring messages ----------------------------------------------

int run_send_later(const SendOptions& o, const GlobalOptions& global, std::ostream& out) {
  auto prepared = prepare_send(o, now());
  auto scope = plan_scope(prepared.targets);
  auto lifetime = lifetime_from(o.expires, default_expiry(o.kind));
  WhenOptions w{o.repeat, o.at, o.tz, o.start, o.skip_dates};
  if (o.repeat.empty() && !o.skip_dates.empty())
    throw Error(ErrorKind::usage, tr("--skip-dates needs --repeat (one delayed message has no series to skip in)"));
  if (!o.repeat.empty() && !o.at.empty() && !is_hhmm(o.at))
    throw Error(ErrorKind::usage, trf("invalid --at '{1}': with --repeat it is a time of day, HH:MM", {o.at}));
  auto defaults = local_defaults(global.config_path);
  auto tz = tz_or_default(o.tz, defaults);
  auto when = o.repeat.empty() ? resolve_delayed(w, tz, defaults.now) : resolve_recurrence(w, tz, defaults.now);
  auto next = schedule::occurrences(when, kShownTimes);

  plans::ScheduleRequest request;
  request.op = plans::ScheduleOp::create;
  request.id = new_id();
  request.title = prepared.delivery.title;
  request.body = prepared.delivery.body;
  request.severity = prepared.delivery.severity;
  request.links = prepared.delivery.links;
  request.require_confirm = prepared.delivery.require_confirm;
  request.lifetime = lifetime;
  request.targets = target_names(prepared.targets);
  request.when = when;
  Connected c(global);
  auto recorded = results::read<results::Recorded>(c.schedule(request, o.kind, scope));
  if (o.json) {
    out << json{{"id", recorded.id},
                {"kind", topics::kind_name(o.kind)},
                {"targets", request.targets},
                {"rule", when.rule},
                {"at", when.at},
                {"tz", when.tz},
                {"start", when.start},
                {"next", times_json(next)}}
               .dump()
        << '\n';
  } else {
    out << recorded.id << '\n';
    out << (when.rule.empty() ? tr("to be sent:") : tr("next:")) << '\n';
    print_planned(planned_from(next, {}), when.tz, out);
  }
  return 0;
}

int run_schedule_list(const ScheduleOptions& o, const GlobalOptions& global, std::ostream& out) {
  Connected c(global);
  auto result = c.ask(topics::kOpSchedules, c.settings.scope, payloads::Request{});
  if (o.json)
    out << result.dump() << '\n';
  else
    print_schedule_list(results::read<results::ScheduleList>(result), out);
  return 0;
}

int run_schedule_cancel(const ScheduleOptions& o, const GlobalOptions& global, std::ostream& out) {
  require_id(o.id, tr("schedule id"));
  Connected c(global);
  payloads::Request ask;
  ask.id = o.id;
  auto list = results::read<results::ScheduleList>(c.ask(topics::kOpSchedules, c.settings.scope, ask));
  auto it = std::find_if(list.schedules.begin(), list.schedules.end(),
                         [&](const results::ScheduledMessage& s) { return s.id == o.id; });
  if (it == list.schedules.end()) throw Error(ErrorKind::not_found, trf("unknown schedule {1}", {o.id}));
  topics::Kind kind;
  try {
    kind = topics::kind_from_name(it->kind);
  } catch (const Error&) {
    throw Error(ErrorKind::protocol,
                trf("heraldd names an unknown kind '{1}' for {2}", {text::printable(it->kind, 16), o.id}));
  }
  auto scope = plan_scope(targets_from_result(it->targets, trf("schedule {1}", {o.id})));
  plans::ScheduleRequest request;
  request.op = plans::ScheduleOp::cancel;
  request.id = o.id;
  auto result = c.schedule(request, kind, scope);
  if (o.json)
    out << result.dump() << '\n';
  else
    out << trf("cancelled {1}", {o.id}) << '\n';
  return 0;
}

// ---- progress and reminders ------------------------------------------------------

int run_progress(const ProgressOptions& o, const GlobalOptions& global, std::ostream& out) {
  require_id(o.course, tr("course id"));
  if (!o.under.empty()) require_scope(o.under, "--under");
  if (o.json && o.csv) throw Error(ErrorKind::usage, tr("use either --json or --csv, not both"));
  Connected c(global);
  payloads::Request request;
  request.id = o.course;
  auto result = c.ask(topics::kOpProgress, scope_or(o.under, c.settings), request);
  if (o.json) {
    out << result.dump() << '\n';
    return 0;
  }
  auto progress = results::read<results::Progress>(result);
  if (o.csv)
    print_progress_csv(progress, out);
  else
    print_progress(progress, out);
  return 0;
}

int run_remind(const RemindOptions& o, const GlobalOptions& global, std::ostream& out) {
  require_id(o.id, tr("course or message id"));
  Connected c(global);
  json result;
  if (looks_like_message_id(o.id)) {
    // Where the message went decides the topic the broker judges the reminder by.
    payloads::Request ask;
    ask.id = o.id;
    auto status = results::read<results::Status>(c.ask(topics::kOpStatus, c.settings.scope, ask));
    std::string scope;
    try {
      scope = plan_scope(targets_from_result(status.message.targets, trf("message {1}", {o.id})));
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::usage) throw;
      throw Error(ErrorKind::usage, trf("cannot remind of {1}: it went to computers and people at once, and a reminder "
                                        "needs one scope covering all of them",
                                        {o.id}));
    }
    plans::ScheduleRequest request;
    request.op = plans::ScheduleOp::remind;
    request.id = o.id;
    result = c.schedule(request, status.message.kind, scope);
  } else {
    plans::CampaignRequest request;
    request.op = plans::CampaignOp::remind;
    request.id = o.id;
    result = c.campaign(request, c.settings.scope);
  }
  if (o.json) {
    out << result.dump() << '\n';
    return 0;
  }
  auto reminded = results::read<results::Reminded>(result);
  auto n = reminded.recipients.size();
  out << (n == 0 ? trf("reminded 0 computers of {1} (nobody has it unread)", {text::printable(reminded.id)})
                 : trf("reminded {1} of {2}", {trn("{1} computer", "{1} computers", n), text::printable(reminded.id)}))
      << '\n';
  return 0;
}

}  // namespace herald::dispatcher
