#include "tests/testing/test_certificates.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <cstdio>
#include <stdexcept>

namespace lm::testing {

namespace {

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, decltype(&X509_EXTENSION_free)>;
using FilePtr = std::unique_ptr<FILE, decltype(&fclose)>;

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("OpenSSL: ") + what + " failed");
}

KeyPtr NewKey() {
  KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), &EVP_PKEY_free);
  Check(key != nullptr, "EVP_PKEY_Q_keygen");
  return key;
}

void AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()), &X509_EXTENSION_free);
  Check(ext != nullptr, "X509V3_EXT_conf_nid");
  Check(X509_add_ext(cert, ext.get(), -1) == 1, "X509_add_ext");
}

// A certificate for `key` named `name`, signed by `issuer_key` (issuer = `issuer`, or itself).
CertPtr NewCert(EVP_PKEY* key, const std::string& name, long serial, long from_s, long until_s, X509* issuer,
                EVP_PKEY* issuer_key) {
  CertPtr cert(X509_new(), &X509_free);
  Check(cert != nullptr, "X509_new");
  Check(X509_set_version(cert.get(), 2) == 1, "X509_set_version");
  Check(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial) == 1, "ASN1_INTEGER_set");
  Check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), from_s) != nullptr, "X509_gmtime_adj");
  Check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), until_s) != nullptr, "X509_gmtime_adj");
  Check(X509_set_pubkey(cert.get(), key) == 1, "X509_set_pubkey");
  X509_NAME* subject = X509_get_subject_name(cert.get());
  Check(X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(name.c_str()),
                                   -1, -1, 0) == 1,
        "X509_NAME_add_entry_by_txt");
  Check(X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : subject) == 1,
        "X509_set_issuer_name");
  X509* signer = issuer ? issuer : cert.get();
  if (issuer == nullptr) {
    AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    AddExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    AddExtension(cert.get(), signer, NID_basic_constraints, "CA:FALSE");
    AddExtension(cert.get(), signer, NID_ext_key_usage, "serverAuth");
  }
  AddExtension(cert.get(), signer, NID_subject_key_identifier, "hash");
  Check(X509_sign(cert.get(), issuer_key, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

void WritePem(const std::filesystem::path& path, X509* cert, EVP_PKEY* key) {
  FilePtr file(std::fopen(path.c_str(), "wb"), &fclose);
  Check(file != nullptr, "fopen");
  if (cert) Check(PEM_write_X509(file.get(), cert) == 1, "PEM_write_X509");
  if (key) Check(PEM_write_PrivateKey(file.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1, "PEM_write_PrivateKey");
  Check(std::fflush(file.get()) == 0, "fflush");
}

}  // namespace

TestCa::TestCa(const std::filesystem::path& dir, const std::string& name) : dir_(dir) {
  key_ = NewKey();
  cert_ = NewCert(key_.get(), name, serial_++, -86400, 30 * 86400, nullptr, key_.get());
  ca_file_ = (dir_ / (name + ".pem")).string();
  WritePem(ca_file_, cert_.get(), nullptr);
}

CertFiles TestCa::Issue(const std::string& name, const std::vector<std::string>& hosts, long from_s, long until_s) {
  KeyPtr key = NewKey();
  CertPtr cert = NewCert(key.get(), name, serial_++, from_s, until_s, cert_.get(), key_.get());
  std::string names;
  for (const auto& host : hosts) {
    unsigned char raw[16];
    const bool address = inet_pton(AF_INET, host.c_str(), raw) == 1 || inet_pton(AF_INET6, host.c_str(), raw) == 1;
    names += (names.empty() ? "" : ",") + std::string(address ? "IP:" : "DNS:") + host;
  }
  // NewCert signed it without its names: add them and sign again.
  AddExtension(cert.get(), cert_.get(), NID_subject_alt_name, names);
  Check(X509_sign(cert.get(), key_.get(), EVP_sha256()) > 0, "X509_sign");
  CertFiles files{(dir_ / (name + ".pem")).string(), (dir_ / (name + ".key")).string()};
  WritePem(files.cert_file, cert.get(), nullptr);
  WritePem(files.key_file, nullptr, key.get());
  return files;
}

std::string CommonNameOf(X509* cert) {
  if (cert == nullptr) return "";
  char buf[256] = {};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf) < 0) return "";
  return buf;
}

}  // namespace lm::testing
