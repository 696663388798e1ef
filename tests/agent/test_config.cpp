#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

#include "helpers.hpp"
#include "herald/agent/agent_config.hpp"
#include "herald/agent/system.hpp"
#include "herald/common/error.hpp"

using namespace herald;
using namespace herald::agent;
using herald::agent::test::TempDir;

namespace {

// A throwaway self-signed certificate with the given subject.
std::string make_cert(const TempDir& dir, const std::string& name, const std::string& subject) {
  auto cert = dir / (name + ".crt");
  auto key = dir / (name + ".key");
  std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj '" + subject +
                    "' -keyout '" + key + "' -out '" + cert + "' >/dev/null 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  return cert;
}

ErrorKind kind_of(const std::function<void()>& fn, std::string* message = nullptr) {
  try {
    fn();
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.kind();
  }
  FAIL("expected herald::Error");
  return ErrorKind::internal;
}

std::string config_text(const TempDir& dir, const std::string& cert, const std::string& extra = "") {
  return "broker = ssl://127.0.0.1:8883\nca_file = " + cert + "\ncert_file = " + cert +
         "\nkey_file = " + dir / "pc1.key" + "\ndata_dir = " + dir / "data" + "\n" + extra;
}

}  // namespace

TEST_CASE("the org path is read from the certificate's CN") {
  TempDir dir;
  auto cert = make_cert(dir, "pc1", "/CN=org\\/b1\\/pc1");
  CHECK(certificate_common_name(cert) == "org/b1/pc1");
  auto config = load_agent_config(Config::from_string(config_text(dir, cert), dir / "agent.conf"), ConfigNeeds::daemon);
  CHECK(config.path == "org/b1/pc1");
  CHECK(config.data_dir == dir / "data");
  CHECK(config.display == "auto");
  CHECK(config.broker.uri == "ssl://127.0.0.1:8883");
  CHECK(config.user.empty());
  // A matching `path` is accepted.
  auto same =
      load_agent_config(Config::from_string(config_text(dir, cert, "path = org/b1/pc1\n"), "x"), ConfigNeeds::daemon);
  CHECK(same.path == "org/b1/pc1");
}

TEST_CASE("config errors name the problem and exit with 9") {
  TempDir dir;
  auto cert = make_cert(dir, "pc1", "/CN=org\\/b1\\/pc1");
  std::string message;
  CHECK(kind_of(
            [&] {
              load_agent_config(Config::from_string(config_text(dir, cert, "path = org/b1/pc2\n"), "agent.conf"),
                                ConfigNeeds::path);
            },
            &message) == ErrorKind::config);
  CHECK(message.find("org/b1/pc2") != std::string::npos);
  CHECK(message.find("org/b1/pc1") != std::string::npos);
  CHECK(Error(ErrorKind::config, "").exit_code() == 9);

  auto bad_cn = make_cert(dir, "bad", "/CN=Admin Account");
  CHECK(kind_of([&] { load_agent_config(Config::from_string(config_text(dir, bad_cn), "x"), ConfigNeeds::path); },
                &message) == ErrorKind::config);
  CHECK(message.find("not an org path") != std::string::npos);

  auto no_cn = make_cert(dir, "nocn", "/O=Herald");
  CHECK(kind_of([&] { certificate_common_name(no_cn); }, &message) == ErrorKind::config);
  CHECK(message.find("no common name") != std::string::npos);

  std::ofstream(dir / "garbage.crt") << "not a certificate\n";
  CHECK(kind_of([&] { certificate_common_name(dir / "garbage.crt"); }) == ErrorKind::config);
  CHECK(kind_of([&] { certificate_common_name(dir / "missing.crt"); }, &message) == ErrorKind::config);
  CHECK(message.find("missing.crt") != std::string::npos);

  CHECK(kind_of([&] { load_agent_config(Config::from_string("broker = ssl://x:1\n", "x"), ConfigNeeds::path); },
                &message) == ErrorKind::config);
  CHECK(message.find("cert_file") != std::string::npos);
  CHECK(kind_of([&] {
          load_agent_config(Config::from_string(config_text(dir, cert, "display = hologram\n"), "x"),
                            ConfigNeeds::store);
        }) == ErrorKind::config);
  CHECK(kind_of([&] {
          load_agent_config(Config::from_string(config_text(dir, cert, "display = command\n"), "x"),
                            ConfigNeeds::store);
        }) == ErrorKind::config);
  CHECK(kind_of([&] {
          load_agent_config(Config::from_string(config_text(dir, cert, "user = bad user\n"), "x"), ConfigNeeds::store);
        }) == ErrorKind::config);
  // inbox needs neither the broker nor the certificate.
  auto store_only = load_agent_config(Config::from_string("data_dir = /tmp/x\n", "x"), ConfigNeeds::store);
  CHECK(store_only.data_dir == "/tmp/x");
  CHECK(kind_of([&] {
          load_agent_config(Config::from_string(config_text(dir, cert, "broker = tcp://127.0.0.1:1883\n"), "x"),
                            ConfigNeeds::daemon);
        }) == ErrorKind::config);
}

TEST_CASE("printable neutralises terminal escapes and truncates") {
  CHECK(printable("a\x1b[2Jb") == "a?[2Jb");
  CHECK(printable("line1\nline2") == "line1?line2");
  CHECK(printable("line1\nline2", 100, true) == "line1\nline2");
  CHECK(printable(std::string(500, 'x'), 10) == std::string(10, 'x') + "...");
}
