// The desktop socket of a real `herald-agent run` against a real broker and heraldd
// (tests/support fixture): the logged-in employee (this test's own login, set as the
// agent's `user`) lists, opens and is shown alerts, and the admin's `herald status`
// sees the receipts; a second local user (uid 65534, `nobody`) gets one refused line;
// hostile clients get errors or are cut off while the daemon keeps serving.
#include <doctest/doctest.h>
#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "desktop_client.hpp"
#include "herald/common/desktop_protocol.hpp"
#include "herald/testing/fixture.hpp"

using namespace herald::testing;
using herald::agent::test::DesktopClient;
using nlohmann::json;

namespace {

constexpr uid_t kNobody = 65534;

std::string my_login() {
  auto* pw = getpwuid(getuid());
  REQUIRE(pw);
  return pw->pw_name;
}

std::string herald_ok(System& sys, std::vector<std::string> args) {
  auto r = sys.herald(args);
  INFO("herald " << args.at(0) << ": " << r.err);
  REQUIRE(r.exit_code == 0);
  while (!r.out.empty() && (r.out.back() == '\n' || r.out.back() == ' ')) r.out.pop_back();
  return r.out;
}

// The agent's receipt state for `id` as the admin sees it.
std::string status_of(System& sys, const std::string& id, const std::string& agent) {
  auto r = sys.herald({"status", id, "--json"});
  if (r.exit_code != 0) return "";
  auto j = json::parse(r.out, nullptr, false);
  if (j.is_discarded()) return "";
  for (const auto& row : j.at("recipients"))
    if (row.at("recipient") == agent) return row.value("state", "");
  return "";
}

// What uid `uid` reads from the socket: connects in a child process that has dropped
// to that uid, returns everything it read until the daemon closed the connection
// (or 5 s passed), after writing `request`. Only system calls in the child.
std::string read_as(uid_t uid, const std::string& socket_path, const std::string& request) {
  int out[2];
  REQUIRE(pipe(out) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(out[0]);
    if (setgroups(0, nullptr) != 0 || setgid(uid) != 0 || setuid(uid) != 0) _exit(90);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, socket_path.c_str(), std::min(socket_path.size(), sizeof addr.sun_path - 1));
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) _exit(91);
    (void)!send(fd, request.data(), request.size(), MSG_NOSIGNAL);  // the daemon may have hung up already
    timeval five{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &five, sizeof five);
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) (void)!write(out[1], buf, static_cast<std::size_t>(n));
    // 0: the daemon closed the connection. ECONNRESET is the same hang-up when the
    // daemon closed before reading our request (a unix socket closed with unread data
    // resets), which depends on who runs first.
    _exit(n == 0 || (n < 0 && errno == ECONNRESET) ? 0 : 92);
  }
  close(out[1]);
  std::string got;
  char buf[4096];
  ssize_t n;
  while ((n = read(out[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  INFO("child read: " << got << " status " << status);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  return got;
}

}  // namespace

TEST_CASE("desktop socket of a real agent: the employee reads and is shown alerts; nobody else gets anything") {
  System sys("desktop-socket");
  const std::string pc = "org/branch01/pc001";
  auto& agent = sys.agent(pc, my_login());
  agent.start();
  REQUIRE(sys.wait_heraldd_connected());
  REQUIRE(agent.wait_connected());
  auto socket = herald::desktop_protocol::socket_path((agent.config().parent_path() / "data").string());

  auto desk = std::make_unique<DesktopClient>(socket);
  REQUIRE(desk->fd() >= 0);
  auto hello = desk->call({{"op", "hello"}, {"client", "test"}});
  CHECK(hello["user"] == my_login());
  CHECK(hello["computer"] == pc);
  REQUIRE(desk->call({{"op", "subscribe"}, {"alerts", true}})["ok"] == true);

  // A message: the inbox event, the row, `show` -> the admin sees it read.
  auto id = herald_ok(sys, {"send", "--to", "org/branch01", "--title", "Zebranie", "--body", "Jutro o 9:00"});
  auto ev = desk->next_event(std::chrono::seconds(10));
  REQUIRE(ev);
  CHECK((*ev)["event"] == "inbox");
  auto rows = desk->call({{"op", "inbox"}})["messages"];
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["id"] == id);
  CHECK(rows[0]["title"] == "Zebranie");
  auto shown = desk->call({{"op", "show"}, {"id", id}});
  REQUIRE(shown["ok"] == true);
  CHECK(shown["message"]["body"] == "Jutro o 9:00");
  CHECK(eventually([&] { return status_of(sys, id, pc) == "read"; }, std::chrono::seconds(10)));

  // A message that asks for confirmation: confirm -> the admin sees it confirmed.
  auto ask = herald_ok(sys, {"send", "--to", "org/branch01", "--require-confirm", "--title", "Regulamin", "--body",
                             "Proszę potwierdzić"});
  CHECK(eventually([&] { return desk->call({{"op", "inbox"}})["messages"].size() == 2; }, std::chrono::seconds(10)));
  CHECK(desk->call({{"op", "confirm"}, {"id", id}})["error"]["code"] == 2);  // it does not ask
  auto confirmed = desk->call({{"op", "confirm"}, {"id", ask}});
  REQUIRE(confirmed["ok"] == true);
  CHECK(confirmed["message"]["state"] == "confirmed");
  CHECK(eventually([&] { return status_of(sys, ask, pc) == "confirmed"; }, std::chrono::seconds(10)));

  // An alert goes to the desktop program, not the agent's display, until it answers.
  auto alert = herald_ok(sys, {"alert", "--to", "org/branch01", "--severity", "critical", "--title", "Pożar", "--body",
                               "Opuścić budynek"});
  std::optional<json> got;
  for (int i = 0; i < 5 && !(got && (*got)["event"] == "alert"); ++i) got = desk->next_event(std::chrono::seconds(10));
  REQUIRE(got);
  CHECK((*got)["event"] == "alert");
  CHECK((*got)["message"]["id"] == alert);
  CHECK((*got)["message"]["title"] == "Pożar");
  CHECK(agent.log().find("ALERT id=" + alert) != std::string::npos);  // the journal still records it
  CHECK(agent.log().find("handed alert " + alert) != std::string::npos);
  CHECK(eventually([&] { return status_of(sys, alert, pc) == "delivered"; }, std::chrono::seconds(10)));
  REQUIRE(desk->call({{"op", "displayed"}, {"id", alert}})["ok"] == true);
  CHECK(eventually([&] { return status_of(sys, alert, pc) == "displayed"; }, std::chrono::seconds(10)));

  // A second local user: one refused line, then the daemon hangs up. Nothing else.
  // (Becoming another user needs root, which these tests run as.)
  REQUIRE(getuid() == 0);
  auto other = read_as(kNobody, socket, "{\"op\":\"inbox\"}\n");
  auto line = json::parse(other.substr(0, other.find('\n')), nullptr, false);
  REQUIRE_FALSE(line.is_discarded());
  CHECK(line["event"] == "refused");
  CHECK(other.find('\n') == other.size() - 1);  // exactly one line
  CHECK(other.find(id) == std::string::npos);
  CHECK(other.find("Zebranie") == std::string::npos);

  // Hostile clients of the employee: errors, a cut-off, and the daemon keeps serving.
  {
    DesktopClient bad(socket);
    REQUIRE(bad.write_raw("{{{{ garbage\n"));
    CHECK((*bad.read())["error"]["code"] == 2);
    CHECK(bad.call({{"op", "rm -rf"}})["error"]["code"] == 2);
    // Another computer's message is not here: unknown.
    auto elsewhere = herald_ok(sys, {"send", "--to", "org/branch02", "--title", "Nie dla was", "--body", "x"});
    CHECK(bad.call({{"op", "show"}, {"id", elsewhere}})["error"]["code"] == 3);
    DesktopClient huge(socket);
    huge.write_raw(std::string(herald::desktop_protocol::kMaxRequestBytes + 100, 'x'));
    CHECK(huge.closed_by_server());
  }
  CHECK(desk->call({{"op", "hello"}})["ok"] == true);

  // The desktop program vanishes holding an alert: the agent's display shows it.
  auto second = herald_ok(sys, {"alert", "--to", "org/branch01", "--severity", "warning", "--title", "Awaria", "--body",
                                "Sieć nie działa"});
  std::optional<json> handed;
  for (int i = 0; i < 5 && !(handed && (*handed)["event"] == "alert"); ++i)
    handed = desk->next_event(std::chrono::seconds(10));
  REQUIRE(handed);
  CHECK((*handed)["message"]["id"] == second);
  desk.reset();
  CHECK(eventually(
      [&] {
        return agent.log().find("displayed alert " + second + " (the desktop program did not)") != std::string::npos;
      },
      std::chrono::seconds(10)));
  CHECK(eventually([&] { return status_of(sys, second, pc) == "displayed"; }, std::chrono::seconds(10)));

  // Without a desktop program the agent's display shows new alerts at once.
  auto third = herald_ok(sys, {"alert", "--to", "org/branch01", "--title", "Test", "--body", "x"});
  CHECK(eventually([&] { return agent.log().find("displayed alert " + third) != std::string::npos; },
                   std::chrono::seconds(10)));
  // A new program catches up: nothing is left undisplayed, so no alert event.
  DesktopClient next(socket);
  REQUIRE(next.call({{"op", "subscribe"}, {"alerts", true}})["ok"] == true);
  auto extra = next.next_event(std::chrono::milliseconds(300));
  CHECK((!extra || (*extra)["event"] != "alert"));
  agent.stop();
}
