#pragma once
// The desktop program's side of the agent's desktop socket (docs/desktop-protocol.md):
// one JSON object per line, requests matched to replies by "re", events delivered to a
// callback. It connects again every second after the agent went away (restart, crash),
// so the program catches up by itself once the agent is back.
#include <QLocalSocket>
#include <QObject>
#include <QTimer>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace herald::desktop {

class AgentLink : public QObject {
  Q_OBJECT
 public:
  // Called with the whole reply: {"ok":true,...} or {"ok":false,"error":{code,message}}.
  using Reply = std::function<void(const nlohmann::json&)>;

  explicit AgentLink(QString socket_path, QObject* parent = nullptr);
  ~AgentLink() override;
  void start();
  bool is_connected() const;
  const QString& socket_path() const { return path_; }

  // Sends {"op":op, "re":N, ...fields}; `on_reply` runs when the reply arrives (never if
  // the connection is lost first). Ignored while not connected.
  void request(std::string_view op, nlohmann::json fields = nlohmann::json::object(), Reply on_reply = {});

  std::function<void()> on_connected;
  std::function<void()> on_disconnected;
  std::function<void(const std::string& reason)> on_refused;
  std::function<void(const std::string& name, const nlohmann::json& event)> on_event;

 private:
  void try_connect();
  void read_lines();
  void handle(const nlohmann::json& line);
  void lost();

  QString path_;
  QLocalSocket socket_;
  QTimer retry_;
  long next_re_ = 1;
  std::map<long, Reply> pending_;
  bool was_connected_ = false;
};

// Error code (Herald's exit code) of a failed reply as a sentence for the employee.
QString error_text(const nlohmann::json& reply);

}  // namespace herald::desktop
