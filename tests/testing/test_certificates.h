#pragma once
// A certificate authority made for one test with OpenSSL, and the server certificates it issues,
// written as PEM files into the test's directory: a good one for 127.0.0.1 and localhost, one
// for another host, one already expired. Throws std::runtime_error (a failed test) if OpenSSL
// fails. One thread.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/x509.h>

namespace lm::testing {

struct CertFiles {
  std::string cert_file;  // the certificate (PEM)
  std::string key_file;   // its private key (PEM)
};

class TestCa {
 public:
  // Makes the CA's key and self-signed certificate; writes `<dir>/<name>.pem`.
  TestCa(const std::filesystem::path& dir, const std::string& name = "test-ca");
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  // The CA's certificate: what a client given `ca_file` trusts.
  const std::string& ca_file() const { return ca_file_; }

  // A server certificate with common name `name` for `hosts` (IP addresses or DNS names, as
  // subjectAltName), valid from now + `from_s` until now + `until_s` (seconds; negative = past).
  // Writes `<dir>/<name>.pem` and `<dir>/<name>.key`.
  CertFiles Issue(const std::string& name, const std::vector<std::string>& hosts, long from_s = -3600,
                  long until_s = 86400);

 private:
  std::filesystem::path dir_;
  std::string ca_file_;
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key_{nullptr, &EVP_PKEY_free};
  std::unique_ptr<X509, decltype(&X509_free)> cert_{nullptr, &X509_free};
  long serial_ = 1;
};

// The common name in a certificate's subject ("" if none).
std::string CommonNameOf(X509* cert);

}  // namespace lm::testing
