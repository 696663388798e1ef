#pragma once
// Shared set-up for heraldd's unit tests: a real LMDB ledger in a fresh temp dir, a
// clock the test moves, and builders for the payloads agents and admins publish.
#include <doctest/doctest.h>

#include <filesystem>
#include <random>
#include <string>

#include "herald/common/payloads.hpp"
#include "herald/common/time.hpp"
#include "herald/common/topics.hpp"
#include "herald/scheduler/ledger.hpp"
#include "herald/scheduler/processor.hpp"

namespace herald::scheduler::testing {

inline TimePoint t0() { return from_rfc3339("2026-11-22T13:00:00.000Z"); }

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / ("heraldd-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

struct Fixture {
  TempDir dir;
  TimePoint clock = t0();
  Ledger ledger{Ledger::Options{dir.path.string(), false, std::size_t{1} << 28}};
  Processor processor{ledger, [this] { return clock; }};

  std::vector<Outbound> feed(std::string topic, std::string payload, bool retained = false) {
    return processor.process({Inbound{std::move(topic), std::move(payload), retained}});
  }
};

inline std::string delivery(std::string body = "Body", std::string title = "Title",
                            std::chrono::milliseconds sent_offset = {},
                            std::chrono::hours lifetime = std::chrono::hours(24), std::string for_user = {}) {
  payloads::Delivery d;
  d.title = std::move(title);
  d.body = std::move(body);
  d.sent_at = t0() + sent_offset;
  d.expires_at = d.sent_at + lifetime;
  d.for_user = std::move(for_user);
  return payloads::encode(d);
}

inline std::string ack(payloads::AckState state, TimePoint at, std::string user = "", std::string sender = "") {
  return payloads::encode(payloads::Ack{state, at, std::move(user), std::move(sender)});
}

inline std::string presence(bool online, std::string user, TimePoint at = t0()) {
  payloads::Presence p;
  p.online = online;
  p.user = std::move(user);
  p.at = at;
  p.host = "pc";
  p.version = "0.1.0";
  return payloads::encode(p);
}

inline std::string msg_topic(std::string_view account, std::string_view id, std::string_view target) {
  return topics::delivery(topics::Kind::message, account, id, Target::parse(target));
}
inline std::string alert_topic(std::string_view account, std::string_view id, std::string_view target) {
  return topics::delivery(topics::Kind::alert, account, id, Target::parse(target));
}

inline std::string request(std::string id = {}, std::string csv = {}, std::size_t limit = 0) {
  return payloads::encode(payloads::Request{std::move(id), std::move(csv), limit});
}

// The Reply published on `topic` among `out` (fails the test if there is none).
inline payloads::Reply reply_on(const std::vector<Outbound>& out, const std::string& topic) {
  for (const auto& o : out)
    if (o.topic == topic) return payloads::decode<payloads::Reply>(o.payload);
  FAIL("no reply on " << topic);
  return {};
}

inline bool has(const std::vector<Outbound>& out, const Outbound& o) {
  return std::find(out.begin(), out.end(), o) != out.end();
}

}  // namespace herald::scheduler::testing
