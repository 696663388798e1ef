#include "herald/desktop/tray.hpp"

#include <QApplication>
#include <QPainter>
#include <QPixmap>

#include "herald/common/i18n.hpp"
#include "herald/desktop/text.hpp"

namespace herald::desktop {

Tray::Tray(std::function<void()> open_inbox, QObject* parent) : QObject(parent) {
  menu_.addAction(q(herald::tr("Open messages")), this, [open_inbox] { open_inbox(); });
  menu_.addSeparator();
  menu_.addAction(q(herald::tr("Quit Herald")), qApp, &QApplication::quit);
  icon_.setContextMenu(&menu_);
  connect(&icon_, &QSystemTrayIcon::activated, this, [open_inbox](QSystemTrayIcon::ActivationReason reason) {
    if (reason == QSystemTrayIcon::Trigger || reason == QSystemTrayIcon::DoubleClick) open_inbox();
  });
  set_unread(0);
  icon_.show();
}

void Tray::set_unread(int unread) {
  icon_.setIcon(icon(unread));
  icon_.setToolTip(unread > 0 ? q(trn("Herald: {1} unread message", "Herald: {1} unread messages",
                                      static_cast<unsigned long>(unread)))
                              : q(herald::tr("Herald: no unread messages")));
}

QIcon Tray::icon(int count) {
  QPixmap pixmap(64, 64);
  pixmap.fill(Qt::transparent);
  QPainter p(&pixmap);
  p.setRenderHint(QPainter::Antialiasing);
  p.setBrush(QColor(0x1f, 0x4e, 0x79));
  p.setPen(Qt::NoPen);
  p.drawEllipse(4, 4, 56, 56);
  p.setPen(Qt::white);
  auto font = p.font();
  font.setBold(true);
  font.setPixelSize(36);
  p.setFont(font);
  p.drawText(QRect(4, 4, 56, 56), Qt::AlignCenter, QStringLiteral("H"));
  if (count > 0) {
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(0xd0, 0x10, 0x10));
    p.drawEllipse(30, 0, 34, 34);
    p.setPen(Qt::white);
    font.setPixelSize(count > 9 ? 16 : 22);
    p.setFont(font);
    p.drawText(QRect(30, 0, 34, 34), Qt::AlignCenter, count > 99 ? QStringLiteral("99+") : QString::number(count));
  }
  p.end();
  return QIcon(pixmap);
}

}  // namespace herald::desktop
