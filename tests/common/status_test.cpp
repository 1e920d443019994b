#include "common/status.h"

#include <gtest/gtest.h>

namespace lm {
namespace {

Result<int> Half(int v) {
  if (v % 2) return InvalidArgument("odd: " + std::to_string(v), "v");
  return v / 2;
}

Result<int> Quarter(int v) {
  ASSIGN_OR_RETURN(int h, Half(v));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int v) {
  RETURN_IF_ERROR(Half(v).status());
  return Status::Ok();
}

TEST(StatusTest, ResultCarriesValueOrError) {
  auto ok = Quarter(12);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 3);

  auto bad = Quarter(6);  // 6 -> 3 -> odd
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "odd: 3");
  EXPECT_EQ(bad.status().field(), "v");
  EXPECT_EQ(bad.status().ToString(), "invalid_argument: odd: 3");
}

TEST(StatusTest, ReturnIfErrorStopsAtFirstFailure) {
  EXPECT_TRUE(CheckEven(4).ok());
  Status st = CheckEven(5);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.WithContext("check").message(), "check: odd: 5");
}

TEST(StatusTest, ErrnoStatusNamesTheCallAndMapsNotFound) {
  Status st = ErrnoStatus("open /nope", ENOENT);
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_EQ(st.message(), "open /nope: No such file or directory");
  EXPECT_EQ(ErrnoStatus("write x", ENOSPC).code(), StatusCode::kIo);
}

}  // namespace
}  // namespace lm
