// The origin's tus 1.0 routes (origin::TusRoutes over an UploadStore in a fresh folder), fed a
// teacher's requests, and checked against a model of what the uploads must hold. The input is up
// to 12 requests in the form of catalog_api_fuzz ("METHOD TARGET", headers, an empty line, the
// body; separated by lines "--"). "$ID" in a target stands for the upload created last. A PATCH
// goes through the streaming route in three pieces, or whole through Handle with a header
// "X-Whole: 1"; with "X-Cut: 1" its body is cut after the first piece. Tokens: teacher-a and
// teacher-b (two uploaders), origin (403), down (503); anything else is unknown (401).
// Properties: never a 5xx; errors are JSON; a created upload starts at offset 0; HEAD tells the
// model's offset, length and metadata; a PATCH is accepted only at the model's offset, only by the
// owner, only within the length and only with a matching checksum, and then the offset moves by
// exactly the body; a cut PATCH keeps the bytes received, none with a checksum; the file on disk
// is always exactly the bytes accepted; a deleted upload is gone.

#include <openssl/sha.h>
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "common/http/http_types.h"
#include "common/tus_headers.h"
#include "common/tus_metadata.h"
#include "origin/tus_routes.h"
#include "origin/upload_store.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_request.h"

namespace fs = std::filesystem;
using lm::http::Reply;
using lm::http::Request;

namespace {

constexpr std::int64_t kMaxBytes = 4096;

struct Upload {
  std::string owner;
  std::int64_t length = 0;
  std::string bytes;  // accepted so far
  std::map<std::string, std::string> metadata;
};

const fs::path& Dir() {
  static const fs::path dir = lm::fuzz::TempDir("tus") / "uploads";
  return dir;
}

std::string HeaderOf(const Reply& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return {};
}

std::string Sha1(std::string_view bytes) {
  unsigned char d[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), d);
  return std::string(reinterpret_cast<const char*>(d), sizeof(d));
}

std::string FileBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Owner(const Request& r) {
  const std::string auth = r.Header("authorization");
  if (auth == "Bearer teacher-a") return "a";
  if (auth == "Bearer teacher-b") return "b";
  return {};
}

// Sends a PATCH through the streaming route as the server does; nullopt-reply means not streamed.
Reply Streamed(lm::origin::TusRoutes& routes, const Request& req, bool cut, std::size_t* received) {
  Request head = req;
  head.body.clear();
  auto stream_or_reply = routes.Stream(head);
  FUZZ_CHECK(stream_or_reply.has_value(), "the streaming route takes every PATCH under /uploads");
  if (auto* reply = std::get_if<Reply>(&*stream_or_reply)) return std::move(*reply);
  auto& stream = std::get<lm::http::BodyStream>(*stream_or_reply);
  const std::string& body = req.body;
  const std::size_t cuts[] = {body.size() / 3, 2 * body.size() / 3, body.size()};
  std::size_t at = 0;
  lm::Status outcome;
  for (std::size_t i = 0; i < 3 && outcome.ok(); ++i) {
    if (cuts[i] > at) outcome = stream.on_data(std::string_view(body).substr(at, cuts[i] - at));
    if (outcome.ok()) *received = at = cuts[i];
    if (cut && i == 0 && outcome.ok()) {
      outcome = lm::Cancelled("the connection was cut");
    }
  }
  return stream.on_end(outcome);
}

void CheckErrorBody(const Reply& r) {
  const auto j = nlohmann::json::parse(r.body, nullptr, false);
  FUZZ_CHECK(j.is_object() && j.contains("error") && j.contains("code"), "an error is {\"error\", \"code\"}");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::error_code ec;
  fs::remove_all(Dir(), ec);
  fs::create_directories(Dir());
  auto store = lm::origin::UploadStore::Open(Dir(), kMaxBytes);
  FUZZ_CHECK(store.ok(), "the store opens");
  std::int64_t now = 1760000000;
  lm::origin::TusRoutes routes(
      **store, {},
      [](const std::string& token) -> lm::Result<std::string> {
        if (token == "teacher-a") return std::string("a");
        if (token == "teacher-b") return std::string("b");
        if (token == "origin") return lm::InvalidArgument("not a teacher");
        if (token == "down") return lm::IoError("the catalog is down");
        return lm::Status(lm::StatusCode::kNotFound, "unknown token");
      },
      nullptr, [&now] { return now; });

  std::map<std::string, Upload> model;
  std::string last_id = std::string(32, '0');
  for (const std::string_view text : lm::fuzz::SplitParts(lm::fuzz::Text(data, size), "--", 12)) {
    now += 30;
    Request req;
    if (!lm::fuzz::ParseRequest(text, {{"$ID", last_id}}, "10.1.2.3:40000", &req) || !routes.Owns(req.path)) continue;
    const std::string id = req.path.size() > 9 ? req.path.substr(9) : "";
    Upload* upload = model.count(id) ? &model[id] : nullptr;
    const std::string owner = Owner(req);
    const bool resumable = req.Header("tus-resumable") == "1.0.0";

    Reply reply;
    std::size_t received = 0;
    const bool streamed = req.method == "PATCH" && req.Header("x-whole").empty();
    if (streamed) {
      reply = Streamed(routes, req, !req.Header("x-cut").empty(), &received);
    } else {
      reply = routes.Handle(req);
      received = req.body.size();
    }
    if (lm::fuzz::Tracing()) std::fprintf(stderr, "%s %s -> %d %s\n", req.method.c_str(), req.target.c_str(), reply.status, reply.body.substr(0, 160).c_str());
    FUZZ_CHECK(reply.status < 500 || reply.status == 503, "never a server error");
    if (reply.status >= 400) CheckErrorBody(reply);
    if (reply.status == 503) FUZZ_CHECK(req.Header("authorization") == "Bearer down", "503 only when tokens cannot be checked");

    if (req.method == "POST" && reply.status == 201) {
      const std::string location = HeaderOf(reply, "Location");
      FUZZ_CHECK(location.size() == 9 + 32 && location.rfind("/uploads/", 0) == 0, "a new upload has a Location");
      FUZZ_CHECK(HeaderOf(reply, "Upload-Offset") == "0", "a new upload starts at 0");
      FUZZ_CHECK(!owner.empty() && resumable, "only a teacher creates uploads");
      last_id = location.substr(9);
      auto metadata = lm::ParseUploadMetadata(req.Header("upload-metadata"));
      FUZZ_CHECK(metadata.ok(), "created with good metadata");
      const auto length = lm::ParseTusLength(req.Header("upload-length"));
      FUZZ_CHECK(length && *length <= kMaxBytes, "created with a length within the limit");
      model[last_id] = Upload{owner, *length, "", *metadata};
    } else if (req.method == "HEAD" && reply.status == 200) {
      FUZZ_CHECK(upload != nullptr && upload->owner == owner, "HEAD shows only the owner's uploads");
      FUZZ_CHECK(HeaderOf(reply, "Upload-Offset") == std::to_string(upload->bytes.size()), "HEAD tells the offset");
      FUZZ_CHECK(HeaderOf(reply, "Upload-Length") == std::to_string(upload->length), "HEAD tells the length");
      auto metadata = lm::ParseUploadMetadata(HeaderOf(reply, "Upload-Metadata"));
      FUZZ_CHECK(metadata.ok() && *metadata == upload->metadata, "HEAD tells the metadata");
    } else if (req.method == "DELETE" && reply.status == 204) {
      FUZZ_CHECK(upload != nullptr && upload->owner == owner, "only the owner deletes an upload");
      model.erase(id);
      upload = nullptr;
    } else if (req.method == "PATCH" && upload != nullptr) {
      const auto offset = lm::ParseTusLength(req.Header("upload-offset"));
      const std::string checksum_header = req.Header("upload-checksum");
      const auto checksum = lm::ParseUploadChecksum(checksum_header);
      const std::int64_t before = static_cast<std::int64_t>(upload->bytes.size());
      if (reply.status == 204) {
        FUZZ_CHECK(upload->owner == owner && resumable, "only the owner appends");
        FUZZ_CHECK(offset && *offset == before, "an append is at the upload's offset");
        FUZZ_CHECK(before + static_cast<std::int64_t>(req.body.size()) <= upload->length, "an append stays within the length");
        FUZZ_CHECK(checksum_header.empty() || (checksum.ok() && checksum->digest == Sha1(req.body)),
                   "an append with a checksum matches it");
        FUZZ_CHECK(req.Header("x-cut").empty() || !streamed, "a cut body is not a finished append");
        upload->bytes += req.body;
        FUZZ_CHECK(HeaderOf(reply, "Upload-Offset") == std::to_string(upload->bytes.size()), "the offset moves by the body");
      } else if (streamed && !req.Header("x-cut").empty() && reply.status == 400 && checksum_header.empty() &&
                 offset && *offset == before && upload->owner == owner) {
        // Cut short without a checksum: the bytes received are kept.
        upload->bytes += req.body.substr(0, std::min<std::size_t>(received, upload->length - before));
      }
    }
    // The file on disk is exactly the bytes accepted, for every upload the model holds.
    for (const auto& [uid, u] : model) {
      FUZZ_CHECK(FileBytes((*store)->DataPath(uid)) == u.bytes, "the file holds exactly the bytes accepted");
    }
  }
  return 0;
}
