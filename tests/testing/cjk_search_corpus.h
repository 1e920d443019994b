#pragma once
// The Chinese search corpus the tokenizer's tests search (tests/common/cjk_tokenizer_test.cpp)
// and the queries they ask, shared with the test that both catalog stores rank it alike.

namespace lm::testing {

struct CorpusLesson {
  const char* title;
  const char* teacher;
  const char* description;
  const char* tags;
};

inline constexpr CorpusLesson kCjkSearchCorpus[] = {
    {"三年级数学 分数的初步认识", "王老师", "通过分蛋糕认识几分之一，理解分数的意义。", "数学 三年级"},
    {"三年级数学 分数的简单计算", "王老师", "同分母分数加减法，会算简单的分数加减。", "数学 分数"},
    {"一年级数学 10以内的加法", "李老师", "用数一数、摆小棒的方法计算10以内的加法。", "数学 一年级"},
    {"四年级数学 数学广角——搭配", "赵老师", "用有序思考的方法解决简单的搭配问题。", "数学 四年级"},
    {"小学英语 Unit 3 Colors", "Ms. Chen 陈老师", "Learn the colours red, blue and yellow. 学习颜色单词。",
     "英语 三年级"},
    {"Python 入门：变量与循环", "刘老师", "用Python写第一个程序，学习变量、for循环和while循环。", "编程 信息技术"},
    {"初中物理 光的折射", "张老师", "光从空气斜射入水中时，传播方向发生改变。", "物理 八年级"},
    {"语文 古诗两首 《静夜思》《春晓》", "孙老师", "床前明月光，疑是地上霜。朗读并背诵古诗。", "语文 一年级"},
    {"初中化学 水的组成", "周老师", "电解水实验，认识氢气和氧气。", "化学 九年级"},
    {"五年级语文 草船借箭", "吴老师", "阅读《三国演义》选段，体会诸葛亮的神机妙算。", "语文 五年级"},
    {"二年级数学 认识时间", "郑老师", "认识钟表，会读几时几分。", "数学 二年级"},
    {"高中数学 函数的概念", "冯老师", "Function 与映射；用 PYTHON 绘制函数图像。", "数学 高一"},
    {"法语兴趣课 Bonjour", "Mme Martin", "Les élèves apprennent à se présenter. 学生学习自我介绍。", "法语 兴趣"},
};

// What those tests type: two-character words, single characters, phrases, Latin words and
// prefixes, full-width punctuation, hostile syntax.
inline constexpr const char* kCjkSearchQueries[] = {
    "分数", "数学", "加法", "认识", "光", "霜", "龙", "分数的初步认识", "床前明月光", "初步认识分数",
    "初步认识 分数", "分数 初步认识", "王老师 计算", "广角搭配", "广角 搭配", "python", "PYTHON", "pyth",
    "Ｐｙｔｈｏｎ", "Python 入门", "Python入门", "pythons", "Unit 3", "unit 4", "10以内", "ÉLÈVES", "p",
    "数学，加法。", "《静夜思》", "Python：入门", "（物理）、光", "\"分数", "AND", "NEAR(分数 数学, 2)", "分数 OR",
    "📚分数🎉", "分\xFF数", "学习", "老师", "年级", "三年级", "循环", "水",
};

}  // namespace lm::testing
