// Read and confirm (issue 12) on the agent: Inbox::mark_confirmed and `herald-agent
// confirm`, with their refusals.
#include <doctest/doctest.h>

#include <fstream>

#include "helpers.hpp"
#include "herald/agent/commands.hpp"
#include "herald/agent/inbox.hpp"
#include "herald/common/error.hpp"

using namespace herald;
using namespace herald::agent;
using herald::agent::test::agent_conf;
using herald::agent::test::run;
using herald::agent::test::TempDir;

namespace {

const std::string kPath = "org/b1/pc1";

topics::DeliveryTopic msg_topic(std::string id) {
  return topics::DeliveryTopic{topics::Kind::message, "hr", std::move(id), Target::parse("org/b1")};
}

payloads::Delivery to_confirm() {
  auto d = test::delivery("Regulamin", "info", std::chrono::hours(24));
  d.body = "Przeczytaj regulamin i potwierdź.";
  d.require_confirm = true;
  return d;
}

std::vector<payloads::AckState> states(const Inbox& inbox) {
  std::vector<payloads::AckState> out;
  for (const auto& e : inbox.outbox()) out.push_back(payloads::decode<payloads::Ack>(e.payload).state);
  return out;
}

Error error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  FAIL("no error");
  return Error(ErrorKind::internal, "");
}

}  // namespace

TEST_CASE("mark_confirmed: read and confirmed receipts in one step, once") {
  using payloads::AckState;
  TempDir dir;
  lmdb::Env env(dir.path, agent_env_options());
  Inbox inbox(env);
  auto now = herald::now();
  REQUIRE(inbox.accept(msg_topic("m1"), to_confirm(), kPath, "anna", now) == DeliveryOutcome::stored);
  auto stored = inbox.find("m1");
  REQUIRE(stored);
  CHECK(stored->delivery.require_confirm);
  CHECK(stored->awaits_confirmation());
  CHECK(stored->state() == "delivered");

  // Not read yet: confirming marks it read too, both receipts queued in order.
  auto later = now + std::chrono::seconds(30);
  auto m = inbox.mark_confirmed("m1", later, kPath, "anna");
  CHECK(m.read_at == later);
  CHECK(m.confirmed_at == later);
  CHECK(m.state() == "confirmed");
  CHECK_FALSE(m.awaits_confirmation());
  CHECK(states(inbox) == std::vector<AckState>{AckState::delivered, AckState::read, AckState::confirmed});
  auto out = inbox.outbox();
  auto confirmed = payloads::decode<payloads::Ack>(out[2].payload);
  CHECK(out[2].topic == topics::ack("m1", kPath));
  CHECK(confirmed.user == "anna");
  CHECK(confirmed.sender == "hr");
  CHECK(confirmed.at == later);
  // Stored: a new Inbox over the same store reads it back.
  Inbox again(env);
  CHECK(again.find("m1")->confirmed_at == later);
  CHECK(again.find("m1")->state() == "confirmed");

  // Confirming again changes and queues nothing; the first time stays.
  auto repeat = inbox.mark_confirmed("m1", later + std::chrono::seconds(5), kPath, "anna");
  CHECK(repeat.confirmed_at == later);
  CHECK(inbox.outbox_size() == 3);

  // Already read: only the confirmed receipt is added, read_at is kept.
  REQUIRE(inbox.accept(msg_topic("m2"), to_confirm(), kPath, "anna", now) == DeliveryOutcome::stored);
  inbox.mark_read("m2", now + std::chrono::seconds(1), kPath, "anna");
  auto m2 = inbox.mark_confirmed("m2", now + std::chrono::seconds(2), kPath, "anna");
  CHECK(m2.read_at == now + std::chrono::seconds(1));
  CHECK(m2.confirmed_at == now + std::chrono::seconds(2));
  CHECK(inbox.outbox_size() == 6);  // delivered, read, confirmed
}

TEST_CASE("mark_confirmed refuses a message that does not ask, an unknown id and an expired one, changing nothing") {
  TempDir dir;
  lmdb::Env env(dir.path, agent_env_options());
  Inbox inbox(env);
  auto now = herald::now();
  REQUIRE(inbox.accept(msg_topic("plain"), test::delivery("Plain", "info"), kPath, "anna", now) ==
          DeliveryOutcome::stored);
  auto e = error_of([&] { inbox.mark_confirmed("plain", now, kPath, "anna"); });
  CHECK(e.kind() == ErrorKind::usage);
  CHECK(std::string(e.what()) == "message 'plain' does not ask for confirmation");
  CHECK_FALSE(inbox.find("plain")->read_at);  // not even read
  CHECK(inbox.outbox_size() == 1);

  e = error_of([&] { inbox.mark_confirmed("nope", now, kPath, "anna"); });
  CHECK(e.kind() == ErrorKind::not_found);
  CHECK(std::string(e.what()) == "unknown message id 'nope'");

  auto short_lived = to_confirm();
  short_lived.expires_at = now + std::chrono::seconds(10);
  REQUIRE(inbox.accept(msg_topic("old"), short_lived, kPath, "anna", now) == DeliveryOutcome::stored);
  e = error_of([&] { inbox.mark_confirmed("old", now + std::chrono::seconds(11), kPath, "anna"); });
  CHECK(e.kind() == ErrorKind::not_found);
  CHECK(inbox.outbox_size() == 2);
}

TEST_CASE("inbox/show JSON: require_confirm only when asked, confirmed_at always") {
  StoredMessage m;
  m.id = "m1";
  m.sender = "hr";
  m.target = "org/b1";
  m.delivery = test::delivery("T", "info");
  m.received_at = herald::now();
  auto j = to_json(m);
  CHECK_FALSE(j.contains("require_confirm"));
  CHECK(j.at("confirmed_at").is_null());
  m.delivery.require_confirm = true;
  m.read_at = m.received_at;
  m.confirmed_at = m.received_at;
  j = to_json(m);
  CHECK(j.at("require_confirm") == true);
  CHECK(j.at("confirmed_at") == to_rfc3339(*m.confirmed_at));
  CHECK(j.at("state") == "confirmed");
  CHECK(stored_message_from_json(to_json(m, true)).confirmed_at == m.confirmed_at);
  // A record stored before confirmations existed (no such keys) reads as before.
  auto old = to_json(m, true);
  old.erase("confirmed_at");
  old.erase("require_confirm");
  auto back = stored_message_from_json(old);
  CHECK_FALSE(back.confirmed_at);
  CHECK_FALSE(back.delivery.require_confirm);
  CHECK(back.state() == "read");

  // show's text: the confirmation line only for a message that asks for it.
  auto text = format_message(m);
  CHECK(text.find("Confirmed: ") != std::string::npos);
  CHECK(text.find("herald-agent confirm") == std::string::npos);  // already confirmed
  m.confirmed_at.reset();
  text = format_message(m);
  CHECK(text.find("run herald-agent confirm m1") != std::string::npos);
  m.delivery.require_confirm = false;
  text = format_message(m);
  CHECK(text.find("onfirm") == std::string::npos);
}

TEST_CASE("herald-agent confirm through the binary: prints the confirmation; exit 2 and 3 for bad cases") {
  TempDir dir;
  auto conf = agent_conf(dir);
  {
    lmdb::Env env(dir / "data", agent_env_options());
    Inbox inbox(env);
    inbox.accept(msg_topic("rc"), to_confirm(), kPath, "anna", herald::now());
    inbox.accept(msg_topic("plain"), test::delivery("Plain", "info"), kPath, "anna", herald::now());
  }
  auto shown = run("show rc " + conf);
  CHECK(shown.code == 0);
  CHECK(shown.out.find("run herald-agent confirm rc") != std::string::npos);
  CHECK(run("show plain " + conf).out.find("herald-agent confirm") == std::string::npos);

  auto confirmed = run("confirm rc " + conf);
  CHECK(confirmed.code == 0);
  CHECK(confirmed.out.find("Confirmed: you have read and understood message rc") == 0);
  auto again = run("confirm rc --json " + conf);
  CHECK(again.code == 0);
  auto j = nlohmann::json::parse(again.out);
  CHECK(j.at("state") == "confirmed");
  CHECK(j.at("require_confirm") == true);
  CHECK(j.at("confirmed_at").is_string());
  CHECK(run("confirm rc " + conf).out.find("was already confirmed") != std::string::npos);
  auto listed = nlohmann::json::parse(run("inbox --json " + conf).out);
  for (const auto& row : listed) CHECK(row.at("state") == (row.at("id") == "rc" ? "confirmed" : "read"));

  auto refused = run("confirm plain " + conf);
  CHECK(refused.code == 2);
  CHECK(refused.out == "herald-agent: error: message 'plain' does not ask for confirmation\n");
  auto unknown = run("confirm nope " + conf);
  CHECK(unknown.code == 3);
  CHECK(unknown.out == "herald-agent: error: unknown message id 'nope'\n");
  CHECK(run("confirm '../x' " + conf).code == 3);
  CHECK(run("confirm " + conf).code == 2);  // no id
  CHECK(run("confirm --help").code == 0);

  // Receipts: rc delivered, read (show), confirmed; plain delivered, read; nothing for the refusals.
  lmdb::Env env(dir / "data", agent_env_options());
  Inbox inbox(env);
  std::vector<std::string> seen;
  for (const auto& e : inbox.outbox())
    seen.emplace_back(payloads::ack_state_name(payloads::decode<payloads::Ack>(e.payload).state));
  CHECK(seen == std::vector<std::string>{"delivered", "delivered", "read", "read", "confirmed"});
}
