#include "common/cjk_tokenizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/sqlite_db.h"
#include "tests/testing/cjk_search_corpus.h"

namespace lm {
namespace {

using Titles = std::vector<std::string>;

using CorpusLesson = testing::CorpusLesson;
constexpr const auto& kLessons = testing::kCjkSearchCorpus;

Titles Sorted(Titles titles) {
  std::sort(titles.begin(), titles.end());
  return titles;
}

class CjkTokenizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = sql::OpenDatabase(":memory:");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    Status registered = RegisterCjkTokenizer(db_.get());
    ASSERT_TRUE(registered.ok()) << registered.ToString();
    Status created = sql::Exec(db_.get(),
                               "CREATE VIRTUAL TABLE lessons_fts USING fts5(title, teacher, description, tags, "
                               "tokenize='lm_cjk')");
    ASSERT_TRUE(created.ok()) << created.ToString();
    auto insert = sql::Statement::Prepare(
        db_.get(), "INSERT INTO lessons_fts (title, teacher, description, tags) VALUES (?1, ?2, ?3, ?4)");
    ASSERT_TRUE(insert.ok()) << insert.status().ToString();
    for (const CorpusLesson& lesson : kLessons) {
      insert->Reset();
      Status inserted = insert->Bind(1, std::string_view(lesson.title))
                            .Bind(2, std::string_view(lesson.teacher))
                            .Bind(3, std::string_view(lesson.description))
                            .Bind(4, std::string_view(lesson.tags))
                            .Run();
      ASSERT_TRUE(inserted.ok()) << inserted.ToString();
    }
  }

  // Titles whose row matches the FTS5 expression, best first.
  Result<Titles> Match(std::string_view expression) {
    ASSIGN_OR_RETURN(sql::Statement select,
                     sql::Statement::Prepare(db_.get(),
                                             "SELECT title FROM lessons_fts WHERE lessons_fts MATCH ?1 "
                                             "ORDER BY bm25(lessons_fts), rowid"));
    select.Bind(1, expression);
    Titles titles;
    while (true) {
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) break;
      titles.push_back(select.Text(0));
    }
    return titles;
  }

  // What the catalog does with a search box: no expression, no rows; else match it.
  Titles Search(std::string_view user_query) {
    const std::string expression = FtsMatchExpression(user_query);
    if (expression.empty()) return {};
    Result<Titles> titles = Match(expression);
    EXPECT_TRUE(titles.ok()) << "query <" << user_query << "> expression <" << expression
                             << ">: " << titles.status().ToString();
    return titles.ok() ? *titles : Titles{};
  }

  // Rows of a one-column query, each column joined with '|'.
  Result<std::vector<std::string>> Rows(std::string_view query, std::string_view param = {}) {
    ASSIGN_OR_RETURN(sql::Statement select, sql::Statement::Prepare(db_.get(), query));
    if (!param.empty()) select.Bind(1, param);
    const int columns = sqlite3_column_count(select.get());
    std::vector<std::string> rows;
    while (true) {
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) break;
      std::string line;
      for (int col = 0; col < columns; ++col) {
        if (col > 0) line += '|';
        line += select.Text(col);
      }
      rows.push_back(std::move(line));
    }
    return rows;
  }

  sql::DbPtr db_;
};

// --- The token stream, read back through fts5vocab -------------------------------------------

TEST_F(CjkTokenizerTest, IndexesUnigramsColocatedBigramsAndLowerCasedWords) {
  ASSERT_TRUE(sql::Exec(db_.get(),
                        "CREATE VIRTUAL TABLE doc USING fts5(body, tokenize='lm_cjk');"
                        "CREATE VIRTUAL TABLE doc_terms USING fts5vocab(doc, 'instance');")
                  .ok());
  auto insert = sql::Statement::Prepare(db_.get(), "INSERT INTO doc (body) VALUES (?1)");
  ASSERT_TRUE(insert.ok());
  ASSERT_TRUE(insert->Bind(1, std::string_view("Python 入门：分数。ÉLÈVE Ｕｎｉｔ３ 한국")).Run().ok());

  // term|position: each CJK character's unigram and the bigram it starts share its position;
  // the last character of a run has no bigram; words are lower-cased, full-width folded.
  auto instances = Rows("SELECT term, offset FROM doc_terms ORDER BY offset, term");
  ASSERT_TRUE(instances.ok()) << instances.status().ToString();
  EXPECT_EQ(*instances, (std::vector<std::string>{"python|0", "入|1", "入门|1", "门|2", "分|3", "分数|3", "数|4",
                                                  "élève|5", "unit3|6", "한|7", "한국|7", "국|8"}));

  // The lessons table: 分, 数 and 分数 are terms; "Python" only lower-cased.
  ASSERT_TRUE(sql::Exec(db_.get(), "CREATE VIRTUAL TABLE lesson_terms USING fts5vocab(lessons_fts, 'row')").ok());
  auto terms = Rows(
      "SELECT term || '=' || doc FROM lesson_terms "
      "WHERE term IN ('分', '数', '分数', '数的', 'python', 'Python', 'PYTHON', '3', 'unit') ORDER BY term");
  ASSERT_TRUE(terms.ok()) << terms.status().ToString();
  EXPECT_EQ(*terms, (std::vector<std::string>{"3=1", "python=2", "unit=1", "分=3", "分数=2", "数=6", "数的=3"}));
}

TEST_F(CjkTokenizerTest, InvalidUtf8InADocumentIsSkipped) {
  ASSERT_TRUE(sql::Exec(db_.get(),
                        "CREATE VIRTUAL TABLE doc USING fts5(body, tokenize='lm_cjk');"
                        "CREATE VIRTUAL TABLE doc_terms USING fts5vocab(doc, 'instance');")
                  .ok());
  auto insert = sql::Statement::Prepare(db_.get(), "INSERT INTO doc (body) VALUES (?1)");
  ASSERT_TRUE(insert.ok());
  // A stray continuation byte, an overlong '/', a surrogate, a truncated 3-byte sequence
  // (分 without its last byte) before 数, and a truncated sequence at the very end.
  const std::string body =
      "ab\x80"
      "cd\xC0\xAF"
      "e\xED\xA0\x80"
      "f\xE5\x88"
      "数学\xE5\x88";
  ASSERT_TRUE(insert->Bind(1, std::string_view(body)).Run().ok());
  auto instances = Rows("SELECT term, offset FROM doc_terms ORDER BY offset, term");
  ASSERT_TRUE(instances.ok()) << instances.status().ToString();
  EXPECT_EQ(*instances, (std::vector<std::string>{"ab|0", "cd|1", "e|2", "f|3", "数|4", "数学|4", "学|5"}));
}

// highlight() and snippet() are not used: the classroom page highlights on its side. In query
// mode a run of n >= 2 characters is n-1 bigrams (see cjk_tokenizer.cpp), so FTS5's highlight()
// would mark one character short of a multi-character match.

// --- Registration ----------------------------------------------------------------------------

TEST(CjkTokenizerRegistrationTest, TableNeedsTheTokenizerAndTakesNoOptions) {
  auto db = sql::OpenDatabase(":memory:");
  ASSERT_TRUE(db.ok());
  Status unregistered = sql::Exec(db->get(), "CREATE VIRTUAL TABLE t USING fts5(x, tokenize='lm_cjk')");
  EXPECT_FALSE(unregistered.ok());

  ASSERT_TRUE(RegisterCjkTokenizer(db->get()).ok());
  ASSERT_TRUE(RegisterCjkTokenizer(db->get()).ok());  // again: harmless
  EXPECT_FALSE(sql::Exec(db->get(), "CREATE VIRTUAL TABLE t USING fts5(x, tokenize='lm_cjk bigram 3')").ok());
  EXPECT_TRUE(sql::Exec(db->get(), "CREATE VIRTUAL TABLE t USING fts5(x, tokenize='lm_cjk')").ok());
}

// --- FtsMatchExpression ----------------------------------------------------------------------

TEST(FtsMatchExpressionTest, QuotesEachTermAndJoinsWithAnd) {
  EXPECT_EQ(FtsMatchExpression("分数"), "\"分数\"");
  EXPECT_EQ(FtsMatchExpression("  初步认识　分数 "), "\"初步认识\" AND \"分数\"");  // U+3000 space
  EXPECT_EQ(FtsMatchExpression("Python入门"), "\"Python\"* AND \"入门\"");
  EXPECT_EQ(FtsMatchExpression("Unit 3"), "\"Unit\"* AND \"3\"");
  EXPECT_EQ(FtsMatchExpression("10以内"), "\"10\"* AND \"以内\"");
  EXPECT_EQ(FtsMatchExpression("数学，加法。（一年级）"), "\"数学\" AND \"加法\" AND \"一年级\"");
  EXPECT_EQ(FtsMatchExpression("《静夜思》"), "\"静夜思\"");
  EXPECT_EQ(FtsMatchExpression("a"), "\"a\"");
  EXPECT_EQ(FtsMatchExpression("Ｐｙｔｈｏｎ"), "\"Ｐｙｔｈｏｎ\"*");
}

TEST(FtsMatchExpressionTest, NeutralisesSyntaxAndInvalidInput) {
  EXPECT_EQ(FtsMatchExpression(""), "");
  EXPECT_EQ(FtsMatchExpression("   \t\n"), "");
  EXPECT_EQ(FtsMatchExpression("\""), "");
  EXPECT_EQ(FtsMatchExpression("*"), "");
  EXPECT_EQ(FtsMatchExpression("^"), "");
  EXPECT_EQ(FtsMatchExpression("（）：，。、《》"), "");
  EXPECT_EQ(FtsMatchExpression("📚🎉"), "");
  EXPECT_EQ(FtsMatchExpression("\xFF\xFE\xC0\xAF"), "");
  EXPECT_EQ(FtsMatchExpression("\"分数"), "\"分数\"");
  EXPECT_EQ(FtsMatchExpression("a\"b"), "\"a\" AND \"b\"");
  EXPECT_EQ(FtsMatchExpression("AND"), "\"AND\"*");
  EXPECT_EQ(FtsMatchExpression("NEAR("), "\"NEAR\"*");
  EXPECT_EQ(FtsMatchExpression("分数 OR"), "\"分数\" AND \"OR\"*");
  EXPECT_EQ(FtsMatchExpression("col:x"), "\"col\"* AND \"x\"");
  EXPECT_EQ(FtsMatchExpression("-分数 +^数学*"), "\"分数\" AND \"数学\"");
  EXPECT_EQ(FtsMatchExpression("📚分数"), "\"分数\"");
  EXPECT_EQ(FtsMatchExpression("分\xE5数"), "\"分\" AND \"数\"");  // truncated sequence between
  EXPECT_EQ(FtsMatchExpression("分数\xE6\x95"), "\"分数\"");       // truncated at the end
}

// --- Searching the catalog -------------------------------------------------------------------

TEST_F(CjkTokenizerTest, TwoCharacterWords) {
  // 分数: the lesson about it in title, description and tags first. Not 分蛋糕 or 几分 alone.
  EXPECT_EQ(Search("分数"), (Titles{"三年级数学 分数的简单计算", "三年级数学 分数的初步认识"}));
  // 数学 in six lessons (tags included); 数学广角 has it twice in its title and ranks first.
  EXPECT_EQ(Sorted(Search("数学")),
            Sorted({"三年级数学 分数的初步认识", "三年级数学 分数的简单计算", "一年级数学 10以内的加法",
                    "四年级数学 数学广角——搭配", "二年级数学 认识时间", "高中数学 函数的概念"}));
  EXPECT_EQ(Search("数学").front(), "四年级数学 数学广角——搭配");
  // 加法 but not 加减法 (which holds 加 and 法, not the bigram).
  EXPECT_EQ(Search("加法"), (Titles{"一年级数学 10以内的加法"}));
  // 认识 twice in a short row, twice in a longer one, once.
  EXPECT_EQ(Search("认识"), (Titles{"二年级数学 认识时间", "三年级数学 分数的初步认识", "初中化学 水的组成"}));
}

TEST_F(CjkTokenizerTest, OneCharacter) {
  EXPECT_EQ(Search("光"), (Titles{"初中物理 光的折射", "语文 古诗两首 《静夜思》《春晓》"}));
  EXPECT_EQ(Search("霜"), (Titles{"语文 古诗两首 《静夜思》《春晓》"}));
  EXPECT_EQ(Search("龙"), Titles{});
}

TEST_F(CjkTokenizerTest, PhrasesMatchOnlyInOrder) {
  EXPECT_EQ(Search("分数的初步认识"), (Titles{"三年级数学 分数的初步认识"}));
  EXPECT_EQ(Search("床前明月光"), (Titles{"语文 古诗两首 《静夜思》《春晓》"}));
  // One CJK term is one phrase: 初步认识分数 appears nowhere as written, so nothing matches.
  // Typed as two terms, each must match somewhere in the row, in any order.
  EXPECT_EQ(Search("初步认识分数"), Titles{});
  EXPECT_EQ(Search("初步认识 分数"), (Titles{"三年级数学 分数的初步认识"}));
  EXPECT_EQ(Search("分数 初步认识"), (Titles{"三年级数学 分数的初步认识"}));
  // Terms may sit in different columns: 王老师 is the teacher.
  EXPECT_EQ(Search("王老师 计算"), (Titles{"三年级数学 分数的简单计算"}));
  // A phrase does not run across punctuation in the document: 数学广角——搭配.
  EXPECT_EQ(Search("广角搭配"), Titles{});
  EXPECT_EQ(Search("广角 搭配"), (Titles{"四年级数学 数学广角——搭配"}));
}

TEST_F(CjkTokenizerTest, RawExpressionsAndPrefixes) {
  // Expressions written by hand (not by FtsMatchExpression). A query run of n >= 2 characters
  // spans n-1 positions, so a phrase may hold several runs only if each is one character or the
  // last: searches never do this (each term is quoted alone).
  auto titles = Match("\"入门 变量\"");
  ASSERT_TRUE(titles.ok()) << titles.status().ToString();
  EXPECT_EQ(*titles, Titles{});
  titles = Match("\"入门\" \"变量\"");
  ASSERT_TRUE(titles.ok()) << titles.status().ToString();
  EXPECT_EQ(*titles, (Titles{"Python 入门：变量与循环"}));

  // FTS5_TOKENIZE_PREFIX: a CJK prefix finds what the exact phrase finds.
  titles = Match("\"光\"*");
  ASSERT_TRUE(titles.ok()) << titles.status().ToString();
  EXPECT_EQ(*titles, Search("光"));
  titles = Match("\"数学广\"*");
  ASSERT_TRUE(titles.ok()) << titles.status().ToString();
  EXPECT_EQ(*titles, (Titles{"四年级数学 数学广角——搭配"}));
  titles = Match("\"python 入\"*");
  ASSERT_TRUE(titles.ok()) << titles.status().ToString();
  EXPECT_EQ(*titles, (Titles{"Python 入门：变量与循环"}));
}

TEST_F(CjkTokenizerTest, LatinWordsCaseAndPrefix) {
  const Titles python{"Python 入门：变量与循环", "高中数学 函数的概念"};
  EXPECT_EQ(Search("python"), python);
  EXPECT_EQ(Search("PYTHON"), python);
  EXPECT_EQ(Search("pyth"), python);
  EXPECT_EQ(Search("Ｐｙｔｈｏｎ"), python);  // full-width letters
  EXPECT_EQ(Search("Python 入门"), (Titles{"Python 入门：变量与循环"}));
  EXPECT_EQ(Search("Python入门"), (Titles{"Python 入门：变量与循环"}));
  EXPECT_EQ(Search("pythons"), Titles{});
  EXPECT_EQ(Search("Unit 3"), (Titles{"小学英语 Unit 3 Colors"}));
  EXPECT_EQ(Search("unit 4"), Titles{});
  EXPECT_EQ(Search("10以内"), (Titles{"一年级数学 10以内的加法"}));
  EXPECT_EQ(Search("ÉLÈVES"), (Titles{"法语兴趣课 Bonjour"}));
  // One letter is no prefix: "p" is not a word anywhere.
  EXPECT_EQ(Search("p"), Titles{});
}

TEST_F(CjkTokenizerTest, FullWidthPunctuationSeparatesTerms) {
  EXPECT_EQ(Search("数学，加法。"), (Titles{"一年级数学 10以内的加法"}));
  EXPECT_EQ(Search("《静夜思》"), (Titles{"语文 古诗两首 《静夜思》《春晓》"}));
  EXPECT_EQ(Search("Python：入门"), (Titles{"Python 入门：变量与循环"}));
  EXPECT_EQ(Search("（物理）、光"), (Titles{"初中物理 光的折射"}));
}

TEST_F(CjkTokenizerTest, HostileInputIsNeverAnSqlError) {
  const Titles fractions{"三年级数学 分数的简单计算", "三年级数学 分数的初步认识"};
  EXPECT_EQ(Search("\""), Titles{});
  EXPECT_EQ(Search("\"分数"), fractions);
  EXPECT_EQ(Search("AND"), (Titles{"小学英语 Unit 3 Colors"}));  // "and" is a word there
  EXPECT_EQ(Search("NEAR("), Titles{});
  EXPECT_EQ(Search("NEAR(分数 数学, 2)"), Titles{});  // "near"* matches no word
  EXPECT_EQ(Search("*"), Titles{});
  EXPECT_EQ(Search("分数 OR"), Titles{});
  EXPECT_EQ(Search("NOT 分数"), Titles{});
  EXPECT_EQ(Search("^"), Titles{});
  EXPECT_EQ(Search("col:x"), Titles{});
  EXPECT_EQ(Search("title:分数"), Titles{});
  EXPECT_EQ(Search("{title teacher}:分数"), Titles{});
  EXPECT_EQ(Search("📚分数🎉"), fractions);
  EXPECT_EQ(Search("\xFF\xFE"), Titles{});
  EXPECT_EQ(Search("分数\xE6\x95"), fractions);
  // 分 and 数, separated by an invalid byte, are two terms.
  EXPECT_EQ(Sorted(Search("分\xFF数")),
            Sorted({"三年级数学 分数的初步认识", "三年级数学 分数的简单计算", "二年级数学 认识时间"}));

  // Whatever the mix, the expression parses and runs.
  std::vector<std::string> pieces = {"\"",   "*",        "^",   "(",    ")",  ":",    "+",  "-",    ",",
                                     "AND",  "OR",       "NOT", "NEAR", "分", "数学", "a",  "pyth", " ",
                                     "\xFF", "\xE6\x95", "📚",   "，",   "）", "'",    "\\", "{",    "}"};
  pieces.emplace_back(1, '\0');
  std::uint32_t seed = 12345;
  for (int round = 0; round < 500; ++round) {
    std::string query;
    for (int i = 0; i < 8; ++i) {
      seed = seed * 1664525u + 1013904223u;
      query += pieces[(seed >> 16) % pieces.size()];
    }
    const std::string expression = FtsMatchExpression(query);
    if (expression.empty()) continue;
    Result<Titles> titles = Match(expression);
    ASSERT_TRUE(titles.ok()) << "expression <" << expression << ">: " << titles.status().ToString();
  }

  // A long query is a long AND, not a too-deep expression.
  std::string many;
  for (int i = 0; i < 500; ++i) many += "分数 ";
  EXPECT_EQ(Search(many), fractions);
}

}  // namespace
}  // namespace lm
