#pragma once
// Human output of `herald status|pending|list`: aligned tables (herald::text::Table) of
// heraldd's reply results. `--json` bypasses this and prints the result unchanged. The
// results are herald::results' types, documented in topics.md "Query results". Times are
// shown as heraldd's RFC 3339 strings; missing values as "-".
#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "herald/common/results.hpp"

namespace herald::dispatcher {

// The status table straight from heraldd's reply payload (Session::ask_text), read with
// simdjson under results' keys, many times faster than through nlohmann for a
// 10,000-recipient reply (bench/README.md). Throws what ask() would for an error reply, Error(protocol) for an
// unreadable one or a result that is not a results::Status.
void print_status_reply(std::string_view reply_payload, std::ostream& out);
void print_pending(const results::Pending& result, std::ostream& out);
void print_list(const results::List& result, std::ostream& out);

// Courses, campaigns, schedules and progress (issue 10). Times due in a zone are shown
// in it ("2026-12-01 09:00") next to their UTC instant.
void print_course_list(const results::CourseList& result, std::ostream& out);
void print_course_detail(const results::CourseDetail& result, std::ostream& out);
void print_campaign_list(const results::CampaignList& result, std::ostream& out);
void print_campaign_detail(const results::CampaignDetail& result, std::ostream& out);
void print_schedule_list(const results::ScheduleList& result, std::ostream& out);
// Per person ("Anna Nowak (anowak)  3 of 5 sent, 8 total"), per lesson, then who has
// not started.
void print_progress(const results::Progress& result, std::ostream& out);
// One row per person under the header login,name,read,sent,total,first_at,last_at.
void print_progress_csv(const results::Progress& result, std::ostream& out);
// One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF, quotes doubled.
std::string csv_field(std::string_view value);

// `herald campaign preview` and the times `campaign start` / `send --repeat` print.
struct PlannedDelivery {
  std::size_t number = 0;  // lesson or occurrence number, 1-based
  std::string title;       // the lesson's title; "" when unknown
  TimePoint at{};
};
void print_planned(const std::vector<PlannedDelivery>& planned, std::string_view tz, std::ostream& out);

}  // namespace herald::dispatcher
