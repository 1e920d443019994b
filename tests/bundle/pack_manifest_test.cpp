// Pack manifests as the edge receives them: only the bytes the catalog signed, under the pinned
// key, for this school or one of its communities, are accepted.

#include "bundle/pack_manifest.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/signing.h"

namespace lm::bundle {
namespace {

PackManifest SamplePack() {
  PackManifest m;
  m.pack_id = 7;
  m.version = 3;
  m.title = "三年级数学·分数";
  m.description = "结对帮扶 春季学期";
  m.rendition_policy = "low";
  m.published_at = 1796000000;
  m.targets.communities = {"tianhe-jiaogongti"};
  m.targets.schools = {"conghua-jxd-2"};
  PackItem item;
  item.lesson_id = "0123456789abcdef0123456789abcdef";
  item.kind = "lesson";
  item.title = "分数的初步认识";
  item.info_hash_v1 = std::string(40, 'b');
  item.info_hash_v2 = std::string(64, 'c');
  item.total_bytes = 3003;
  item.files = {{"master.m3u8", 1000, std::string(32, 'd')}, {"240p.mp4", 2003, std::string(32, 'e')}};
  item.needed_by = "2026-12-07";
  item.pinned_until = "2027-01-31";
  m.items.push_back(item);
  return m;
}

class PackManifestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = SigningKey::Generate();
    ASSERT_TRUE(key.ok());
    key_ = std::make_unique<SigningKey>(std::move(*key));
    auto signed_manifest = SignPackManifest(*key_, SamplePack());
    ASSERT_TRUE(signed_manifest.ok()) << signed_manifest.status().ToString();
    signed_ = *signed_manifest;
  }

  std::unique_ptr<SigningKey> key_;
  SignedPackManifest signed_;
  const PackAudience school_{"conghua-jxd-2", {}};
};

TEST_F(PackManifestTest, SignedBytesVerifyAndParseBackWhole) {
  auto m = VerifyPackManifest(signed_, key_->public_key_base64(), school_);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(CanonicalPackManifest(*m), signed_.manifest);
  EXPECT_EQ(m->title, "三年级数学·分数");
  ASSERT_EQ(m->items.size(), 1u);
  EXPECT_EQ(m->items[0].needed_by, "2026-12-07");
  EXPECT_EQ(m->items[0].pinned_until, "2027-01-31");
  ASSERT_EQ(m->items[0].files.size(), 2u);
  EXPECT_EQ(m->items[0].files[1].path, "240p.mp4");
  // Canonical: sorted keys, no spaces.
  EXPECT_EQ(signed_.manifest.find("\": "), std::string::npos);
  EXPECT_EQ(signed_.manifest.find(", "), std::string::npos);
  EXPECT_LT(signed_.manifest.find("\"description\""), signed_.manifest.find("\"items\""));
}

TEST_F(PackManifestTest, ASchoolOfATargetedCommunityAccepts) {
  EXPECT_TRUE(VerifyPackManifest(signed_, key_->public_key_base64(), {"other-school", {"x", "tianhe-jiaogongti"}}).ok());
  auto other = VerifyPackManifest(signed_, key_->public_key_base64(), {"other-school", {"another-community"}});
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().field(), "targets");
}

TEST_F(PackManifestTest, EveryChangedByteIsRefused) {
  for (size_t i = 0; i < signed_.manifest.size(); ++i) {
    SignedPackManifest changed = signed_;
    changed.manifest[i] = static_cast<char>(changed.manifest[i] ^ 0x01);
    auto m = VerifyPackManifest(changed, key_->public_key_base64(), school_);
    ASSERT_FALSE(m.ok()) << "byte " << i;
    EXPECT_EQ(m.status().field(), "signature") << "byte " << i;
  }
}

TEST_F(PackManifestTest, AnotherKeyOrATruncatedManifestIsRefused) {
  auto other = SigningKey::Generate();
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(VerifyPackManifest(signed_, other->public_key_base64(), school_).status().field(), "signature");
  auto resigned = SignPackManifest(*other, SamplePack());
  ASSERT_TRUE(resigned.ok());
  EXPECT_FALSE(VerifyPackManifest(*resigned, key_->public_key_base64(), school_).ok());

  SignedPackManifest truncated = signed_;
  truncated.manifest.resize(truncated.manifest.size() - 10);
  EXPECT_EQ(VerifyPackManifest(truncated, key_->public_key_base64(), school_).status().field(), "signature");
  SignedPackManifest no_signature = signed_;
  no_signature.signature.clear();
  EXPECT_FALSE(VerifyPackManifest(no_signature, key_->public_key_base64(), school_).ok());
  EXPECT_FALSE(VerifyPackManifest(signed_, "", school_).ok());
}

TEST_F(PackManifestTest, SignedButMalformedManifestsAreRefused) {
  // Even the catalog's own key cannot make the edge accept an item that escapes its bundle or
  // has no usable info hash.
  auto sign_with = [&](const std::function<void(PackManifest&)>& edit) {
    PackManifest m = SamplePack();
    edit(m);
    auto s = SignPackManifest(*key_, m);
    EXPECT_TRUE(s.ok());
    return VerifyPackManifest(*s, key_->public_key_base64(), school_).status();
  };
  EXPECT_EQ(sign_with([](PackManifest& m) { m.items[0].files[0].path = "../../etc/cron.d/x"; }).field(),
            "items[0].files[0].path");
  EXPECT_EQ(sign_with([](PackManifest& m) { m.items[0].info_hash_v1 = "zz"; }).field(), "items[0].info_hash_v1");
  EXPECT_EQ(sign_with([](PackManifest& m) { m.items[0].needed_by = "2026-02-30"; }).field(), "items[0].needed_by");
  EXPECT_EQ(sign_with([](PackManifest& m) { m.rendition_policy = "best"; }).field(), "rendition_policy");
  EXPECT_TRUE(sign_with([](PackManifest& m) { m.items[0].pinned_until.clear(); }).ok());
}

TEST(IsoDateTest, CalendarDatesOnly) {
  EXPECT_TRUE(IsIsoDate("2026-12-07"));
  EXPECT_TRUE(IsIsoDate("2028-02-29"));
  EXPECT_FALSE(IsIsoDate("2027-02-29"));
  EXPECT_FALSE(IsIsoDate("2026-13-01"));
  EXPECT_FALSE(IsIsoDate("2026-1-01"));
  EXPECT_FALSE(IsIsoDate("20261201"));
}

}  // namespace
}  // namespace lm::bundle
