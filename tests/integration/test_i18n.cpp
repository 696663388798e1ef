// Issue 12: Polish and English, as people run the programs against a real broker and
// heraldd: the reader's LANG/LANGUAGE picks the catalogue; --json, exit codes and the
// message as sent do not change with it; heraldd's own lines follow its environment.
#include <signal.h>

#include <fstream>

#include "helpers.hpp"

using namespace herald::testing;
using namespace std::chrono_literals;

namespace {

using Env = std::map<std::string, std::string>;

// Exactly one way of asking for a language each (empty values count as unset).
Env lang(const std::string& lang_value, const std::string& language = "") {
  return {{"LANGUAGE", language}, {"LC_ALL", ""}, {"LC_MESSAGES", ""}, {"LANG", lang_value}};
}

RunResult herald_in(System& sys, const Env& env, std::vector<std::string> args) {
  std::vector<std::string> argv = {bin("herald").string(), "--config", sys.cli_config("admin").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, env);
}

RunResult agent_in(Agent& agent, const Env& env, std::vector<std::string> args) {
  std::vector<std::string> argv = {bin("herald-agent").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--config");
  argv.push_back(agent.config().string());
  return run(argv, env);
}

const std::string kTitle = "Ćwiczenia przeciwpożarowe";
const std::string kBody = "Zażółć gęślą jaźń: zbiórka na parkingu o 10:00.";

}  // namespace

TEST_CASE("herald and herald-agent in Polish and English: same data, same --json, same exit codes") {
  System sys("i18n");
  auto& pc = sys.agent("org/branch01/pc001", "jkowalski");
  auto id = send_and_wait(sys, {&pc}, {"send", "--to", "org/branch01/pc001", "--title", kTitle, "--body", kBody});
  REQUIRE(eventually([&] { return state_of(sys, id, "org/branch01/pc001") == "delivered"; }));

  // herald status: Polish headings and words, the title and ids untouched.
  for (const auto& env : {lang("pl_PL.UTF-8"), lang("", "pl")}) {
    auto status = herald_in(sys, env, {"status", id});
    INFO(status.out << status.err);
    CHECK(status.exit_code == 0);
    CHECK(status.out.find(id + " (wiadomość, aktywna) do org/branch01/pc001: odbiorcy: 1, oczekuje: 0, "
                               "dostarczono: 1") == 0);
    CHECK(status.out.find("ODBIORCA            STAN") != std::string::npos);
    CHECK(status.out.find("org/branch01/pc001  dostarczona") != std::string::npos);
  }
  auto english = herald_in(sys, lang(""), {"status", id});
  CHECK(english.out.find(id + " (message, active) to org/branch01/pc001: 1 recipients, 0 pending, 1 delivered") == 0);
  CHECK(english.out.find("RECIPIENT           STATE") != std::string::npos);

  // --json is for programs: the same bytes whatever the reader's language.
  auto json_en = herald_in(sys, lang("C.UTF-8"), {"status", id, "--json"});
  REQUIRE(json_en.exit_code == 0);
  CHECK(herald_in(sys, lang("pl_PL.UTF-8"), {"status", id, "--json"}).out == json_en.out);
  CHECK(herald_in(sys, lang("", "pl"), {"status", id, "--json"}).out == json_en.out);
  auto list_en = herald_in(sys, lang(""), {"list", "--json"});
  CHECK(herald_in(sys, lang("", "pl"), {"list", "--json"}).out == list_en.out);
  auto inbox_en = agent_in(pc, lang(""), {"inbox", "--json"});
  CHECK(agent_in(pc, lang("pl_PL.UTF-8"), {"inbox", "--json"}).out == inbox_en.out);
  CHECK(inbox_en.out.find(kTitle) != std::string::npos);

  // An error line in Polish, with the exit code of the English one.
  auto bad = herald_in(sys, lang("pl_PL.UTF-8"), {"status", "bad id!"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err ==
        "herald: błąd: nieprawidłowy identyfikator wiadomości 'bad id!': identyfikator to 1-64 litery, "
        "cyfry, '.', '_' lub '-'\n");
  CHECK(herald_in(sys, lang(""), {"status", "bad id!"}).exit_code == 2);
  auto unknown = herald_in(sys, lang("xx_YY.UTF-8"), {"status", "bad id!"});
  CHECK(unknown.err.rfind("herald: error: invalid message id 'bad id!'", 0) == 0);  // unknown language: English

  // The employee opens it in Polish: labels translated, the message as sent; the read
  // receipt reaches heraldd as from an English reader.
  auto shown = agent_in(pc, lang("pl_PL.UTF-8"), {"show", id});
  CHECK(shown.exit_code == 0);
  CHECK(shown.out.find("Rodzaj:       wiadomość\n") != std::string::npos);
  CHECK(shown.out.find("Tytuł:        " + kTitle + "\n") != std::string::npos);
  CHECK(shown.out.find("\n" + kBody + "\n") != std::string::npos);
  CHECK(eventually([&] { return state_of(sys, id, "org/branch01/pc001") == "read"; }));
  CHECK(herald_in(sys, lang("", "pl"), {"status", id}).out.find("org/branch01/pc001  przeczytana") !=
        std::string::npos);
}

TEST_CASE("heraldd started in Polish says so in its start line; its log keys stay") {
  TempDir dir("i18n-heraldd");
  {
    std::ofstream conf(dir.path() / "heraldd.conf");
    // Nothing listens on port 1: heraldd starts, logs, and keeps retrying the broker.
    conf << "broker = ssl://127.0.0.1:1\nca_file = " << (dir.path() / "none.pem").string()
         << "\nusername = heraldd\npassword = x\ndata_dir = " << (dir.path() / "data").string() << "\n";
  }
  Process heraldd({bin("heraldd").string(), "--config", (dir.path() / "heraldd.conf").string()},
                  dir.path() / "heraldd.log", lang("pl_PL.UTF-8"));
  CHECK(eventually([&] { return heraldd.log().find("uruchamianie heraldd: rejestr ") != std::string::npos; }));
  INFO(heraldd.log());
  CHECK(heraldd.log().find(" INFO heraldd: uruchamianie heraldd: rejestr " + (dir.path() / "data").string() +
                           ", broker ssl://127.0.0.1:1, identyfikator klienta heraldd") != std::string::npos);
  heraldd.stop();

  auto usage = run({bin("heraldd").string(), "--config", (dir.path() / "missing.conf").string()}, lang("", "pl"));
  CHECK(usage.exit_code == 9);
  CHECK(usage.err.rfind("heraldd: błąd: nie można odczytać pliku konfiguracyjnego ", 0) == 0);
}
