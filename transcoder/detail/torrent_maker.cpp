#include "transcoder/detail/torrent_maker.h"

#include <libtorrent/create_torrent.hpp>
#include <libtorrent/file_storage.hpp>
#include <libtorrent/torrent_info.hpp>

#include <map>

namespace lm::transcoder {

Result<bundle::TorrentFile> MakeTorrent(const TorrentSpec& spec, const std::vector<FileDigest>& files) {
  std::map<std::string, const FileDigest*> by_path;
  lt::file_storage fs;
  for (const auto& f : files) {
    if (f.size_bytes == 0) continue;  // empty files carry no pieces; never produced by a bundle
    const std::string path = spec.name + "/" + f.path;
    fs.add_file(path, f.size_bytes);
    by_path[path] = &f;
  }
  if (fs.num_files() == 0) return Internal("torrent with no files");

  try {
    // Default flags: a hybrid v1+v2 torrent with canonical (sorted, padded) file order.
    lt::create_torrent ct(fs, spec.piece_size_bytes);
    const lt::file_storage& layout = ct.files();
    for (const lt::file_index_t fi : layout.file_range()) {
      if (layout.pad_file_at(fi)) continue;
      const FileDigest& d = *by_path.at(layout.file_path(fi));
      const auto first_piece = static_cast<int>(layout.file_offset(fi) / spec.piece_size_bytes);
      const auto& v1 = d.pieces.v1;
      const lt::file_index_t next(static_cast<int>(fi) + 1);
      const bool tail_padded = next < layout.end_file() && layout.pad_file_at(next);
      for (size_t k = 0; k < v1.size(); ++k) {
        const bool last = k + 1 == v1.size();
        ct.set_hash(lt::piece_index_t(first_piece + static_cast<int>(k)),
                    (last && !tail_padded) ? d.pieces.v1_last_unpadded : v1[k]);
      }
      for (size_t k = 0; k < d.pieces.v2.size(); ++k) {
        ct.set_hash2(fi, lt::piece_index_t::diff_type(static_cast<int>(k)), d.pieces.v2[k]);
      }
    }
    for (const auto& url : spec.web_seeds) ct.add_url_seed(url);
    int tier = 0;
    for (const auto& url : spec.trackers) ct.add_tracker(url, tier++);
    ct.set_creator("LessonMesh");
    // No "creation date": the same bundle makes the same torrent file, whenever and wherever made.
    ct.set_creation_date(0);
    const std::vector<char> buf = ct.generate_buf();
    auto torrent = bundle::ParseTorrent(std::string(buf.begin(), buf.end()));
    if (!torrent.ok()) return Internal("the torrent made does not load: " + torrent.status().message());
    return torrent;
  } catch (const std::exception& e) {
    return Internal(std::string("create torrent: ") + e.what());
  }
}

}  // namespace lm::transcoder
