#pragma once
// What every catalog store keeps as text, written and read the same way by each backend: a pack's
// spec as JSON, a lesson's tags (as JSON, and space-joined for the search index), and the lesson a
// registered lesson.json revises.

#include <string>
#include <vector>

#include "catalog/model.h"

namespace lm::catalog {

std::string SpecJson(const PackSpec& spec);
PackSpec SpecFromJson(const std::string& json);

std::string TagsJson(const std::vector<std::string>& tags);
std::vector<std::string> TagsFromJson(const std::string& json);
std::string JoinTags(const std::vector<std::string>& tags);

// lesson.json's "revises", or "".
std::string RevisesOf(const std::string& manifest_json);

}  // namespace lm::catalog
