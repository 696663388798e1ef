#pragma once
// Freedesktop notifications (org.freedesktop.Notifications.Notify) over QtDBus, with the
// urgency hint; the call is asynchronous, so a slow notification daemon never stalls the
// windows.
#include <QObject>
#include <QString>
#include <functional>

namespace herald::desktop {

class Notifier : public QObject {
  Q_OBJECT
 public:
  explicit Notifier(QObject* parent = nullptr);
  // `posted(id)` once the daemon answered with the notification's id; `failed(why)` when
  // there is no notification daemon or it refused.
  void notify(const QString& summary, const QString& body, unsigned char urgency, std::function<void(unsigned)> posted,
              std::function<void(const QString&)> failed);

 private:
  bool markup_ = true;  // the daemon reads body markup (GetCapabilities "body-markup")
};

}  // namespace herald::desktop
