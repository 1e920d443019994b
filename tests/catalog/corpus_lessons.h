#pragma once
// The tokenizer's test corpus (tests/testing/cjk_search_corpus.h) as catalog lessons, for the
// search tests of both stores: tags split on spaces, the first tag as subject, the second as grade.

#include <sstream>
#include <string>
#include <vector>

#include "catalog/model.h"
#include "tests/testing/cjk_search_corpus.h"

namespace lm::catalog {

// The `n`th lesson of the corpus (ids "lesson-N", created one second apart).
inline Lesson CorpusLesson(const lm::testing::CorpusLesson& c, int n) {
  Lesson l;
  l.id = "lesson-" + std::to_string(n);
  l.kind = "document";
  l.title = c.title;
  l.teacher = c.teacher;
  l.description = c.description;
  std::istringstream tags(c.tags);
  for (std::string t; tags >> t;) l.tags.push_back(t);
  l.subject = l.tags.size() > 0 ? l.tags[0] : "";
  l.grade = l.tags.size() > 1 ? l.tags[1] : "";
  l.school_id = "tianhe-3";
  l.manifest_json = "{}";
  l.torrent = std::string("d4:infod", 8) + std::string(1, '\0') + "e";  // bytes, a NUL among them
  l.created_at = 1795000000 + n;
  return l;
}

// The whole corpus, numbered from 1.
inline std::vector<Lesson> CorpusLessons() {
  std::vector<Lesson> out;
  int n = 0;
  for (const auto& c : lm::testing::kCjkSearchCorpus) out.push_back(CorpusLesson(c, ++n));
  return out;
}

}  // namespace lm::catalog
