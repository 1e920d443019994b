#include "common/signing.h"

#include "common/unique_fd.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <utility>

#include "common/atomic_file.h"
#include "common/base64.h"

namespace lm {
namespace fs = std::filesystem;

namespace {

template <auto F>
struct Free {
  void operator()(auto* p) const noexcept { F(p); }
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Free<EVP_MD_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, Free<BIO_free>>;

constexpr size_t kPublicKeyBytes = 32;
constexpr size_t kSignatureBytes = 64;
// A PEM Ed25519 key is about 120 bytes; anything much larger is not one.
constexpr off_t kMaxKeyFileBytes = 64 * 1024;


// Wipes a buffer that held key material when it goes out of scope.
class Cleansed {
 public:
  explicit Cleansed(std::string& s) : s_(s) {}
  ~Cleansed() { OPENSSL_cleanse(s_.data(), s_.size()); }
  Cleansed(const Cleansed&) = delete;
  Cleansed& operator=(const Cleansed&) = delete;

 private:
  std::string& s_;
};

// The oldest queued OpenSSL error as text; clears the rest of this thread's queue.
std::string TakeOpenSslError() {
  unsigned long code = ERR_get_error();
  std::string text = "unknown OpenSSL error";
  if (code != 0) {
    std::array<char, 256> buf{};
    ERR_error_string_n(code, buf.data(), buf.size());
    text = buf.data();
  }
  ERR_clear_error();
  return text;
}

Status OpenSslStatus(std::string_view what) { return Internal(std::string(what) + ": " + TakeOpenSslError()); }

const unsigned char* Bytes(std::string_view s) {
  // OpenSSL wants a valid pointer even for zero bytes; a default string_view has none.
  static const unsigned char kEmpty = 0;
  return s.data() == nullptr ? &kEmpty : reinterpret_cast<const unsigned char*>(s.data());
}

// Refuses to prompt for a passphrase: an encrypted key file is an error, never a hang on a tty.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) { return -1; }


Result<std::string> RawPublicKeyBase64(EVP_PKEY* key) {
  std::array<unsigned char, kPublicKeyBytes> raw{};
  size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(key, raw.data(), &len) != 1) return OpenSslStatus("EVP_PKEY_get_raw_public_key");
  if (len != kPublicKeyBytes) return Internal("Ed25519 public key has " + std::to_string(len) + " bytes");
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(raw.data()), len));
}

Result<PkeyPtr> GenerateKey() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) return OpenSslStatus("EVP_PKEY_Q_keygen ED25519");
  return key;
}

// Parses an open key file. Anything but an unencrypted Ed25519 private key is an error naming
// `path`; the file is never modified.
Result<PkeyPtr> ReadKeyFile(int fd, const fs::path& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return ErrnoStatus("stat " + path.string(), errno);
  if (!S_ISREG(st.st_mode)) return InvalidArgument(path.string() + ": signing key path is not a regular file");
  if (st.st_size > kMaxKeyFileBytes) {
    return InvalidArgument(path.string() + ": too large for an Ed25519 private key file");
  }
  std::string pem;
  Cleansed wipe(pem);
  pem.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < pem.size()) {
    ssize_t n = ::read(fd, pem.data() + got, pem.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read " + path.string(), errno);
    }
    if (n == 0) break;  // shrank while we read; parse what is there
    got += static_cast<size_t>(n);
  }
  if (got == 0) return InvalidArgument(path.string() + ": signing key file is empty");

  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(got)));
  if (!bio) return OpenSslStatus("BIO_new_mem_buf");
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!key) {
    return InvalidArgument(path.string() + ": not an unencrypted PEM private key (" + TakeOpenSslError() + ")");
  }
  if (EVP_PKEY_is_a(key.get(), "ED25519") != 1) {
    const char* type = EVP_PKEY_get0_type_name(key.get());
    return InvalidArgument(path.string() + ": private key is " + (type != nullptr ? type : "of unknown type") +
                           ", not Ed25519");
  }
  return key;
}

// Moves `tmp` to `path` unless `path` exists. Returns false (and leaves `tmp`) if it does.
Result<bool> InstallNoReplace(const fs::path& tmp, const fs::path& path) {
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) == 0) return true;
  if (errno == EEXIST) return false;
  if (errno != EINVAL && errno != ENOSYS) {
    return ErrnoStatus("rename " + tmp.string() + " to " + path.string(), errno);
  }
  // The file system has no RENAME_NOREPLACE: link(2) refuses to replace, too.
  if (::link(tmp.c_str(), path.c_str()) != 0) {
    if (errno == EEXIST) return false;
    return ErrnoStatus("link " + tmp.string() + " to " + path.string(), errno);
  }
  ::unlink(tmp.c_str());
  return true;
}

// Creates a fresh key file at `path` (mode 0600, durable). Returns nullptr if another process
// created `path` first; the caller then loads theirs.
Result<PkeyPtr> CreateKeyFile(const fs::path& path) {
  ASSIGN_OR_RETURN(PkeyPtr key, GenerateKey());

  // Secure-memory BIO: its buffer is wiped when freed.
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio) return OpenSslStatus("BIO_new");
  if (PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslStatus("PEM_write_bio_PrivateKey");
  }
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio.get(), &mem);
  if (mem == nullptr || mem->length == 0) return Internal("PEM_write_bio_PrivateKey wrote nothing");
  std::string_view pem(mem->data, mem->length);

  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  fs::path tmp;
  int raw_fd = -1;
  for (int attempt = 0; attempt < 16 && raw_fd < 0; ++attempt) {
    uint32_t nonce = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&nonce), sizeof nonce) != 1) return OpenSslStatus("RAND_bytes");
    tmp = dir / ("." + path.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(nonce));
    raw_fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (raw_fd < 0 && errno != EEXIST) return ErrnoStatus("create " + tmp.string(), errno);
  }
  if (raw_fd < 0) return ErrnoStatus("create " + tmp.string(), EEXIST);
  UniqueFd fd(raw_fd);

  // The umask may only have narrowed 0600; make it exact.
  Status st = ::fchmod(fd.get(), 0600) == 0 ? Status::Ok() : ErrnoStatus("chmod " + tmp.string(), errno);
  if (st.ok()) st = WriteAll(fd.get(), pem, tmp.string());
  if (st.ok() && ::fsync(fd.get()) != 0) st = ErrnoStatus("fsync " + tmp.string(), errno);
  if (st.ok() && ::close(fd.release()) != 0) st = ErrnoStatus("close " + tmp.string(), errno);
  bool installed = false;
  if (st.ok()) {
    Result<bool> moved = InstallNoReplace(tmp, path);
    if (moved.ok()) {
      installed = *moved;
    } else {
      st = moved.status();
    }
  }
  if (!installed) ::unlink(tmp.c_str());
  RETURN_IF_ERROR(st);
  if (!installed) return PkeyPtr();
  RETURN_IF_ERROR(SyncDirectory(dir));
  return key;
}

}  // namespace

struct SigningKey::Impl {
  explicit Impl(PkeyPtr k) : key(std::move(k)) {}

  // Wraps a loaded or generated Ed25519 key. A nested class may use SigningKey's private parts.
  static Result<SigningKey> Wrap(PkeyPtr key) {
    ASSIGN_OR_RETURN(std::string public_key, RawPublicKeyBase64(key.get()));
    SigningKey signing_key(std::make_unique<Impl>(std::move(key)));
    signing_key.public_key_base64_ = std::move(public_key);
    return signing_key;
  }

  const PkeyPtr key;  // never modified after construction, so Sign() may run on many threads
};

SigningKey::SigningKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SigningKey::SigningKey(SigningKey&&) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&&) noexcept = default;
SigningKey::~SigningKey() = default;

Result<SigningKey> SigningKey::Generate() {
  ASSIGN_OR_RETURN(PkeyPtr key, GenerateKey());
  return Impl::Wrap(std::move(key));
}

Result<SigningKey> SigningKey::LoadOrCreate(const fs::path& path) {
  // Two tries: if another process creates the file between our open and our rename, load theirs.
  for (int attempt = 0; attempt < 2; ++attempt) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() >= 0) {
      ASSIGN_OR_RETURN(PkeyPtr key, ReadKeyFile(fd.get(), path));
      return Impl::Wrap(std::move(key));
    }
    if (errno != ENOENT) return ErrnoStatus("open " + path.string(), errno);
    ASSIGN_OR_RETURN(PkeyPtr created, CreateKeyFile(path));
    if (created) return Impl::Wrap(std::move(created));
  }
  return Internal(path.string() + ": signing key file keeps appearing and vanishing");
}

Result<std::string> SigningKey::Sign(std::string_view message) const {
  if (!impl_) return Internal("Sign on a moved-from SigningKey");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return OpenSslStatus("EVP_MD_CTX_new");
  // Ed25519 hashes internally and signs in one shot: no digest, no Update.
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, impl_->key.get()) != 1) {
    return OpenSslStatus("EVP_DigestSignInit");
  }
  std::array<unsigned char, kSignatureBytes> sig{};
  size_t sig_len = sig.size();
  if (EVP_DigestSign(ctx.get(), sig.data(), &sig_len, Bytes(message), message.size()) != 1) {
    return OpenSslStatus("EVP_DigestSign");
  }
  if (sig_len != kSignatureBytes) return Internal("Ed25519 signature has " + std::to_string(sig_len) + " bytes");
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(sig.data()), sig_len));
}

Status VerifySignature(std::string_view public_key_base64, std::string_view message,
                       std::string_view signature_base64) {
  constexpr const char* kField = "signature";
  Result<std::string> public_key = Base64Decode(public_key_base64);
  if (!public_key.ok()) return InvalidArgument("public key: " + public_key.status().message(), kField);
  if (public_key->size() != kPublicKeyBytes) {
    return InvalidArgument("public key has " + std::to_string(public_key->size()) + " bytes, want 32", kField);
  }
  Result<std::string> signature = Base64Decode(signature_base64);
  if (!signature.ok()) return InvalidArgument("signature: " + signature.status().message(), kField);
  if (signature->size() != kSignatureBytes) {
    return InvalidArgument("signature has " + std::to_string(signature->size()) + " bytes, want 64", kField);
  }

  PkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, Bytes(*public_key), public_key->size()));
  if (!key) return InvalidArgument("public key is not an Ed25519 key: " + TakeOpenSslError(), kField);
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return OpenSslStatus("EVP_MD_CTX_new");
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    return OpenSslStatus("EVP_DigestVerifyInit");
  }
  // 1 = valid; 0 = wrong signature; < 0 = malformed (e.g. a key that is no curve point).
  int rc = EVP_DigestVerify(ctx.get(), Bytes(*signature), signature->size(), Bytes(message), message.size());
  if (rc != 1) {
    ERR_clear_error();
    return InvalidArgument("signature does not match the message and public key", kField);
  }
  return Status::Ok();
}

Result<std::string> PublicKeyFingerprint(std::string_view public_key_base64) {
  ASSIGN_OR_RETURN(std::string raw, Base64Decode(public_key_base64));
  if (raw.size() != kPublicKeyBytes) return InvalidArgument("not an Ed25519 public key", "public_key");
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  if (EVP_Digest(raw.data(), raw.size(), digest.data(), &len, EVP_sha256(), nullptr) != 1) {
    return OpenSslStatus("EVP_Digest sha256");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < 16; ++i) {
    if (i > 0 && i % 2 == 0) out += ' ';
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

}  // namespace lm
