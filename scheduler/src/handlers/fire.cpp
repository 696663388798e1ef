// The scheduler: campaign lessons and scheduled occurrences that have come due are
// recorded as messages of their account and published, in the batch's one write
// transaction, with the next occurrence put in the `due` index (scheduler/README.md,
// "Scheduled sending", has the catch-up policy).
#include <chrono>
#include <map>
#include <memory>
#include <tuple>

#include "handlers.hpp"
#include "herald/common/course.hpp"
#include "herald/common/error.hpp"
#include "herald/common/ids.hpp"
#include "herald/common/log.hpp"
#include "herald/common/payloads.hpp"

namespace herald::scheduler::handlers {
namespace {

// Courses decoded once per run: several campaigns of one course may fire together.
using CourseCache = std::map<std::string, std::shared_ptr<const course::Course>, std::less<>>;

std::shared_ptr<const course::Course> load_course(Batch& b, CourseCache& cache, const std::string& id) {
  if (auto it = cache.find(id); it != cache.end()) return it->second;
  auto text = b.ledger.course_json(b.txn, id);
  if (!text) throw Error(ErrorKind::not_found, "course '" + id + "' is not in the ledger");
  auto parsed = nlohmann::json::parse(*text, nullptr, false);
  if (parsed.is_discarded()) throw Error(ErrorKind::storage, "ledger record of course '" + id + "' is corrupt");
  auto c = std::make_shared<const course::Course>(parsed.get<course::Course>());
  cache.emplace(id, c);
  return c;
}

MessageRecord new_record(Batch& b, topics::Kind kind, const std::string& sender,
                         const std::vector<std::string>& targets, const payloads::Delivery& d) {
  MessageRecord m;
  m.id = new_id();
  m.kind = kind;
  m.sender = sender;
  m.targets = targets;
  m.title = d.title;
  m.severity = d.severity;
  m.sent_at = d.sent_at;
  m.expires_at = d.expires_at;
  m.recorded_at = b.now;
  m.require_confirm = d.require_confirm;
  return m;
}

void fire_campaign(Batch& b, const std::string& id, CourseCache& cache) {
  auto c = b.ledger.campaign(b.txn, id);
  if (!c || c->state != results::CampaignState::active) return;  // a stale entry
  auto n = c->sent();
  auto total = c->occurrences.size();
  std::size_t fired = 0;
  try {
    // Every missed lesson, in order: lessons are content, none may be lost. Each one a
    // millisecond after the previous, so inboxes sorted by sent_at keep the course order.
    while (n < total && c->occurrences[n].due <= b.due_now) {
      auto course = load_course(b, cache, c->course);
      if (n >= course->lessons.size())
        throw Error(ErrorKind::internal, "course '" + c->course + "' has no lesson " + std::to_string(n + 1));
      auto d = course::lesson_delivery(*course, n);
      d.sent_at = b.now + std::chrono::milliseconds(fired);
      d.expires_at = d.sent_at + c->lifetime;
      d.lesson = payloads::LessonRef{c->course, c->id, n + 1, total};
      auto m = new_record(b, topics::Kind::message, c->sender, c->targets, d);
      record_own(b, m, payloads::encode(d));
      c->occurrences[n].sent_at = d.sent_at;
      c->occurrences[n].message = m.id;
      b.notes.push_back("sent lesson " + std::to_string(n + 1) + " of " + std::to_string(total) + " of campaign " +
                        c->id + " (course " + c->course + ") as message " + m.id + ", due " +
                        to_rfc3339(c->occurrences[n].due));
      ++n;
      ++fired;
    }
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::storage) throw;
    // Not retried at every wake-up: the campaign waits for an admin (resume retries).
    c->state = results::CampaignState::paused;
    log::warn("could not send lesson " + std::to_string(n + 1) + " of campaign " + c->id + ": " + first_line(e.what()) +
              "; campaign paused");
    b.ledger.put_campaign(b.txn, *c);
    return;
  }
  if (n >= total) {
    c->state = results::CampaignState::finished;
    b.notes.push_back("campaign " + c->id + " finished: " + std::to_string(total) + " lessons sent");
  } else {
    b.ledger.put_due(b.txn, DueItem{c->occurrences[n].due, DueKind::campaign, c->id});
  }
  b.ledger.put_campaign(b.txn, *c);
}

// The index of the latest occurrence due at or before `now`, from `from` on (which is
// due), and the time of the one after it (nullopt: the series has ended).
std::pair<std::size_t, std::optional<TimePoint>> latest_due(const schedule::Recurrence& when, std::size_t from,
                                                            TimePoint now) {
  std::size_t latest = from;
  std::size_t chunk = 16;
  for (;;) {
    auto limit = from + chunk;
    auto times = schedule::occurrences(when, limit);
    for (std::size_t i = latest; i < times.size(); ++i) {
      if (times[i] > now) return {latest, times[i]};
      latest = i;
    }
    if (times.size() < limit) return {latest, std::nullopt};
    chunk *= 4;
  }
}

void fire_schedule(Batch& b, const std::string& id) {
  auto s = b.ledger.schedule(b.txn, id);
  if (!s || s->state != results::ScheduleState::active || !s->next_at || *s->next_at > b.due_now) return;
  std::size_t index = s->next_index;
  std::optional<TimePoint> next;
  try {
    if (!s->when.rule.empty()) {
      // A recurring message sends only the latest missed occurrence: a monthly reminder
      // missed for three months is sent once; the older ones are recorded as skipped.
      std::tie(index, next) = latest_due(s->when, s->next_index, b.due_now);
    }
    payloads::Delivery d;
    d.title = s->title;
    d.body = s->body;
    d.severity = s->severity;
    d.links = s->links;
    d.require_confirm = s->require_confirm;
    d.sent_at = b.now;
    d.expires_at = b.now + s->lifetime;
    auto m = new_record(b, s->kind, s->sender, s->targets, d);
    record_own(b, m, payloads::encode(d));
    auto skipped = index - s->next_index;
    s->skipped += skipped;
    ++s->sent;
    s->last_message = m.id;
    b.notes.push_back("sent occurrence " + std::to_string(index + 1) + " of schedule " + s->id + " as " +
                      std::string(topics::kind_name(s->kind)) + " " + m.id +
                      (skipped ? " (" + std::to_string(skipped) + " missed occurrence(s) skipped)" : ""));
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::storage) throw;
    log::warn("could not send occurrence " + std::to_string(index + 1) + " of schedule " + s->id + ": " +
              first_line(e.what()) + "; skipped");
    if (!s->when.rule.empty()) next = schedule::occurrence(s->when, index + 1);
  }
  s->next_index = index + 1;
  s->next_at = next;
  if (next) {
    b.ledger.put_due(b.txn, DueItem{*next, DueKind::schedule, s->id});
  } else {
    s->state = results::ScheduleState::finished;
    b.notes.push_back("schedule " + s->id + " finished: " + std::to_string(s->sent) + " sent");
  }
  b.ledger.put_schedule(b.txn, *s);
}

}  // namespace

void fire_due(Batch& b) {
  CourseCache courses;
  for (const auto& item : b.ledger.due_until(b.txn, b.due_now)) {
    b.ledger.del_due(b.txn, item);
    try {
      if (item.kind == DueKind::campaign)
        fire_campaign(b, item.id, courses);
      else
        fire_schedule(b, item.id);
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::storage) throw;
      log::warn("could not send what " + std::string(item.kind == DueKind::campaign ? "campaign " : "schedule ") +
                item.id + " had due: " + first_line(e.what()));
    } catch (const nlohmann::json::exception& e) {
      log::warn("could not send what " + std::string(item.kind == DueKind::campaign ? "campaign " : "schedule ") +
                item.id + " had due: " + first_line(e.what()));
    }
  }
}

}  // namespace herald::scheduler::handlers
