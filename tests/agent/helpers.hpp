#pragma once
// Shared test helpers: a temp directory removed afterwards, payload builders.
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "herald/common/payloads.hpp"
#include "herald/common/time.hpp"

namespace herald::agent::test {

struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "herald-agent-test-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return path + "/" + name; }
};

inline payloads::Delivery delivery(std::string title = "Phishing", std::string severity = "critical",
                                   std::chrono::milliseconds lifetime = std::chrono::hours(1)) {
  payloads::Delivery d;
  d.title = std::move(title);
  d.body = "Do not open the attachment";
  d.severity = std::move(severity);
  d.sent_at = herald::now();
  d.expires_at = d.sent_at + lifetime;
  return d;
}

}  // namespace herald::agent::test
