#include "herald/drill/drill.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include "herald/common/error.hpp"
#include "herald/common/text.hpp"
#include "herald/testing/fixture.hpp"

namespace herald::drill {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

// What heraldd and an agent log once they are connected and subscribed (agent/README.md,
// scheduler/README.md): a new line after a restart or a reconnect says the part is back.
constexpr std::string_view kReadyText = "subscribed to";
constexpr std::string_view kTitlePrefix = "drill ";
// A part that is not back this long after its restart is reported; the drill goes on
// (the final check says whether anything was lost).
constexpr auto kRecoveryTimeout = 30s;
constexpr auto kCliTimeout = std::chrono::seconds(30);

struct Computer {
  std::string path;
  std::string login;
};

std::string numbered(const char* prefix, int n, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%0*d", prefix, width, n);
  return buf;
}

// Two branches with the computers alternating between them, so that `org` reaches every
// agent, a branch about half of them and a computer one.
std::vector<Computer> computers(int n) {
  std::vector<Computer> out;
  for (int i = 0; i < n; ++i)
    out.push_back(
        {"org/" + numbered("branch", i % 2 + 1, 2) + "/" + numbered("pc", i / 2 + 1, 3), numbered("drill", i + 1, 3)});
  return out;
}

std::string directory_csv(const std::vector<Computer>& pcs) {
  std::string csv = "path,kind,name,login,person\norg,central,Centrala,,\n";
  for (int b = 1; b <= std::min<int>(2, static_cast<int>(pcs.size())); ++b)
    csv += "org/" + numbered("branch", b, 2) + ",branch,Filia " + std::to_string(b) + ",,\n";
  for (const auto& pc : pcs) csv += pc.path + ",computer,Drill," + pc.login + ",Drill " + pc.login + "\n";
  return csv;
}

bool covers(const std::string& target, const std::string& path) {
  return path == target ||
         (path.size() > target.size() && path.compare(0, target.size(), target) == 0 && path[target.size()] == '/');
}

std::size_t count_of(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string first_line(const std::string& s) { return trimmed(s.substr(0, s.find('\n'))); }

std::string seconds_text(Ms d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

// One send the drill made, as `herald` reported it.
struct Sent {
  std::string id;
  std::string title;
  std::vector<std::string> targets;
  bool recalled = false;  // `herald recall` reported done
};

// One round's kill, drawn by the main thread (the generator is not shared), done by
// the killer thread while the main thread makes traffic.
struct Kill {
  int part = 0;  // 0 broker, 1 heraldd, 2 + i agent i
  bool wipe = false;
  Ms delay{0};
  Ms downtime{0};
};

// What one look at the system found; the settle loop looks until it is clean or the
// time is up, and the last look is the report's.
struct Findings {
  int deliveries = 0, reads_recorded = 0;
  int lost_deliveries = 0, lost_receipts = 0, lost_reads = 0, lost_messages = 0, duplicated = 0, not_recalled = 0;
  std::vector<std::string> problems;
  bool complete = true;  // heraldd and every agent answered
  bool clean() const {
    return complete && lost_deliveries + lost_receipts + lost_reads + lost_messages + duplicated + not_recalled == 0;
  }
};

class Drill {
 public:
  Drill(const Options& options, std::ostream& progress, const std::atomic<bool>& stop)
      : options_(options), progress_(progress), stop_(stop) {}

  Report run() {
    auto started = Clock::now();
    report_.seed = options_.seed != 0 ? options_.seed : std::random_device{}() | 1u;
    report_.agents = options_.agents;
    rng_.seed(report_.seed);
    for (const char* part : {kBroker, kBrokerWiped, kHeraldd, kAgent}) report_.kills[part] = 0;
    set_up();
    for (int round = 1; round <= options_.rounds; ++round) {
      do_round(round);
      report_.rounds = round;
    }
    progress_ << "settling: up to " << options_.settle_seconds << " s for every delivery and receipt" << std::endl;
    auto findings = settle();
    report_.deliveries = findings.deliveries;
    report_.reads_recorded = findings.reads_recorded;
    report_.lost_deliveries = findings.lost_deliveries;
    report_.lost_receipts = findings.lost_receipts;
    report_.lost_reads = findings.lost_reads;
    report_.lost_messages = findings.lost_messages;
    report_.duplicated = findings.duplicated;
    report_.not_recalled = findings.not_recalled;
    report_.checked = findings.complete;
    report_.problems = std::move(findings.problems);
    report_.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    return std::move(report_);
  }

 private:
  // ------------------------------------------------------------ set-up

  void set_up() {
    testing::set_paths({options_.bin_dir, options_.source_dir, options_.work_dir});
    if (options_.keep) setenv("HERALD_KEEP_TEST_DIRS", "1", 1);
    pcs_ = computers(options_.agents);
    sys_ = std::make_unique<testing::System>("drill", std::vector<testing::Account>{}, directory_csv(pcs_));
    progress_ << "herald-drill: " << options_.rounds << " rounds, " << options_.agents << " agents, seed "
              << report_.seed << ", directory " << sys_->tmp().path().string() << std::endl;
    // herald's defaults wait 3 s for heraldd's confirmation and 10 s for an answer: a
    // round with heraldd down would be mostly waiting. The last key of a config wins.
    {
      std::ofstream conf(sys_->cli_config("admin"), std::ios::app);
      conf << "confirm_timeout = 2\nrequest_timeout = 3\nconnect_timeout = 3\n";
      if (!conf) throw Error(ErrorKind::internal, "cannot write the drill's herald config");
    }
    for (const auto& pc : pcs_) agents_.push_back(&sys_->agent(pc.path, pc.login));
    for (auto* a : agents_)
      if (!a->wait_connected(kRecoveryTimeout))
        throw Error(ErrorKind::unreachable, "agent " + a->path() + " did not connect:\n" + a->log());
  }

  // ------------------------------------------------------------ rounds

  void do_round(int round) {
    check_stop();
    round_ = round;
    Kill kill = draw_kill();
    auto before = ready_counts();
    std::exception_ptr killer_error;
    Ms killed_at{0};
    std::thread killer([&] {
      try {
        killed_at = do_kill(kill);
      } catch (...) {  // handed to the main thread, which rethrows it after join
        killer_error = std::current_exception();
      }
    });
    int sent = 0, failed = 0, reads = 0, recalls = 0;
    try {
      traffic(sent, failed, reads, recalls);
    } catch (...) {  // the killer must be joined before the exception unwinds its captures
      killer.join();
      throw;
    }
    killer.join();
    if (killer_error) std::rethrow_exception(killer_error);
    auto back_in = wait_recovered(kill, before);
    std::ostringstream line;
    line << "round " << round << "/" << options_.rounds << ": sent " << sent;
    if (failed) line << " (+" << failed << " failed)";
    line << ", read " << reads << ", recalled " << recalls << "; killed " << part_name(kill) << " at +"
         << seconds_text(killed_at) << ", down " << seconds_text(kill.downtime);
    if (back_in)
      line << ", back after " << seconds_text(*back_in);
    else
      line << ", NOT back after " << std::chrono::duration_cast<std::chrono::seconds>(kRecoveryTimeout).count() << " s";
    progress_ << line.str() << std::endl;
  }

  Kill draw_kill() {
    Kill k;
    // The broker and heraldd are one part each, the agents together one: each kind of
    // crash gets about a third of the rounds.
    int kind = pick(3);
    k.part = kind < 2 ? kind : 2 + pick(static_cast<int>(agents_.size()));
    k.wipe = kind == 0 && pick(4) == 0;
    k.delay = Ms(pick(2500));  // the traffic takes about 2-3 s
    k.downtime = Ms(200 + pick(1300));
    return k;
  }

  std::string part_name(const Kill& k) const {
    if (k.part == 0) return k.wipe ? "the broker (persistence deleted)" : "the broker";
    if (k.part == 1) return "heraldd";
    return "agent " + agents_[static_cast<std::size_t>(k.part - 2)]->path();
  }

  // The killer thread: SIGKILL at a random moment of the round's traffic, a random time
  // down, then the same start as at set-up. Returns when, after the round began, it killed.
  Ms do_kill(const Kill& k) {
    auto begin = Clock::now();
    sleep_or_stop(k.delay);
    if (stop_.load()) return Ms(0);
    auto at = std::chrono::duration_cast<Ms>(Clock::now() - begin);
    if (k.part == 0) {
      sys_->broker().kill9();
      ++report_.kills[kBroker];
      if (k.wipe) {
        sys_->broker().wipe_persistence();
        ++report_.kills[kBrokerWiped];
      }
    } else if (k.part == 1) {
      sys_->heraldd().kill9();
      ++report_.kills[kHeraldd];
    } else {
      agents_[static_cast<std::size_t>(k.part - 2)]->kill9();
      ++report_.kills[kAgent];
    }
    sleep_or_stop(k.downtime);
    if (k.part == 0)
      sys_->broker().start();
    else if (k.part == 1)
      sys_->heraldd().start();
    else
      agents_[static_cast<std::size_t>(k.part - 2)]->start();
    return at;
  }

  // Ready lines logged so far: heraldd first, then each agent.
  std::vector<std::size_t> ready_counts() {
    std::vector<std::size_t> counts{count_of(sys_->heraldd().log(), kReadyText)};
    for (auto* a : agents_) counts.push_back(count_of(a->log(), kReadyText));
    return counts;
  }

  // Waits until every part the kill disconnected has subscribed again; returns how long
  // that took after the restart, nothing if it did not within kRecoveryTimeout.
  std::optional<Ms> wait_recovered(const Kill& k, const std::vector<std::size_t>& before) {
    std::vector<std::size_t> parts;  // indexes into ready_counts()
    if (k.part == 0)
      for (std::size_t i = 0; i < before.size(); ++i) parts.push_back(i);
    else
      parts.push_back(static_cast<std::size_t>(k.part - 1));
    auto begin = Clock::now();
    while (Clock::now() - begin < kRecoveryTimeout) {
      check_stop();
      auto now = ready_counts();
      bool all = true;
      for (auto i : parts) all = all && now[i] > before[i];
      if (all) return std::chrono::duration_cast<Ms>(Clock::now() - begin);
      sleep_or_stop(100ms);
    }
    return std::nullopt;
  }

  // A few operations, a short random pause apart: sends (alert or message to org, a
  // branch or one computer), reads by random agents of messages addressed to them, and
  // now and then a recall.
  void traffic(int& sent, int& failed, int& reads, int& recalls) {
    int ops = 6 + pick(5);
    bool recalled = false;
    for (int i = 0; i < ops; ++i) {
      check_stop();
      int what = pick(100);
      if (what < 45 || sent_.empty()) {
        (send() ? sent : failed)++;
      } else if (what < 90 || recalled) {
        reads += read() ? 1 : 0;
      } else {
        recalled = true;
        recalls += recall() ? 1 : 0;
      }
      sleep_or_stop(Ms(pick(250)));
    }
  }

  bool send() {
    bool alert = pick(10) < 4;
    std::string target;
    int where = pick(100);
    if (where < 25)
      target = "org";
    else if (where < 55)
      target = "org/" + numbered("branch", 1 + pick(std::min<int>(2, static_cast<int>(pcs_.size()))), 2);
    else
      target = pcs_[static_cast<std::size_t>(pick(static_cast<int>(pcs_.size())))].path;
    // Titles are unique: one send that shows up under two ids is a duplicate.
    std::string title = std::string(kTitlePrefix) + "r" + std::to_string(round_) + " #" + std::to_string(++sends_);
    auto r = sys_->herald(
        {alert ? "alert" : "send", "--to", target, "--title", title, "--body", "crash drill traffic", "--json"});
    if (r.exit_code != 0) {
      ++report_.sends_failed;
      return false;
    }
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_discarded() || !j.contains("id"))
      throw Error(ErrorKind::protocol, "herald " + std::string(alert ? "alert" : "send") + " printed " + r.out);
    sent_.push_back({j.at("id").get<std::string>(), title, {target}, false});
    ++report_.messages;
    return true;
  }

  bool read() {
    std::vector<std::pair<std::size_t, std::size_t>> candidates;  // (agent, sent)
    for (std::size_t a = 0; a < agents_.size(); ++a)
      for (std::size_t s = 0; s < sent_.size(); ++s)
        if (!sent_[s].recalled && targets(sent_[s].targets, agents_[a]->path()) &&
            !reads_.count({agents_[a]->path(), sent_[s].id}))
          candidates.emplace_back(a, s);
    if (candidates.empty()) return false;
    auto [a, s] = candidates[static_cast<std::size_t>(pick(static_cast<int>(candidates.size())))];
    auto r = agents_[a]->cli({"show", sent_[s].id});
    // Exit 3: not delivered yet (the kill may be in the way); anything else is worth a note.
    if (r.exit_code != 0 && r.exit_code != static_cast<int>(ErrorKind::not_found))
      progress_ << "  note: herald-agent show on " << agents_[a]->path() << " exited " << r.exit_code << ": "
                << first_line(r.err) << std::endl;
    if (r.exit_code != 0) return false;
    reads_.insert({agents_[a]->path(), sent_[s].id});
    ++report_.reads_done;
    return true;
  }

  bool recall() {
    std::vector<std::size_t> live;
    for (std::size_t s = 0; s < sent_.size(); ++s)
      if (!sent_[s].recalled) live.push_back(s);
    if (live.empty()) return false;
    auto& m = sent_[live[static_cast<std::size_t>(pick(static_cast<int>(live.size())))]];
    auto r = sys_->herald({"recall", m.id});
    if (r.exit_code != 0) return false;
    m.recalled = true;
    ++report_.recalls;
    return true;
  }

  static bool targets(const std::vector<std::string>& targets, const std::string& path) {
    for (const auto& t : targets)
      if (covers(t, path)) return true;
    return false;
  }

  // ------------------------------------------------------------ the check

  Findings settle() {
    auto deadline = Clock::now() + std::chrono::seconds(options_.settle_seconds);
    auto begin = Clock::now();
    for (;;) {
      check_stop();
      auto found = look();
      if (found.clean() || Clock::now() >= deadline) {
        progress_ << (found.clean() ? "settled after " : "not settled after ")
                  << seconds_text(std::chrono::duration_cast<Ms>(Clock::now() - begin)) << std::endl;
        return found;
      }
      sleep_or_stop(2s);
    }
  }

  // heraldd's ledger as `herald list` shows it: id -> (state, title, targets).
  struct LedgerEntry {
    std::string state;
    std::string title;
    std::vector<std::string> targets;
  };

  std::optional<std::map<std::string, LedgerEntry>> ledger() {
    auto r = sys_->herald({"list", "--limit", "10000", "--json"});
    if (r.exit_code != 0) return std::nullopt;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_discarded() || !j.contains("messages")) return std::nullopt;
    std::map<std::string, LedgerEntry> out;
    for (const auto& m : j.at("messages"))
      out[m.at("id").get<std::string>()] = {m.at("state").get<std::string>(), m.at("title").get<std::string>(),
                                            m.at("targets").get<std::vector<std::string>>()};
    return out;
  }

  // id -> how many times it is in the inbox, and title -> the ids it is stored under.
  struct InboxView {
    std::map<std::string, int> ids;
    std::map<std::string, std::set<std::string>> titles;
  };

  std::optional<InboxView> inbox(testing::Agent& agent) {
    auto r = agent.cli({"inbox", "--json"});
    if (r.exit_code != 0) return std::nullopt;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (!j.is_array()) return std::nullopt;
    InboxView v;
    for (const auto& m : j) {
      auto id = m.at("id").get<std::string>();
      ++v.ids[id];
      v.titles[m.at("title").get<std::string>()].insert(id);
    }
    return v;
  }

  // Recipient -> state in heraldd's status of the message; nothing if heraldd did not answer.
  std::optional<std::map<std::string, std::string>> recipient_states(const std::string& id) {
    auto r = sys_->herald({"status", id, "--json"});
    if (r.exit_code != 0) return std::nullopt;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_discarded() || !j.contains("recipients")) return std::nullopt;
    std::map<std::string, std::string> out;
    for (const auto& rec : j.at("recipients"))
      out[rec.at("recipient").get<std::string>()] = rec.at("state").get<std::string>();
    return out;
  }

  Findings look() {
    Findings f;
    auto problem = [&](int& counter, std::string text) {
      ++counter;
      f.problems.push_back(std::move(text));
    };
    auto known = ledger();
    if (!known) {
      f.complete = false;
      f.problems.push_back("heraldd did not answer herald list: nothing checked");
      return f;
    }
    std::vector<InboxView> inboxes;
    for (auto* a : agents_) {
      auto v = inbox(*a);
      if (!v) {
        f.complete = false;
        f.problems.push_back("herald-agent inbox failed on " + a->path() + ": nothing checked");
        return f;
      }
      inboxes.push_back(std::move(*v));
    }
    // Every message to check: the sends herald reported done, and whatever else the
    // ledger holds (a send reported failed that still reached heraldd must be delivered).
    std::map<std::string, const Sent*> ours;
    for (const auto& s : sent_) ours[s.id] = &s;
    std::set<std::string> ids;
    for (const auto& s : sent_) ids.insert(s.id);
    std::map<std::string, std::set<std::string>> ledger_titles;
    for (const auto& [id, e] : *known) {
      ids.insert(id);
      ledger_titles[e.title].insert(id);
    }
    for (const auto& [title, under] : ledger_titles)
      if (under.size() > 1)
        problem(f.duplicated, "one send, " + std::to_string(under.size()) + " ids in the ledger: '" + title + "'");
    for (std::size_t a = 0; a < agents_.size(); ++a) {
      for (const auto& [id, n] : inboxes[a].ids)
        if (n > 1) problem(f.duplicated, id + " is " + std::to_string(n) + " times in " + agents_[a]->path());
      for (const auto& [title, under] : inboxes[a].titles)
        if (under.size() > 1)
          problem(f.duplicated,
                  "one send, " + std::to_string(under.size()) + " ids in " + agents_[a]->path() + ": '" + title + "'");
    }
    std::map<std::string, std::vector<std::string>> reads_of;  // id -> computers that read it
    for (const auto& [path, id] : reads_) reads_of[id].push_back(path);

    for (const auto& id : ids) {
      auto entry = known->find(id);
      auto mine = ours.find(id);
      const Sent* sent = mine == ours.end() ? nullptr : mine->second;
      bool in_ledger = entry != known->end();
      if (sent && !in_ledger) problem(f.lost_messages, id + ": herald reported it sent, heraldd does not know it");
      if (sent && sent->recalled && in_ledger && entry->second.state == "active")
        problem(f.not_recalled, id + ": herald reported it recalled, heraldd says active");
      bool live = in_ledger ? entry->second.state == "active" : !(sent && sent->recalled);
      const auto& message_targets = in_ledger ? entry->second.targets : sent->targets;
      const auto& title = in_ledger ? entry->second.title : sent->title;
      std::vector<std::size_t> holders;  // targeted agents that hold it (live)
      for (std::size_t a = 0; a < agents_.size(); ++a) {
        bool has = inboxes[a].ids.count(id) != 0;
        const auto& path = agents_[a]->path();
        if (live && targets(message_targets, path)) {
          ++f.deliveries;
          if (has)
            holders.push_back(a);
          else
            problem(f.lost_deliveries, id + " ('" + title + "') is not in " + path);
        } else if (!live && has) {
          problem(f.not_recalled, id + " (recalled) is still in " + path);
        }
      }
      auto read_by = reads_of.find(id);
      std::vector<std::string> readers = read_by == reads_of.end() ? std::vector<std::string>{} : read_by->second;
      if (!in_ledger) {
        for (const auto& path : readers) problem(f.lost_reads, "read of " + id + " on " + path + ": message unknown");
        continue;
      }
      // heraldd's status only for what has not been seen recorded yet: receipts never
      // go back, so a recorded one stays recorded.
      bool need = false;
      for (auto a : holders) need = need || !recorded_.count({agents_[a]->path(), id, "delivered"});
      for (const auto& path : readers) need = need || !recorded_.count({path, id, "read"});
      if (!need) {
        f.reads_recorded += static_cast<int>(readers.size());
        continue;
      }
      auto states = recipient_states(id);
      if (!states) {
        f.complete = false;
        f.problems.push_back("heraldd did not answer herald status " + id + ": its receipts not checked");
        continue;
      }
      for (auto a : holders) {
        const auto& path = agents_[a]->path();
        auto st = states->find(path);
        if (st == states->end() || st->second == "pending")
          problem(f.lost_receipts, id + ": " + path + " holds it, heraldd says " +
                                       (st == states->end() ? std::string("nothing") : st->second));
        else
          recorded_.insert({path, id, "delivered"});
      }
      for (const auto& path : readers) {
        auto st = states->find(path);
        if (st != states->end() && st->second == "read") {
          recorded_.insert({path, id, "read"});
          ++f.reads_recorded;
        } else {
          problem(f.lost_reads, "read of " + id + " on " + path + ": heraldd says " +
                                    (st == states->end() ? std::string("nothing") : st->second));
        }
      }
    }
    return f;
  }

  // ------------------------------------------------------------ helpers

  int pick(int n) { return n <= 1 ? 0 : std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  void check_stop() const {
    if (stop_.load()) throw Error(ErrorKind::internal, "interrupted");
  }

  // Sleeps in short steps so that Ctrl-C ends a wait at once.
  void sleep_or_stop(Ms d) const {
    auto until = Clock::now() + d;
    while (!stop_.load() && Clock::now() < until)
      std::this_thread::sleep_for(std::min<Ms>(50ms, std::chrono::duration_cast<Ms>(until - Clock::now())));
  }

  const Options& options_;
  std::ostream& progress_;
  const std::atomic<bool>& stop_;
  Report report_;
  std::mt19937_64 rng_;
  std::vector<Computer> pcs_;
  std::unique_ptr<testing::System> sys_;
  std::vector<testing::Agent*> agents_;
  int round_ = 0;
  int sends_ = 0;
  std::vector<Sent> sent_;
  std::set<std::pair<std::string, std::string>> reads_;                   // (computer, id) shown
  std::set<std::tuple<std::string, std::string, std::string>> recorded_;  // (computer, id, what) seen in the ledger
};

}  // namespace

Report run(const Options& options, std::ostream& progress, const std::atomic<bool>& stop) {
  if (options.agents < 1 || options.agents > 999) throw Error(ErrorKind::usage, "--agents must be 1..999");
  if (options.rounds < 0) throw Error(ErrorKind::usage, "--rounds must be 0 or more");
  return Drill(options, progress, stop).run();
}

nlohmann::json to_json(const Report& r) {
  return {{"rounds", r.rounds},
          {"agents", r.agents},
          {"seed", r.seed},
          {"seconds", std::round(r.seconds * 10) / 10},
          {"kills", r.kills},
          {"messages", r.messages},
          {"sends_failed", r.sends_failed},
          {"recalls", r.recalls},
          {"deliveries", r.deliveries},
          {"reads_done", r.reads_done},
          {"reads_recorded", r.reads_recorded},
          {"lost", r.lost()},
          {"lost_deliveries", r.lost_deliveries},
          {"lost_receipts", r.lost_receipts},
          {"lost_reads", r.lost_reads},
          {"lost_messages", r.lost_messages},
          {"duplicated", r.duplicated},
          {"not_recalled", r.not_recalled},
          {"checked", r.checked},
          {"passed", r.passed()}};
}

void print_report(const Report& r, std::ostream& out) {
  auto kills = [&](const char* part) {
    auto it = r.kills.find(part);
    return std::to_string(it == r.kills.end() ? 0 : it->second);
  };
  text::Table table({"FIGURE", "VALUE", "MEANING"});
  table.add({"rounds", std::to_string(r.rounds), std::to_string(r.agents) + " agents, seed " + std::to_string(r.seed)});
  table.add({"kills broker", kills(kBroker), "kill -9 of mosquitto"});
  table.add({"  of them wiped", kills(kBrokerWiped), "restarted with its persistence deleted"});
  table.add({"kills heraldd", kills(kHeraldd), ""});
  table.add({"kills agent", kills(kAgent), "a random agent each time"});
  table.add({"messages", std::to_string(r.messages), "alerts and messages herald reported sent"});
  table.add({"sends failed", std::to_string(r.sends_failed), "herald failed (part down); the ledger decides"});
  table.add({"recalls", std::to_string(r.recalls), "herald reported recalled"});
  table.add({"deliveries", std::to_string(r.deliveries), "(live message, targeted agent) pairs"});
  table.add({"reads done", std::to_string(r.reads_done), "herald-agent show succeeded"});
  table.add({"reads recorded", std::to_string(r.reads_recorded), "read in heraldd's status"});
  table.add({"lost", std::to_string(r.lost()), "the four below"});
  table.add({"  deliveries", std::to_string(r.lost_deliveries), "a live message missing from a targeted inbox"});
  table.add({"  receipts", std::to_string(r.lost_receipts), "held, but pending in heraldd's status"});
  table.add({"  reads", std::to_string(r.lost_reads), "shown, but not read in heraldd's status"});
  table.add({"  messages", std::to_string(r.lost_messages), "sent, but unknown to heraldd"});
  table.add({"duplicated", std::to_string(r.duplicated), "an id twice in an inbox, or one send under two ids"});
  table.add({"not recalled", std::to_string(r.not_recalled), "recalled, but still in an inbox or active"});
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.1f", r.seconds);
  table.add({"seconds", secs, ""});
  table.print(out);
  if (!r.problems.empty()) {
    out << "\nproblems (" << r.problems.size() << "):\n";
    for (const auto& p : r.problems) out << "  " << p << '\n';
  }
  out << (r.passed() ? "PASS" : "FAIL") << ": " << r.lost() << " lost, " << r.duplicated << " duplicated, "
      << r.not_recalled << " not recalled\n";
}

}  // namespace herald::drill
