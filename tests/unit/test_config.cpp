// Config files (common/include/herald/common/config.hpp): "key = value", '#' comments.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "herald/common/config.hpp"
#include "herald/common/error.hpp"
#include "herald/common/mqtt.hpp"

using namespace herald;

TEST_CASE("config: comments on their own line and blank lines are skipped") {
  auto c = Config::from_string("# a comment\n\n   # indented comment\n\t\nbroker = ssl://h:1\n   \n#x = y\n", "t.conf");
  CHECK(c.get("broker") == "ssl://h:1");
  CHECK_FALSE(c.get("x"));
  CHECK_FALSE(c.get("#x"));
}

TEST_CASE("config: a blank then '#' starts a comment after a value") {
  auto c = Config::from_string(
      "scope = org/branch01   # the subtree\n"
      "user = anna\t# tab before the comment\n"
      "display = log # one blank\n"
      "data_dir = /var/lib/herald #\n",
      "t.conf");
  CHECK(c.get("scope") == "org/branch01");
  CHECK(c.get("user") == "anna");
  CHECK(c.get("display") == "log");
  CHECK(c.get("data_dir") == "/var/lib/herald");
}

TEST_CASE("config: a '#' after any other character is part of the value") {
  auto c = Config::from_string(
      "password = pa#ss#  # the comment\n"
      "broker = ssl://h:1#x\n"
      "scope = org/#\n"
      "data_dir = /srv/herald#2\n",
      "t.conf");
  CHECK(c.get("password") == "pa#ss#");
  CHECK(c.get("broker") == "ssl://h:1#x");
  CHECK(c.get("scope") == "org/#");
  CHECK(c.get("data_dir") == "/srv/herald#2");
}

TEST_CASE("config: a value cannot begin with '#' after a blank: that line has an empty value") {
  // Documented: such a password goes in password_file (read verbatim) or $HERALD_PASSWORD.
  auto c = Config::from_string("password = #secret\ndisplay_command =   # unused\n", "t.conf");
  CHECK_FALSE(c.get("password"));
  CHECK_FALSE(c.get("display_command"));
  CHECK(c.get_or("password", "fallback") == "fallback");
}

TEST_CASE("config: a password with '#' works inline, and from password_file even after a blank") {
  for (const char* name : {"HERALD_BROKER", "HERALD_USERNAME", "HERALD_PASSWORD", "HERALD_CA_FILE"}) unsetenv(name);
  auto inline_pw = mqtt_edge::settings_from(Config::from_string(
      "broker = ssl://127.0.0.1:8883\nca_file = /etc/ca.crt\nusername = a\npassword = s3#cr#t   # ops vault\n",
      "t.conf"));
  CHECK(inline_pw.password == "s3#cr#t");

  char dir_template[] = "/tmp/herald-config-test-XXXXXX";
  REQUIRE(mkdtemp(dir_template));
  std::filesystem::path dir(dir_template);
  std::ofstream(dir / "pw") << "#starts with a hash # and has one after a blank\n";
  std::ofstream(dir / "t.conf") << "broker = ssl://127.0.0.1:8883\nca_file = /etc/ca.crt\nusername = a\n"
                                   "password_file = pw   # relative to this file\n";
  auto from_file = mqtt_edge::settings_from(Config::load((dir / "t.conf").string()));
  CHECK(from_file.password == "#starts with a hash # and has one after a blank");
  std::filesystem::remove_all(dir);
}

TEST_CASE("config: blanks around keys and values are trimmed, blanks inside kept, CRLF accepted") {
  auto c = Config::from_string("  key   =   two words  \r\n\tother=x\r\nempty =\n", "t.conf");
  CHECK(c.get("key") == "two words");
  CHECK(c.get("other") == "x");
  CHECK_FALSE(c.get("empty"));  // an empty value is the same as no value
  // Everything after the first '=' is the value.
  CHECK(Config::from_string("url = a=b=c\n", "t.conf").get("url") == "a=b=c");
}

TEST_CASE("config: a line without '=' or with an empty key is an error naming the file and line") {
  CHECK_THROWS_WITH_AS(Config::from_string("broker = x\njust words\n", "t.conf"), "t.conf:2: expected 'key = value'",
                       Error);
  CHECK_THROWS_WITH_AS(Config::from_string("# c\n = value\n", "t.conf"), "t.conf:2: empty key", Error);
  // A comment does not hide a missing '=' before it.
  CHECK_THROWS_WITH_AS(Config::from_string("broker # = x\n", "t.conf"), "t.conf:1: expected 'key = value'", Error);
  try {
    Config::from_string("oops\n", "t.conf");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::config);
  }
}

TEST_CASE("config: a key given twice: the last line wins") {
  auto c = Config::from_string("scope = org\nscope = org/branch01\n", "t.conf");
  CHECK(c.get("scope") == "org/branch01");
}

TEST_CASE("config: unknown keys are kept, not checked by the parser") {
  auto c = Config::from_string("no_such_key = 1\n", "t.conf");
  CHECK(c.get("no_such_key") == "1");
}

TEST_CASE("config: the README's example, verbatim") {
  auto c = Config::from_string(R"(broker = ssl://127.0.0.1:18884
ca_file = /etc/herald/ca.crt
username = ops1
password_file = /etc/herald/ops1.password   # or password = ..., or $HERALD_PASSWORD
scope = org/branch01                         # the subtree this account asks about
)",
                               "herald.conf");
  CHECK(c.get("broker") == "ssl://127.0.0.1:18884");
  CHECK(c.get("ca_file") == "/etc/herald/ca.crt");
  CHECK(c.get("username") == "ops1");
  CHECK(c.get("password_file") == "/etc/herald/ops1.password");
  CHECK(c.get("scope") == "org/branch01");
  CHECK_FALSE(c.get("password"));
}

TEST_CASE("config: integers and relative paths") {
  auto c = Config::from_string("n = 42   # the answer\nbad = 4x\nca_file = ca.crt\nabs = /x/y\n", "/etc/herald/h.conf");
  CHECK(c.get_int("n", 0) == 42);
  CHECK(c.get_int("missing", 7) == 7);
  CHECK_THROWS_AS(c.get_int("bad", 0), Error);
  CHECK(c.path_value("ca_file") == "/etc/herald/ca.crt");
  CHECK(c.path_value("abs") == "/x/y");
  CHECK(c.path_value("missing").empty());
}
