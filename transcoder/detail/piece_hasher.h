#pragma once
// Computes a file's BitTorrent piece hashes as its bytes stream past, for a hybrid torrent in
// which every file starts on a piece boundary: v1 SHA-1 per piece and v2 SHA-256 merkle piece
// roots over 16 KiB blocks (BEP 52). One instance per file; not thread-safe.

#include <libtorrent/hasher.hpp>
#include <libtorrent/sha1_hash.hpp>

#include <cstdint>
#include <vector>

namespace lm::transcoder {

struct PieceHashes {
  std::int64_t size_bytes = 0;
  // v1: one hash per piece. The last piece is hashed as if zero-padded to a whole piece (the pad
  // file that follows it); `v1_last_unpadded` is the same piece without padding, for a file that
  // ends the torrent unpadded.
  std::vector<lt::sha1_hash> v1;
  lt::sha1_hash v1_last_unpadded;
  // v2: the merkle root of each piece's blocks (the "piece layer"); a file of one piece or less
  // has a single entry, its file root.
  std::vector<lt::sha256_hash> v2;
};

class PieceHasher {
 public:
  explicit PieceHasher(int piece_size_bytes);

  void Update(const std::uint8_t* data, std::size_t size);
  PieceHashes Finish();

 private:
  void EndBlock();
  void EndPiece();

  const int piece_size_;
  const int blocks_per_piece_;
  PieceHashes out_;
  lt::hasher piece_sha1_;
  lt::hasher256 block_sha256_;
  int piece_fill_ = 0;
  int block_fill_ = 0;
  std::vector<lt::sha256_hash> leaves_;
};

// Merkle root of `leaves` padded with zero hashes to `width` leaves (a power of two).
lt::sha256_hash MerkleRoot(std::vector<lt::sha256_hash> leaves, int width);

}  // namespace lm::transcoder
