#include "edge/enrol.h"

#include <nlohmann/json.hpp>

#include <filesystem>

#include "common/atomic_file.h"
#include "common/http/http_client.h"
#include "common/signing.h"
#include "common/toml_reader.h"

namespace lm::edge {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

Result<json> GetJson(const std::string& url, const std::string& token, const std::string& ca_file) {
  http::ClientRequest req;
  req.url = url;
  req.ca_file = ca_file;
  if (!token.empty()) req.headers["Authorization"] = "Bearer " + token;
  req.timeout_ms = 15000;
  ASSIGN_OR_RETURN(http::ClientReply reply, http::Fetch(req));
  if (reply.status == 401) return InvalidArgument("the catalog does not know this token", "token");
  if (reply.status != 200) return IoError(url + ": " + http::ReasonOf(reply));
  json j = json::parse(reply.body, nullptr, false);
  if (!j.is_object()) return IoError(url + ": unexpected reply");
  return j;
}

}  // namespace

Result<EnrolResult> Enrol(const EnrolRequest& r) {
  std::string base = r.catalog_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (auto url = http::ParseHttpUrl(base); !url.ok()) return InvalidArgument("--catalog: " + url.status().message(), "catalog");
  if (r.school_id.empty()) return InvalidArgument("--school is required", "school");
  if (r.token.empty()) return InvalidArgument("--token (this school's edge token) is required", "token");
  std::error_code ec;
  if (fs::exists(r.out_path, ec)) return InvalidArgument(r.out_path + " exists; enrol writes a new config only", "out");

  ASSIGN_OR_RETURN(json who, GetJson(base + "/v1/whoami", r.token, r.ca_file));
  if (who.value("role", "") != "edge" || who.value("school_id", "") != r.school_id) {
    return InvalidArgument("this token is not an edge token of school " + r.school_id, "token");
  }
  ASSIGN_OR_RETURN(json keys, GetJson(base + "/v1/keys", "", r.ca_file));
  EnrolResult out;
  out.public_key = keys.value("public_key", "");
  ASSIGN_OR_RETURN(out.fingerprint, PublicKeyFingerprint(out.public_key));

  const fs::path config_dir = fs::absolute(r.out_path).parent_path();
  out.token_file = (config_dir / "edge.token").string();
  RETURN_IF_ERROR(WriteFileAtomically(out.token_file, r.token + "\n", 0600));
  const std::string toml =
      "# LessonMesh edge — 学校资源节点配置 (written by `lessonmesh-edge enrol`)\n"
      "# 本校在目录服务中的编号 / this school's id in the catalog\n"
      "school_id = " + TomlString(r.school_id) + "\n"
      "# 目录服务地址 / the catalog\n"
      "catalog_url = " + TomlString(base) + "\n" +
      (r.ca_file.empty() ? std::string()
                         : "# 信任的证书颁发机构 / the CAs trusted for https\nca_file = " +
                               TomlString(fs::absolute(r.ca_file).string()) + "\n") +
      "# 本节点令牌文件 (0600) / this edge's token\n"
      "token_file = " + TomlString(out.token_file) + "\n"
      "# 资源包签名公钥（已固定，不再从网络获取）/ the pack-signing key, pinned: never fetched again\n"
      "# fingerprint " + out.fingerprint + "\n"
      "catalog_key = " + TomlString(out.public_key) + "\n"
      "# 缓存目录、容量上限、保留的磁盘空间 / cache, quota, free disk kept\n"
      "cache_dir = " + TomlString(r.cache_dir) + "\n"
      "quota = \"200GB\"\n"
      "min_free = \"2GB\"\n"
      "# 本校保留的清晰度 / renditions kept\n"
      "renditions = [\"480p\", \"240p\", \"audio\"]\n"
      "# 带宽时间表：上课时间限速，给专递课堂让路 / class hours capped for live lessons (kbit/s down/up)\n"
      "schedule = [\"Mon-Fri 07:30-17:30 256/64\"]\n"
      "# 教室访问端口、BitTorrent 端口 / classroom HTTP port, BitTorrent port\n"
      "listen = \"0.0.0.0\"\n"
      "port = 8080\n"
      "torrent_port = 6881\n";
  RETURN_IF_ERROR(WriteFileAtomically(r.out_path, toml, 0600));
  return out;
}

}  // namespace lm::edge
