// Issue 12: the employee's desktop program, tested as a person uses it: a real X display
// (Xvfb), a real notification daemon (dunst), the real agent, heraldd and broker, and
// `herald` as the sender runs it. The windows are driven with QtTest (clicks on the
// real widgets, found by their objectName), never through private hooks.
#include <QBuffer>
#include <QGuiApplication>
#include <QImage>
#include <QLineEdit>
#include <QPushButton>
#include <QScreen>
#include <QTabWidget>
#include <QTextBrowser>
#include <QTreeWidget>
#include <thread>

#include "helpers.hpp"
#include "herald/common/time.hpp"
#include "herald/desktop/agent_link.hpp"
#include "herald/desktop/app.hpp"
#include "herald/desktop/critical_window.hpp"
#include "herald/desktop/inbox_window.hpp"
#include "herald/desktop/tray.hpp"
#include "herald/testing/terminal.hpp"

using namespace herald::testing;
using namespace std::chrono_literals;
namespace hd = herald::desktop;

namespace {

const std::string kPc = "org/branch01/pc001";

QTreeWidgetItem* row_titled(QTreeWidget* list, const std::string& title) {
  for (int i = 0; i < list->topLevelItemCount(); ++i)
    if (list->topLevelItem(i)->text(0) == QString::fromStdString(title)) return list->topLevelItem(i);
  return nullptr;
}

QWidget* top_level(const char* object_name) {
  for (auto* w : QApplication::topLevelWidgets())
    if (w->objectName() == QLatin1String(object_name) && w->isVisible()) return w;
  return nullptr;
}

double epoch_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// herald-desktop as its own process, on this display and session bus.
std::unique_ptr<Process> start_desktop(Agent& pc, const fs::path& log, std::map<std::string, std::string> env = {},
                                       std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {bin("herald-desktop").string(), "--config", pc.config().string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto p = std::make_unique<Process>(argv, log, std::move(env));
  return p;
}

// The program in this test's process with its inbox window, for `pc`'s agent; alerts
// stay with the agent unless a test turns them on.
hd::Options inbox_only(Agent& pc) {
  hd::Options options;
  options.socket_path = hd::socket_path_for("", pc.config().string());
  options.alerts = false;
  options.show_inbox = true;
  return options;
}

}  // namespace

TEST_CASE("alerts become notifications with the severity's urgency, within a second; a killed program loses nothing") {
  System sys("desktop-notify");
  auto& pc = sys.agent(kPc, my_login());
  REQUIRE(pc.wait_connected());
  Dunst dunst(sys.tmp().path() / "dunst");
  auto desktop = start_desktop(pc, sys.tmp().path() / "desktop.log");
  REQUIRE(eventually(
      [&] { return desktop->log_of_this_run().find("subscribed to the agent's events") != std::string::npos; }));

  struct Case {
    std::string severity, urgency, title;
  };
  std::vector<double> latencies;
  for (const auto& c : {Case{"info", "LOW", "Coffee machine fixed"}, Case{"warning", "NORMAL", "Catalogue slow"},
                        Case{"info", "LOW", "Printer on floor 2 back"}}) {
    auto sent = epoch_now();
    auto id = herald_ok(sys, {"alert", "--to", "org/branch01", "--title", c.title, "--body", "Body of " + c.title,
                              "--severity", c.severity});
    INFO("alert " << c.title);
    REQUIRE(eventually([&] { return dunst.find(c.title).has_value(); }, 10s, 10ms));
    auto n = *dunst.find(c.title);
    CHECK(n.urgency == c.urgency);
    CHECK(n.app == "Herald");
    CHECK(n.body == "Body of " + c.title);
    latencies.push_back(n.at - sent);
    // Posted, so the desktop answered `displayed` and the server records it.
    CHECK(eventually([&] { return state_of(sys, id, kPc) == "displayed"; }, 15s, 250ms));
  }
  for (double l : latencies) MESSAGE("herald alert -> notification in dunst: " << static_cast<int>(l * 1000) << " ms");
  // The whole `herald alert` run (process start, TLS connect, publish) is inside it.
  CHECK(*std::min_element(latencies.begin(), latencies.end()) <= 1.0);

  // The program dies: the agent's own display shows the next alert, and it is displayed.
  desktop->kill9();
  auto away = herald_ok(sys, {"alert", "--to", kPc, "--title", "While you were away", "--body", "Backup window",
                              "--severity", "warning"});
  CHECK(eventually([&] { return pc.log().find("ALERT id=" + away) != std::string::npos; }));
  CHECK(eventually([&] { return state_of(sys, away, kPc) == "displayed"; }, 15s, 250ms));
  auto msg = herald_ok(sys, {"send", "--to", kPc, "--title", "Staff meeting", "--body", "Friday 9:00"});
  std::this_thread::sleep_for(1s);
  CHECK_FALSE(dunst.find("While you were away").has_value());

  // Back again: it catches up (its inbox has everything; only the new message unread,
  // the alerts were on screen).
  desktop->start();
  CHECK(eventually([&] { return desktop->log_of_this_run().find("inbox 5 messages, 1 unread") != std::string::npos; }));
  CHECK(eventually([&] { return state_of(sys, msg, kPc) == "delivered"; }, 15s, 250ms));

  // The agent restarts (an upgrade): the program connects again by itself.
  pc.stop();
  pc.start();
  REQUIRE(pc.wait_connected());
  CHECK(eventually([&] { return count_of(desktop->log_of_this_run(), "subscribed to the agent's events") == 2; }, 15s));
  herald_ok(sys,
            {"alert", "--to", kPc, "--title", "After the agent restart", "--body", "Still here", "--severity", "info"});
  CHECK(eventually([&] { return dunst.find("After the agent restart").has_value(); }, 10s, 20ms));
  desktop->stop();
}

TEST_CASE("the inbox window: opening a message marks it read; a critical alert covers the screen until dismissed") {
  System sys("desktop-inbox");
  auto& pc = sys.agent(kPc, my_login());
  REQUIRE(pc.wait_connected());
  Dunst dunst(sys.tmp().path() / "dunst");

  auto options = inbox_only(pc);
  options.alerts = true;
  hd::DesktopApp app(options);
  app.start();
  REQUIRE(qt_eventually([&] { return app.link().is_connected(); }));

  auto id = herald_ok(sys, {"send", "--to", kPc, "--title", "Opening hours", "--body",
                            "New hours from Monday, see https://library.example/hours"});
  auto* list = app.window().findChild<QTreeWidget*>(QStringLiteral("inbox.list"));
  REQUIRE(list != nullptr);
  REQUIRE(qt_eventually([&] { return row_titled(list, "Opening hours") != nullptr; }));
  auto* item = row_titled(list, "Opening hours");
  CHECK(item->font(0).bold());  // unread
  CHECK(app.tray().tooltip().contains(QStringLiteral("1 unread message")));
  CHECK(qt_eventually([&] { return state_of(sys, id, kPc) == "delivered"; }, 15s));

  // The employee clicks the row.
  QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualItemRect(item).center());
  auto* body = app.window().findChild<QTextBrowser*>(QStringLiteral("inbox.body"));
  REQUIRE(qt_eventually([&] { return body->toPlainText().contains(QStringLiteral("New hours from Monday")); }));
  CHECK(body->toHtml().contains(QStringLiteral("href=\"https://library.example/hours\"")));
  CHECK(qt_eventually([&] { return state_of(sys, id, kPc) == "read"; }, 15s));
  CHECK(qt_eventually([&] {
    auto* again = row_titled(list, "Opening hours");
    return again && !again->font(0).bold() && app.tray().tooltip().contains(QStringLiteral("no unread"));
  }));
  screenshot("inbox");

  // The sender recalls it: it vanishes from the list and from the open view.
  herald_ok(sys, {"recall", id});
  CHECK(qt_eventually([&] { return row_titled(list, "Opening hours") == nullptr; }, 15s));
  CHECK(qt_eventually([&] { return !body->toPlainText().contains(QStringLiteral("New hours")); }));

  // A critical alert: a notification AND a window over the whole screen.
  auto critical = herald_ok(sys, {"alert", "--to", kPc, "--title", "Fire drill", "--body", "Leave the building now",
                                  "--severity", "critical"});
  REQUIRE(qt_eventually([&] { return top_level("critical.alert") != nullptr; }));
  auto* window = top_level("critical.alert");
  auto screen = QGuiApplication::primaryScreen()->geometry();
  CHECK(qt_eventually([&] { return window->geometry() == screen; }));
  CHECK(qt_eventually([&] { return dunst.find("Fire drill").has_value(); }));
  CHECK(dunst.find("Fire drill")->urgency == "CRITICAL");
  QTest::qWait(300);  // painted
  auto shot = screenshot("critical-alert");
  std::string red = "176,0,32";  // CriticalWindow::kBackground
  for (auto [x, y] : {std::pair{2, 2},
                      {screen.width() - 3, 2},
                      {2, screen.height() - 3},
                      {screen.width() - 3, screen.height() - 3}}) {
    INFO("pixel " << x << "," << y);
    CHECK(pixel(shot, x, y) == red);
  }
  // Not acknowledged while it is on screen...
  CHECK(state_of(sys, critical, kPc) == "delivered");
  // ...until the employee dismisses it.
  auto* dismiss = window->findChild<QPushButton*>(QStringLiteral("critical.dismiss"));
  REQUIRE(dismiss != nullptr);
  QTest::mouseClick(dismiss, Qt::LeftButton);
  CHECK(qt_eventually([&] { return top_level("critical.alert") == nullptr; }));
  CHECK(qt_eventually([&] { return state_of(sys, critical, kPc) == "displayed"; }, 15s));
}

TEST_CASE("in Polish: the program's own text and the message's Polish letters are on screen") {
  System sys("desktop-polish");
  auto& pc = sys.agent(kPc, my_login());
  REQUIRE(pc.wait_connected());
  Dunst dunst(sys.tmp().path() / "dunst");
  auto id = herald_ok(sys, {"send", "--to", kPc, "--title", "Zażółć gęślą jaźń", "--body",
                            "Łódź, Kraków i Gdańsk: źdźbło, żółw, ćma. Więcej: https://biblioteka.example/ogłoszenia"});
  auto desktop = start_desktop(pc, sys.tmp().path() / "desktop.log", {{"LANGUAGE", "pl"}}, {"--show"});
  REQUIRE(
      eventually([&] { return desktop->log_of_this_run().find("inbox 1 messages, 1 unread") != std::string::npos; }));

  // The window's title, as the X server holds it (UTF-8), is the Polish plural form.
  std::string window;
  REQUIRE(eventually([&] {
    // xdotool's --name is a case-insensitive pattern: only this program's visible window.
    auto r = run({"xdotool", "search", "--onlyvisible", "--pid", std::to_string(desktop->pid()), "--name", "^Herald:"});
    window = trim(r.out);
    return r.exit_code == 0 && !window.empty();
  }));
  window = window.substr(0, window.find('\n'));
  auto title = run({"xprop", "-id", window, "_NET_WM_NAME"});
  INFO("xprop: " << title.out);
  CHECK(title.out.find("Herald: 1 nieprzeczytana wiadomość") != std::string::npos);

  // The employee clicks the message's row (the window sits at the display's origin,
  // nothing manages it under Xvfb): it opens, and the title goes back to no unread.
  auto click = run({"xdotool", "mousemove", "--window", window, "60", "52", "click", "1"});
  CHECK(click.exit_code == 0);
  CHECK(eventually([&] {
    return run({"xprop", "-id", window, "_NET_WM_NAME"}).out.find("Herald: wiadomości") != std::string::npos;
  }));

  // A Polish alert: dunst reads it back with its letters intact.
  herald_ok(sys, {"alert", "--to", kPc, "--title", "Uwaga: awaria sieci", "--body", "Proszę nie wyłączać komputerów",
                  "--severity", "warning"});
  REQUIRE(eventually([&] { return dunst.find("Uwaga: awaria sieci").has_value(); }));
  CHECK(dunst.find("Uwaga: awaria sieci")->body == "Proszę nie wyłączać komputerów");
  std::this_thread::sleep_for(500ms);
  auto shot = screenshot("inbox-pl");
  MESSAGE("Polish screenshot: " << shot.string());
  CHECK(eventually([&] { return state_of(sys, id, kPc) == "read"; }, 15s, 250ms));
  desktop->stop();
}

TEST_CASE("a message that asks for confirmation: the employee presses \"I have read and understood\"") {
  System sys("desktop-confirm");
  auto& pc = sys.agent(kPc, my_login());
  REQUIRE(pc.wait_connected());
  hd::DesktopApp app(inbox_only(pc));
  app.start();
  REQUIRE(qt_eventually([&] { return app.link().is_connected(); }));

  auto id = herald_ok(
      sys, {"send", "--to", kPc, "--title", "New fire procedure", "--body", "Read it carefully", "--require-confirm"});
  auto* list = app.window().findChild<QTreeWidget*>(QStringLiteral("inbox.list"));
  REQUIRE(qt_eventually([&] { return row_titled(list, "New fire procedure") != nullptr; }));
  QTest::mouseClick(list->viewport(), Qt::LeftButton, {},
                    list->visualItemRect(row_titled(list, "New fire procedure")).center());
  auto* confirm = app.window().findChild<QPushButton*>(QStringLiteral("inbox.confirm"));
  REQUIRE(confirm != nullptr);
  REQUIRE(qt_eventually([&] { return confirm->isVisible(); }));
  CHECK(qt_eventually([&] { return state_of(sys, id, kPc) == "read"; }, 15s));
  // Still pending for this computer until confirmed.
  CHECK(sys.herald({"pending", "--json"}).out.find(id) != std::string::npos);

  QTest::mouseClick(confirm, Qt::LeftButton);
  CHECK(qt_eventually([&] { return !confirm->isVisible(); }));
  CHECK(qt_eventually([&] { return state_of(sys, id, kPc) == "confirmed"; }, 15s));
  CHECK(qt_eventually([&] { return sys.herald({"pending", "--json"}).out.find(id) == std::string::npos; }, 15s));
  screenshot("confirmed");
}

TEST_CASE("ask about a message: the chat reaches the helpdesk with its subject, and the answer comes back") {
  System sys("desktop-chat");
  auto& pc = sys.agent(kPc, my_login());
  REQUIRE(pc.wait_connected());
  hd::DesktopApp app(inbox_only(pc));
  app.start();
  REQUIRE(qt_eventually([&] { return app.link().is_connected(); }));

  auto id = herald_ok(sys, {"send", "--to", kPc, "--title", "Password change", "--body", "Change it by Friday"});
  auto* list = app.window().findChild<QTreeWidget*>(QStringLiteral("inbox.list"));
  REQUIRE(qt_eventually([&] { return row_titled(list, "Password change") != nullptr; }));
  QTest::mouseClick(list->viewport(), Qt::LeftButton, {},
                    list->visualItemRect(row_titled(list, "Password change")).center());
  auto* ask = app.window().findChild<QPushButton*>(QStringLiteral("inbox.ask"));
  REQUIRE(qt_eventually([&] { return ask->isEnabled(); }));
  QTest::mouseClick(ask, Qt::LeftButton);
  auto* input = app.window().findChild<QLineEdit*>(QStringLiteral("chat.input"));
  REQUIRE(qt_eventually([&] { return input->isVisible(); }));
  QTest::keyClicks(input, QStringLiteral("Does this apply to the catalogue account too?"));
  QTest::mouseClick(app.window().findChild<QPushButton*>(QStringLiteral("chat.send")), Qt::LeftButton);

  // The helpdesk's list shows the conversation, about the message.
  nlohmann::json conversation;
  REQUIRE(qt_eventually(
      [&] {
        auto r = sys.herald({"chat", "--json"});
        auto j = nlohmann::json::parse(r.out, nullptr, false);
        if (j.is_discarded()) return false;
        for (const auto& c : j.at("conversations"))
          if (c.at("last").is_object() && c.at("last").at("text") == "Does this apply to the catalogue account too?")
            conversation = c;
        return conversation.is_object();
      },
      15s));
  CHECK(conversation.at("about") == id);

  // The helpdesk answers; the employee's chat view shows it.
  herald_ok(sys, {"chat", "send", conversation.at("target").get<std::string>(), "Yes, that one too."});
  auto* history = app.window().findChild<QTextBrowser*>(QStringLiteral("chat.history"));
  CHECK(qt_eventually([&] { return history->toPlainText().contains(QStringLiteral("Yes, that one too.")); }, 15s));
  CHECK(history->toPlainText().contains(QStringLiteral("Does this apply to the catalogue account too?")));
  screenshot("chat");
}

TEST_CASE(
    "courses: progress \"N of M\" and the lessons in order; opening a lesson counts and shows its picture inline") {
  System sys("desktop-courses");
  auto& pc = sys.agent(kPc, my_login());
  REQUIRE(pc.wait_connected());
  // Two lessons of a three-lesson course as heraldd publishes them (a retained inbox
  // message with its `lesson` reference), sent straight to the broker as the admin
  // account: running a campaign on a simulated clock is tests/integration's job.
  auto now = herald::now();
  // Lesson 1 carries a picture (a 40x30 PNG, green), which the lesson view shows inline.
  QImage picture(40, 30, QImage::Format_RGB32);
  picture.fill(QColor(0, 160, 0));
  QByteArray png;
  QBuffer png_buffer(&png);
  png_buffer.open(QIODevice::WriteOnly);
  REQUIRE(picture.save(&png_buffer, "PNG"));
  for (int n : {2, 1}) {
    nlohmann::json lesson = {{"v", 1},
                             {"title", "Lesson " + std::to_string(n) + ": " + (n == 1 ? "Fire exits" : "First aid")},
                             {"body", "Text of lesson " + std::to_string(n)},
                             {"sent_at", herald::to_rfc3339(now)},
                             {"expires_at", herald::to_rfc3339(now + std::chrono::hours(24))},
                             {"lesson", {{"course", "bhp-2026"}, {"campaign", "c-bhp"}, {"number", n}, {"of", 3}}}};
    if (n == 1)
      lesson["images"] = {{{"name", "exit-sign.png"}, {"type", "image/png"}, {"data", png.toBase64().toStdString()}}};
    auto& b = sys.broker();
    auto r = run({"mosquitto_pub",
                  "--cafile",
                  b.ca_file().string(),
                  "-h",
                  "127.0.0.1",
                  "-p",
                  std::to_string(b.people_port()),
                  "-u",
                  "admin",
                  "-P",
                  b.password("admin"),
                  "--id-prefix",
                  "admin:",
                  "-q",
                  "1",
                  "-r",
                  "-t",
                  "herald/msg/admin/lesson-" + std::to_string(n) + "/" + kPc,
                  "-m",
                  lesson.dump()});
    INFO("mosquitto_pub: " << r.err);
    REQUIRE(r.exit_code == 0);
  }

  hd::DesktopApp app(inbox_only(pc));
  app.start();
  auto* courses = app.window().findChild<QTreeWidget*>(QStringLiteral("courses.list"));
  REQUIRE(courses != nullptr);
  REQUIRE(qt_eventually(
      [&] { return courses->topLevelItemCount() == 1 && courses->topLevelItem(0)->childCount() == 2; }, 15s));
  auto* course = courses->topLevelItem(0);
  CHECK(course->text(0) == QStringLiteral("bhp-2026"));
  CHECK(course->text(1) == QStringLiteral("0 of 3"));
  CHECK(course->child(0)->text(0) == QStringLiteral("1. Lesson 1: Fire exits"));
  CHECK(course->child(1)->text(0) == QStringLiteral("2. Lesson 2: First aid"));

  // The employee opens lesson 1 from the course.
  auto* tabs = app.window().findChild<QTabWidget*>(QStringLiteral("tabs"));
  tabs->setCurrentIndex(1);
  REQUIRE(qt_eventually([&] { return courses->isVisible() && courses->visualItemRect(course->child(0)).isValid(); }));
  QTest::qWait(100);  // laid out and painted
  auto rect = courses->visualItemRect(course->child(0));
  QTest::mouseClick(courses->viewport(), Qt::LeftButton, {}, rect.center());
  auto* body = app.window().findChild<QTextBrowser*>(QStringLiteral("inbox.body"));
  CHECK(qt_eventually([&] { return body->toPlainText().contains(QStringLiteral("Text of lesson 1")); }));
  CHECK(body->toPlainText().contains(QStringLiteral("Lesson 1 of 3")));
  // Its picture is inline: an <img> in the document, backed by the decoded PNG.
  CHECK(body->toHtml().contains(QStringLiteral("herald-image://0")));
  auto shown = body->document()->resource(QTextDocument::ImageResource, QUrl(QStringLiteral("herald-image://0")));
  REQUIRE(shown.canConvert<QImage>());
  auto shown_image = shown.value<QImage>();
  CHECK(shown_image.size() == QSize(40, 30));
  CHECK(shown_image.pixelColor(20, 15) == QColor(0, 160, 0));
  CHECK(qt_eventually(
      [&] { return courses->topLevelItemCount() == 1 && courses->topLevelItem(0)->text(1) == "1 of 3"; }));
  tabs->setCurrentIndex(1);
  QTest::qWait(200);
  screenshot("courses");
}
