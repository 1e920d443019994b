#include "tests/testing/torrent_reference.h"

#include "common/hex.h"

#include <libtorrent/create_torrent.hpp>
#include <libtorrent/torrent_info.hpp>

#include <stdexcept>

namespace lm::testing {

namespace {

InfoHashes FromInfo(const lt::torrent_info& ti) {
  const auto& ih = ti.info_hashes();
  return {HexEncode(ih.v1.data(), ih.v1.size()), HexEncode(ih.v2.data(), ih.v2.size())};
}
}  // namespace

InfoHashes LibtorrentInfoHashesOf(const std::filesystem::path& root, int piece_size, const std::string& skip) {
  lt::file_storage fs;
  lt::add_files(fs, root.string(), [&](const std::string& p) {
    return std::filesystem::path(p).filename() != skip;
  });
  lt::create_torrent ct(fs, piece_size);
  lt::error_code ec;
  lt::set_piece_hashes(ct, root.parent_path().string(), ec);
  if (ec) throw std::runtime_error("set_piece_hashes: " + ec.message());
  std::vector<char> buf = ct.generate_buf();
  lt::torrent_info ti(buf, lt::from_span);
  return FromInfo(ti);
}

InfoHashes InfoHashesOfTorrent(const std::string& torrent_bytes) {
  lt::torrent_info ti(lt::span<const char>(torrent_bytes.data(), static_cast<std::ptrdiff_t>(torrent_bytes.size())),
                      lt::from_span);
  return FromInfo(ti);
}

}  // namespace lm::testing
