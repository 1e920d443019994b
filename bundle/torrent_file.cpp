#include "bundle/torrent_file.h"

#include <libtorrent/bdecode.hpp>
#include <libtorrent/torrent_info.hpp>

#include "common/hex.h"
#include "common/read_file.h"

namespace lm::bundle {

namespace {

constexpr std::int64_t kMaxTorrentBytes = 16 * 1024 * 1024;

bool HasV1Pieces(const lt::torrent_info& ti) {
  const auto section = ti.info_section();
  lt::error_code ec;
  const lt::bdecode_node info = lt::bdecode(section, ec);
  return !ec && info.type() == lt::bdecode_node::dict_t && info.dict_find_string("pieces").type() == lt::bdecode_node::string_t;
}

}  // namespace

Result<TorrentFile> ParseTorrent(std::string bytes) {
  lt::error_code ec;
  const lt::torrent_info ti(lt::span<const char>(bytes.data(), static_cast<long>(bytes.size())), ec, lt::from_span);
  if (ec) return InvalidArgument("not a torrent: " + ec.message());
  TorrentFile out;
  const auto& ih = ti.info_hashes();
  // libtorrent gives every torrent a SHA-1 of its info dictionary, v2-only ones too: a torrent has a
  // v1 info hash only if its info dictionary has v1 piece hashes.
  if (ih.has_v1() && HasV1Pieces(ti)) out.info_hash_v1 = HexEncode(ih.v1.data(), ih.v1.size());
  if (ih.has_v2()) out.info_hash_v2 = HexEncode(ih.v2.data(), ih.v2.size());
  // libtorrent also loads a "meta version 2" torrent whose file tree is missing and that has no v1
  // pieces: nothing in it can be checked.
  if (out.info_hash_v1.empty() && out.info_hash_v2.empty()) {
    return InvalidArgument("not a torrent: it has neither v1 piece hashes nor a v2 file tree");
  }
  for (const auto& seed : ti.web_seeds()) {
    if (seed.type == lt::web_seed_entry::url_seed) out.web_seeds.push_back(seed.url);
  }
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
