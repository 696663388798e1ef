#include "herald/desktop/app.hpp"

#include <QApplication>
#include <QMessageBox>
#include <QSystemTrayIcon>
#include <cstdlib>

#include "herald/common/config.hpp"
#include "herald/common/desktop_protocol.hpp"
#include "herald/common/error.hpp"
#include "herald/common/i18n.hpp"
#include "herald/common/log.hpp"
#include "herald/desktop/agent_link.hpp"
#include "herald/desktop/critical_window.hpp"
#include "herald/desktop/inbox_window.hpp"
#include "herald/desktop/notifier.hpp"
#include "herald/desktop/text.hpp"
#include "herald/desktop/tray.hpp"

namespace herald::desktop {

QString socket_path_for(const std::string& socket, const std::string& config) {
  if (!socket.empty()) return q(socket);
  std::string file = config;
  if (file.empty()) {
    const char* env = std::getenv("HERALD_AGENT_CONFIG");
    file = env && *env ? env : "/etc/herald/agent.conf";
  }
  std::string data_dir = "/var/lib/herald-agent";
  try {
    auto conf = Config::load(file);
    if (conf.get("data_dir")) data_dir = conf.path_value("data_dir");
  } catch (const Error& e) {
    log::info(std::string("using the default data_dir: ") + e.what());
  }
  return q(desktop_protocol::socket_path(data_dir));
}

DesktopApp::DesktopApp(Options options)
    : options_(std::move(options)),
      link_(std::make_unique<AgentLink>(options_.socket_path)),
      notifier_(std::make_unique<Notifier>()),
      window_(std::make_unique<InboxWindow>(*link_)) {
  tray_ = std::make_unique<Tray>([this] {
    window_->show();
    window_->raise();
    window_->activateWindow();
  });
  window_->on_unread_changed = [this](int unread) { tray_->set_unread(unread); };
  link_->on_connected = [this] { connected(); };
  link_->on_disconnected = [this] {
    window_->set_status(q(herald::tr("The Herald agent is not running; waiting for it...")));
  };
  link_->on_refused = [this](const std::string&) {
    window_->set_status(q(herald::tr("The Herald agent does not serve this user's session.")));
  };
  link_->on_event = [this](const std::string& name, const nlohmann::json& ev) { event(name, ev); };
}

DesktopApp::~DesktopApp() = default;

void DesktopApp::start() {
  // Without a tray to click, the window is the only way in, so it opens at once.
  if (options_.show_inbox || !QSystemTrayIcon::isSystemTrayAvailable()) window_->show();
  link_->start();
}

void DesktopApp::connected() {
  window_->set_status(q(herald::tr("Connected to the Herald agent.")));
  link_->request("hello", {{"client", "herald-desktop"}});
  // Subscribe first, so nothing that happens between the first answers is missed; the
  // agent then sends every alert not yet displayed (catch-up after a crash or login).
  link_->request("subscribe", {{"alerts", options_.alerts}}, [](const nlohmann::json& reply) {
    if (reply.value("ok", false)) log::info("subscribed to the agent's events");
  });
  window_->refresh_inbox();
  window_->refresh_courses();
  window_->refresh_chat();
}

void DesktopApp::event(const std::string& name, const nlohmann::json& ev) {
  if (name == desktop_protocol::event::alert) {
    if (auto m = ev.find("message"); m != ev.end() && m->is_object()) alert(*m);
    window_->refresh_inbox();
  } else if (name == desktop_protocol::event::inbox) {
    window_->refresh_inbox();
    window_->refresh_courses();
  } else if (name == desktop_protocol::event::chat) {
    window_->refresh_chat();
  }
}

void DesktopApp::alert(const nlohmann::json& row) {
  auto id = field(row, "id");
  if (id.empty()) return;
  if (shown_.count(id)) {
    // Shown before the agent restarted: only the answer was lost.
    displayed(id);
    return;
  }
  auto severity = field(row, "severity");
  auto title = q(field(row, "title"));
  auto body = q(field(row, "body"));
  log::info("alert id=" + id + " severity=" + severity);
  if (severity == "critical") {
    if (critical_.count(id)) return;
    // The notification too, so the daemon's history keeps it; `displayed` waits for the
    // employee to dismiss the window.
    notifier_->notify(title, body, urgency_of(severity), {}, {});
    auto window = std::make_unique<CriticalWindow>(row, [this, id] {
      shown_.insert(id);
      displayed(id);
      // Deleted later: this runs inside the window's own button handler.
      if (auto it = critical_.find(id); it != critical_.end()) {
        it->second.release()->deleteLater();
        critical_.erase(it);
      }
    });
    window->present();
    critical_[id] = std::move(window);
    return;
  }
  notifier_->notify(
      title, body, urgency_of(severity),
      [this, id](unsigned notification) {
        log::info("notification " + std::to_string(notification) + " posted for alert " + id);
        shown_.insert(id);
        displayed(id);
      },
      [this, row, id](const QString& why) {
        // No notification daemon (or it refused): the alert must still reach the screen,
        // so it gets a window of its own, answered `displayed` when the employee closes it.
        log::warn("could not post the notification for alert " + id + ": " + why.toStdString());
        auto* box =
            new QMessageBox(QMessageBox::Warning, q(field(row, "title")), q(field(row, "body")), QMessageBox::Ok);
        box->setObjectName(QStringLiteral("alert.fallback"));
        box->setWindowTitle(q(herald::tr("Herald alert")));
        box->setTextFormat(Qt::PlainText);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->setWindowFlag(Qt::WindowStaysOnTopHint);
        connect(box, &QMessageBox::finished, this, [this, id] {
          shown_.insert(id);
          displayed(id);
        });
        box->open();
      });
}

void DesktopApp::displayed(const std::string& id) {
  link_->request("displayed", {{"id", id}}, [id](const nlohmann::json& reply) {
    if (!reply.value("ok", false)) log::warn("the agent did not record alert " + id + " as displayed");
  });
}

}  // namespace herald::desktop
