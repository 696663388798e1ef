#pragma once
// One MQTT connection of the admin CLI: a clean session as the configured account,
// used for confirmed publishes (QoS 1, MQTT v5 reason codes) and request/reply with
// heraldd. Built on libmosquitto (hidden in session.cpp), not Paho: every `herald`
// command is a new process, and Paho C's receive thread sleeps a fixed 100 ms before it
// drives the TLS handshake, while libmosquitto connects in the calling thread.
// libmosquitto's network thread only queues what arrives, so no callback ever blocks.
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/common/mqtt.hpp"
#include "herald/common/payloads.hpp"

namespace herald::dispatcher {

struct Publication {
  std::string topic;
  std::string payload;  // empty + retained clears the broker's retained copy
  bool retained = true;
};

struct PublishOutcome {
  std::string topic;
  bool accepted = true;  // false: the broker answered with a refusal reason code (v5 only)
  int reason_code = 0;
};

class Session {
 public:
  // Connects with a clean session; throws Error(unreachable | auth).
  explicit Session(const mqtt_edge::BrokerSettings& settings);
  ~Session();  // disconnects; never throws

  // For a process that ends right after its commands (the `herald` CLI ends with
  // _exit): sessions then leave their connection to the exit instead of disconnecting.
  // A clean shutdown sends DISCONNECT and joins the network thread; every publish was
  // already acknowledged, and the clean session leaves nothing at the broker, so the
  // exit may as well drop the connection. Never set it in a long-lived process.
  static void leave_connections_to_process_exit();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const std::string& account() const { return settings_.username; }
  // MQTT v5 reports a refused publish with a PUBACK reason code; 3.1.1 drops it silently.
  bool reports_refusals() const { return settings_.mqtt_version == 5; }

  // Subscribes (QoS 1) to herald/reply/{account}/+ ; do this before publishing anything
  // that heraldd answers. Throws Error(not_permitted) if the broker refuses.
  void subscribe_replies();
  // Subscribes (QoS 1) to `filter`, whose messages next_message() returns (the live view
  // of a chat). Throws Error(not_permitted, refused_text) if the broker refuses.
  void subscribe(const std::string& filter, const std::string& refused_text);

  struct Received {
    std::string topic;
    std::string payload;
  };
  // The next message of any subscription (replies included), in arrival order, or
  // nullopt if none arrives within `timeout`. Throws Error(unreachable) once the
  // connection is lost and everything that arrived before was taken.
  std::optional<Received> next_message(std::chrono::milliseconds timeout);

  // Publishes all at QoS 1 without waiting in between, then waits for every
  // acknowledgement (at most `timeout` in all). Refusals are reported in the outcome,
  // other failures throw Error(unreachable).
  std::vector<PublishOutcome> publish_all(const std::vector<Publication>& publications,
                                          std::chrono::milliseconds timeout);

  // The Reply heraldd sends on herald/reply/{account}/{request_id}, or nullopt if none
  // arrives within `timeout`. Replies to other ids are skipped; a reply that is not a
  // valid payload throws Error(protocol); a lost connection throws Error(unreachable).
  std::optional<payloads::Reply> await_reply(std::string_view request_id, std::chrono::milliseconds timeout);
  // The same, undecoded: the reply's payload text.
  std::optional<std::string> await_reply_text(std::string_view request_id, std::chrono::milliseconds timeout);

  // A whole query: publish Request on herald/req/{account}/{new id}/{op}/{scope}, wait
  // for the Reply. Returns the result of an ok reply; throws Error(not_permitted) for a
  // refused publish (v5), Error(unreachable) on timeout, Error(kind, message) for an
  // ok=false reply. subscribe_replies() must have been called.
  nlohmann::json ask(std::string_view op, std::string_view scope, const payloads::Request& request,
                     std::chrono::seconds timeout);
  // ask, but returns the reply's payload text undecoded, for a caller that reads a
  // large result itself (print_status_reply); refusals and timeouts throw as in ask.
  std::string ask_text(std::string_view op, std::string_view scope, const payloads::Request& request,
                       std::chrono::seconds timeout);

 private:
  // Publishes a Request; returns its id. Throws Error(not_permitted) if refused.
  std::string publish_request(std::string_view op, std::string_view scope, const payloads::Request& request,
                              std::chrono::seconds timeout);

  struct Connection;  // the libmosquitto client and what its callbacks queue
  mqtt_edge::BrokerSettings settings_;
  std::unique_ptr<Connection> connection_;
};

// Texts of the errors `ask` throws (exact, tested).
std::string request_refused_text(std::string_view account, std::string_view op, std::string_view scope);
std::string no_answer_text(std::chrono::seconds timeout);
// An ErrorKind from heraldd's Reply.error.kind; unknown numbers become internal.
ErrorKind error_kind_from_reply(int kind);

}  // namespace herald::dispatcher
