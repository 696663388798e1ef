// Delayed and recurring messages (herald/schedule/{account}/{request-id}/{kind}/{scope}):
// every check comes before the first write, and the reply goes out after the commit.
#include "herald/common/schedule.hpp"

#include <algorithm>

#include "handlers.hpp"
#include "herald/common/error.hpp"
#include "herald/common/orgpath.hpp"
#include "herald/common/plans.hpp"
#include "herald/common/results.hpp"
#include "herald/scheduler/queries.hpp"

namespace herald::scheduler::handlers {
namespace {

// How many occurrences a rule may have and still be listed with a total.
constexpr std::size_t kCountCap = 100000;

void require_covered(const topics::ScheduleTopic& t, const std::vector<std::string>& targets) {
  for (const auto& target : targets) {
    if (!topics::scope_covers(t.scope, Target::parse(target)))
      throw Error(ErrorKind::not_permitted,
                  "target '" + target + "' is not under scope '" + t.scope + "' of the request");
  }
}

std::string create(Batch& b, const topics::ScheduleTopic& t, const plans::ScheduleRequest& r) {
  if (!is_valid_token(r.id)) throw Error(ErrorKind::usage, "invalid schedule id '" + r.id + "'");
  if (r.targets.empty()) throw Error(ErrorKind::usage, "a scheduled message needs at least one target");
  require_covered(t, r.targets);
  if (auto existing = b.ledger.schedule(b.txn, r.id)) {
    if (existing->sender == t.account && existing->kind == t.kind)
      return results::encode(results::Recorded{r.id});  // the same create again
    throw Error(ErrorKind::usage, "schedule id '" + r.id + "' is taken");
  }
  std::vector<std::string> targets;
  for (const auto& target : r.targets) targets.push_back(Target::parse(target).to_string());
  std::sort(targets.begin(), targets.end());
  targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
  auto lifetime = r.lifetime;  // 1 s to 366 days (plans::from_json)
  payloads::Delivery sample;   // what every occurrence will be, checked once now
  sample.title = r.title;
  sample.body = r.body;
  sample.severity = r.severity;
  sample.links = r.links;
  sample.sent_at = b.now;
  sample.expires_at = b.now + lifetime;
  payloads::validate(sample);
  if (payloads::encode(sample).size() > payloads::kMaxPayloadBytes)
    throw Error(ErrorKind::usage,
                "the message is over the payload limit of " + std::to_string(payloads::kMaxPayloadBytes) + " bytes");
  schedule::validate(r.when);
  auto first = schedule::occurrence(r.when, 0);
  if (!first) throw Error(ErrorKind::usage, "the schedule has no occurrence");
  if (*first < b.due_now)
    throw Error(ErrorKind::usage, "the first occurrence would be at " + schedule::local_time(*first, r.when.tz) + " " +
                                      r.when.tz + ", which is in the past");
  ScheduleRecord s;
  s.id = r.id;
  s.kind = t.kind;
  s.sender = t.account;
  s.title = r.title;
  s.body = r.body;
  s.severity = r.severity;
  s.links = r.links;
  s.require_confirm = r.require_confirm;
  s.lifetime = lifetime;
  s.targets = std::move(targets);
  s.when = r.when;
  s.created_at = b.now;
  s.next_at = first;
  s.total = r.when.rule.empty() ? std::optional<std::size_t>(1) : schedule::finite_count(r.when, kCountCap);
  b.ledger.put_schedule(b.txn, s);
  b.ledger.put_due(b.txn, DueItem{*first, DueKind::schedule, s.id});
  b.notes.push_back("scheduled " + std::string(topics::kind_name(s.kind)) + " " + s.id + " for " + t.account +
                    ": first at " + to_rfc3339(*first));
  return results::encode(results::Recorded{s.id});
}

std::string cancel(Batch& b, const topics::ScheduleTopic& t, const plans::ScheduleRequest& r) {
  auto s = b.ledger.schedule(b.txn, r.id);
  if (!s) throw Error(ErrorKind::not_found, "unknown schedule '" + r.id + "'");
  if (s->kind != t.kind)
    throw Error(ErrorKind::not_permitted,
                "schedule " + s->id + " sends " + std::string(topics::kind_name(s->kind)) + "s: cancel it as one");
  require_covered(t, s->targets);
  if (s->state == results::ScheduleState::active) {
    if (s->next_at) b.ledger.del_due(b.txn, DueItem{*s->next_at, DueKind::schedule, s->id});
    s->state = results::ScheduleState::cancelled;
    s->next_at.reset();
    b.ledger.put_schedule(b.txn, *s);
    b.notes.push_back("cancelled schedule " + s->id + " by " + t.account);
  } else if (s->state == results::ScheduleState::finished) {
    throw Error(ErrorKind::usage, "schedule " + s->id + " is finished: nothing left to cancel");
  }
  results::ScheduleList list;
  list.schedules.push_back(queries::scheduled_message(*s));
  return results::encode(list);
}

std::string remind(Batch& b, const topics::ScheduleTopic& t, const plans::ScheduleRequest& r) {
  auto& m = b.message(r.id);
  if (!m) throw Error(ErrorKind::not_found, "unknown message id '" + r.id + "'");
  if (m->kind != t.kind)
    throw Error(ErrorKind::not_permitted,
                "message " + m->id + " is " + std::string(topics::kind_name(m->kind)) + ": remind of it as one");
  require_covered(t, m->targets);
  std::set<std::string> notified;
  remind_unread(b, r.id, t.scope, notified);
  return results::encode(results::Reminded{r.id, {notified.begin(), notified.end()}});
}

}  // namespace

void schedule(Batch& b, const topics::ScheduleTopic& t, const Inbound& in) {
  auto reply_topic = topics::reply(t.account, t.request_id);
  std::string what = "schedule request " + t.request_id + " from " + t.account;
  answer_request(b, reply_topic, what, [&]() -> std::string {
    auto r = decode_request<plans::ScheduleRequest>(in.payload, payloads::kMaxPayloadBytes);
    what = std::string(plans::op_name(r.op)) + " " + what;
    switch (r.op) {
      case plans::ScheduleOp::create:
        return create(b, t, r);
      case plans::ScheduleOp::cancel:
        return cancel(b, t, r);
      case plans::ScheduleOp::remind:
        return remind(b, t, r);
    }
    throw Error(ErrorKind::protocol, "unknown schedule op");
  });
}

}  // namespace herald::scheduler::handlers
