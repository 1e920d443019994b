#include "bundle/torrent_file.h"

#include <libtorrent/torrent_info.hpp>

#include "common/hex.h"
#include "common/read_file.h"

namespace lm::bundle {

namespace {
constexpr std::int64_t kMaxTorrentBytes = 16 * 1024 * 1024;
}  // namespace

Result<TorrentFile> ParseTorrent(std::string bytes) {
  lt::error_code ec;
  const lt::torrent_info ti(lt::span<const char>(bytes.data(), static_cast<long>(bytes.size())), ec, lt::from_span);
  if (ec) return InvalidArgument("not a torrent: " + ec.message());
  TorrentFile out;
  const auto& ih = ti.info_hashes();
  if (ih.has_v1()) out.info_hash_v1 = HexEncode(ih.v1.data(), ih.v1.size());
  if (ih.has_v2()) out.info_hash_v2 = HexEncode(ih.v2.data(), ih.v2.size());
  out.bytes = std::move(bytes);
  return out;
}

Result<TorrentFile> ReadTorrentFile(const std::filesystem::path& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFileBytes(path, kMaxTorrentBytes));
  auto torrent = ParseTorrent(std::move(bytes));
  if (!torrent.ok()) return torrent.status().WithContext(path.string());
  return torrent;
}

}  // namespace lm::bundle
