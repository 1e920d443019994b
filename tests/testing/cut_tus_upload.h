#pragma once
// A tus client whose connections are cut, for the origin's upload load test and
// bench/origin_uploads. It uploads a generated courseware document (a PDF by its first bytes, so
// the origin bundles it without transcoding; any range made on demand, so 200 MB never sits in
// memory): create, then one PATCH with everything left (Expect: 100-continue, so a refused PATCH
// costs no body). At `cuts` random offsets it closes the
// connection in the middle of the body (a FIN or a reset, at random), asks HEAD where the origin's
// copy ends (Upload-Offset) and goes on from there; a 409 or 423 while the origin is still
// taking the cut PATCH is asked again after a pause (20 ms, doubling to 1 s). Blocking; any thread; many at once.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace lm::testing {

// `n` bytes of the courseware document `seed` from `offset`: the same bytes for the same arguments.
std::string CoursewareBytes(std::uint64_t seed, std::int64_t offset, std::size_t n);
// SHA-256 (hex) of the first `length` bytes of document `seed`.
std::string CoursewareSha256(std::uint64_t seed, std::int64_t length);
// SHA-256 (hex) of a file; "" if it cannot be read.
std::string FileSha256(const std::filesystem::path& path);

struct CutUploadOptions {
  std::uint16_t port = 0;
  std::string token;                            // a teacher's
  std::int64_t length = 0;                      // bytes of the document
  std::uint64_t seed = 0;                       // which document
  int cuts = 2;                                 // connections cut before it completes
  std::map<std::string, std::string> metadata;  // tus Upload-Metadata (title, ...)
  double seconds = 600;                         // gives up after this (scaled for the sanitizer build)
};

struct CutUploadResult {
  std::string upload_id;  // "" if it never completed
  std::string error;
  int cuts = 0;           // connections cut
  int retries = 0;        // PATCHes refused 409/423 and asked again
  std::int64_t bytes_sent = 0;  // body bytes written to sockets, resent ones included
};

CutUploadResult CutTusUpload(const CutUploadOptions& options);

}  // namespace lm::testing
