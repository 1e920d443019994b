#include "origin/origin_config.h"

#include <toml++/toml.h>

#include "common/http/http_client.h"

namespace lm::origin {

Status LoadOriginToml(const std::string& path, OriginConfig* c) {
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return InvalidArgument(path + ": " + std::string(e.description()), "config");
  }
  for (const auto& [key, value] : t) {
    const std::string k(key.str());
    auto number = [&](std::int64_t lo, std::int64_t hi, auto* out) -> Status {
      auto v = value.value<std::int64_t>();
      if (!v || *v < lo || *v > hi) {
        return InvalidArgument(path + ": " + k + " must be a number from " + std::to_string(lo) + " to " +
                                   std::to_string(hi), k);
      }
      *out = static_cast<std::remove_pointer_t<decltype(out)>>(*v);
      return Status::Ok();
    };
    auto text = [&](std::string* out) -> Status {
      auto v = value.value<std::string>();
      if (!v) return InvalidArgument(path + ": " + k + " must be a string", k);
      *out = *v;
      return Status::Ok();
    };
    auto flag = [&](bool* out) -> Status {
      auto v = value.value<bool>();
      if (!v) return InvalidArgument(path + ": " + k + " must be true or false", k);
      *out = *v;
      return Status::Ok();
    };
    Status st;
    if (k == "listen") st = text(&c->listen_address);
    else if (k == "port") st = number(0, 65535, &c->port);
    else if (k == "data_dir") st = text(&c->data_dir);
    else if (k == "catalog_url") st = text(&c->catalog_url);
    else if (k == "catalog_token") st = text(&c->catalog_token);
    else if (k == "public_url") st = text(&c->public_url);
    else if (k == "workers") st = number(1, 64, &c->workers);
    else if (k == "max_upload_bytes") st = number(1, std::int64_t{1} << 50, &c->max_upload_bytes);
    else if (k == "torrent_port") st = number(0, 65535, &c->torrent_port);
    else if (k == "upload_rate_kbps") st = number(0, 10000000, &c->upload_rate_kbps);
    else if (k == "max_connections") st = number(2, 100000, &c->max_connections);
    else if (k == "dht") st = flag(&c->dht);
    else if (k == "lsd") st = flag(&c->lsd);
    else if (k == "http_threads") st = number(1, 256, &c->http_threads);
    else if (k == "upload_expire_hours") st = number(1, 24 * 365, &c->upload_expire_hours);
    else return InvalidArgument(path + ": unknown key " + k, k);
    RETURN_IF_ERROR(st);
  }
  return Status::Ok();
}

Status ValidateOriginConfig(const OriginConfig& c) {
  if (c.data_dir.empty()) return InvalidArgument("data_dir must not be empty", "data_dir");
  if (auto url = http::ParseHttpUrl(c.catalog_url); !url.ok()) {
    return InvalidArgument("catalog_url: " + url.status().message(), "catalog_url");
  }
  if (c.catalog_token.empty()) {
    return InvalidArgument("catalog_token (a catalog token with role origin) is required", "catalog_token");
  }
  if (!c.public_url.empty()) {
    if (auto url = http::ParseHttpUrl(c.public_url); !url.ok()) {
      return InvalidArgument("public_url: " + url.status().message(), "public_url");
    }
  }
  if (c.workers < 1) return InvalidArgument("workers must be 1 or more", "workers");
  if (c.max_upload_bytes < 1) return InvalidArgument("max_upload_bytes must be positive", "max_upload_bytes");
  if (c.upload_rate_kbps < 0) return InvalidArgument("upload_rate_kbps must be 0 (no limit) or more", "upload_rate_kbps");
  if (c.max_connections < 2) return InvalidArgument("max_connections must be 2 or more", "max_connections");
  return Status::Ok();
}

std::string PublicUrl(const OriginConfig& c, std::uint16_t bound_port) {
  std::string url = c.public_url;
  if (url.empty()) {
    const std::string host = c.listen_address == "0.0.0.0" || c.listen_address == "::" ? "127.0.0.1" : c.listen_address;
    url = "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(bound_port);
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace lm::origin
