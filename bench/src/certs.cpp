#include "herald/bench/certs.hpp"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "herald/common/error.hpp"

namespace herald::bench {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;

[[noreturn]] void fail(const std::string& what) { throw Error(ErrorKind::internal, "bench certificates: " + what); }

template <typename Fn>
auto with_file(const std::string& path, const char* mode, Fn fn) {
  FILE* f = std::fopen(path.c_str(), mode);
  if (!f) fail("cannot open " + path);
  auto result = fn(f);
  std::fclose(f);
  return result;
}

}  // namespace

std::vector<IssuedCert> issue_agent_certs(const std::string& pki_dir, const std::string& out_dir,
                                          const std::vector<std::string>& org_paths) {
  std::filesystem::create_directories(out_dir);
  CertPtr ca_cert(
      with_file(pki_dir + "/ca.crt", "r", [](FILE* f) { return PEM_read_X509(f, nullptr, nullptr, nullptr); }));
  KeyPtr ca_key(with_file(pki_dir + "/private/ca.key", "r",
                          [](FILE* f) { return PEM_read_PrivateKey(f, nullptr, nullptr, nullptr); }));
  if (!ca_cert || !ca_key) fail("cannot read the CA in " + pki_dir);

  std::vector<IssuedCert> issued;
  issued.reserve(org_paths.size());
  long serial = 1'000'000;
  for (std::size_t i = 0; i < org_paths.size(); ++i) {
    KeyPtr key(EVP_EC_gen("P-256"));
    CertPtr cert(X509_new());
    if (!key || !cert) fail("key generation failed");
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 7L * 24 * 3600);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(org_paths[i].c_str()),
                               -1, -1, 0);
    X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get()));
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, ca_cert.get(), cert.get(), nullptr, nullptr, 0);
    for (auto [nid, value] :
         {std::pair{NID_basic_constraints, "CA:FALSE"}, std::pair{NID_ext_key_usage, "clientAuth"}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
      X509_add_ext(cert.get(), ext, -1);
      X509_EXTENSION_free(ext);
    }
    if (!X509_sign(cert.get(), ca_key.get(), EVP_sha256())) fail("signing failed for " + org_paths[i]);
    IssuedCert out{org_paths[i], out_dir + "/" + std::to_string(i) + ".crt",
                   out_dir + "/" + std::to_string(i) + ".key"};
    with_file(out.cert_file, "w", [&](FILE* f) { return PEM_write_X509(f, cert.get()); });
    with_file(out.key_file, "w",
              [&](FILE* f) { return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr); });
    issued.push_back(std::move(out));
  }
  return issued;
}

}  // namespace herald::bench
