#include "bundle/v1_torrent.h"

#include <libtorrent/bdecode.hpp>
#include <libtorrent/bencode.hpp>
#include <libtorrent/entry.hpp>
#include <libtorrent/torrent_info.hpp>

#include <iterator>

namespace lm::bundle {

Result<std::string> V1OnlyTorrent(const std::string& hybrid_torrent) {
  lt::error_code ec;
  const lt::bdecode_node node = lt::bdecode(hybrid_torrent, ec);
  if (ec || node.type() != lt::bdecode_node::dict_t) return InvalidArgument("not a torrent: " + ec.message());
  lt::entry torrent(node);
  lt::entry* info = torrent.find_key("info");
  if (!info || info->type() != lt::entry::dictionary_t || !info->find_key("pieces")) {
    return InvalidArgument("the torrent has no v1 part");
  }
  info->dict().erase("file tree");
  info->dict().erase("meta version");
  torrent.dict().erase("piece layers");
  std::string out;
  lt::bencode(std::back_inserter(out), torrent);

  // It must read back as a v1 torrent with the hybrid's pieces.
  lt::error_code twin_ec, original_ec;
  const lt::torrent_info twin(lt::span<char const>(out.data(), static_cast<long>(out.size())), twin_ec, lt::from_span);
  const lt::torrent_info original(
      lt::span<char const>(hybrid_torrent.data(), static_cast<long>(hybrid_torrent.size())), original_ec, lt::from_span);
  if (original_ec) return InvalidArgument("not a torrent: " + original_ec.message());
  if (twin_ec || !twin.info_hashes().has_v1() || twin.info_hashes().has_v2()) {
    return InvalidArgument("the torrent's v1 part is not a torrent of its own" +
                           (twin_ec ? ": " + twin_ec.message() : std::string()));
  }
  // libtorrent loads a hybrid whose v2 file tree and v1 file list disagree; it has no one twin.
  if (twin.num_pieces() != original.num_pieces() || twin.total_size() != original.total_size()) {
    return InvalidArgument("the torrent's v1 and v2 parts describe different files");
  }
  return out;
}

}  // namespace lm::bundle
