#include "herald/desktop/notifier.hpp"

#include <QDBusConnection>
#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#include <QStringList>
#include <QVariantMap>

namespace herald::desktop {

namespace {
const QString kService = QStringLiteral("org.freedesktop.Notifications");
const QString kPath = QStringLiteral("/org/freedesktop/Notifications");
const QString kInterface = QStringLiteral("org.freedesktop.Notifications");
}  // namespace

Notifier::Notifier(QObject* parent) : QObject(parent) {
  // Whether the daemon reads markup in the body decides whether '<' must be escaped
  // (else an alert's "<b>" would be taken as bold, or a "&" shown as "&amp;").
  auto call = QDBusMessage::createMethodCall(kService, kPath, kInterface, QStringLiteral("GetCapabilities"));
  auto* watcher = new QDBusPendingCallWatcher(QDBusConnection::sessionBus().asyncCall(call), this);
  connect(watcher, &QDBusPendingCallWatcher::finished, this, [this](QDBusPendingCallWatcher* w) {
    QDBusPendingReply<QStringList> reply = *w;
    if (!reply.isError()) markup_ = reply.value().contains(QStringLiteral("body-markup"));
    w->deleteLater();
  });
}

void Notifier::notify(const QString& summary, const QString& body, unsigned char urgency,
                      std::function<void(unsigned)> posted, std::function<void(const QString&)> failed) {
  auto call = QDBusMessage::createMethodCall(kService, kPath, kInterface, QStringLiteral("Notify"));
  QVariantMap hints;
  hints.insert(QStringLiteral("urgency"), QVariant::fromValue(static_cast<uchar>(urgency)));
  hints.insert(QStringLiteral("desktop-entry"), QStringLiteral("herald-desktop"));
  // A critical notification stays until the employee closes it (the spec's -1 lets the
  // daemon decide, which for critical is "never expire" in common daemons).
  call << QStringLiteral("Herald") << 0u << QStringLiteral("dialog-information") << summary
       << (markup_ ? body.toHtmlEscaped() : body) << QStringList() << hints << -1;
  auto* watcher = new QDBusPendingCallWatcher(QDBusConnection::sessionBus().asyncCall(call), this);
  connect(watcher, &QDBusPendingCallWatcher::finished, this,
          [posted = std::move(posted), failed = std::move(failed)](QDBusPendingCallWatcher* w) {
            QDBusPendingReply<uint> reply = *w;
            if (reply.isError()) {
              if (failed) failed(reply.error().message());
            } else if (posted) {
              posted(reply.value());
            }
            w->deleteLater();
          });
}

}  // namespace herald::desktop
