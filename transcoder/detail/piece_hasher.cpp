#include "transcoder/detail/piece_hasher.h"

#include <algorithm>

namespace lm::transcoder {

namespace {
constexpr int kBlockSize = 16 * 1024;  // BEP 52 leaf size

int NextPowerOfTwo(int n) {
  int p = 1;
  while (p < n) p <<= 1;
  return p;
}
}  // namespace

lt::sha256_hash MerkleRoot(std::vector<lt::sha256_hash> leaves, int width) {
  leaves.resize(static_cast<size_t>(width));  // sha256_hash() is all zeros
  while (leaves.size() > 1) {
    for (size_t i = 0; i < leaves.size() / 2; ++i) {
      lt::hasher256 h;
      h.update(leaves[2 * i].data(), static_cast<int>(leaves[2 * i].size()));
      h.update(leaves[2 * i + 1].data(), static_cast<int>(leaves[2 * i + 1].size()));
      leaves[i] = h.final();
    }
    leaves.resize(leaves.size() / 2);
  }
  return leaves.front();
}

PieceHasher::PieceHasher(int piece_size_bytes)
    : piece_size_(piece_size_bytes), blocks_per_piece_(piece_size_bytes / kBlockSize) {
  leaves_.reserve(static_cast<size_t>(blocks_per_piece_));
}

void PieceHasher::Update(const std::uint8_t* data, std::size_t size) {
  out_.size_bytes += static_cast<std::int64_t>(size);
  while (size > 0) {
    const size_t n = std::min<size_t>(size, static_cast<size_t>(kBlockSize - block_fill_));
    const auto* p = reinterpret_cast<const char*>(data);
    piece_sha1_.update(p, static_cast<int>(n));
    block_sha256_.update(p, static_cast<int>(n));
    block_fill_ += static_cast<int>(n);
    piece_fill_ += static_cast<int>(n);
    data += n;
    size -= n;
    if (block_fill_ == kBlockSize) EndBlock();
    if (piece_fill_ == piece_size_) EndPiece();
  }
}

void PieceHasher::EndBlock() {
  leaves_.push_back(block_sha256_.final());
  block_sha256_.reset();
  block_fill_ = 0;
}

void PieceHasher::EndPiece() {
  out_.v1.push_back(piece_sha1_.final());
  out_.v1_last_unpadded = out_.v1.back();
  piece_sha1_.reset();
  out_.v2.push_back(MerkleRoot(std::move(leaves_), blocks_per_piece_));
  leaves_.clear();
  piece_fill_ = 0;
}

PieceHashes PieceHasher::Finish() {
  if (block_fill_ > 0) EndBlock();
  if (piece_fill_ > 0) {
    lt::hasher unpadded = piece_sha1_;
    out_.v1_last_unpadded = unpadded.final();
    static const std::vector<char> kZeros(static_cast<size_t>(piece_size_), 0);
    piece_sha1_.update(kZeros.data(), piece_size_ - piece_fill_);
    out_.v1.push_back(piece_sha1_.final());
    // A file shorter than a piece pads its leaves to the next power of two, not to a whole piece.
    const int width = out_.size_bytes < piece_size_ ? NextPowerOfTwo(static_cast<int>(leaves_.size()))
                                                     : blocks_per_piece_;
    out_.v2.push_back(MerkleRoot(std::move(leaves_), width));
    leaves_.clear();
    piece_fill_ = 0;
  }
  return std::move(out_);
}

}  // namespace lm::transcoder
