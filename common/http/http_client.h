#pragma once
// A small blocking HTTP/1.1 client (Boost.Beast) for one service calling another: the origin
// asking the catalog, the teachers' upload CLI, an edge fetching its packs. http:// or https://
// (OpenSSL: the server's certificate must chain to a trusted CA and name the URL's host, by name
// or IP address); one connection per call; every call has a deadline. Connection failures,
// refused certificates and timeouts are kIo errors; any reply, whatever its status, is a value.

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/status.h"

namespace lm::http {

struct Url {
  bool tls = false;  // https
  std::string host;
  std::uint16_t port = 80;
  std::string target = "/";  // path and query, as sent
};

// "http://host[:port][/path]" or "https://..." (port 443 by default). kInvalidArgument (field
// "url") otherwise.
Result<Url> ParseHttpUrl(std::string_view url);

struct ClientRequest {
  std::string method = "GET";
  std::string url;
  std::map<std::string, std::string> headers;
  std::string body;
  int timeout_ms = 30000;  // for the whole exchange
  // https: a PEM file of the CAs whose certificates to trust (a bureau's own CA) instead of the
  // system's store. Unused for http.
  std::string ca_file;
  // When set and it becomes true, the call gives up within about 100 ms with kCancelled.
  const std::atomic<bool>* cancel = nullptr;
};

struct ClientReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string Header(std::string_view lower_name) const;
};

Result<ClientReply> Fetch(const ClientRequest& request);

// Why one of our services refused a request: the "error" message of its JSON error body, or
// "HTTP <status>" when the body has none.
std::string ReasonOf(const ClientReply& reply);

}  // namespace lm::http
