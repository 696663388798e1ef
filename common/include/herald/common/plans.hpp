#pragma once
// The wire payloads that change what heraldd will send later: courses and campaigns
// (herald/campaign/...) and delayed or recurring messages (herald/schedule/...). Like
// every payload they carry "v": 1, and from_json refuses wrong types, unknown ops and
// missing fields with Error(protocol). Who may ask is in the topic ({account}, {scope}),
// bound by the broker; heraldd checks that everything a request touches lies under its
// {scope} (topics::scope_covers) and that nothing in it breaks a limit (the same
// validate()s the CLI runs). topics.md ("Courses, campaigns and schedules") documents
// the JSON.
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/common/course.hpp"
#include "herald/common/payloads.hpp"
#include "herald/common/schedule.hpp"

namespace herald::plans {

// How long each lesson or occurrence stays in inboxes unless the request says otherwise.
inline constexpr std::chrono::seconds kDefaultLessonLifetime{std::chrono::hours(24 * 90)};

// herald/campaign/{account}/{request-id}/{scope}
enum class CampaignOp { course_create, course_delete, start, pause, resume, cancel, remind };
std::string_view op_name(CampaignOp op);  // "course-create", "course-delete", "start", ...
struct CampaignRequest {
  CampaignOp op = CampaignOp::start;
  // course-create: the whole course (images inside; at most payloads::kMaxRequestBytes).
  std::optional<course::Course> course;
  // course-delete: the course id. start: the new campaign's id (chosen by `herald`, so
  // a repeated request is recognised). pause/resume/cancel: the campaign id.
  // remind: a course id (everyone targeted by its campaigns who has not read a sent lesson).
  std::string id;
  // start only:
  std::string course_id;
  std::vector<std::string> targets;                        // Target::to_string() forms: org/..., user:LOGIN
  schedule::Recurrence when;                               // one lesson per occurrence, in course order
  std::chrono::seconds lifetime = kDefaultLessonLifetime;  // each lesson's expiry after it is sent
};

// herald/schedule/{account}/{request-id}/{kind}/{scope}
enum class ScheduleOp { create, cancel, remind };
std::string_view op_name(ScheduleOp op);  // "create", "cancel", "remind"
struct ScheduleRequest {
  ScheduleOp op = ScheduleOp::create;
  // create: the new schedule's id (chosen by `herald`). cancel: the schedule id.
  // remind: a message id (those who have not read it are notified again).
  std::string id;
  // create only: what each occurrence sends. Title, body, severity, links; sent_at
  // and expires_at are set per occurrence (sent_at = when heraldd sends it,
  // expires_at = sent_at + lifetime).
  std::string title;
  std::string body;
  std::string severity = "info";
  std::vector<std::string> links;
  bool require_confirm = false;  // messages only; on the wire only when true
  std::chrono::seconds lifetime{0};
  std::vector<std::string> targets;
  // An empty rule is one delayed message at when.start + when.at in when.tz.
  schedule::Recurrence when;
};

void to_json(nlohmann::json& j, const CampaignRequest& r);
void from_json(const nlohmann::json& j, CampaignRequest& r);
void to_json(nlohmann::json& j, const ScheduleRequest& r);
void from_json(const nlohmann::json& j, ScheduleRequest& r);

}  // namespace herald::plans
