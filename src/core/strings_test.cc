#include "core/strings.h"

#include <gtest/gtest.h>

namespace lvyuan::core {
namespace {

TEST(StringsTest, LowersOnlyAsciiLetters) {
  EXPECT_EQ(AsciiLower("HZHB_Admin"), "hzhb_admin");
  EXPECT_EQ(AsciiLower("湖州ABC"), "湖州abc");
}

TEST(StringsTest, TrimsSpacesAndTabsOnly) {
  EXPECT_EQ(TrimBlanks(" \tgzip, br \t"), "gzip, br");
  EXPECT_EQ(TrimBlanks("\nx\n"), "\nx\n");
  EXPECT_EQ(TrimBlanks("   "), "");
}

TEST(StringsTest, CountsCodePoints) {
  EXPECT_EQ(Utf8Length("湖州市生态环境局"), 8u);
  EXPECT_EQ(Utf8Length("abc"), 3u);
  EXPECT_EQ(Utf8Length(""), 0u);
}

}  // namespace
}  // namespace lvyuan::core
