#include "herald/desktop/critical_window.hpp"

#include <QCloseEvent>
#include <QGuiApplication>
#include <QLabel>
#include <QPushButton>
#include <QScreen>
#include <QTextBrowser>
#include <QVBoxLayout>

#include "herald/common/i18n.hpp"
#include "herald/desktop/text.hpp"

namespace herald::desktop {

CriticalWindow::CriticalWindow(const nlohmann::json& row, std::function<void()> on_dismiss)
    : QWidget(nullptr, Qt::Window | Qt::FramelessWindowHint | Qt::WindowStaysOnTopHint),
      on_dismiss_(std::move(on_dismiss)) {
  setObjectName(QStringLiteral("critical.alert"));
  setAttribute(Qt::WA_StyledBackground, true);
  auto background = QStringLiteral("#%1").arg(kBackground, 6, 16, QLatin1Char('0'));
  setStyleSheet(QStringLiteral("#critical\\.alert { background: %1; } QLabel { color: white; }"
                               "QTextBrowser { background: %1; color: white; border: none; font-size: 20pt; }"
                               "QPushButton { font-size: 18pt; padding: 16px 40px; }")
                    .arg(background));
  setWindowTitle(q(herald::tr("Critical alert")));

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(80, 60, 80, 60);
  auto* heading = new QLabel(q(herald::tr("CRITICAL ALERT")), this);
  heading->setStyleSheet(QStringLiteral("font-size: 18pt; font-weight: bold;"));
  auto* title = new QLabel(q(field(row, "title")), this);
  title->setObjectName(QStringLiteral("critical.title"));
  title->setTextFormat(Qt::PlainText);
  title->setWordWrap(true);
  title->setStyleSheet(QStringLiteral("font-size: 36pt; font-weight: bold;"));
  auto* body = new QTextBrowser(this);
  body->setObjectName(QStringLiteral("critical.body"));
  body->setOpenExternalLinks(true);
  body->setHtml(message_html(row, body->document(), false));
  auto* from = new QLabel(
      q(trf("From {1}, {2}", {field(row, "sender"), local_time(field(row, "sent_at")).toStdString()})), this);
  auto* dismiss = new QPushButton(q(herald::tr("I have seen this alert")), this);
  dismiss->setObjectName(QStringLiteral("critical.dismiss"));
  dismiss->setDefault(true);
  dismiss->setAutoDefault(true);
  connect(dismiss, &QPushButton::clicked, this, [this] {
    dismissed_ = true;
    raise_.stop();
    if (on_dismiss_) on_dismiss_();
    hide();
  });
  layout->addWidget(heading);
  layout->addWidget(title);
  layout->addWidget(body, 1);
  layout->addWidget(from);
  layout->addWidget(dismiss, 0, Qt::AlignHCenter);
  dismiss->setFocus();

  raise_.setInterval(1000);
  connect(&raise_, &QTimer::timeout, this, [this] {
    if (!isVisible()) show();
    raise();
  });
}

void CriticalWindow::present() {
  if (auto* screen = QGuiApplication::primaryScreen()) setGeometry(screen->geometry());
  showFullScreen();
  raise();
  activateWindow();
  raise_.start();
}

void CriticalWindow::closeEvent(QCloseEvent* event) {
  // Only the dismiss button ends it: Alt+F4 or a window manager's close must not make a
  // critical alert vanish unread.
  if (!dismissed_) event->ignore();
}

}  // namespace herald::desktop
