#pragma once
// herald-desktop as a whole: the link to the agent, alerts turned into notifications and
// critical windows, the inbox window and the tray icon. main() only parses the command
// line; the tests build a DesktopApp in their own process and drive its real widgets.
#include <QObject>
#include <QString>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

namespace herald::desktop {

class AgentLink;
class Notifier;
class InboxWindow;
class Tray;
class CriticalWindow;

struct Options {
  QString socket_path;
  bool alerts = true;       // subscribe with alerts:true (this program shows them)
  bool show_inbox = false;  // open the window at start (else only the tray icon)
};

// The socket path: --socket, else <data_dir>/desktop.sock of agent.conf (--config, else
// $HERALD_AGENT_CONFIG, else /etc/herald/agent.conf); an unreadable agent.conf (it holds
// the key's path, often root-only) means the default data_dir.
QString socket_path_for(const std::string& socket, const std::string& config);

class DesktopApp : public QObject {
  Q_OBJECT
 public:
  explicit DesktopApp(Options options);
  ~DesktopApp() override;
  void start();

  InboxWindow& window() { return *window_; }
  Tray& tray() { return *tray_; }
  AgentLink& link() { return *link_; }

 private:
  void connected();
  void event(const std::string& name, const nlohmann::json& ev);
  void alert(const nlohmann::json& row);
  void displayed(const std::string& id);

  Options options_;
  std::unique_ptr<AgentLink> link_;
  std::unique_ptr<Notifier> notifier_;
  std::unique_ptr<InboxWindow> window_;
  std::unique_ptr<Tray> tray_;
  std::map<std::string, std::unique_ptr<CriticalWindow>> critical_;
  std::set<std::string> shown_;  // alerts this program has shown (answered again on catch-up)
};

}  // namespace herald::desktop
