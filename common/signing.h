#pragma once
// Ed25519 signatures for pack manifests: the catalog signs, every edge verifies with the public
// key it was given. Keys and signatures travel as base64 of their raw bytes (32 and 64 bytes).
// SigningKey is immutable after creation; thread-safe for Sign().

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace lm {

class SigningKey {
 public:
  // Loads the private key kept at `path` (PEM, PKCS#8); if there is none, creates one and writes
  // it with mode 0600 (atomically: temporary name, fsync, rename).
  static Result<SigningKey> LoadOrCreate(const std::filesystem::path& path);
  static Result<SigningKey> Generate();

  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;
  ~SigningKey();

  // Base64 of the 64-byte Ed25519 signature of `message`.
  Result<std::string> Sign(std::string_view message) const;
  // Base64 of the raw 32-byte public key.
  const std::string& public_key_base64() const { return public_key_base64_; }

 private:
  struct Impl;
  explicit SigningKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string public_key_base64_;
};

// Ok if `signature_base64` is a valid signature of `message` under `public_key_base64`;
// InvalidArgument (field "signature") otherwise, including malformed base64 or key.
Status VerifySignature(std::string_view public_key_base64, std::string_view message,
                       std::string_view signature_base64);

// What an admin reads aloud to compare a public key: SHA-256 of its raw 32 bytes, the first 16
// bytes as hex in groups of four ("3f2a 91c0 ..."). InvalidArgument for a malformed key.
Result<std::string> PublicKeyFingerprint(std::string_view public_key_base64);

}  // namespace lm
