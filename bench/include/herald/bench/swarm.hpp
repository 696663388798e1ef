#pragma once
// One swarm process of the benchmark (`herald-bench-swarm`): K agents made of the
// agent library (AgentSession + Inbox in one shared LMDB Env + a few shared Executors),
// or, for the baseline, K plain Paho subscribers with the same certificates and topic
// filters. Each member has its own TLS connection and client certificate.
//
// The orchestrator drives it over a line protocol: commands on stdin, one answer line
// per command on stdout.
//   connected        -> "connected <ever-ready> <connected-now>"
//   times ID         -> "times ID <n> <us> <us> ..."   when each member displayed
//                       (agents: the display hook) or received (raw) message ID, in
//                       microseconds since the Unix epoch
//   received ID      -> "received ID <n> <us> <us> ..."  when each agent stored message
//                       ID in its inbox (received_at, millisecond resolution): the
//                       arrival of messages, which are not displayed (raw: nothing)
//   has ID           -> "has ID <n>"  members connected now that hold ID (agents: in
//                       the LMDB inbox; raw: received)
//   read ID          -> "read ID <n>" every agent marks ID read at once, as
//                       `herald-agent show` does (Inbox::mark_read, then wake the session)
//   chatsay K        -> "chatsay <n> <path> <us> ..."  the first K agents each write one
//                       chat line to the helpdesk (ChatStore::enqueue + wake, as
//                       `herald-agent chat send` does), with when it was handed over
//   receipts on|off  -> "receipts on|off"  raw members publish Herald's two receipts
//                       (delivered, displayed) for each message they receive (diagnosis)
//   quit             -> "bye", then the process exits at once
// An agent is "ready" once its first connect has subscribed (raw: SUBACK received).
// Connects are throttled: at most `connects_in_flight` members of this process are
// connecting at a time (Mosquitto's listen backlog is 100).
#include <cstddef>
#include <string>

namespace herald::bench {

struct SwarmOptions {
  enum class Mode { agent, raw };
  Mode mode = Mode::agent;
  std::string uri;  // ssl://127.0.0.1:PORT of the agent listener
  std::string ca_file;
  std::string list_file;  // one member per line: "<org path> <cert file> <key file> [<login>]"
  std::string data_dir;   // agents' shared LMDB environment
  std::size_t executors = 2;
  std::size_t connects_in_flight = 8;
};

// Runs until "quit" or the end of stdin; returns the exit code.
int run_swarm(const SwarmOptions& options);

// `herald-bench-swarm publish`: one QoS-1 publish over TLS with a password account,
// the raw baseline's sender (the same client library as the subscribers).
struct PublishOptions {
  std::string uri;  // the people listener
  std::string ca_file;
  std::string username;
  std::string password_file;
  std::string topic;
  std::string payload_file;
  bool retained = false;
};
int run_publish(const PublishOptions& options);

}  // namespace herald::bench
