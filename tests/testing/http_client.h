#pragma once
// A blocking HTTP/1.1 client for tests, over loopback (Boost.Beast). One connection per object;
// requests on it are kept alive. Every step has a deadline (connect 10 s, write 30 s, reply 120 s,
// scaled for the sanitizer build): a server that never answers fails the test, never hangs it.

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace lm::testing {

struct HttpResult {
  int status = 0;  // 0: no reply (connection failed or closed)
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
  std::string error;
  std::string Header(const std::string& lower_name) const;
};

class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port, std::string host = "127.0.0.1");
  ~HttpClient();
  HttpResult Request(const std::string& method, const std::string& target, const std::string& body = {},
                     const std::map<std::string, std::string>& headers = {});
  // Sends raw bytes and reads one reply (for malformed requests).
  HttpResult Raw(const std::string& bytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lm::testing
