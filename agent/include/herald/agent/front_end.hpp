#pragma once
// What the agent's session tells a local front end (the desktop socket,
// desktop_server.hpp) and asks of it. The session calls these on its worker thread:
// implementations must only note the change and return (never block the worker, which
// also runs Paho's events).
#include <string>

namespace herald::agent {

class FrontEnd {
 public:
  virtual ~FrontEnd() = default;
  // True while a desktop program has taken over showing alerts (docs/desktop-protocol.md,
  // subscribe with alerts:true). The session then hands new alerts to it instead of
  // using its Display; a handed alert the program does not answer is given back
  // through the session's show_alerts().
  virtual bool takes_alerts() const = 0;
  // A new alert for the logged-in person was stored. handed: the session's display was
  // not used, the front end must show it; otherwise it was shown already.
  virtual void alert_arrived(const std::string& id, bool handed) = 0;
  // The inbox changed (a message stored, read, displayed, recalled or expired).
  virtual void inbox_changed() = 0;
  // A chat line or mark was stored.
  virtual void chat_changed() = 0;
};

}  // namespace herald::agent
