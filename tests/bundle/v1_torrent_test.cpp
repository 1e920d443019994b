// The v1-only twin of a hybrid bundle torrent: the same pieces, files and pad files, a v1 info
// hash that v1-only clients compute the same way, and no v2 keys left for them to mis-parse.

#include "bundle/v1_torrent.h"

#include <gtest/gtest.h>
#include <libtorrent/bdecode.hpp>
#include <libtorrent/torrent_info.hpp>

#include "tests/testing/temp_dir.h"
#include "transcoder/bundle.h"

namespace lm::bundle {
namespace {

TEST(LegacyTorrentTest, TwinHasTheHybridsV1PiecesAndNoV2) {
  lm::testing::TempDir tmp;
  std::string pdf = "%PDF-1.4\n";
  for (int i = 0; pdf.size() < 700000; ++i) pdf += "第" + std::to_string(i) + "页\n";
  lm::testing::WriteFile(tmp / "slides.pdf", pdf);
  transcoder::BundleOptions options;
  options.trackers = {"http://origin.example.cn/announce"};
  options.web_seeds = {"http://origin.example.cn/bundles/"};
  auto bundle = transcoder::MakeBundle(tmp / "slides.pdf", tmp / "b", options);
  ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();
  const std::string hybrid = lm::testing::ReadFile(tmp / "b" / "lesson.torrent");

  auto twin = V1OnlyTorrent(hybrid);
  ASSERT_TRUE(twin.ok()) << twin.status().ToString();
  lt::error_code ec;
  const lt::torrent_info h(lt::span<char const>(hybrid.data(), static_cast<long>(hybrid.size())), ec, lt::from_span);
  const lt::torrent_info t(lt::span<char const>(twin->data(), static_cast<long>(twin->size())), ec, lt::from_span);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_TRUE(t.info_hashes().has_v1());
  EXPECT_FALSE(t.info_hashes().has_v2());
  EXPECT_NE(t.info_hashes().v1, h.info_hashes().v1);  // a different torrent, announced separately
  ASSERT_EQ(t.num_pieces(), h.num_pieces());
  for (lt::piece_index_t i{0}; i < lt::piece_index_t{t.num_pieces()}; ++i) EXPECT_EQ(t.hash_for_piece(i), h.hash_for_piece(i));
  ASSERT_EQ(t.files().num_files(), h.files().num_files());
  for (lt::file_index_t f{0}; f < t.files().end_file(); ++f) {
    EXPECT_EQ(t.files().file_path(f), h.files().file_path(f));
    EXPECT_EQ(t.files().pad_file_at(f), h.files().pad_file_at(f));
  }
  EXPECT_EQ(t.trackers().size(), 1u);
  EXPECT_EQ(t.web_seeds().size(), 1u);
  EXPECT_EQ(twin->find("file tree"), std::string::npos);
  EXPECT_EQ(twin->find("piece layers"), std::string::npos);

  EXPECT_EQ(V1OnlyTorrent("not bencode").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(V1OnlyTorrent("d4:infod4:name1:xee").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lm::bundle
