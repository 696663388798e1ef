#include "herald/bench/queries_bench.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <vector>

#include "herald/common/error.hpp"
#include "herald/common/payloads.hpp"
#include "herald/common/results.hpp"
#include "herald/common/time.hpp"
#include "herald/common/topics.hpp"
#include "herald/dispatcher/format.hpp"
#include "herald/scheduler/ledger.hpp"
#include "herald/scheduler/processor.hpp"
#include "herald/scheduler/queries.hpp"

namespace herald::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using scheduler::Inbound;
using scheduler::Ledger;
using scheduler::Outbound;
using scheduler::Processor;

// The same reply limit as the CLI's session.
constexpr std::size_t kMaxReplyBytes = 64 * 1024 * 1024;
constexpr std::size_t kBatch = 5000;  // heraldd's default max_batch
constexpr const char* kStatusId = "bench-status-all";

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1000 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// A median wall time and the median CPU time of this thread: on a shared, busy machine
// the CPU time is the steadier figure.
struct Timing {
  double wall = 0, cpu = 0;
};

// Medians of fn over `runs` calls, after one untimed warm-up call.
Timing timed(int runs, const std::function<void()>& fn) {
  fn();
  std::vector<double> wall, cpu;
  for (int i = 0; i < runs; ++i) {
    auto start = Clock::now();
    auto cpu_start = thread_cpu_ms();
    fn();
    cpu.push_back(thread_cpu_ms() - cpu_start);
    wall.push_back(ms_since(start));
  }
  return Timing{median(wall), median(cpu)};
}

std::string fixed(double v, int decimals = 2) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// Sends stderr (heraldd's log) to /dev/null while alive.
struct QuietStderr {
  int saved = -1;
  QuietStderr() {
    std::fflush(stderr);
    saved = dup(2);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
      dup2(null, 2);
      close(null);
    }
  }
  ~QuietStderr() {
    if (saved < 0) return;
    std::fflush(stderr);
    dup2(saved, 2);
    close(saved);
  }
  QuietStderr(const QuietStderr&) = delete;
  QuietStderr& operator=(const QuietStderr&) = delete;
};

struct TempDir {
  fs::path path;
  bool keep = false;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "herald-bench-queries-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw Error(ErrorKind::storage, "cannot create a temporary directory for the ledger");
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!keep) fs::remove_all(path, ec);
  }
};

class Setup {
 public:
  Setup(const QueriesBenchOptions& o, const fs::path& dir) : o_(o), dir_(dir) {
    for (std::size_t i = 0; i < o_.computers; ++i) {
      char path[80];
      std::snprintf(path, sizeof path, "org/b%03zu/pc%05zu", i / o_.per_branch, i);
      paths_.push_back(path);
    }
  }

  const std::vector<std::string>& paths() const { return paths_; }
  TimePoint base() const { return base_; }

  // Records everything through a non-durable ledger (fast), as heraldd would.
  void build(std::ostream& out) {
    auto started = Clock::now();
    Ledger ledger(Ledger::Options{dir_.string(), false, std::size_t{4} << 30});
    Processor processor(ledger, [this] { return clock_; });
    auto run = [&](std::vector<Inbound>& batch) {
      for (std::size_t i = 0; i < batch.size(); i += kBatch) {
        std::vector<Inbound> part(batch.begin() + static_cast<long>(i),
                                  batch.begin() + static_cast<long>(std::min(batch.size(), i + kBatch)));
        processor.process(part);
      }
      batch.clear();
    };
    std::vector<Inbound> batch;

    // The org directory, imported like `herald import`.
    std::ostringstream csv;
    csv << "path,kind,name,login,person\norg,central,Bench,,\n";
    for (std::size_t i = 0; i < paths_.size(); ++i) {
      if (i % o_.per_branch == 0) csv << paths_[i].substr(0, 8) << ",branch,Branch " << i / o_.per_branch << ",,\n";
      csv << paths_[i] << ",computer,PC " << i << ",,\n";
    }
    auto import = processor.process({Inbound{topics::request("admin", "bench-import", topics::kOpImport, "org"),
                                             payloads::encode(payloads::Request{{}, csv.str(), 0})}});
    if (import.empty() || import[0].payload.find("\"ok\":true") == std::string::npos)
      throw Error(ErrorKind::internal, "the directory import failed: " + (import.empty() ? "" : import[0].payload));

    // Every agent online, with its employee logged in.
    for (std::size_t i = 0; i < paths_.size(); ++i) {
      payloads::Presence p;
      p.online = true;
      p.user = user(i);
      p.at = clock_;
      p.host = "pc" + std::to_string(i);
      p.version = "0.1.0";
      batch.push_back(Inbound{topics::presence(paths_[i]), payloads::encode(p), false});
    }
    run(batch);

    // Outstanding messages, one per computer (cycling), delivered but unread.
    std::vector<std::string> pending_ids;
    for (std::size_t i = 0; i < o_.pending_messages; ++i) {
      char id[64];
      std::snprintf(id, sizeof id, "bench-pending-%05zu", i);
      pending_ids.push_back(id);
      batch.push_back(
          Inbound{topics::delivery(topics::Kind::message, "admin", id, Target::path(paths_[i % paths_.size()])),
                  delivery("Pending " + std::to_string(i), clock_ + std::chrono::milliseconds(i)), true});
    }
    run(batch);
    clock_ += std::chrono::seconds(5);
    for (std::size_t i = 0; i < o_.pending_messages; ++i)
      batch.push_back(ack(pending_ids[i], i % paths_.size(), payloads::AckState::delivered, clock_));
    run(batch);

    // The org-wide message every computer received and read.
    clock_ += std::chrono::seconds(5);
    batch.push_back(Inbound{topics::delivery(topics::Kind::message, "admin", kStatusId, Target::path("org")),
                            delivery("Read me", clock_), false});
    run(batch);
    for (std::size_t i = 0; i < paths_.size(); ++i)
      batch.push_back(ack(kStatusId, i, payloads::AckState::delivered, clock_ + std::chrono::milliseconds(i / 10)));
    run(batch);
    clock_ += std::chrono::seconds(10);
    for (std::size_t i = 0; i < paths_.size(); ++i)
      batch.push_back(ack(kStatusId, i, payloads::AckState::read, clock_ + std::chrono::milliseconds(i / 5)));
    run(batch);
    clock_ += std::chrono::seconds(10);
    out << "ledger: " << paths_.size() << " computers in " << (paths_.size() + o_.per_branch - 1) / o_.per_branch
        << " branches, 1 org-wide message read by all, " << o_.pending_messages << " outstanding messages; built in "
        << fixed(ms_since(started) / 1000, 1) << " s\n";
  }

  TimePoint now() const { return clock_; }

 private:
  static std::string user(std::size_t i) { return "u" + std::to_string(100000 + i).substr(1); }

  std::string delivery(const std::string& title, TimePoint sent) const {
    payloads::Delivery d;
    d.title = title;
    d.body = "Benchmark message: " + title;
    d.sent_at = sent;
    d.expires_at = sent + std::chrono::hours(24);
    return payloads::encode(d);
  }

  Inbound ack(const std::string& id, std::size_t computer, payloads::AckState state, TimePoint at) const {
    return Inbound{topics::ack(id, paths_[computer]),
                   payloads::encode(payloads::Ack{state, at, user(computer), "admin"}), false};
  }

  const QueriesBenchOptions& o_;
  fs::path dir_;
  std::vector<std::string> paths_;
  // A fixed instant, so two builds' answers can be compared byte for byte (--save).
  TimePoint base_ = from_rfc3339("2026-11-22T12:00:00.000Z");
  TimePoint clock_ = base_;
};

struct Figures {
  Timing query, process, with_receipt, decode, parse, print, dump;
  bool parse_ok = false;
  std::size_t reply_bytes = 0, printed_bytes = 0, json_bytes = 0;
};

// Times one query op on the reopened, durable ledger.
Figures measure(Ledger& ledger, Processor& processor, TimePoint now, const QueriesBenchOptions& o, std::string_view op,
                const std::string& id, const std::function<std::string(Ledger&, lmdb::Txn&)>& query,
                const std::function<void(const std::string& reply, const nlohmann::json& result, std::ostream&)>& print,
                const Inbound& receipt) {
  Figures f;
  f.query = timed(o.runs, [&] {
    auto txn = ledger.read();
    auto text = query(ledger, txn);
    if (text.empty()) throw Error(ErrorKind::internal, "empty answer");
  });

  int n = 0;
  std::string reply;
  f.process = timed(o.runs, [&] {
    auto rid = "bench-" + std::string(op) + "-" + std::to_string(++n);
    auto out = processor.process(
        {Inbound{topics::request("admin", rid, op, "org"), payloads::encode(payloads::Request{id, {}, 0}), false}});
    auto topic = topics::reply("admin", rid);
    auto it = std::find_if(out.begin(), out.end(), [&](const Outbound& x) { return x.topic == topic; });
    if (it == out.end()) throw Error(ErrorKind::internal, "no reply to the " + std::string(op) + " request");
    reply = std::move(it->payload);
  });
  f.reply_bytes = reply.size();
  // A receipt ahead of the request in the same batch: the batch commits (fsync) before
  // the reply goes out, as the reply may show that receipt.
  f.with_receipt = timed(o.runs, [&] {
    auto rid = "bench-" + std::string(op) + "-" + std::to_string(++n);
    auto out = processor.process({receipt, Inbound{topics::request("admin", rid, op, "org"),
                                                   payloads::encode(payloads::Request{id, {}, 0}), false}});
    if (out.empty()) throw Error(ErrorKind::internal, "no reply to the " + std::string(op) + " request");
  });

  payloads::Reply decoded;
  f.decode = timed(o.runs, [&] { decoded = payloads::decode<payloads::Reply>(reply, kMaxReplyBytes); });
  if (!decoded.ok) throw Error(ErrorKind::internal, std::string(op) + " failed: " + decoded.error);
  f.parse = timed(o.runs, [&] { f.parse_ok = !nlohmann::json::parse(reply).is_null(); });
  f.print = timed(o.runs, [&] {
    std::ostringstream os;
    print(reply, decoded.result, os);
    f.printed_bytes = os.str().size();
  });
  f.dump = timed(o.runs, [&] { f.json_bytes = decoded.result.dump().size() + 1; });
  if (!o.save_dir.empty()) {
    std::ofstream(fs::path(o.save_dir) / (std::string(op) + ".reply")) << reply;
    std::ostringstream table;
    print(reply, decoded.result, table);
    std::ofstream(fs::path(o.save_dir) / (std::string(op) + ".txt")) << table.str();
    std::ofstream(fs::path(o.save_dir) / (std::string(op) + ".json")) << decoded.result.dump() << '\n';
  }
  (void)now;
  return f;
}

std::string figure(const Timing& t) { return fixed(t.wall) + " ms (cpu " + fixed(t.cpu) + ")"; }

void report(std::ostream& out, const std::string& what, const Figures& f) {
  auto total = [&](auto member) { return (f.process.*member) + (f.decode.*member) + (f.print.*member); };
  out << what << ", wall (cpu) ms:\n"
      << "  heraldd  query (read txn)            " << figure(f.query) << "\n"
      << "  heraldd  request via Processor       " << figure(f.process) << "  reply " << f.reply_bytes << " bytes\n"
      << "  heraldd  the same after a receipt    " << figure(f.with_receipt) << "  (batch commit with fsync)\n"
      << "  herald   decode Reply                " << figure(f.decode) << "\n"
      << "           of which json::parse alone  " << figure(f.parse) << "\n"
      << "  herald   print table                 " << figure(f.print) << "  " << f.printed_bytes << " bytes\n"
      << "  herald   --json (result.dump)        " << figure(f.dump) << "  " << f.json_bytes << " bytes\n"
      << "  total    request + decode + table    " << fixed(total(&Timing::wall)) << " ms (cpu "
      << fixed(total(&Timing::cpu)) << ")\n";
}

}  // namespace

int run_queries_bench(const QueriesBenchOptions& o, std::ostream& out) {
  // heraldd logs a line per recorded message and answered request; not what is measured.
  QuietStderr quiet;
  TempDir dir;
  dir.keep = o.keep;
  Setup setup(o, dir.path);
  setup.build(out);
  auto now = setup.now();

  // Reopened durable, as heraldd opens it: the request's batch commit is heraldd's.
  Ledger ledger(Ledger::Options{dir.path.string(), true, std::size_t{4} << 30});
  Processor processor(ledger, [now] { return now; });

  using Query = std::function<std::string(Ledger&, lmdb::Txn&)>;
  Query status_query = [&](Ledger& l, lmdb::Txn& txn) {
    return scheduler::queries::status(l, txn, kStatusId, "org", now);
  };
  Query pending_query = [&](Ledger& l, lmdb::Txn& txn) { return scheduler::queries::pending(l, txn, "org", now); };

  if (!o.only.empty()) {
    // For `perf record`: just the query, many times.
    if (o.only != "pending" && o.only != "status") throw Error(ErrorKind::usage, "--only takes status or pending");
    const auto& q = o.only == "pending" ? pending_query : status_query;
    auto t = timed(o.runs, [&] {
      auto txn = ledger.read();
      (void)q(ledger, txn);
    });
    for (int i = 0; i < o.repeat_only; ++i) {
      auto txn = ledger.read();
      (void)q(ledger, txn);
    }
    out << o.only << " query: median " << figure(t) << "\n";
    if (o.keep) out << "kept " << dir.path.string() << "\n";
    return 0;
  }

  Inbound receipt{topics::ack(kStatusId, setup.paths().front()),
                  payloads::encode(payloads::Ack{payloads::AckState::read, now, "u00000", "admin"}), false};
  auto s = measure(
      ledger, processor, now, o, topics::kOpStatus, kStatusId, status_query,
      // What `herald status` does: the table straight from the reply text.
      [](const std::string& reply, const nlohmann::json&, std::ostream& os) {
        dispatcher::print_status_reply(reply, os);
      },
      receipt);
  report(out, "status of " + std::to_string(o.computers) + " recipients (median of " + std::to_string(o.runs) + ")", s);
  auto p = measure(
      ledger, processor, now, o, topics::kOpPending, {}, pending_query,
      [](const std::string&, const nlohmann::json& result, std::ostream& os) {
        dispatcher::print_pending(results::read<results::Pending>(result), os);
      },
      receipt);
  report(out, "pending, " + std::to_string(o.pending_messages) + " unread (median of " + std::to_string(o.runs) + ")",
         p);
  if (o.keep) out << "kept " << dir.path.string() << "\n";
  return 0;
}

}  // namespace herald::bench
