// Resumable uploads as tus 1.0 defines them: an upload grows only at its offset, survives a
// restart with its bytes, refuses a wrong offset or a bad checksum without keeping anything, and
// unfinished uploads expire. An append in pieces holds its upload, keeps what arrived when it is
// cut short (nothing if it had a checksum), and drops everything when it goes past the length.

#include "origin/upload_store.h"

#include <gtest/gtest.h>
#include <openssl/sha.h>

#include "common/base64.h"
#include "tests/testing/temp_dir.h"

namespace lm::origin {
namespace {

using lm::testing::ReadFile;
using lm::testing::TempDir;

UploadChecksum Sha1Of(std::string_view bytes) {
  unsigned char d[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), d);
  return {"sha1", std::string(reinterpret_cast<const char*>(d), sizeof(d))};
}

TEST(UploadStoreTest, GrowsAtItsOffsetAndResumesAfterRestart) {
  TempDir tmp;
  const std::string lesson = "a recorded lesson: 分数的初步认识, 45 minutes of it";
  std::string id;
  {
    auto store = UploadStore::Open(tmp / "uploads", 1 << 20);
    ASSERT_TRUE(store.ok());
    auto up = (*store)->Create(static_cast<std::int64_t>(lesson.size()), {{"title", "分数"}, {"filename", "l.mp4"}},
                               "teacher-1", 100);
    ASSERT_TRUE(up.ok()) << up.status().ToString();
    id = up->id;
    EXPECT_EQ(id.size(), 32u);
    EXPECT_EQ(up->offset, 0);
    auto after = (*store)->Append(id, 0, std::string_view(lesson).substr(0, 10), std::nullopt, 101);
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(after->offset, 10);
  }
  // The origin restarts: the upload is still there, at the same offset.
  auto store = UploadStore::Open(tmp / "uploads", 1 << 20);
  auto up = (*store)->Get(id);
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->offset, 10);
  EXPECT_EQ(up->metadata.at("title"), "分数");
  EXPECT_EQ(up->owner, "teacher-1");
  EXPECT_FALSE(up->complete());

  // A client that lost the reply to its last PATCH retries from the old offset: 409, nothing kept.
  auto stale = (*store)->Append(id, 0, "xxxxxxxxxx", std::nullopt, 102);
  EXPECT_EQ(stale.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ((*store)->Get(id)->offset, 10);

  const std::string rest(std::string_view(lesson).substr(10));
  auto done = (*store)->Append(id, 10, rest, Sha1Of(rest), 103);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_TRUE(done->complete());
  EXPECT_EQ(ReadFile((*store)->DataPath(id)), lesson);
  // Finished, it is a transcode job's source and stays.
  EXPECT_EQ((*store)->Terminate(id).field(), "finished");
  EXPECT_EQ(ReadFile((*store)->DataPath(id)), lesson);
}

TEST(UploadStoreTest, RefusesWhatItCannotKeep) {
  TempDir tmp;
  auto store = UploadStore::Open(tmp / "uploads", 100);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->Create(101, {}, "t", 1).status().field(), "Upload-Length");
  EXPECT_EQ((*store)->Create(-1, {}, "t", 1).status().field(), "Upload-Length");
  auto up = (*store)->Create(10, {}, "t", 1);
  ASSERT_TRUE(up.ok());
  // Past the declared length.
  EXPECT_EQ((*store)->Append(up->id, 0, "0123456789A", std::nullopt, 2).status().field(), "body");
  // A body that does not match its checksum leaves the upload as it was.
  auto bad = (*store)->Append(up->id, 0, "01234", Sha1Of("01235"), 2);
  EXPECT_EQ(bad.status().field(), "checksum");
  EXPECT_EQ((*store)->Get(up->id)->offset, 0);
  // Unknown and malformed ids.
  EXPECT_EQ((*store)->Get("00000000000000000000000000000000").status().code(), StatusCode::kNotFound);
  EXPECT_EQ((*store)->Get("../../etc/passwd").status().code(), StatusCode::kNotFound);
  EXPECT_EQ((*store)->Append("../x", 0, "a", std::nullopt, 2).status().code(), StatusCode::kNotFound);
  // Termination removes it.
  ASSERT_TRUE((*store)->Terminate(up->id).ok());
  EXPECT_EQ((*store)->Get(up->id).status().code(), StatusCode::kNotFound);
}

TEST(UploadStoreTest, UnfinishedUploadsExpire) {
  TempDir tmp;
  auto store = UploadStore::Open(tmp / "uploads", 100);
  auto idle = (*store)->Create(10, {}, "t", 100);
  auto active = (*store)->Create(10, {}, "t", 100);
  auto finished = (*store)->Create(3, {}, "t", 100);
  ASSERT_TRUE((*store)->Append(active->id, 0, "abc", std::nullopt, 500).ok());
  ASSERT_TRUE((*store)->Append(finished->id, 0, "abc", std::nullopt, 100).ok());
  auto removed = (*store)->ExpireIdleSince(400);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1);
  EXPECT_FALSE((*store)->Get(idle->id).ok());
  EXPECT_TRUE((*store)->Get(active->id).ok());
  EXPECT_TRUE((*store)->Get(finished->id).ok());  // finished uploads wait for their job
}

TEST(UploadAppenderTest, OneAppendAtATimeAndACutKeepsWhatArrived) {
  TempDir tmp;
  auto store = UploadStore::Open(tmp / "uploads", 100);
  auto up = (*store)->Create(20, {}, "t", 1);
  ASSERT_TRUE(up.ok());
  auto appender = (*store)->BeginAppend(up->id, 0, std::nullopt);
  ASSERT_TRUE(appender.ok()) << appender.status().ToString();
  // The upload is held: another append, a termination and the expiry leave it alone.
  EXPECT_EQ((*store)->BeginAppend(up->id, 0, std::nullopt).status().field(), "lock");
  EXPECT_EQ((*store)->Append(up->id, 0, "zz", std::nullopt, 2).status().field(), "lock");
  EXPECT_EQ((*store)->Terminate(up->id).field(), "lock");
  ASSERT_TRUE((*appender)->Write("0123").ok());
  ASSERT_TRUE((*appender)->Write("4567").ok());
  EXPECT_EQ((*store)->Get(up->id)->offset, 8);  // without a checksum, bytes count as they arrive
  EXPECT_EQ(*(*store)->ExpireIdleSince(1000), 0);
  auto cut = (*appender)->Interrupt(5);
  ASSERT_TRUE(cut.ok()) << cut.status().ToString();
  EXPECT_EQ(cut->offset, 8);
  EXPECT_EQ(cut->updated_at, 5);
  EXPECT_EQ(ReadFile((*store)->DataPath(up->id)), "01234567");
  // Released: the next append goes on from where the bytes stop.
  EXPECT_EQ((*store)->BeginAppend(up->id, 0, std::nullopt).status().field(), "Upload-Offset");
  auto next = (*store)->Append(up->id, 8, "89abcdefghij", std::nullopt, 6);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_TRUE(next->complete());
  EXPECT_EQ(ReadFile((*store)->DataPath(up->id)), "0123456789abcdefghij");
}

TEST(UploadAppenderTest, ChecksummedBytesCountOnlyOnceVerified) {
  TempDir tmp;
  auto store = UploadStore::Open(tmp / "uploads", 100);
  auto up = (*store)->Create(10, {}, "t", 1);
  ASSERT_TRUE((*store)->Append(up->id, 0, "01", std::nullopt, 2).ok());
  {
    // Cut: nothing kept.
    auto appender = (*store)->BeginAppend(up->id, 2, Sha1Of("23456"));
    ASSERT_TRUE(appender.ok());
    ASSERT_TRUE((*appender)->Write("234").ok());
    EXPECT_EQ((*store)->Get(up->id)->offset, 2);
    auto cut = (*appender)->Interrupt(3);
    ASSERT_TRUE(cut.ok());
    EXPECT_EQ(cut->offset, 2);
    EXPECT_EQ(ReadFile((*store)->DataPath(up->id)), "01");
  }
  {
    // Destroyed unfinished (the server stopped): the same, and the upload is free again.
    auto appender = (*store)->BeginAppend(up->id, 2, Sha1Of("23456"));
    ASSERT_TRUE(appender.ok());
    ASSERT_TRUE((*appender)->Write("234").ok());
  }
  EXPECT_EQ(ReadFile((*store)->DataPath(up->id)), "01");
  {
    // Whole but wrong: dropped.
    auto appender = (*store)->BeginAppend(up->id, 2, Sha1Of("23456"));
    ASSERT_TRUE((*appender)->Write("2345X").ok());
    EXPECT_EQ((*appender)->Finish(4).status().field(), "checksum");
    EXPECT_EQ(ReadFile((*store)->DataPath(up->id)), "01");
  }
  auto appender = (*store)->BeginAppend(up->id, 2, Sha1Of("23456"));
  ASSERT_TRUE((*appender)->Write("23").ok());
  ASSERT_TRUE((*appender)->Write("456").ok());
  auto done = (*appender)->Finish(5);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->offset, 7);
  EXPECT_EQ(ReadFile((*store)->DataPath(up->id)), "0123456");
}

TEST(UploadAppenderTest, GoingPastTheLengthDropsTheWholeAppend) {
  TempDir tmp;
  auto store = UploadStore::Open(tmp / "uploads", 100);
  auto up = (*store)->Create(6, {}, "t", 1);
  ASSERT_TRUE((*store)->Append(up->id, 0, "ab", std::nullopt, 2).ok());
  auto appender = (*store)->BeginAppend(up->id, 2, std::nullopt);
  ASSERT_TRUE((*appender)->Write("cd").ok());
  EXPECT_EQ((*appender)->Write("efg").field(), "body");
  EXPECT_EQ(ReadFile((*store)->DataPath(up->id)), "ab");
  EXPECT_EQ((*appender)->Write("e").field(), "body");  // it stays refused
  EXPECT_EQ((*appender)->Finish(3).status().field(), "body");
  EXPECT_EQ((*store)->Get(up->id)->offset, 2);
  // And the upload is not held by the failed append.
  EXPECT_TRUE((*store)->Append(up->id, 2, "cdef", std::nullopt, 4).ok());
}

TEST(UploadMetadataTest, ParsesTusHeaders) {
  auto m = ParseUploadMetadata("title " + Base64Encode("分数的初步认识") + ",filename " + Base64Encode("l.mp4") +
                               ",is_draft");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(*m, (std::map<std::string, std::string>{{"title", "分数的初步认识"}, {"filename", "l.mp4"}, {"is_draft", ""}}));
  EXPECT_EQ(ParseUploadMetadata("title !!!notbase64").status().field(), "Upload-Metadata");
  EXPECT_EQ(ParseUploadMetadata("bad/key dGl0bGU=").status().field(), "Upload-Metadata");
  EXPECT_TRUE(ParseUploadMetadata("").ok());
  // Titles and file names are text: bytes that are not UTF-8 would not read back (found by tests/fuzz).
  EXPECT_EQ(ParseUploadMetadata("title /ups").status().field(), "Upload-Metadata");
  EXPECT_EQ(*ParseTusLength("000123"), 123);
  EXPECT_FALSE(ParseTusLength("+1").has_value());
  EXPECT_FALSE(ParseTusLength("1234567890123456789").has_value());

  auto c = ParseUploadChecksum("sha1 " + Base64Encode(Sha1Of("abc").digest));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->digest, Sha1Of("abc").digest);
  EXPECT_EQ(EncodeUploadChecksum(*c), "sha1 " + Base64Encode(Sha1Of("abc").digest));
  EXPECT_EQ(ParseUploadChecksum("md5 AAAA").status().field(), "Upload-Checksum");
  EXPECT_EQ(ParseUploadChecksum("sha1 AAAA").status().field(), "Upload-Checksum");
  EXPECT_EQ(ParseUploadChecksum("sha1").status().field(), "Upload-Checksum");
}

}  // namespace
}  // namespace lm::origin
