#include "core/validators.h"

#include <gtest/gtest.h>

#include <string>

namespace lvyuan::core {
namespace {

// Codes printed on real business licences; each satisfies the mod-31 rule.
constexpr std::string_view kValidUsccs[] = {
    "91110108551385082Q",  // 市场监管, 企业, 北京海淀
    "91110000802100433B", "91310000717854505W", "91440300708461136T", "914403001922038216",
    "12100000400000624D",  // 机构编制, 事业单位
};

TEST(ValidateUsccTest, AcceptsRealCodes) {
  for (std::string_view code : kValidUsccs) {
    EXPECT_TRUE(ValidateUscc(code).ok()) << code;
  }
}

TEST(ValidateUsccTest, RejectsEverySingleCharacterChangeOfTheCheckedPart) {
  constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  for (std::string_view valid : kValidUsccs) {
    for (std::size_t position = 0; position < valid.size(); ++position) {
      for (char replacement : kAlphabet) {
        if (replacement == valid[position]) {
          continue;
        }
        std::string mutated(valid);
        mutated[position] = replacement;
        EXPECT_FALSE(ValidateUscc(mutated).ok()) << mutated;
      }
    }
  }
}

TEST(ValidateUsccTest, RejectsUsccWithWrongCheckCharacter) {
  const Status status = ValidateUscc("91110108551385082R");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.error().message, "统一社会信用代码校验位错误");
  EXPECT_EQ(status.error().field, "uscc");
}

TEST(ValidateUsccTest, ComputesCheckCharacterByWeightedMod31) {
  EXPECT_EQ(UsccCheckCharacter("91110108551385082"), 'Q');
  EXPECT_EQ(UsccCheckCharacter("91330000MA27U0B99"), 'A');
  EXPECT_EQ(UsccCheckCharacter("9133000IMA27U0B99"), '\0');
}

TEST(ValidateUsccTest, RejectsWrongLengthExcludedLettersAndLowerCase) {
  EXPECT_EQ(ValidateUscc("91110108551385082").error().message, "统一社会信用代码应为18位");
  EXPECT_FALSE(ValidateUscc("91110108551385082QQ").ok());
  EXPECT_FALSE(ValidateUscc("").ok());
  for (char excluded : {'I', 'O', 'Z', 'S', 'V'}) {
    std::string code = "91110108551385082Q";
    code[10] = excluded;
    EXPECT_FALSE(ValidateUscc(code).ok()) << code;
  }
  EXPECT_FALSE(ValidateUscc("91330000ma27u0b99A").ok());
}

TEST(ValidateUsccTest, RejectsUnknownAuthorityOrTypeEvenWithCorrectCheck) {
  std::string authority = "B1110108551385082";  // B is not a registration authority
  authority.push_back(UsccCheckCharacter(authority));
  EXPECT_EQ(ValidateUscc(authority).error().message, "统一社会信用代码登记管理部门代码错误");
  std::string type = "94110108551385082";  // 市场监管 issues types 1-3 only
  type.push_back(UsccCheckCharacter(type));
  EXPECT_EQ(ValidateUscc(type).error().message, "统一社会信用代码机构类别代码错误");
  std::string region = "911A0108551385082";  // positions 3-8 must be digits
  region.push_back(UsccCheckCharacter(region));
  EXPECT_EQ(ValidateUscc(region).error().message, "统一社会信用代码登记管理机关行政区划码错误");
}

TEST(ValidateUsccTest, ReportsTheFieldItWasGiven) {
  EXPECT_EQ(ValidateUscc("x", "subject.uscc").error().field, "subject.uscc");
}

TEST(ValidateIdNumberTest, AcceptsValidNumbers) {
  EXPECT_TRUE(ValidateIdNumber("11010519491231002X").ok());  // GB 11643 example
  EXPECT_TRUE(ValidateIdNumber("33010219800101123X").ok());
  EXPECT_TRUE(ValidateIdNumber("440308199901011234").ok());
  EXPECT_TRUE(ValidateIdNumber("110101200002290018").ok());  // 2000 is a leap year
}

TEST(ValidateIdNumberTest, ComputesCheckCharacterByIso7064Mod11_2) {
  // ISO 7064 MOD 11-2 as a recurrence: p = (p + digit) * 2 mod 11 over the 17
  // digits, then check = (12 - p) mod 11; must agree with the weight table.
  for (std::string_view id : {"11010519491231002", "33050219851224334", "44030819990101123",
                              "62010219771105315", "00000000000000000"}) {
    int p = 0;
    for (char c : id) {
      p = ((p + (c - '0')) * 2) % 11;
    }
    const int check = (12 - p) % 11;
    const char expected = check == 10 ? 'X' : static_cast<char>('0' + check);
    EXPECT_EQ(IdNumberCheckCharacter(id), expected) << id;
  }
  EXPECT_EQ(IdNumberCheckCharacter("11010519491231002"), 'X');
}

TEST(ValidateIdNumberTest, RejectsIdNumberWithWrongCheckCharacter) {
  const Status status = ValidateIdNumber("110105194912310021");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.error().message, "身份证号码校验位错误");
  EXPECT_EQ(status.error().field, "id_number");
}

TEST(ValidateIdNumberTest, RejectsEverySingleDigitChange) {
  const std::string valid = "33010219800101123X";
  for (std::size_t position = 0; position < 17; ++position) {
    for (char digit = '0'; digit <= '9'; ++digit) {
      if (digit == valid[position]) {
        continue;
      }
      std::string mutated = valid;
      mutated[position] = digit;
      EXPECT_FALSE(ValidateIdNumber(mutated).ok()) << mutated;
    }
  }
}

TEST(ValidateIdNumberTest, RejectsImpossibleBirthDatesEvenWithCorrectCheck) {
  // Each has a correct check character; only the date is wrong.
  EXPECT_EQ(ValidateIdNumber("110101200102290015").error().message, "身份证号码出生日期无效");
  EXPECT_FALSE(ValidateIdNumber("110101199913010018").ok());  // month 13
  EXPECT_FALSE(ValidateIdNumber("110101199904310019").ok());  // 31 April
  EXPECT_FALSE(ValidateIdNumber("11010118991231001X").ok());  // before 1900
  EXPECT_FALSE(ValidateIdNumber("330502199000000017").ok());  // day and month 0
}

TEST(ValidateIdNumberTest, RejectsWrongLengthLettersAndLowerCaseX) {
  EXPECT_EQ(ValidateIdNumber("11010519491231002").error().message, "身份证号码应为18位");
  EXPECT_FALSE(ValidateIdNumber("110105194912310").ok());  // 15-digit first generation
  EXPECT_FALSE(ValidateIdNumber("11010519491231002x").ok());
  EXPECT_FALSE(ValidateIdNumber("1101051949123100AX").ok());
}

TEST(MaskTest, MasksIdNumberKeepingFirstSixAndLastFour) {
  EXPECT_EQ(MaskIdNumber("33010219800101123X"), "330102********123X");
  EXPECT_EQ(MaskIdNumber("12345"), "*****");
}

TEST(MaskTest, MasksPhoneKeepingFirstThreeAndLastFour) {
  EXPECT_EQ(MaskPhone("13812345678"), "138****5678");
  EXPECT_EQ(MaskPhone("1234567"), "*******");
}

TEST(MaskTest, MasksPersonNameAsSurnamePlusMou) {
  EXPECT_EQ(MaskPersonName("张三"), "张某");
  EXPECT_EQ(MaskPersonName("张三丰"), "张某");
  EXPECT_EQ(MaskPersonName("李"), "李某");
  EXPECT_EQ(MaskPersonName(""), "");
}

TEST(MaskTest, KeepsCompoundSurnamesWhole) {
  EXPECT_EQ(MaskPersonName("欧阳娜娜"), "欧阳某");
  EXPECT_EQ(MaskPersonName("司马光明"), "司马某");
  EXPECT_EQ(MaskPersonName("诸葛亮"), "诸葛某");
  EXPECT_EQ(MaskPersonName("上官婉儿"), "上官某");
  EXPECT_EQ(MaskPersonName("令狐冲"), "令狐某");
  EXPECT_EQ(MaskPersonName("欧阳"), "欧某");  // two characters: surname 欧, given name 阳
  EXPECT_EQ(MaskPersonName("东方红"), "东方某");
  EXPECT_EQ(MaskPersonName("东红梅"), "东某");
}

TEST(MaskTest, NeverSplitsMultiByteCharacters) {
  EXPECT_EQ(MaskPhone("电话一二三四五六七八"), "电话一***五六七八");
  EXPECT_EQ(MaskPersonName("𠀋三"), "𠀋某");  // surname outside the BMP
}

}  // namespace
}  // namespace lvyuan::core
