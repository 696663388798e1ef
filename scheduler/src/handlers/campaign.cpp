// Courses and campaigns (herald/campaign/{account}/{request-id}/{scope}): every check
// comes before the first write, so a refused request leaves nothing behind; the reply
// goes out after the batch commits.
#include <algorithm>

#include "handlers.hpp"
#include "herald/common/course.hpp"
#include "herald/common/error.hpp"
#include "herald/common/orgpath.hpp"
#include "herald/common/plans.hpp"
#include "herald/common/results.hpp"
#include "herald/common/schedule.hpp"
#include "herald/scheduler/queries.hpp"

namespace herald::scheduler::handlers {
namespace {

std::string recorded(std::string id) { return results::encode(results::Recorded{std::move(id)}); }

// Every target must lie under the request's scope, which the broker's ACL checked.
void require_covered(std::string_view scope, const std::vector<std::string>& targets, std::string_view what) {
  for (const auto& t : targets) {
    if (!topics::scope_covers(scope, Target::parse(t)))
      throw Error(ErrorKind::not_permitted, std::string(what) + " target '" + t + "' is not under scope '" +
                                                std::string(scope) + "' of the request");
  }
}

void require_lifetime(std::chrono::seconds lifetime) {
  if (lifetime <= std::chrono::seconds(0) || lifetime > kMaxExpiry)
    throw Error(ErrorKind::usage, "lifetime_s must be from 1 s to 366 days, not " + std::to_string(lifetime.count()));
}

std::string course_create(Batch& b, const topics::CampaignTopic& t, const plans::CampaignRequest& r) {
  if (!r.course) throw Error(ErrorKind::usage, "course-create needs a course");
  const auto& c = *r.course;
  course::validate(c);
  if (b.ledger.course_info(b.txn, c.id))
    throw Error(ErrorKind::usage, "course " + c.id + " exists; delete it or use a new id");
  CourseInfo info;
  info.id = c.id;
  info.title = c.title;
  info.created_by = t.account;
  info.created_at = b.now;
  for (std::size_t i = 0; i < c.lessons.size(); ++i) {
    results::LessonSummary s;
    s.number = i + 1;
    s.title = c.lessons[i].title;
    s.images = c.lessons[i].images.size();
    s.links = c.lessons[i].links.size();
    s.require_confirm = c.lessons[i].require_confirm;
    s.bytes = payloads::encode(course::lesson_delivery(c, i)).size();
    info.lessons.push_back(std::move(s));
  }
  nlohmann::json j = c;
  b.ledger.put_course(b.txn, info, j.dump());
  b.notes.push_back("created course " + c.id + " (" + std::to_string(c.lessons.size()) + " lessons) for " + t.account);
  return recorded(c.id);
}

std::optional<CampaignRecord> campaign_using(Batch& b, const CourseInfo& info) {
  for (const auto& id : b.ledger.campaigns_of_course(b.txn, info.id)) {
    auto c = b.ledger.campaign(b.txn, id);
    if (c && c->course_created == info.created_at &&
        (c->state == results::CampaignState::active || c->state == results::CampaignState::paused))
      return c;
  }
  return std::nullopt;
}

std::string course_delete(Batch& b, const topics::CampaignTopic& t, const plans::CampaignRequest& r) {
  auto info = b.ledger.course_info(b.txn, r.id);
  if (!info) throw Error(ErrorKind::not_found, "unknown course '" + r.id + "'");
  if (auto c = campaign_using(b, *info))
    throw Error(ErrorKind::usage, "course " + r.id + " is used by campaign " + c->id + " (" +
                                      std::string(results::state_name(c->state)) + "); cancel it first");
  b.ledger.delete_course(b.txn, r.id);
  b.notes.push_back("deleted course " + r.id + " for " + t.account);
  return recorded(r.id);
}

std::string start(Batch& b, const topics::CampaignTopic& t, const plans::CampaignRequest& r) {
  if (!is_valid_token(r.id)) throw Error(ErrorKind::usage, "invalid campaign id '" + r.id + "'");
  if (r.targets.empty()) throw Error(ErrorKind::usage, "a campaign needs at least one target");
  require_covered(t.scope, r.targets, "campaign");
  if (auto existing = b.ledger.campaign(b.txn, r.id)) {
    // The same start again (a repeated publish): it is recorded already.
    if (existing->sender == t.account && existing->course == r.course_id) return recorded(r.id);
    throw Error(ErrorKind::usage, "campaign id '" + r.id + "' is taken");
  }
  auto info = b.ledger.course_info(b.txn, r.course_id);
  if (!info) throw Error(ErrorKind::not_found, "unknown course '" + r.course_id + "'");
  std::vector<std::string> targets;
  for (const auto& target : r.targets) targets.push_back(Target::parse(target).to_string());
  std::sort(targets.begin(), targets.end());
  targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
  schedule::validate(r.when);
  require_lifetime(r.lifetime);
  auto lessons = info->lessons.size();
  auto times = schedule::occurrences(r.when, lessons);
  if (times.size() < lessons)
    throw Error(ErrorKind::usage, "the schedule has " + std::to_string(times.size()) + " occurrence(s) for the " +
                                      std::to_string(lessons) + " lessons of course " + info->id);
  if (times.front() < b.due_now)
    throw Error(ErrorKind::usage, "the first lesson would be due at " + schedule::local_time(times.front(), r.when.tz) +
                                      " " + r.when.tz + ", which is in the past");
  CampaignRecord c;
  c.id = r.id;
  c.course = info->id;
  c.course_created = info->created_at;
  c.sender = t.account;
  c.targets = std::move(targets);
  c.when = r.when;
  c.lifetime = r.lifetime;
  c.created_at = b.now;
  for (auto at : times) c.occurrences.push_back(CampaignRecord::Occurrence{at, std::nullopt, {}});
  b.ledger.put_campaign(b.txn, c);
  b.ledger.put_due(b.txn, DueItem{times.front(), DueKind::campaign, c.id});
  b.notes.push_back("started campaign " + c.id + " of course " + c.course + " for " + t.account + ": " +
                    std::to_string(lessons) + " lessons from " + to_rfc3339(times.front()));
  return recorded(c.id);
}

std::string change(Batch& b, const topics::CampaignTopic& t, const plans::CampaignRequest& r) {
  auto c = b.ledger.campaign(b.txn, r.id);
  if (!c) throw Error(ErrorKind::not_found, "unknown campaign '" + r.id + "'");
  require_covered(t.scope, c->targets, "campaign");
  using State = results::CampaignState;
  auto refuse = [&] {
    throw Error(ErrorKind::usage, "campaign " + c->id + " is " + std::string(results::state_name(c->state)) +
                                      ": it cannot " + std::string(plans::op_name(r.op)));
  };
  auto next = c->next_due();
  switch (r.op) {
    case plans::CampaignOp::pause:
      if (c->state == State::active) {
        if (next) b.ledger.del_due(b.txn, DueItem{*next, DueKind::campaign, c->id});
        c->state = State::paused;
      } else if (c->state != State::paused) {
        refuse();
      }
      break;
    case plans::CampaignOp::resume:
      // Lessons that came due while paused are sent at once, in order (as after an outage).
      if (c->state == State::paused) {
        if (next) b.ledger.put_due(b.txn, DueItem{*next, DueKind::campaign, c->id});
        c->state = next ? State::active : State::finished;
      } else if (c->state != State::active) {
        refuse();
      }
      break;
    default:  // cancel
      if (c->state == State::active || c->state == State::paused) {
        if (next && c->state == State::active) b.ledger.del_due(b.txn, DueItem{*next, DueKind::campaign, c->id});
        c->state = State::cancelled;
      } else if (c->state != State::cancelled) {
        refuse();
      }
      break;
  }
  b.ledger.put_campaign(b.txn, *c);
  b.notes.push_back(std::string(plans::op_name(r.op)) + " campaign " + c->id + " by " + t.account + ": now " +
                    std::string(results::state_name(c->state)));
  return results::encode(queries::campaign_detail(*c));
}

std::string remind(Batch& b, const topics::CampaignTopic& t, const plans::CampaignRequest& r) {
  auto info = b.ledger.course_info(b.txn, r.id);
  if (!info) throw Error(ErrorKind::not_found, "unknown course '" + r.id + "'");
  std::set<std::string> notified;
  for (const auto& id : b.ledger.campaigns_of_course(b.txn, info->id)) {
    auto c = b.ledger.campaign(b.txn, id);
    if (!c || c->course_created != info->created_at) continue;
    for (const auto& o : c->occurrences)
      if (!o.message.empty()) remind_unread(b, o.message, t.scope, notified);
  }
  return results::encode(results::Reminded{info->id, {notified.begin(), notified.end()}});
}

std::string run(Batch& b, const topics::CampaignTopic& t, const plans::CampaignRequest& r) {
  switch (r.op) {
    case plans::CampaignOp::course_create:
      return course_create(b, t, r);
    case plans::CampaignOp::course_delete:
      return course_delete(b, t, r);
    case plans::CampaignOp::start:
      return start(b, t, r);
    case plans::CampaignOp::pause:
    case plans::CampaignOp::resume:
    case plans::CampaignOp::cancel:
      return change(b, t, r);
    case plans::CampaignOp::remind:
      return remind(b, t, r);
  }
  throw Error(ErrorKind::protocol, "unknown campaign op");
}

}  // namespace

void campaign(Batch& b, const topics::CampaignTopic& t, const Inbound& in) {
  auto reply_topic = topics::reply(t.account, t.request_id);
  std::string what = "campaign request " + t.request_id + " from " + t.account;
  answer_request(b, reply_topic, what, [&] {
    auto r = decode_request<plans::CampaignRequest>(in.payload, payloads::kMaxRequestBytes);
    what = std::string(plans::op_name(r.op)) + " " + what;
    return run(b, t, r);
  });
}

}  // namespace herald::scheduler::handlers
