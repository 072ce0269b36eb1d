#include "core/validators.h"

#include <array>
#include <cstdint>
#include <vector>

namespace lvyuan::core {
namespace {

// GB 32100-2015 §4.2: the 31 code characters, in value order.
constexpr std::string_view kUsccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
// 3^(i) mod 31 for positions 1..17.
constexpr std::array<int, 17> kUsccWeights = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                              29, 25, 13, 8,  24, 10, 30, 28};
// ISO 7064 MOD 11-2 weights 2^(17-i) mod 11 for positions 1..17.
constexpr std::array<int, 17> kIdWeights = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};

// GB 32100-2015 Appendix A: registration authority → organisation types it
// issues.
struct UsccAuthority {
  char authority;
  std::string_view types;
};
constexpr std::array<UsccAuthority, 12> kUsccAuthorities = {{
    {'1', "1239"},    // 机构编制: 机关, 事业单位, 群众团体, 其他
    {'2', "19"},      // 外交
    {'3', "123459"},  // 司法行政: 律师事务所, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会
    {'4', "19"},      // 文化
    {'5', "1239"},    // 民政: 社会团体, 民办非企业单位, 基金会
    {'6', "129"},     // 旅游
    {'7', "129"},     // 宗教
    {'8', "19"},      // 工会
    {'9', "123"},     // 市场监管: 企业, 个体工商户, 农民专业合作社
    {'A', "19"},      // 中央军委改革和编制办公室
    {'N', "1239"},    // 农业: 组级, 村级, 乡镇级集体经济组织
    {'Y', "1"},       // 其他
}};

int UsccValue(char c) {
  const std::size_t pos = kUsccAlphabet.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && IsLeapYear(year)) {
    return 29;
  }
  return kDays[month - 1];
}

int ParseDigits(std::string_view digits) {
  int value = 0;
  for (char c : digits) {
    value = value * 10 + (c - '0');
  }
  return value;
}

// Splits UTF-8 text into code points; an invalid lead byte counts as one.
std::vector<std::string_view> CodePoints(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t len = 1;
    if (lead >= 0xf0) {
      len = 4;
    } else if (lead >= 0xe0) {
      len = 3;
    } else if (lead >= 0xc0) {
      len = 2;
    }
    if (i + len > text.size()) {
      len = text.size() - i;
    }
    out.push_back(text.substr(i, len));
    i += len;
  }
  return out;
}

std::string MaskMiddle(std::string_view text, std::size_t keep_front, std::size_t keep_back) {
  const std::vector<std::string_view> points = CodePoints(text);
  std::string out;
  if (points.size() < keep_front + keep_back + 1) {
    out.assign(points.size(), '*');
    return out;
  }
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (i < keep_front || i >= points.size() - keep_back) {
      out.append(points[i]);
    } else {
      out.push_back('*');
    }
  }
  return out;
}

constexpr std::array<std::string_view, 60> kCompoundSurnames = {
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "轩辕", "令狐", "澹台", "单于", "太史", "端木", "闻人", "公冶", "濮阳", "淳于", "申屠",
    "宗政", "赫连", "呼延", "钟离", "万俟", "独孤", "南宫", "西门", "百里", "东郭", "拓跋", "公羊",
    "司空", "左丘", "第五", "闾丘", "谷梁", "乐正", "羊舌", "微生", "梁丘", "段干", "漆雕", "壤驷",
    "公良", "仲孙", "东门", "巫马", "颛孙", "子车", "亓官", "司寇", "鲜于", "公西", "太叔", "公仪"};

}  // namespace

char UsccCheckCharacter(std::string_view code) {
  int sum = 0;
  for (std::size_t i = 0; i < kUsccWeights.size(); ++i) {
    const int value = UsccValue(code[i]);
    if (value < 0) {
      return '\0';
    }
    sum += value * kUsccWeights[i];
  }
  return kUsccAlphabet[static_cast<std::size_t>((31 - sum % 31) % 31)];
}

Status ValidateUscc(std::string_view code, std::string field) {
  if (code.size() != 18) {
    return InvalidArgument("统一社会信用代码应为18位", std::move(field));
  }
  for (char c : code) {
    if (UsccValue(c) < 0) {
      return InvalidArgument(
          "统一社会信用代码含有非法字符（仅允许数字和除 I、O、Z、S、V 外的大写字母）",
          std::move(field));
    }
  }
  const UsccAuthority* authority = nullptr;
  for (const UsccAuthority& candidate : kUsccAuthorities) {
    if (candidate.authority == code[0]) {
      authority = &candidate;
    }
  }
  if (authority == nullptr) {
    return InvalidArgument("统一社会信用代码登记管理部门代码错误", std::move(field));
  }
  if (authority->types.find(code[1]) == std::string_view::npos) {
    return InvalidArgument("统一社会信用代码机构类别代码错误", std::move(field));
  }
  for (std::size_t i = 2; i < 8; ++i) {
    if (!IsDigit(code[i])) {
      return InvalidArgument("统一社会信用代码登记管理机关行政区划码错误", std::move(field));
    }
  }
  if (UsccCheckCharacter(code) != code[17]) {
    return InvalidArgument("统一社会信用代码校验位错误", std::move(field));
  }
  return Ok();
}

char IdNumberCheckCharacter(std::string_view id) {
  int sum = 0;
  for (std::size_t i = 0; i < kIdWeights.size(); ++i) {
    sum += (id[i] - '0') * kIdWeights[i];
  }
  const int check = (12 - sum % 11) % 11;
  return check == 10 ? 'X' : static_cast<char>('0' + check);
}

Status ValidateIdNumber(std::string_view id, std::string field) {
  if (id.size() != 18) {
    return InvalidArgument("身份证号码应为18位", std::move(field));
  }
  for (std::size_t i = 0; i < 17; ++i) {
    if (!IsDigit(id[i])) {
      return InvalidArgument("身份证号码前17位必须是数字", std::move(field));
    }
  }
  if (!IsDigit(id[17]) && id[17] != 'X') {
    return InvalidArgument("身份证号码末位必须是数字或大写字母X", std::move(field));
  }
  if (id[0] == '0') {
    return InvalidArgument("身份证号码地址码错误", std::move(field));
  }
  const int year = ParseDigits(id.substr(6, 4));
  const int month = ParseDigits(id.substr(10, 2));
  const int day = ParseDigits(id.substr(12, 2));
  if (year < 1900 || month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) {
    return InvalidArgument("身份证号码出生日期无效", std::move(field));
  }
  if (IdNumberCheckCharacter(id) != id[17]) {
    return InvalidArgument("身份证号码校验位错误", std::move(field));
  }
  return Ok();
}

std::string MaskIdNumber(std::string_view id) { return MaskMiddle(id, 6, 4); }

std::string MaskPhone(std::string_view phone) { return MaskMiddle(phone, 3, 4); }

std::string MaskPersonName(std::string_view name) {
  const std::vector<std::string_view> points = CodePoints(name);
  if (points.empty()) {
    return {};
  }
  std::string surname(points[0]);
  if (points.size() >= 3) {
    const std::string two = surname + std::string(points[1]);
    for (std::string_view compound : kCompoundSurnames) {
      if (compound == two) {
        surname = two;
        break;
      }
    }
  }
  return surname + "某";
}

}  // namespace lvyuan::core
