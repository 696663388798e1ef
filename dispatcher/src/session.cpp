#include "herald/dispatcher/session.hpp"

#include <mosquitto.h>
#include <netdb.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <climits>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <system_error>
#include <unordered_map>
#include <unordered_set>

#include "herald/common/broker_errors.hpp"
#include "herald/common/error.hpp"
#include "herald/common/i18n.hpp"
#include "herald/common/ids.hpp"
#include "herald/common/topics.hpp"

namespace herald::dispatcher {
namespace {

// Replies carry whole query results (a status of every computer in the org), so they
// may be far larger than a Delivery.
constexpr std::size_t kMaxReplyBytes = 64 * 1024 * 1024;
// As the Paho edge (mqtt_edge::connect_options), so the broker treats both alike.
constexpr int kKeepAliveSeconds = 30;
constexpr int kDefaultTlsPort = 8883;
// libmosquitto numbers publishes with 16-bit ids that wrap; publishing at most this
// many before collecting their acknowledgements keeps every id in flight unique.
constexpr std::size_t kPublishWindow = 10000;

using mqtt_edge::Operation;

// The broker binds a password client's id to its account ("ACCOUNT" or "ACCOUNT:..."),
// so no account can take over another's session; the random part lets two commands of
// one account run at the same time.
std::string client_id_for(const std::string& account) {
  auto id = new_id();  // "<time>-<random hex>": keep the random part
  return account + ":cli-" + id.substr(id.find('-') + 1);
}

// What a failed libmosquitto call means, in words (errno is read by the caller at once,
// before anything can overwrite it).
std::string describe(int rc, int saved_errno) {
  if (rc == MOSQ_ERR_ERRNO) return std::system_category().message(saved_errno);
  if (rc == MOSQ_ERR_EAI) return gai_strerror(saved_errno);
  // A v5 DISCONNECT from the broker reports its reason code, not a library code.
  if (rc >= 0x80) return mqtt_edge::error_text(rc, 5, Operation::connection);
  return mosquitto_strerror(rc);
}

struct BrokerAddress {
  std::string host;
  int port = kDefaultTlsPort;
};

// ssl://host:port or mqtts://host:port (mqtt_edge::settings_from accepts only these);
// an IPv6 host is written in brackets, [::1]:8883. Without a port: 8883, as Paho does.
BrokerAddress parse_address(const std::string& uri) {
  auto invalid = [&](const std::string& why) {
    return Error(ErrorKind::config, trf("cannot use broker address '{1}': {2}", {uri, why}));
  };
  auto scheme_end = uri.find("://");
  if (scheme_end == std::string::npos) throw invalid(tr("expected ssl://host:port"));
  auto scheme = uri.substr(0, scheme_end);
  if (scheme != "ssl" && scheme != "mqtts") throw invalid(tr("only ssl:// and mqtts:// are supported"));
  auto rest = uri.substr(scheme_end + 3);
  if (!rest.empty() && rest.back() == '/') rest.pop_back();

  BrokerAddress address;
  std::string port_text;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string::npos) throw invalid(tr("an IPv6 address lacks its closing ']'"));
    address.host = rest.substr(1, close - 1);
    auto after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw invalid(tr("expected ':port' after the IPv6 address"));
      port_text = after.substr(1);
    }
  } else if (auto colon = rest.rfind(':'); colon != std::string::npos) {
    address.host = rest.substr(0, colon);
    port_text = rest.substr(colon + 1);
  } else {
    address.host = rest;
  }
  if (address.host.empty()) throw invalid(tr("no host name"));
  if (!port_text.empty()) {
    int port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 || port > 65535)
      throw invalid(trf("invalid port '{1}'", {port_text}));
    address.port = port;
  }
  return address;
}

void init_library_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Never cleaned up: the library lives as long as the process (sessions may be left
    // to the process exit, see leave_connections_to_process_exit).
    if (int rc = mosquitto_lib_init(); rc != MOSQ_ERR_SUCCESS)
      throw Error(ErrorKind::internal, trf("cannot initialise libmosquitto: {1}", {describe(rc, errno)}));
  });
}

std::string seconds_text(std::chrono::milliseconds timeout) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) + " s";
}

}  // namespace

// The libmosquitto client. Its network thread (mosquitto_loop_start) runs the callbacks;
// they only record what arrived under `mutex` and wake the caller, who waits on `changed`.
struct Session::Connection {
  struct Message {
    std::string topic;
    std::string payload;
  };

  mosquitto* client = nullptr;
  bool loop_running = false;

  std::mutex mutex;
  std::condition_variable changed;
  // Guarded by mutex:
  std::optional<int> connack;  // CONNACK reason code (v5) or return code (3.1.1)
  bool lost = false;           // the connection is gone (never re-established)
  int lost_code = 0;
  int lost_errno = 0;
  std::unordered_map<int, int> acks;  // message id -> PUBACK reason code
  std::unordered_set<int> abandoned;  // message ids nobody waits for any more
  std::unordered_map<int, std::vector<int>> subacks;
  std::deque<Message> messages;

  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  ~Connection() {
    if (!client) return;
    if (loop_running) {
      // Queues DISCONNECT (or does nothing if the connection is gone); the network thread
      // sends it, closes the socket and, seeing the state, ends; loop_stop joins it.
      mosquitto_disconnect(client);
      mosquitto_loop_stop(client, false);
    }
    mosquitto_destroy(client);
  }

  static Connection& of(void* userdata) { return *static_cast<Connection*>(userdata); }

  static void on_connect(mosquitto* client, void* userdata, int code, int /*flags*/, const mosquitto_property*) {
    auto& self = of(userdata);
    {
      std::lock_guard lock(self.mutex);
      self.connack = code;
    }
    self.changed.notify_all();
    // A refused CONNECT: stop libmosquitto's network thread from retrying.
    if (code != 0) mosquitto_disconnect(client);
  }

  static void on_disconnect(mosquitto* client, void* userdata, int code, const mosquitto_property*) {
    int saved_errno = errno;
    auto& self = of(userdata);
    {
      std::lock_guard lock(self.mutex);
      self.lost = true;
      self.lost_code = code;
      self.lost_errno = saved_errno;
    }
    self.changed.notify_all();
    // A clean session has nothing to resume: like the Paho client before, the CLI does not
    // reconnect, it reports the loss. This also ends libmosquitto's retry loop.
    mosquitto_disconnect(client);
  }

  static void on_publish(mosquitto*, void* userdata, int mid, int reason_code, const mosquitto_property*) {
    auto& self = of(userdata);
    {
      std::lock_guard lock(self.mutex);
      if (self.abandoned.erase(mid) > 0) return;
      self.acks[mid] = reason_code;
    }
    self.changed.notify_all();
  }

  static void on_subscribe(mosquitto*, void* userdata, int mid, int count, const int* granted,
                           const mosquitto_property*) {
    auto& self = of(userdata);
    {
      std::lock_guard lock(self.mutex);
      self.subacks[mid] = std::vector<int>(granted, granted + count);
    }
    self.changed.notify_all();
  }

  static void on_message(mosquitto*, void* userdata, const mosquitto_message* message, const mosquitto_property*) {
    auto& self = of(userdata);
    Message copy{message->topic ? message->topic : "", std::string(static_cast<const char*>(message->payload),
                                                                   static_cast<std::size_t>(message->payloadlen))};
    {
      std::lock_guard lock(self.mutex);
      self.messages.push_back(std::move(copy));
    }
    self.changed.notify_all();
  }

  // Publishes that the caller stopped waiting for: their late acknowledgements are dropped.
  void abandon(const std::vector<int>& mids) {
    std::lock_guard lock(mutex);
    for (int mid : mids)
      if (acks.erase(mid) == 0) abandoned.insert(mid);
  }
};

std::string request_refused_text(std::string_view account, std::string_view op, std::string_view scope) {
  return trf("{1} may not ask for {2} under {3}", {account, op, scope});
}

std::string no_answer_text(std::chrono::seconds timeout) {
  return trf("no answer from heraldd within {1} s (is heraldd running?)", {std::to_string(timeout.count())});
}

ErrorKind error_kind_from_reply(int kind) {
  if (kind < static_cast<int>(ErrorKind::internal) || kind > static_cast<int>(ErrorKind::config))
    return ErrorKind::internal;
  return static_cast<ErrorKind>(kind);
}

Session::Session(const mqtt_edge::BrokerSettings& settings)
    : settings_(settings), connection_(std::make_unique<Connection>()) {
  auto address = parse_address(settings_.uri);
  init_library_once();
  const std::string doing = trf("connecting to {1}", {settings_.uri});
  const auto deadline = std::chrono::steady_clock::now() + settings_.connect_timeout;
  auto& c = *connection_;

  // A clean session: the CLI keeps no state at the broker between runs (clean start in v5).
  c.client = mosquitto_new(client_id_for(settings_.username).c_str(), true, &c);
  if (!c.client)
    throw Error(ErrorKind::internal, trf("cannot create an MQTT client: {1}", {describe(MOSQ_ERR_ERRNO, errno)}));
  mosquitto_int_option(c.client, MOSQ_OPT_PROTOCOL_VERSION,
                       settings_.mqtt_version == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
  // Requests and replies are small single packets: send them at once (no Nagle delay).
  mosquitto_int_option(c.client, MOSQ_OPT_TCP_NODELAY, 1);

  // TLS always; the server's certificate must chain to ca_file and name the host we dial
  // (libmosquitto checks the name by default, as Paho's verify(true) did).
  const char* cert = settings_.cert_file.empty() ? nullptr : settings_.cert_file.c_str();
  const char* key = settings_.key_file.empty() ? cert : settings_.key_file.c_str();
  if (int rc = mosquitto_tls_set(c.client, settings_.ca_file.c_str(), nullptr, cert, key, nullptr);
      rc != MOSQ_ERR_SUCCESS)
    throw Error(ErrorKind::unreachable,
                doing + ": " +
                    (cert ? trf("cannot use the CA file {1} or the certificate {2}: {3}",
                                {settings_.ca_file, settings_.cert_file, describe(rc, errno)})
                          : trf("cannot use the CA file {1}: {2}", {settings_.ca_file, describe(rc, errno)})));
  if (!settings_.username.empty())
    mosquitto_username_pw_set(c.client, settings_.username.c_str(),
                              settings_.password.empty() ? nullptr : settings_.password.c_str());

  mosquitto_connect_v5_callback_set(c.client, &Connection::on_connect);
  mosquitto_disconnect_v5_callback_set(c.client, &Connection::on_disconnect);
  mosquitto_publish_v5_callback_set(c.client, &Connection::on_publish);
  mosquitto_subscribe_v5_callback_set(c.client, &Connection::on_subscribe);
  mosquitto_message_v5_callback_set(c.client, &Connection::on_message);

  // In this thread: the TCP connect, then the first TLS handshake step and CONNECT are
  // queued; the network thread finishes the handshake without any fixed sleep.
  errno = 0;
  if (int rc = mosquitto_connect(c.client, address.host.c_str(), address.port, kKeepAliveSeconds);
      rc != MOSQ_ERR_SUCCESS)
    throw Error(ErrorKind::unreachable, doing + ": " + describe(rc, errno));
  if (int rc = mosquitto_loop_start(c.client); rc != MOSQ_ERR_SUCCESS)
    throw Error(ErrorKind::internal, trf("cannot start the MQTT network thread: {1}", {describe(rc, errno)}));
  c.loop_running = true;

  std::unique_lock lock(c.mutex);
  // The connect timeout also covers a TLS handshake that never completes.
  if (!c.changed.wait_until(lock, deadline, [&] { return c.connack.has_value() || c.lost; }))
    throw mqtt_edge::broker_error(mqtt_edge::kNoAnswer, settings_.mqtt_version, Operation::connect, doing,
                                  trf("waited {1} s", {std::to_string(settings_.connect_timeout.count())}));
  if (c.connack) {
    // The CONNACK's v5 reason code or 3.1.1 return code.
    if (int code = *c.connack; mqtt_edge::is_failure(code, settings_.mqtt_version, Operation::connect))
      throw mqtt_edge::broker_error(code, settings_.mqtt_version, Operation::connect, doing);
    return;
  }
  throw mqtt_edge::broker_error(mqtt_edge::kNoConnection, settings_.mqtt_version, Operation::connect, doing,
                                trf("closed before the broker accepted it: {1}; a TLS failure such as an untrusted "
                                    "certificate ends it this way too",
                                    {describe(c.lost_code, c.lost_errno)}));
}

namespace {
std::atomic<bool> g_leave_to_exit{false};
}  // namespace

void Session::leave_connections_to_process_exit() { g_leave_to_exit = true; }

Session::~Session() {
  if (connection_ && g_leave_to_exit) {
    // Deliberately not destroyed: the process _exits next (see the header).
    [[maybe_unused]] auto* left = connection_.release();
  }
}

void Session::subscribe_replies() {
  auto filter = topics::replies_for(account());
  subscribe(filter, trf("{1} may not read its replies ({2})", {account(), filter}));
}

void Session::subscribe(const std::string& filter, const std::string& refused_text) {
  auto& c = *connection_;
  std::string doing = trf("subscribing to {1}", {filter});
  int mid = 0;
  errno = 0;
  if (int rc = mosquitto_subscribe(c.client, &mid, filter.c_str(), 1); rc != MOSQ_ERR_SUCCESS)
    throw Error(ErrorKind::unreachable, doing + ": " + describe(rc, errno));
  std::vector<int> granted;
  {
    std::unique_lock lock(c.mutex);
    auto deadline = std::chrono::steady_clock::now() + settings_.connect_timeout;
    if (!c.changed.wait_until(lock, deadline, [&] { return c.subacks.count(mid) > 0 || c.lost; }))
      throw mqtt_edge::broker_error(mqtt_edge::kNoAnswer, settings_.mqtt_version, Operation::subscribe, doing,
                                    settings_.uri);
    auto it = c.subacks.find(mid);
    if (it == c.subacks.end())
      throw mqtt_edge::broker_error(mqtt_edge::kNoConnection, settings_.mqtt_version, Operation::subscribe, doing,
                                    trf("the connection to {1} was lost", {settings_.uri}));
    granted = std::move(it->second);
    c.subacks.erase(it);
  }
  // v5: a SUBACK reason code; 3.1.1: granted QoS, or 0x80 for a refusal.
  for (int code : granted) {
    if (!mqtt_edge::is_failure(code, settings_.mqtt_version, Operation::subscribe)) continue;
    if (mqtt_edge::error_kind(code, settings_.mqtt_version, Operation::subscribe) == ErrorKind::not_permitted)
      throw Error(ErrorKind::not_permitted, refused_text);
    throw mqtt_edge::broker_error(code, settings_.mqtt_version, Operation::subscribe, doing);
  }
}

std::vector<PublishOutcome> Session::publish_all(const std::vector<Publication>& publications,
                                                 std::chrono::milliseconds timeout) {
  auto& c = *connection_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<PublishOutcome> outcomes;
  outcomes.reserve(publications.size());
  for (std::size_t start = 0; start < publications.size(); start += kPublishWindow) {
    const std::size_t end = std::min(publications.size(), start + kPublishWindow);
    std::vector<int> mids;
    mids.reserve(end - start);
    for (std::size_t i = start; i < end; ++i) {
      const auto& p = publications[i];
      outcomes.push_back(PublishOutcome{p.topic, true, 0});
      int mid = 0;
      int rc = MOSQ_ERR_PAYLOAD_SIZE;
      errno = 0;
      if (p.payload.size() <= static_cast<std::size_t>(INT_MAX))
        rc = mosquitto_publish(c.client, &mid, p.topic.c_str(), static_cast<int>(p.payload.size()), p.payload.data(), 1,
                               p.retained);
      if (rc != MOSQ_ERR_SUCCESS) {
        int saved_errno = errno;
        c.abandon(mids);
        throw Error(ErrorKind::unreachable, trf("publishing on {1}", {p.topic}) + ": " + describe(rc, saved_errno));
      }
      mids.push_back(mid);
    }

    std::unique_lock lock(c.mutex);
    std::size_t acked = 0;  // mids[0..acked) have their PUBACK; acks only ever accumulate here
    auto all_acked = [&] {
      while (acked < mids.size() && c.acks.count(mids[acked]) > 0) ++acked;
      return acked == mids.size();
    };
    bool done = c.changed.wait_until(lock, deadline, [&] { return all_acked() || c.lost; }) && all_acked();
    if (!done) {
      std::string doing = trf("publishing on {1}", {outcomes[start + acked].topic});
      bool lost = c.lost;
      lock.unlock();
      c.abandon(mids);
      if (lost)
        throw mqtt_edge::broker_error(mqtt_edge::kNoConnection, settings_.mqtt_version, Operation::publish, doing,
                                      trf("the connection to {1} was lost", {settings_.uri}));
      throw mqtt_edge::broker_error(mqtt_edge::kNoAnswer, settings_.mqtt_version, Operation::publish, doing,
                                    trf("no PUBACK within {1}", {seconds_text(timeout)}));
    }
    for (std::size_t k = 0; k < mids.size(); ++k) {
      auto it = c.acks.find(mids[k]);
      int code = it->second;
      c.acks.erase(it);
      // Any failure code: the broker did not take it (commands.cpp withdraws the rest).
      if (mqtt_edge::is_failure(code, settings_.mqtt_version, Operation::publish))
        outcomes[start + k] = PublishOutcome{outcomes[start + k].topic, false, code};
    }
  }
  return outcomes;
}

std::optional<Session::Received> Session::next_message(std::chrono::milliseconds timeout) {
  auto& c = *connection_;
  std::unique_lock lock(c.mutex);
  if (!c.changed.wait_for(lock, timeout, [&] { return !c.messages.empty() || c.lost; })) return std::nullopt;
  if (c.messages.empty())
    throw Error(ErrorKind::unreachable,
                trf("lost the connection to {1}: {2}", {settings_.uri, describe(c.lost_code, c.lost_errno)}));
  Received message{std::move(c.messages.front().topic), std::move(c.messages.front().payload)};
  c.messages.pop_front();
  return message;
}

std::optional<std::string> Session::await_reply_text(std::string_view request_id, std::chrono::milliseconds timeout) {
  auto& c = *connection_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    Connection::Message message;
    {
      std::unique_lock lock(c.mutex);
      if (!c.changed.wait_until(lock, deadline, [&] { return !c.messages.empty() || c.lost; })) return std::nullopt;
      // Whatever arrived before a loss is still read first.
      if (c.messages.empty())
        throw Error(ErrorKind::unreachable,
                    trf("lost the connection to {1} while waiting for heraldd", {settings_.uri}));
      message = std::move(c.messages.front());
      c.messages.pop_front();
    }
    topics::ParsedTopic parsed;
    try {
      parsed = topics::parse(message.topic);
    } catch (const Error&) {
      continue;  // not a Herald reply topic; nothing we asked for
    }
    const auto* reply = std::get_if<topics::ReplyTopic>(&parsed);
    if (!reply || reply->request_id != request_id) continue;  // an answer to something else
    if (message.payload.size() > kMaxReplyBytes)
      throw Error(ErrorKind::protocol, trf("heraldd sent an unreadable reply: payload of {1} bytes is over the limit",
                                           {std::to_string(message.payload.size())}));
    return std::move(message.payload);
  }
}

std::optional<payloads::Reply> Session::await_reply(std::string_view request_id, std::chrono::milliseconds timeout) {
  auto text = await_reply_text(request_id, timeout);
  if (!text) return std::nullopt;
  try {
    return payloads::decode<payloads::Reply>(*text, kMaxReplyBytes);
  } catch (const Error& e) {
    throw Error(ErrorKind::protocol, trf("heraldd sent an unreadable reply: {1}", {e.what()}));
  }
}

std::string Session::publish_request(std::string_view op, std::string_view scope, const payloads::Request& request,
                                     std::chrono::seconds timeout) {
  auto request_id = new_id();
  auto topic = topics::request(account(), request_id, op, scope);
  auto outcomes = publish_all({Publication{topic, payloads::encode(request), false}}, timeout);
  if (const auto& outcome = outcomes.front(); !outcome.accepted) {
    if (mqtt_edge::error_kind(outcome.reason_code, settings_.mqtt_version, Operation::publish) ==
        ErrorKind::not_permitted)
      throw Error(ErrorKind::not_permitted, request_refused_text(account(), op, scope));
    throw mqtt_edge::broker_error(outcome.reason_code, settings_.mqtt_version, Operation::publish,
                                  trf("publishing on {1}", {topic}));
  }
  return request_id;
}

nlohmann::json Session::ask(std::string_view op, std::string_view scope, const payloads::Request& request,
                            std::chrono::seconds timeout) {
  auto reply = await_reply(publish_request(op, scope, request, timeout), timeout);
  if (!reply) throw Error(ErrorKind::unreachable, no_answer_text(timeout));
  if (!reply->ok) throw Error(error_kind_from_reply(reply->error_kind), reply->error);
  return std::move(reply->result);  // a status reply holds 10,000 rows: do not copy them
}

std::string Session::ask_text(std::string_view op, std::string_view scope, const payloads::Request& request,
                              std::chrono::seconds timeout) {
  auto text = await_reply_text(publish_request(op, scope, request, timeout), timeout);
  if (!text) throw Error(ErrorKind::unreachable, no_answer_text(timeout));
  return std::move(*text);
}

}  // namespace herald::dispatcher
