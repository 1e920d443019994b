#pragma once
// A county in one process for the edge's tests: the shared catalog and origin (OriginFixture) with
// the schools of a 教共体, a teacher who uploads lessons and documents, an admin who publishes packs,
// and the settings of the school box under test (conghua-lx, whose edge token is edge_token_).

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "edge/edge_config.h"
#include "tests/testing/http_client.h"
#include "tests/testing/origin_fixture.h"

namespace lm::testing {

class EdgeLab : public OriginFixture {
 protected:
  static constexpr double kDeadlineSeconds = 180;

  void SetUp() override;
  void TearDown() override;

  HttpResult Catalog(const std::string& method, const std::string& target, const nlohmann::json& body = nullptr);
  // Uploads `bytes` as the teacher; the registered lesson's id once the origin has it ("" if not).
  std::string Register(const std::string& bytes, const std::string& title, const std::string& subject = "数学");
  // A courseware document of `size` bytes, different for each `seed`, uploaded.
  std::string UploadDocument(std::size_t size, int seed, const std::string& title);
  // Publishes (POST) or republishes (PUT /v1/packs/ID) a pack; items are (lesson, needed_by,
  // pinned_until).
  nlohmann::json Publish(const std::vector<std::tuple<std::string, std::string, std::string>>& items,
                         const nlohmann::json& targets, const std::string& method = "POST",
                         const std::string& target = "/v1/packs");
  // The settings of the school box for conghua-lx against `catalog_url` (the catalog's by default).
  edge::EdgeConfig EdgeSettings(const std::string& catalog_url = "");
  // A date `days` from today, YYYY-MM-DD (local time).
  static std::string DaysFromToday(int days);

  std::string edge_token_, catalog_key_;
};

// GET on an edge's HTTP port, the JSON body (null if the reply is not 200).
nlohmann::json EdgeJson(std::uint16_t port, const std::string& target);
// The ids of the lessons the edge offers for playing.
std::vector<std::string> PlayableIds(std::uint16_t port, const std::string& query = "");

}  // namespace lm::testing
