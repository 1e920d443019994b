#include "common/http/http_types.h"

#include <nlohmann/json.hpp>

namespace lm::http {

std::string Request::Header(std::string_view lower_name) const {
  auto it = headers.find(std::string(lower_name));
  return it == headers.end() ? std::string() : it->second;
}

std::string Request::Query(std::string_view name) const {
  auto it = query.find(std::string(name));
  return it == query.end() ? std::string() : it->second;
}

Reply JsonReply(int status, std::string json_body) {
  Reply r;
  r.status = status;
  r.body = std::move(json_body);
  return r;
}

Reply ErrorReply(int http_status, std::string_view code, std::string_view message, std::string_view field) {
  nlohmann::json j;
  j["error"] = std::string(message);
  j["code"] = std::string(code);
  if (!field.empty()) j["field"] = std::string(field);
  Reply r;
  r.status = http_status;
  r.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Reply ErrorReply(const Status& status) {
  int http = 500;
  switch (status.code()) {
    case StatusCode::kOk: http = 200; break;
    case StatusCode::kInvalidArgument:
    case StatusCode::kUnsupportedInput: http = 400; break;
    case StatusCode::kNotFound: http = 404; break;
    case StatusCode::kAlreadyExists: http = 409; break;
    case StatusCode::kCancelled: http = 503; break;
    case StatusCode::kIo:
    case StatusCode::kInternal: http = 500; break;
  }
  return ErrorReply(http, StatusCodeName(status.code()), status.message(), status.field());
}

bool PercentDecode(std::string_view in, std::string* out, bool plus_is_space) {
  out->clear();
  out->reserve(in.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      *out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      *out += ' ';
    } else {
      *out += c;
    }
  }
  return true;
}

bool SetTarget(std::string_view target, Request* request) {
  request->target = std::string(target);
  request->query.clear();
  const size_t q = target.find('?');
  if (!PercentDecode(target.substr(0, q), &request->path, false)) return false;
  if (q != std::string_view::npos) request->query = ParseQuery(target.substr(q + 1));
  return true;
}

std::map<std::string, std::string> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string key, value;
    if (!PercentDecode(pair.substr(0, eq), &key, true)) continue;
    if (eq != std::string_view::npos && !PercentDecode(pair.substr(eq + 1), &value, true)) continue;
    out[key] = value;
  }
  return out;
}

}  // namespace lm::http
