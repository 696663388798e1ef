#pragma once
// Issues agent certificates in-process for a benchmark swarm: `herald-pki agent` runs
// `openssl ca` once per computer (~30 ms each), too slow for 10,000 agents.
// The certificates are the same kind herald-pki makes: EC P-256, CN = org path,
// clientAuth, signed by the broker's CA.
#include <string>
#include <vector>

namespace herald::bench {

struct IssuedCert {
  std::string org_path;
  std::string cert_file;
  std::string key_file;
};

// Signs one certificate per path with the CA in `pki_dir` (ca.crt, private/ca.key) and
// writes <out_dir>/<n>.crt/.key. Throws herald::Error on any OpenSSL failure.
std::vector<IssuedCert> issue_agent_certs(const std::string& pki_dir, const std::string& out_dir,
                                          const std::vector<std::string>& org_paths);

}  // namespace herald::bench
