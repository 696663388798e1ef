#pragma once
// The tray icon (QSystemTrayIcon: a StatusNotifierItem over D-Bus on Linux desktops, an
// XEmbed icon elsewhere) with the unread count in its tooltip and as a painted badge.
#include <QIcon>
#include <QMenu>
#include <QSystemTrayIcon>
#include <functional>

namespace herald::desktop {

class Tray : public QObject {
  Q_OBJECT
 public:
  explicit Tray(std::function<void()> open_inbox, QObject* parent = nullptr);
  void set_unread(int unread);
  QString tooltip() const { return icon_.toolTip(); }

  // The Herald icon with `count` in a red badge (none for 0).
  static QIcon icon(int count);

 private:
  QSystemTrayIcon icon_;
  QMenu menu_;
};

}  // namespace herald::desktop
