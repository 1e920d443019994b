#include "common/base64.h"
#include "common/signing.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/temp_dir.h"

namespace lm {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

// RFC 8032 section 7.1, TEST 1: empty message.
constexpr const char* kRfcSecretHex = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr const char* kRfcPublicHex = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr const char* kRfcSignatureHex =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

// A pack manifest as the catalog would sign it: canonical JSON, UTF-8 Chinese text.
constexpr const char* kManifest =
    R"({"lesson_id":"g8-math-0412","school":"城关第二中学","subject":"数学","title":"勾股定理（第一课时）",)"
    R"("renditions":[{"height":360,"kbps":400},{"height":720,"kbps":1200}],"teacher":"王老师"})";

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return out;
}

// PKCS#8 PEM of a raw 32-byte private key: the DER is a fixed prefix (RFC 8410) and the seed.
// `oid_last` is 0x70 for Ed25519, 0x6e for X25519.
std::string Pkcs8Pem(std::string_view seed, unsigned char oid_last = 0x70) {
  std::string der = FromHex("302e020100300506032b65") + static_cast<char>(oid_last) + FromHex("04220420");
  der += seed;
  return "-----BEGIN PRIVATE KEY-----\n" + Base64Encode(der) + "\n-----END PRIVATE KEY-----\n";
}

size_t EntriesIn(const fs::path& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

void ExpectRejected(const Status& st) {
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
  EXPECT_EQ(st.field(), "signature");
}

TEST(Base64Test, Rfc4648Vectors) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},       {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    auto decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded << ": " << decoded.status().ToString();
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Base64Test, RoundTripsEveryLengthUpTo70) {
  for (size_t len = 0; len <= 70; ++len) {
    std::string bytes;
    for (size_t i = 0; i < len; ++i) bytes += static_cast<char>((i * 37 + len * 11) & 0xff);
    if (len >= 2) bytes[len - 2] = '\0';  // embedded NUL and 0xff survive
    if (len >= 1) bytes[len - 1] = static_cast<char>(0xff);
    const std::string encoded = Base64Encode(bytes);
    EXPECT_EQ(encoded.size(), (len + 2) / 3 * 4);
    auto decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded.ok()) << "len=" << len << ": " << decoded.status().ToString();
    EXPECT_EQ(*decoded, bytes) << "len=" << len;
  }
}

TEST(Base64Test, RejectsMalformedText) {
  const std::vector<std::string> bad = {
      "Z",         "Zg",        "Zg=",        "Zm9vY",      // not whole quads
      "Zg===",     "Z===",      "====",       "=Zg=",       // padding in the wrong place
      "Zg==Zm8=",  "Zm9\n",     "Zm 9",       " Zm9",       // padding mid-text, whitespace
      "Zm9v\r\nZm9v", "Zm9-",    "Zm9_",       "Zm9*",       // line break, URL-safe alphabet, junk
      "Zm\xc3\xa9",                                          // UTF-8
      "Zh==",      "Zm9=",                                  // non-zero bits under the padding
      std::string("Zm\0v", 4),
  };
  for (const std::string& text : bad) {
    auto decoded = Base64Decode(text);
    EXPECT_FALSE(decoded.ok()) << "accepted \"" << text << "\"";
    if (!decoded.ok()) {
      EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
    }
  }
}

TEST(SigningTest, SignsAndVerifiesManifestWithChineseText) {
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  auto signature = key->Sign(kManifest);
  ASSERT_TRUE(signature.ok()) << signature.status().ToString();
  EXPECT_TRUE(VerifySignature(key->public_key_base64(), kManifest, *signature).ok());

  // Keys and signatures travel as base64 of their raw bytes.
  auto raw_key = Base64Decode(key->public_key_base64());
  ASSERT_TRUE(raw_key.ok());
  EXPECT_EQ(raw_key->size(), 32u);
  auto raw_signature = Base64Decode(*signature);
  ASSERT_TRUE(raw_signature.ok());
  EXPECT_EQ(raw_signature->size(), 64u);

  // Ed25519 is deterministic: the same message signs the same way.
  auto again = key->Sign(kManifest);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *signature);
}

TEST(SigningTest, SignsAndVerifiesEmptyMessage) {
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  auto signature = key->Sign(std::string_view());
  ASSERT_TRUE(signature.ok()) << signature.status().ToString();
  EXPECT_TRUE(VerifySignature(key->public_key_base64(), "", *signature).ok());
  ExpectRejected(VerifySignature(key->public_key_base64(), std::string(1, '\0'), *signature));
}

TEST(SigningTest, VerifiesRfc8032Test1) {
  const std::string public_key = Base64Encode(FromHex(kRfcPublicHex));
  const std::string signature = Base64Encode(FromHex(kRfcSignatureHex));
  EXPECT_TRUE(VerifySignature(public_key, "", signature).ok());
  ExpectRejected(VerifySignature(public_key, "x", signature));
}

TEST(SigningTest, LoadsRfc8032Test1KeyAndSignsLikeTheRfc) {
  TempDir tmp;
  const fs::path path = tmp / "catalog_signing.pem";
  WriteFile(path, Pkcs8Pem(FromHex(kRfcSecretHex)));
  auto key = SigningKey::LoadOrCreate(path);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->public_key_base64(), Base64Encode(FromHex(kRfcPublicHex)));
  auto signature = key->Sign("");
  ASSERT_TRUE(signature.ok());
  EXPECT_EQ(*signature, Base64Encode(FromHex(kRfcSignatureHex)));
}

TEST(SigningTest, SignatureVerifiesOnlyForItsOwnMessage) {
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  const std::string message = "pack=42;勾股";
  auto signature = key->Sign(message);
  ASSERT_TRUE(signature.ok());
  ASSERT_TRUE(VerifySignature(key->public_key_base64(), message, *signature).ok());

  for (size_t i = 0; i < message.size(); ++i) {
    for (unsigned char flip : {0x01, 0x80, 0xff}) {
      std::string changed = message;
      changed[i] = static_cast<char>(changed[i] ^ flip);
      SCOPED_TRACE("message byte " + std::to_string(i) + " ^ " + std::to_string(flip));
      ExpectRejected(VerifySignature(key->public_key_base64(), changed, *signature));
    }
  }
  ExpectRejected(VerifySignature(key->public_key_base64(), message + " ", *signature));
  ExpectRejected(VerifySignature(key->public_key_base64(), message.substr(1), *signature));
}

TEST(SigningTest, ChangedSignatureByteFails) {
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  auto signature = key->Sign(kManifest);
  ASSERT_TRUE(signature.ok());
  auto raw = Base64Decode(*signature);
  ASSERT_TRUE(raw.ok());
  ASSERT_EQ(raw->size(), 64u);
  for (size_t i = 0; i < raw->size(); ++i) {
    std::string changed = *raw;
    changed[i] = static_cast<char>(changed[i] ^ 0x01);
    SCOPED_TRACE("signature byte " + std::to_string(i));
    ExpectRejected(VerifySignature(key->public_key_base64(), kManifest, Base64Encode(changed)));
  }
}

TEST(SigningTest, AnotherKeysPublicKeyFails) {
  auto key = SigningKey::Generate();
  auto other = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE(other.ok());
  EXPECT_NE(key->public_key_base64(), other->public_key_base64());
  auto signature = key->Sign(kManifest);
  ASSERT_TRUE(signature.ok());
  ExpectRejected(VerifySignature(other->public_key_base64(), kManifest, *signature));
}

TEST(SigningTest, MalformedKeyOrSignatureIsInvalidArgument) {
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  auto signature = key->Sign(kManifest);
  ASSERT_TRUE(signature.ok());
  const std::string& public_key = key->public_key_base64();
  const std::string raw_key = *Base64Decode(public_key);
  const std::string raw_signature = *Base64Decode(*signature);

  // Malformed base64.
  ExpectRejected(VerifySignature("not base64!", kManifest, *signature));
  ExpectRejected(VerifySignature(public_key, kManifest, "not base64!"));
  ExpectRejected(VerifySignature(public_key.substr(1), kManifest, *signature));
  ExpectRejected(VerifySignature(public_key, kManifest, signature->substr(0, signature->size() - 1)));
  ExpectRejected(VerifySignature(public_key + "\n", kManifest, *signature));
  // Empty.
  ExpectRejected(VerifySignature("", kManifest, *signature));
  ExpectRejected(VerifySignature(public_key, kManifest, ""));
  // Wrong lengths of well-formed base64.
  ExpectRejected(VerifySignature(Base64Encode(raw_key.substr(0, 31)), kManifest, *signature));
  ExpectRejected(VerifySignature(Base64Encode(raw_key + "x"), kManifest, *signature));
  ExpectRejected(VerifySignature(Base64Encode(raw_key + raw_key), kManifest, *signature));
  ExpectRejected(VerifySignature(public_key, kManifest, Base64Encode(raw_signature.substr(0, 63))));
  ExpectRejected(VerifySignature(public_key, kManifest, Base64Encode(raw_signature + "x")));
  // Right lengths, impossible values: a key that is no curve point, an all-zero signature.
  ExpectRejected(VerifySignature(Base64Encode(std::string(32, '\xff')), kManifest, *signature));
  ExpectRejected(VerifySignature(Base64Encode(std::string(32, '\0')), kManifest, *signature));
  ExpectRejected(VerifySignature(public_key, kManifest, Base64Encode(std::string(64, '\0'))));
  ExpectRejected(VerifySignature(public_key, kManifest, Base64Encode(std::string(64, '\xff'))));
  // Swapped arguments.
  ExpectRejected(VerifySignature(*signature, kManifest, public_key));
}

TEST(SigningTest, LoadOrCreateWritesPrivateFileAndReloadsSameKey) {
  TempDir tmp;
  const fs::path path = tmp / "catalog_signing.pem";
  auto first = SigningKey::LoadOrCreate(path);
  ASSERT_TRUE(first.ok()) << first.status().ToString();

  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(EntriesIn(tmp.path()), 1u);  // no temporary left behind
  const std::string pem = ReadFile(path);
  EXPECT_EQ(pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u);  // unencrypted PKCS#8

  auto second = SigningKey::LoadOrCreate(path);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->public_key_base64(), first->public_key_base64());
  EXPECT_EQ(ReadFile(path), pem);

  auto signature = first->Sign(kManifest);
  ASSERT_TRUE(signature.ok());
  EXPECT_TRUE(VerifySignature(second->public_key_base64(), kManifest, *signature).ok());
  auto signature2 = second->Sign(kManifest);
  ASSERT_TRUE(signature2.ok());
  EXPECT_EQ(*signature2, *signature);
}

TEST(SigningTest, ConcurrentLoadOrCreateAgreesOnOneKey) {
  TempDir tmp;
  const fs::path path = tmp / "key.pem";
  constexpr int kThreads = 4;
  std::vector<std::string> public_keys(kThreads);
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        auto key = SigningKey::LoadOrCreate(path);
        public_keys[i] = key.ok() ? key->public_key_base64() : key.status().ToString();
      });
    }
  }
  auto reloaded = SigningKey::LoadOrCreate(path);
  ASSERT_TRUE(reloaded.ok());
  for (const std::string& public_key : public_keys) EXPECT_EQ(public_key, reloaded->public_key_base64());
  EXPECT_EQ(EntriesIn(tmp.path()), 1u);
}

TEST(SigningTest, CorruptKeyFileIsAnErrorAndLeftUntouched) {
  const std::vector<std::pair<std::string, std::string>> files = {
      {"garbage", "this is not a key\n"},
      {"empty", ""},
      {"truncated", Pkcs8Pem(FromHex(kRfcSecretHex)).substr(0, 40)},
      {"bad_body", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"},
      {"x25519", Pkcs8Pem(FromHex(kRfcSecretHex), 0x6e)},  // a private key, but not Ed25519
      {"public_only",
       "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
       "-----END PUBLIC KEY-----\n"},
      // Encrypted with passphrase "lessonmesh": must fail, never prompt on a terminal.
      {"encrypted",
       "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
       "MIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAiPH/3Wk6OXLAICCAAw\n"
       "DAYIKoZIhvcNAgkFADAdBglghkgBZQMEAQIEECC77hB1g15BJuusqE5iSuIEQBoS\n"
       "dU+WhHD3mMWBZqmV9tqunJ5X1UX9nRa+kImypYNX38LXwrJku6pK2Q7KtuDbmIJs\n"
       "gHceTVMt9L3gk+t0RYw=\n"
       "-----END ENCRYPTED PRIVATE KEY-----\n"},
  };
  for (const auto& [name, contents] : files) {
    SCOPED_TRACE(name);
    TempDir tmp;
    const fs::path path = tmp / (name + ".pem");
    WriteFile(path, contents);
    auto key = SigningKey::LoadOrCreate(path);
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument) << key.status().ToString();
    EXPECT_NE(key.status().message().find(path.string()), std::string::npos) << key.status().ToString();
    EXPECT_EQ(ReadFile(path), contents);  // never silently replaced
    EXPECT_EQ(EntriesIn(tmp.path()), 1u);
  }
}

TEST(SigningTest, UnusableKeyPathIsAnError) {
  TempDir tmp;
  auto missing_dir = SigningKey::LoadOrCreate(tmp / "no_such_dir" / "key.pem");
  ASSERT_FALSE(missing_dir.ok());
  // lm::ErrnoStatus maps ENOENT to kNotFound.
  EXPECT_EQ(missing_dir.status().code(), StatusCode::kNotFound) << missing_dir.status().ToString();
  EXPECT_NE(missing_dir.status().message().find("key.pem"), std::string::npos);
  EXPECT_EQ(EntriesIn(tmp.path()), 0u);

  fs::create_directory(tmp / "key.pem");
  auto directory = SigningKey::LoadOrCreate(tmp / "key.pem");
  ASSERT_FALSE(directory.ok());
  EXPECT_NE(directory.status().message().find((tmp / "key.pem").string()), std::string::npos);
}

TEST(SigningTest, SignIsSafeFromManyThreads) {
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  const SigningKey& shared = *key;
  constexpr int kThreads = 4;
  std::vector<int> failures(kThreads, 0);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 50; ++i) {
          const std::string message = "thread=" + std::to_string(t) + " i=" + std::to_string(i);
          auto signature = shared.Sign(message);
          if (!signature.ok() || !VerifySignature(shared.public_key_base64(), message, *signature).ok()) {
            ++failures[t];
          }
        }
      });
    }
  }
  EXPECT_EQ(failures, std::vector<int>(kThreads, 0));
}

TEST(SigningTest, MovedKeyKeepsSigning) {
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  SigningKey moved = std::move(*key);
  auto signature = moved.Sign(kManifest);
  ASSERT_TRUE(signature.ok());
  EXPECT_TRUE(VerifySignature(moved.public_key_base64(), kManifest, *signature).ok());
  // The moved-from key fails cleanly instead of crashing.
  EXPECT_FALSE(key->Sign(kManifest).ok());  // NOLINT(bugprone-use-after-move)
}

}  // namespace
}  // namespace lm
