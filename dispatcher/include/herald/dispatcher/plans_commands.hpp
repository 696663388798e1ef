#pragma once
// `herald` commands for what heraldd sends later (issue 10): courses, campaigns,
// delayed and recurring messages, course progress and reminders. Like commands.hpp:
// one run_* per command, every input checked before connecting, errors thrown as
// herald::Error whose kind is the exit code. The helpers below are the checks and
// defaults, exposed for tests/dispatcher.
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "herald/common/orgpath.hpp"
#include "herald/common/schedule.hpp"
#include "herald/common/time.hpp"
#include "herald/dispatcher/commands.hpp"

namespace herald::dispatcher {

// ---- when: shared by campaign start/preview and send/alert --repeat/--at ----------
struct WhenOptions {
  std::string rule;        // --schedule (campaigns) or --repeat (messages); empty: one delayed message
  std::string at;          // --at
  std::string tz;          // --tz; empty: default_timezone
  std::string start;       // --start YYYY-MM-DD; empty: today, or tomorrow if today's time has passed
  std::string skip_dates;  // --skip-dates: a file (.ics or one date a line) or "YYYY-MM-DD,YYYY-MM-DD,..."
};

// What the command line's defaults and past checks use, read from the config file if
// there is one (no config is not an error here: `campaign preview DIR` needs none).
struct LocalDefaults {
  std::string timezone;  // config `timezone`, else system_timezone(), else "UTC"
  TimePoint now{};       // config `clock` (as heraldd's, for tests and demos), else the system clock
};
LocalDefaults local_defaults(const std::string& config_flag);
// The machine's zone: /etc/timezone, else the zone the /etc/localtime link names; ""
// if neither says.
std::string system_timezone(const std::filesystem::path& etc = "/etc");

// --skip-dates: a list "2026-12-24,2026-12-25" directly, else a file read through
// schedule::parse_skip_dates. Throws Error(not_found) for an unreadable file,
// Error(usage) for bad dates.
std::vector<std::string> read_skip_dates(const std::string& value);
// "YYYY-MM-DD" plus one day.
std::string next_day(std::string_view date);

// A recurrence from the options, defaults applied (`tz` already defaulted), checked by
// schedule::validate. The first occurrence is never before `now`: without --start the
// series starts today, or tomorrow if today's occurrence has passed; an explicit
// --start whose first occurrence has passed throws Error(usage).
schedule::Recurrence resolve_recurrence(const WhenOptions& o, std::string_view tz, TimePoint now);
// `herald send|alert --at TIME` without --repeat: one delayed message. TIME is HH:MM
// (the next such local time, or on --start), "YYYY-MM-DD HH:MM" in `tz`, or an RFC 3339
// instant ("...Z" or "...+01:00"; taken in UTC, rounded up to the minute). Throws
// Error(usage) for a malformed or past time.
schedule::Recurrence resolve_delayed(const WhenOptions& o, std::string_view tz, TimePoint now);

// The {scope...} topic levels of a plan for these targets (topics::scope_covering),
// with a clear Error(usage) when they mix computers and people.
std::string plan_scope(const std::vector<Target>& targets);
// Targets as heraldd's results name them ("org/...", "user:LOGIN" or wire "user/LOGIN").
Target target_from_result(std::string text);
// Does `text` look like an id from herald::new_id() ("20261122T130118Z-3f9a2c1b7d")?
// `herald remind` treats such an argument as a message id, anything else as a course id.
bool looks_like_message_id(std::string_view text);

// ---- commands ---------------------------------------------------------------------
struct CourseOptions {
  std::string path_or_id;  // create: DIR|FILE; show, delete: the course id
  bool json = false;
};
int run_course_create(const CourseOptions& o, const GlobalOptions& global, std::ostream& out);
int run_course_list(const CourseOptions& o, const GlobalOptions& global, std::ostream& out);
int run_course_show(const CourseOptions& o, const GlobalOptions& global, std::ostream& out);
int run_course_delete(const CourseOptions& o, const GlobalOptions& global, std::ostream& out);

struct CampaignOptions {
  std::string course;  // start, preview: a course id, or a course DIR|FILE
  std::string id;      // show, pause, resume, cancel
  std::vector<std::string> to;
  WhenOptions when;
  std::string expires;  // each lesson's lifetime after it is sent; empty: 90d
  bool json = false;
};
int run_campaign_start(const CampaignOptions& o, const GlobalOptions& global, std::ostream& out);
int run_campaign_preview(const CampaignOptions& o, const GlobalOptions& global, std::ostream& out);
int run_campaign_list(const CampaignOptions& o, const GlobalOptions& global, std::ostream& out);
int run_campaign_show(const CampaignOptions& o, const GlobalOptions& global, std::ostream& out);
// op: "pause", "resume" or "cancel"
int run_campaign_change(std::string_view op, const CampaignOptions& o, const GlobalOptions& global, std::ostream& out);

// herald send|alert with --repeat or --at: a ScheduleRequest create. run_send calls it.
int run_send_later(const SendOptions& o, const GlobalOptions& global, std::ostream& out);

struct ScheduleOptions {
  std::string id;  // cancel
  bool json = false;
};
int run_schedule_list(const ScheduleOptions& o, const GlobalOptions& global, std::ostream& out);
int run_schedule_cancel(const ScheduleOptions& o, const GlobalOptions& global, std::ostream& out);

struct ProgressOptions {
  std::string course;
  std::string under;  // empty: config scope
  bool json = false;
  bool csv = false;
};
int run_progress(const ProgressOptions& o, const GlobalOptions& global, std::ostream& out);

struct RemindOptions {
  std::string id;  // a message id (looks_like_message_id) or a course id
  bool json = false;
};
int run_remind(const RemindOptions& o, const GlobalOptions& global, std::ostream& out);

}  // namespace herald::dispatcher
