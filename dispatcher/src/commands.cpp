#include "herald/dispatcher/commands.hpp"

#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "herald/common/directory.hpp"
#include "herald/common/error.hpp"
#include "herald/common/i18n.hpp"
#include "herald/common/ids.hpp"
#include "herald/common/results.hpp"
#include "herald/dispatcher/format.hpp"
#include "herald/dispatcher/plans_commands.hpp"
#include "herald/dispatcher/session.hpp"
#include "herald/dispatcher/settings.hpp"

namespace herald::dispatcher {
namespace {

using nlohmann::json;

std::string read_all(std::istream& in) { return std::string(std::istreambuf_iterator<char>(in), {}); }

// `what` is translated by the caller ("body file").
std::string read_text_file(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::not_found, trf("cannot read {1} {2}", {what, path}));
  return read_all(in);
}

// `echo text | herald alert --body -` should not send the shell's trailing newline.
std::string without_trailing_newlines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

std::string body_from(const SendOptions& o) {
  if (o.body_given && !o.body_file.empty())
    throw Error(ErrorKind::usage, tr("use either --body or --body-file, not both"));
  if (!o.body_file.empty())
    return without_trailing_newlines(o.body_file == "-" ? read_all(std::cin)
                                                        : read_text_file(o.body_file, tr("body file")));
  if (!o.body_given)
    throw Error(ErrorKind::usage, tr("missing body: pass --body TEXT, --body - (stdin) or --body-file FILE"));
  if (o.body == "-") return without_trailing_newlines(read_all(std::cin));
  return o.body;
}

json json_time_or_null(const std::optional<TimePoint>& t) { return t ? json(to_rfc3339(*t)) : json(nullptr); }

// All or nothing, before anything is sent to several targets: with MQTT v5 the broker
// answers every publish with a reason code, so publish a zero-length retained message on
// each topic first. On a new message id that clears nothing, and every receiver ignores
// zero-length payloads (topics.md), so a refusal here leaves no trace at all. A single
// target needs no probe (its one publish is all or nothing), and the probe is not free:
// the broker forwards it to every subscriber, one extra fan-out (bench/README.md). With
// MQTT 3.1.1 refusals are silent and this would prove nothing.
template <typename RefusalText>
void ensure_permitted(Session& session, const std::vector<Publication>& publications, const Settings& settings,
                      RefusalText refusal_text) {
  if (!session.reports_refusals() || publications.size() < 2) return;
  std::vector<Publication> probes;
  for (const auto& p : publications) probes.push_back({p.topic, "", true});
  auto outcomes = session.publish_all(probes, settings.request_timeout);
  for (std::size_t i = 0; i < outcomes.size(); ++i)
    if (!outcomes[i].accepted) throw Error(ErrorKind::not_permitted, refusal_text(i));
}

std::string scope_for(const std::string& under, const Settings& settings) {
  return under.empty() ? settings.scope : under;
}

}  // namespace

std::string send_refused_text(std::string_view account, topics::Kind kind, const Target& target) {
  if (kind == topics::Kind::alert) return trf("{1} may not send alerts to {2}", {account, target.to_string()});
  return trf("{1} may not send messages to {2}", {account, target.to_string()});
}

std::string recall_refused_text(std::string_view account, const Target& target) {
  return trf("{1} may not recall messages sent to {2}", {account, target.to_string()});
}

std::string unconfirmed_warning(std::string_view id, bool reports_refusals) {
  if (reports_refusals)
    return trf("warning: heraldd has not confirmed recording {1} yet; the broker holds the message", {id});
  return trf(
      "warning: heraldd has not confirmed recording {1} yet; with MQTT 3.1.1 the broker does not report refusals, "
      "so the message may also have been refused (not permitted); check with herald status {1}",
      {id});
}

void require_message_id(std::string_view id) {
  if (!is_valid_token(id))
    throw Error(ErrorKind::usage,
                trf("invalid message id '{1}': an id is 1-64 letters, digits, '.', '_' or '-'", {id}));
}

void require_scope(std::string_view scope, std::string_view what) {
  if (!is_valid_org_path(scope))
    throw Error(ErrorKind::usage,
                trf("invalid {1} '{2}': expected an org path such as org or org/branch01", {what, scope}));
}

std::chrono::seconds default_expiry(topics::Kind kind) {
  return kind == topics::Kind::alert ? std::chrono::seconds(std::chrono::hours(24))
                                     : std::chrono::seconds(std::chrono::hours(24 * 90));
}

PreparedSend prepare_send(const SendOptions& o, TimePoint sent_at) {
  PreparedSend p;
  p.kind = o.kind;
  if (o.to.empty())
    throw Error(ErrorKind::usage, tr("no target: pass --to TARGET (an org path such as org/branch01, or user:LOGIN)"));
  for (const auto& text : o.to) {
    auto target = Target::parse(text);
    if (std::find(p.targets.begin(), p.targets.end(), target) == p.targets.end()) p.targets.push_back(target);
  }
  if (o.require_confirm && o.kind != topics::Kind::message)
    throw Error(ErrorKind::usage,
                tr("--require-confirm is for messages: use herald send (an alert is a pop-up, not kept to confirm)"));
  if (o.kind == topics::Kind::message && o.title.empty())
    throw Error(ErrorKind::usage, tr("a message needs a title: pass --title TEXT"));
  auto expiry = o.expires.empty() ? default_expiry(o.kind) : parse_duration(o.expires);
  auto& d = p.delivery;
  d.title = o.title;
  d.body = body_from(o);
  d.severity = o.severity.empty() ? "info" : o.severity;
  d.links = o.links;
  d.require_confirm = o.require_confirm;
  d.sent_at = sent_at;
  d.expires_at = sent_at + std::chrono::duration_cast<std::chrono::milliseconds>(expiry);
  payloads::validate(d);
  std::string encoded;
  try {
    encoded = payloads::encode(d);
  } catch (const json::exception&) {
    throw Error(ErrorKind::usage, tr("the title, body or a link is not valid UTF-8"));
  }
  // Escaping (control characters become \u00XX) can make a body within its own limit
  // too big for receivers, which drop anything over kMaxPayloadBytes.
  if (encoded.size() > payloads::kMaxPayloadBytes)
    throw Error(ErrorKind::usage, trf("message is {1} bytes as JSON, over the limit of {2}",
                                      {std::to_string(encoded.size()), std::to_string(payloads::kMaxPayloadBytes)}));
  return p;
}

int run_send(const SendOptions& options, const GlobalOptions& global, std::ostream& out, std::ostream& err) {
  if (options.later()) return run_send_later(options, global, out);
  if (!options.tz.empty() || !options.start.empty() || !options.skip_dates.empty())
    throw Error(ErrorKind::usage, tr("--tz, --start and --skip-dates need --repeat RULE or --at TIME"));
  auto prepared = prepare_send(options, now());
  auto settings = Settings::load(global.config_path);
  auto id = new_id();
  Session session(settings.broker);
  // Subscribe first so heraldd's confirmation cannot arrive before we listen.
  session.subscribe_replies();
  auto payload = payloads::encode(prepared.delivery);
  std::vector<Publication> publications;
  for (const auto& target : prepared.targets)
    publications.push_back({topics::delivery(prepared.kind, session.account(), id, target), payload, true});
  ensure_permitted(session, publications, settings, [&](std::size_t i) {
    return send_refused_text(session.account(), prepared.kind, prepared.targets[i]);
  });
  auto outcomes = session.publish_all(publications, settings.request_timeout);

  // Only if the rights changed since the probe: clear the retained copies the broker
  // accepted so no one receives half of a message.
  const PublishOutcome* refused = nullptr;
  std::size_t refused_index = 0;
  std::vector<Publication> withdrawals;
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    if (!outcomes[i].accepted && !refused) {
      refused = &outcomes[i];
      refused_index = i;
    }
    if (outcomes[i].accepted) withdrawals.push_back({outcomes[i].topic, "", true});
  }
  if (refused) {
    std::string text = send_refused_text(session.account(), prepared.kind, prepared.targets[refused_index]);
    if (!withdrawals.empty()) {
      try {
        session.publish_all(withdrawals, settings.request_timeout);
      } catch (const Error& e) {
        text += " " + trf("(withdrawing the copies sent to the other targets failed: {1})", {e.what()});
      }
    }
    throw Error(ErrorKind::not_permitted, text);
  }

  auto reply = session.await_reply(id, settings.confirm_timeout);
  bool recorded = reply && reply->ok;
  if (!reply)
    err << unconfirmed_warning(id, session.reports_refusals()) << '\n';
  else if (!reply->ok)
    err << trf("warning: heraldd did not record {1}: {2}", {id, reply->error}) << '\n';

  if (options.json) {
    json targets = json::array();
    for (const auto& t : prepared.targets) targets.push_back(t.to_string());
    json j = {{"id", id},
              {"kind", topics::kind_name(prepared.kind)},
              {"targets", targets},
              {"sent_at", to_rfc3339(prepared.delivery.sent_at)},
              {"expires_at", json_time_or_null(prepared.delivery.expires_at)},
              {"recorded", recorded}};
    out << j.dump() << '\n';
  } else {
    out << id << '\n';
  }
  return 0;
}

int run_status(const StatusOptions& options, const GlobalOptions& global, std::ostream& out) {
  require_message_id(options.id);
  auto settings = Settings::load(global.config_path);
  Session session(settings.broker);
  session.subscribe_replies();
  payloads::Request request;
  request.id = options.id;
  if (options.json)
    out << session.ask(topics::kOpStatus, settings.scope, request, settings.request_timeout).dump() << '\n';
  else
    print_status_reply(session.ask_text(topics::kOpStatus, settings.scope, request, settings.request_timeout), out);
  return 0;
}

int run_pending(const PendingOptions& options, const GlobalOptions& global, std::ostream& out) {
  if (!options.under.empty()) require_scope(options.under, "--under");
  auto settings = Settings::load(global.config_path);
  Session session(settings.broker);
  session.subscribe_replies();
  auto result = session.ask(topics::kOpPending, scope_for(options.under, settings), payloads::Request{},
                            settings.request_timeout);
  if (options.json)
    out << result.dump() << '\n';
  else
    print_pending(results::read<results::Pending>(result), out);
  return 0;
}

int run_list(const ListOptions& options, const GlobalOptions& global, std::ostream& out) {
  if (!options.under.empty()) require_scope(options.under, "--under");
  if (options.limit == 0) throw Error(ErrorKind::usage, tr("--limit must be at least 1"));
  auto settings = Settings::load(global.config_path);
  Session session(settings.broker);
  session.subscribe_replies();
  payloads::Request request;
  request.limit = options.limit;
  auto result = session.ask(topics::kOpList, scope_for(options.under, settings), request, settings.request_timeout);
  if (options.json)
    out << result.dump() << '\n';
  else
    print_list(results::read<results::List>(result), out);
  return 0;
}

int run_recall(const RecallOptions& options, const GlobalOptions& global, std::ostream& out) {
  require_message_id(options.id);
  auto settings = Settings::load(global.config_path);
  Session session(settings.broker);
  session.subscribe_replies();
  payloads::Request request;
  request.id = options.id;
  // heraldd knows where the message went; an unknown id fails here with kind 3.
  auto status =
      results::read<results::Status>(session.ask(topics::kOpStatus, settings.scope, request, settings.request_timeout));
  if (status.message.targets.empty())
    throw Error(ErrorKind::protocol, trf("heraldd's status of {1} names no targets", {options.id}));
  std::vector<Target> targets;
  for (const auto& t : status.message.targets) targets.push_back(target_from_result(t));
  // Agents and heraldd honour a recall only from the account that sent the message.
  if (status.message.sender != session.account())
    throw Error(ErrorKind::not_permitted, trf("{1} may not recall {2}: only its sender ({3}) may",
                                              {session.account(), options.id, status.message.sender}));

  payloads::Recall tombstone;
  tombstone.recalled_at = now();
  tombstone.expires_at = status.message.expires_at;
  auto payload = payloads::encode(tombstone);
  std::vector<Publication> publications;
  for (const auto& target : targets)
    publications.push_back({topics::recall(session.account(), options.id, target), payload, true});
  ensure_permitted(session, publications, settings,
                   [&](std::size_t i) { return recall_refused_text(session.account(), targets[i]); });
  auto outcomes = session.publish_all(publications, settings.request_timeout);
  // Only if the rights changed since the probe; a partial recall is kept, as removing
  // the accepted tombstones would bring the message back.
  for (std::size_t i = 0; i < outcomes.size(); ++i)
    if (!outcomes[i].accepted)
      throw Error(ErrorKind::not_permitted, recall_refused_text(session.account(), targets[i]));

  if (options.json) {
    json names = json::array();
    for (const auto& t : targets) names.push_back(t.to_string());
    out << json{{"id", options.id}, {"recalled_at", to_rfc3339(tombstone.recalled_at)}, {"targets", names}}.dump()
        << '\n';
  } else {
    out << trf("recalled {1}", {options.id}) << '\n';
  }
  return 0;
}

int run_import(const ImportOptions& options, const GlobalOptions& global, std::ostream& out) {
  auto text = read_text_file(options.file, tr("directory file"));
  if (text.size() > payloads::kMaxRequestBytes)
    throw Error(ErrorKind::usage,
                trf("directory file {1} is {2} bytes, over the limit of {3}",
                    {options.file, std::to_string(text.size()), std::to_string(payloads::kMaxRequestBytes)}));
  // Parse locally first so a bad file is reported with its line before anything is sent.
  try {
    (void)parse_directory_csv(text);
  } catch (const Error& e) {
    throw Error(e.kind(), options.file + ": " + e.what());
  }
  auto settings = Settings::load(global.config_path);
  Session session(settings.broker);
  session.subscribe_replies();
  payloads::Request request;
  request.csv = text;
  auto result = session.ask(topics::kOpImport, "org", request, settings.request_timeout);
  if (options.json) {
    out << result.dump() << '\n';
    return 0;
  }
  auto imported = results::read<results::Import>(result);
  out << trf("imported {1} entries ({2} computers)",
             {std::to_string(imported.entries), std::to_string(imported.computers)})
      << '\n';
  return 0;
}

}  // namespace herald::dispatcher
