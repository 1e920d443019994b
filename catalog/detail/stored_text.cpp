#include "catalog/detail/stored_text.h"

#include <nlohmann/json.hpp>

namespace lm::catalog {

std::string SpecJson(const PackSpec& s) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& i : s.items) {
    items.push_back({{"lesson_id", i.lesson_id}, {"needed_by", i.needed_by}, {"pinned_until", i.pinned_until}});
  }
  return nlohmann::json{{"title", s.title},
                        {"description", s.description},
                        {"rendition_policy", s.rendition_policy},
                        {"items", items},
                        {"target_communities", s.target_communities},
                        {"target_schools", s.target_schools}}
      .dump();
}

PackSpec SpecFromJson(const std::string& text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  PackSpec s;
  if (!j.is_object()) return s;
  s.title = j.value("title", "");
  s.description = j.value("description", "");
  s.rendition_policy = j.value("rendition_policy", "all");
  for (const auto& i : j.value("items", nlohmann::json::array())) {
    s.items.push_back({i.value("lesson_id", ""), i.value("needed_by", ""), i.value("pinned_until", "")});
  }
  s.target_communities = j.value("target_communities", std::vector<std::string>{});
  s.target_schools = j.value("target_schools", std::vector<std::string>{});
  return s;
}

std::string TagsJson(const std::vector<std::string>& tags) { return nlohmann::json(tags).dump(); }

std::vector<std::string> TagsFromJson(const std::string& text) {
  std::vector<std::string> out;
  const auto tags = nlohmann::json::parse(text, nullptr, false);
  if (tags.is_array()) {
    for (const auto& t : tags)
      if (t.is_string()) out.push_back(t.get<std::string>());
  }
  return out;
}

std::string JoinTags(const std::vector<std::string>& tags) {
  std::string out;
  for (const auto& t : tags) {
    if (!out.empty()) out += ' ';
    out += t;
  }
  return out;
}

std::string RevisesOf(const std::string& manifest_json) {
  const auto manifest = nlohmann::json::parse(manifest_json, nullptr, false);
  if (manifest.is_object() && manifest.contains("revises") && manifest["revises"].is_string()) {
    return manifest["revises"].get<std::string>();
  }
  return "";
}

}  // namespace lm::catalog
