#pragma once
// The catalog's API served over loopback for the tests of its tokens and its routes' access: a
// fresh store of the backend the test is parameterised by (catalog_backends.h), the API on two clocks the test moves (unix seconds for token expiry, a steady clock
// for the failed-authentication limiter), the built pages in a folder of the test's own with a
// planted file beside it, and helpers to issue tokens, call routes and register a real document
// bundle. A gtest fixture; SetUp and TearDown run on the test's thread.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "catalog/auth.h"
#include "catalog/catalog_api.h"
#include "catalog/catalog_store.h"
#include "common/http/http_server.h"
#include "common/signing.h"
#include "tests/testing/catalog_backends.h"
#include "tests/testing/http_client.h"
#include "tests/testing/temp_dir.h"

namespace lm::catalog {

class CatalogApiFixture : public ::testing::TestWithParam<testing::StoreBackend> {
 protected:
  static constexpr char kPlantedSecret[] = "planted-outside-the-web-dir-7f3a";

  void SetUp() override;
  void TearDown() override;

  // A token of `role` for `school`, issued now_, expiring at `expires_at` (0 = never).
  IssuedToken Issue(Role role, const std::string& school = "", std::int64_t expires_at = 0);
  testing::HttpResult Call(const std::string& method, const std::string& target, const std::string& token,
                           const nlohmann::json& body = nullptr, std::map<std::string, std::string> headers = {});
  // The schools tianhe-3 (urban) and conghua-lx (rural), and the community th-ch-1 of both.
  void MakeSchools();
  // A real document bundle registered as the origin does; its lesson id.
  std::string RegisterDocument(const std::string& title);
  // The body POST /v1/lessons takes for a fresh document bundle.
  nlohmann::json LessonBody(const std::string& title);
  void AdvanceSteadyClock(std::chrono::seconds by) { steady_offset_s_ += by.count(); }

  testing::TempDir tmp_;
  std::atomic<std::int64_t> now_{1795000000};  // 2026-11-18
  std::atomic<std::int64_t> steady_offset_s_{0};
  std::unique_ptr<CatalogStore> store_;
  std::unique_ptr<SigningKey> key_;
  std::unique_ptr<CatalogApi> api_;
  std::unique_ptr<http::HttpServer> server_;
  std::string admin_, origin_;
};

}  // namespace lm::catalog
