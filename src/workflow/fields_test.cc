#include "core/validators.h"
#include "workflow/engine.h"
#include "workflow/test_env.h"

namespace lvyuan::workflow {
namespace {

namespace json = boost::json;
using testing::Shipped;

// One field of every type, all in the create form; "note" and "source" required.
const Definition& Everything() {
  static const Registry registry =
      testing::Must(Registry::FromTexts({{"everything.json", R"({
        "kind": "everything",
        "labels": {"zh": "全部类型", "en": "Every type"},
        "number": {"word": "全", "pattern": "{unit}{word}〔{year}〕{seq}号"},
        "fields": [
          {"name": "note", "type": "text", "labels": {"zh": "备注", "en": "Note"}, "max_length": 10},
          {"name": "phone", "type": "text", "labels": {"zh": "电话", "en": "Phone"},
           "pattern": "1[0-9]{10}", "pattern_message": {"zh": "请填写 11 位手机号码", "en": "11 digits"}},
          {"name": "count", "type": "number", "labels": {"zh": "数量", "en": "Count"},
           "min": 0, "max": 100, "integer": true},
          {"name": "fine", "type": "money", "labels": {"zh": "罚款金额", "en": "Fine"}, "max": 100000000},
          {"name": "day", "type": "date", "labels": {"zh": "日期", "en": "Day"}},
          {"name": "at", "type": "datetime", "labels": {"zh": "时间", "en": "Time"}},
          {"name": "source", "type": "enum", "dict": "clue_sources", "labels": {"zh": "来源", "en": "Source"}},
          {"name": "region", "type": "region", "labels": {"zh": "地区", "en": "Region"}},
          {"name": "subject", "type": "subject", "labels": {"zh": "当事人", "en": "Subject"}},
          {"name": "unit", "type": "unit", "labels": {"zh": "单位", "en": "Unit"}},
          {"name": "units", "type": "units", "labels": {"zh": "多个单位", "en": "Units"}, "max_items": 3},
          {"name": "files", "type": "files", "labels": {"zh": "附件", "en": "Files"}},
          {"name": "place", "type": "geo", "labels": {"zh": "位置", "en": "Place"},
           "bounds": {"min_lat": 27, "max_lat": 31.5, "min_lng": 118, "max_lng": 123}},
          {"name": "story", "type": "richtext", "labels": {"zh": "经过", "en": "Story"}, "max_length": 50},
          {"name": "hidden", "type": "text", "labels": {"zh": "内部意见", "en": "Internal"}}
        ],
        "states": [
          {"name": "open", "labels": {"zh": "办理中", "en": "Open"}, "initial": true, "category": "processing"},
          {"name": "done", "labels": {"zh": "已办结", "en": "Done"}, "final": true, "category": "success"}
        ],
        "create": {"actors": [{"relation": "any"}],
                   "fields": ["note", "phone", "count", "fine", "day", "at", "source", "region",
                              "subject", "unit", "units", "files", "place", "story"],
                   "required": ["note", "source"]},
        "actions": [{"name": "finish", "labels": {"zh": "办结", "en": "Finish"}, "from": ["open"],
                     "to": "done", "actors": [{"relation": "owner"}], "fields": ["hidden"]}]
      })"}},
                                        Shipped::Get().catalogs, BuiltinGuards()),
                    "everything");
  return *registry.Find("everything");
}

// Validates {"note": "ok", "source": "patrol", name: value} and returns the
// normalized value of `name`, or "error(field): message".
std::string Check(std::string_view name, json::value value) {
  json::object input{{"note", "ok"}, {"source", "patrol"}};
  input[name] = std::move(value);
  auto r = ValidateFields(Everything(), Everything().create, input);
  if (!r.ok()) return "error(" + r.error().field + "): " + r.error().message;
  const json::value* v = r->if_contains(name);
  return v ? json::serialize(*v) : "absent";
}

std::string Uscc(std::string first17) { return first17 + core::UsccCheckCharacter(first17); }
std::string IdNumber(std::string first17) {
  return first17 + core::IdNumberCheckCharacter(first17);
}

TEST(ValidateFieldsTest, NamesTheMissingRequiredFieldInChinese) {
  auto r = ValidateFields(Everything(), Everything().create, json::object{{"note", "x"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().field, "source");
  EXPECT_EQ(r.error().message, "请选择来源");
  r = ValidateFields(Everything(), Everything().create, json::object{{"note", "  "}});
  EXPECT_EQ(r.error().field, "note");
  EXPECT_EQ(r.error().message, "请填写备注");
}

TEST(ValidateFieldsTest, RejectsFieldsOutsideTheForm) {
  EXPECT_EQ(Check("hidden", "x"), "error(hidden): “内部意见”不能在此填写");
  EXPECT_EQ(Check("colour", "red"), "error(colour): 没有“colour”这个字段");
  auto r = ValidateFields(Everything(), Everything().create, json::array{});
  EXPECT_EQ(r.error().field, "fields");
}

TEST(ValidateFieldsTest, LeavesOutEmptyOptionalValues) {
  EXPECT_EQ(Check("phone", ""), "absent");
  EXPECT_EQ(Check("phone", nullptr), "absent");
  EXPECT_EQ(Check("units", json::array{}), "[]");
}

TEST(ValidateFieldsTest, TrimsAndLimitsText) {
  EXPECT_EQ(Check("note", "  十个字以内  "), R"("十个字以内")");
  EXPECT_EQ(Check("note", "一二三四五六七八九十十一"), "error(note): 备注不能超过 10 个字");
  EXPECT_EQ(Check("note", "a\nb"), "error(note): 备注不能包含换行或控制字符");
  EXPECT_EQ(Check("note", 12), "error(note): 备注应为文字");
  EXPECT_EQ(Check("phone", "13812345678"), R"("13812345678")");
  EXPECT_EQ(Check("phone", "1381234567"), "error(phone): 请填写 11 位手机号码");
}

TEST(ValidateFieldsTest, ChecksNumbersAgainstTheirBounds) {
  EXPECT_EQ(Check("count", 42), "42");
  EXPECT_EQ(Check("count", 42.0), "42");
  EXPECT_EQ(Check("count", 4.5), "error(count): 数量应为整数");
  EXPECT_EQ(Check("count", -1), "error(count): 数量不能小于 0");
  EXPECT_EQ(Check("count", 101), "error(count): 数量不能大于 100");
  EXPECT_EQ(Check("count", "7"), "error(count): 数量应为数字");
}

TEST(ValidateFieldsTest, TakesMoneyAsWholeFen) {
  EXPECT_EQ(Check("fine", 1234550), "1234550");
  EXPECT_EQ(Check("fine", 12.5), "error(fine): 罚款金额应为以分为单位的整数金额");
  EXPECT_EQ(Check("fine", "100"), "error(fine): 罚款金额应为以分为单位的整数金额");
  EXPECT_EQ(Check("fine", -1), "error(fine): 罚款金额不能小于 0.00 元");
  EXPECT_EQ(Check("fine", 100000001), "error(fine): 罚款金额不能大于 1000000.00 元");
}

TEST(ValidateFieldsTest, ChecksDatesAndTimes) {
  EXPECT_EQ(Check("day", "2026-02-29"), "error(day): 日期应为日期（YYYY-MM-DD）");
  EXPECT_EQ(Check("day", "2024-02-29"), R"("2024-02-29")");
  EXPECT_EQ(Check("at", "2026-02-13T02:00:00Z"), R"("2026-02-13T02:00:00.000Z")");
  EXPECT_EQ(Check("at", "2026-02-13"), "error(at): 时间应为时间（YYYY-MM-DDTHH:MM:SSZ）");
}

TEST(ValidateFieldsTest, TakesEnumValuesFromTheDictionary) {
  EXPECT_EQ(Check("source", "online_monitoring"), R"("online_monitoring")");
  EXPECT_EQ(Check("source", "rumour"), "error(source): 来源不是可选的值");
}

TEST(ValidateFieldsTest, ChecksRegionCodesAgainstTheCatalogue) {
  EXPECT_EQ(Check("region", "330502"), R"("330502")");
  EXPECT_EQ(Check("region", "330599"), "error(region): 行政区划代码不存在");
  EXPECT_EQ(Check("region", 330502), "error(region): 地区应为行政区划代码");
}

TEST(ValidateFieldsTest, ChecksSubjectsAndTheirCheckCharacters) {
  const std::string code = Uscc("91330500MA2B3C4D1");
  EXPECT_EQ(Check("subject", json::object{{"kind", "company"},
                                          {"credit_code", code},
                                          {"name", " 湖州某化工有限公司 "}}),
            R"({"kind":"company","credit_code":")" + code + R"(","name":"湖州某化工有限公司"})");
  std::string wrong = code;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  EXPECT_EQ(Check("subject",
                  json::object{{"kind", "company"}, {"credit_code", wrong}, {"name", "某公司"}})
                .substr(0, 15),
            "error(subject):");
  const std::string id = IdNumber("33050219800101123");
  EXPECT_EQ(Check("subject", json::object{{"kind", "person"}, {"id_number", id}, {"name", "张三"}}),
            R"({"kind":"person","id_number":")" + id + R"(","name":"张三"})");
  std::string bad_id = id;
  bad_id.back() = bad_id.back() == '1' ? '2' : '1';
  EXPECT_NE(
      Check("subject", json::object{{"kind", "person"}, {"id_number", bad_id}, {"name", "张三"}})
          .find("error(subject)"),
      std::string::npos);
  EXPECT_EQ(Check("subject", json::object{{"kind", "person"}, {"id_number", id}}),
            "error(subject): 请填写当事人的姓名");
  EXPECT_EQ(Check("subject", json::object{{"kind", "robot"}, {"name", "x"}}),
            "error(subject): 当事人的类型应为单位（company）或个人（person）");
  EXPECT_EQ(
      Check("subject",
            json::object{
                {"kind", "person"}, {"id_number", id}, {"name", "张三"}, {"credit_code", code}}),
      "error(subject): 当事人不应包含“credit_code”");
}

TEST(ValidateFieldsTest, TakesUnitsAndFilesById) {
  EXPECT_EQ(Check("unit", 7), "7");
  EXPECT_EQ(Check("unit", 0), "error(unit): 单位应为有效的编号");
  EXPECT_EQ(Check("unit", "7"), "error(unit): 单位应为有效的编号");
  EXPECT_EQ(Check("units", json::array{3, 5}), "[3,5]");
  EXPECT_EQ(Check("units", json::array{3, 3}), "error(units): 多个单位有重复项");
  EXPECT_EQ(Check("units", json::array{1, 2, 3, 4}), "error(units): 多个单位最多 3 项");
  EXPECT_EQ(Check("files", json::array{11}), "[11]");
  EXPECT_EQ(Check("files", 11), "error(files): 附件应为列表");
}

TEST(ValidateFieldsTest, KeepsGeoPointsInsideTheirBounds) {
  EXPECT_EQ(Check("place", json::object{{"lat", 30.87}, {"lng", 120.09}}),
            R"({"lat":3.087E1,"lng":1.2009E2})");
  EXPECT_EQ(Check("place", json::object{{"lat", 39.9}, {"lng", 116.4}}),
            "error(place): 位置超出允许范围（纬度 27～31.5，经度 118～123）");
  EXPECT_EQ(Check("place", json::object{{"lat", 30.8}}),
            R"(error(place): 位置应为经纬度 {"lat", "lng"})");
}

TEST(ValidateFieldsTest, KeepsRichTextPlainWithParagraphs) {
  EXPECT_EQ(Check("story", "第一段。\r\n\r\n第二段。\n"), R"("第一段。\n\n第二段。")");
  EXPECT_EQ(Check("story", "见<b>附件</b>"), "error(story): 经过只能是纯文本，不能包含 HTML 标签");
  EXPECT_EQ(Check("story", "a < b 且 c > d"), R"("a < b 且 c > d")");
  EXPECT_EQ(Check("story", json::string(std::string(51, 'x'))),
            "error(story): 经过不能超过 50 个字");
}

}  // namespace
}  // namespace lvyuan::workflow
