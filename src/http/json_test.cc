#include "http/json.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace lvyuan::http {
namespace {

using core::ErrorCode;

boost::json::object Object(std::string_view text) { return boost::json::parse(text).as_object(); }

TEST(HttpStatusForTest, MapsEveryCodeToItsStatus) {
  EXPECT_EQ(HttpStatusFor(ErrorCode::kInvalidArgument), 400u);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kOutOfRange), 400u);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kUnauthenticated), 401u);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kPermissionDenied), 403u);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kNotFound), 404u);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kAlreadyExists), 409u);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kAborted), 409u);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kFailedPrecondition), 409u);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kLocked), 423u);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kResourceExhausted), 429u);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kUnimplemented), 501u);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kUnavailable), 503u);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kDeadlineExceeded), 504u);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kInternal), 500u);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kUnknown), 500u);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kDataLoss), 500u);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kCancelled), 500u);
}

TEST(ErrorResponseTest, CarriesCodeMessageAndField) {
  Response response = ErrorResponse(core::InvalidArgument("地区代码不存在", "region_code"));
  EXPECT_EQ(response.result_int(), 400u);
  EXPECT_EQ(response[beast_http::field::content_type], "application/json; charset=utf-8");
  EXPECT_EQ(response[beast_http::field::cache_control], "no-store");
  auto body = boost::json::parse(response.body());
  EXPECT_EQ(body.at("error").at("code"), "INVALID_ARGUMENT");
  EXPECT_EQ(body.at("error").at("message"), "地区代码不存在");
  EXPECT_EQ(body.at("error").at("field"), "region_code");
}

TEST(ErrorResponseTest, InternalErrorsNeverLeakTheirMessage) {
  Response response = ErrorResponse(core::Internal("sqlite3_step: disk I/O error at /var/x"));
  EXPECT_EQ(response.result_int(), 500u);
  EXPECT_EQ(response.body().find("sqlite"), std::string::npos);
  auto body = boost::json::parse(response.body());
  EXPECT_EQ(body.at("error").at("code"), "INTERNAL");
  EXPECT_EQ(body.at("error").at("message"), "服务器内部错误");
  Response unknown = ErrorResponse(core::Error{ErrorCode::kDataLoss, "page 7 corrupt", "x"});
  EXPECT_EQ(unknown.body().find("page 7"), std::string::npos);
  EXPECT_EQ(boost::json::parse(unknown.body()).at("error").at("field"), "");
}

TEST(ErrorResponseTest, UnauthenticatedAnnouncesBearerScheme) {
  Response response = ErrorResponse(core::Unauthenticated("请先登录"));
  EXPECT_EQ(response.result_int(), 401u);
  EXPECT_EQ(response[beast_http::field::www_authenticate], "Bearer realm=\"lvyuan\"");
}

TEST(ParseJsonObjectTest, RejectsMalformedJson) {
  auto result = ParseJsonObject("{\"name\": ");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(result.error().message, "请求体不是合法的 JSON");
  EXPECT_EQ(result.error().field, "");
  EXPECT_FALSE(ParseJsonObject("").ok());
}

TEST(ParseJsonObjectTest, RejectsInvalidUtf8) {
  EXPECT_FALSE(ParseJsonObject("{\"name\":\"\xff\xfe\"}").ok());
}

TEST(ParseJsonObjectTest, RejectsNonObjects) {
  auto result = ParseJsonObject("[1,2]");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "请求体必须是 JSON 对象");
}

TEST(ParseJsonObjectTest, AcceptsObject) {
  auto result = ParseJsonObject(R"({"name":"湖州"})");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->at("name"), "湖州");
}

TEST(JsonFieldsTest, ReadsStringsIntsBoolsAndArrays) {
  auto object = Object(R"({"name":"吴兴区","count":3,"enabled":true,"roles":["a","b"]})");
  JsonFields fields(object);
  EXPECT_EQ(fields.String("name").value(), "吴兴区");
  EXPECT_EQ(fields.OptInt("count").value(), std::optional<std::int64_t>(3));
  EXPECT_EQ(fields.OptBool("enabled").value(), std::optional<bool>(true));
  EXPECT_EQ(fields.OptStringArray("roles").value(),
            std::optional<std::vector<std::string>>({"a", "b"}));
  EXPECT_EQ(fields.OptString("missing").value(), std::nullopt);
  EXPECT_EQ(fields.OptInt("missing").value(), std::nullopt);
}

TEST(JsonFieldsTest, WrongTypeNamesTheField) {
  auto object = Object(R"({"name":5,"count":"3","enabled":1,"roles":"a","ratio":1.5})");
  JsonFields fields(object);
  auto name = fields.OptString("name");
  ASSERT_FALSE(name.ok());
  EXPECT_EQ(name.error().field, "name");
  EXPECT_EQ(name.error().message, "字段类型错误：应为字符串");
  auto count = fields.OptInt("count");
  ASSERT_FALSE(count.ok());
  EXPECT_EQ(count.error().field, "count");
  EXPECT_EQ(count.error().message, "字段类型错误：应为整数");
  EXPECT_EQ(fields.OptInt("ratio").error().field, "ratio");
  EXPECT_EQ(fields.OptBool("enabled").error().field, "enabled");
  EXPECT_EQ(fields.OptStringArray("roles").error().field, "roles");
}

TEST(JsonFieldsTest, BadArrayElementNamesItsIndex) {
  auto object = Object(R"({"roles":["a",7]})");
  auto roles = JsonFields(object).OptStringArray("roles");
  ASSERT_FALSE(roles.ok());
  EXPECT_EQ(roles.error().field, "roles[1]");
}

TEST(JsonFieldsTest, RequiredStringMissingOrNull) {
  auto object = Object(R"({"phone":null})");
  JsonFields fields(object);
  auto missing = fields.String("name");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().field, "name");
  EXPECT_EQ(missing.error().message, "缺少必填字段");
  EXPECT_FALSE(fields.String("phone").ok());
  EXPECT_TRUE(fields.IsNull("phone"));
  EXPECT_TRUE(fields.Has("phone"));
  EXPECT_FALSE(fields.Has("name"));
}

TEST(JsonFieldsTest, LengthIsCountedInCharacters) {
  auto object = Object(R"({"name":"湖州市生态环境局"})");  // 8 characters, 24 bytes
  JsonFields fields(object);
  EXPECT_TRUE(fields.String("name", 8).ok());
  auto too_long = fields.String("name", 7);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().field, "name");
  EXPECT_EQ(too_long.error().message, "字段过长：最多 7 个字符");
}

TEST(JsonFieldsTest, RejectsControlCharactersButAllowsNewlineAndTab) {
  auto object = Object(R"({"bad":"a\u0001b","bell":"\u007f","ok":"line\nnext\tcol"})");
  JsonFields fields(object);
  auto bad = fields.OptString("bad");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "bad");
  EXPECT_FALSE(fields.OptString("bell").ok());
  EXPECT_TRUE(fields.OptString("ok").ok());
}

TEST(JsonFieldsTest, UnknownFieldIsNamed) {
  auto object = Object(R"({"name":"x","nmae":"y"})");
  JsonFields fields(object);
  EXPECT_TRUE(fields.RejectUnknown({"name", "nmae"}).ok());
  auto status = fields.RejectUnknown({"name"});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().field, "nmae");
  EXPECT_EQ(status.error().message, "未知字段");
}

TEST(JsonFieldsTest, NestedObjectFieldsArePrefixed) {
  auto object = Object(R"({"certificate":{"number":12}})");
  JsonFields fields(object);
  const boost::json::object* certificate = fields.OptObject("certificate").value();
  ASSERT_NE(certificate, nullptr);
  JsonFields nested(*certificate, fields.Prefixed("certificate"));
  auto number = nested.OptString("number");
  ASSERT_FALSE(number.ok());
  EXPECT_EQ(number.error().field, "certificate.number");
}

TEST(JsonFieldsTest, IntegerBeyondInt64IsOutOfRange) {
  auto object = Object(R"({"id":18446744073709551615})");
  auto id = JsonFields(object).OptInt("id");
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().field, "id");
}

TEST(ValidateTextTest, RejectsOverlongAndSurrogateEncodings) {
  EXPECT_FALSE(ValidateText("\xc0\xaf", 10, "f").ok());        // overlong '/'
  EXPECT_FALSE(ValidateText("\xed\xa0\x80", 10, "f").ok());    // U+D800
  EXPECT_FALSE(ValidateText("\xe6\xb9", 10, "f").ok());        // truncated
  EXPECT_FALSE(ValidateText("\xc2\x85", 10, "f").ok());        // C1 control NEL
  EXPECT_TRUE(ValidateText("\xf0\x9f\x8c\xb3", 1, "f").ok());  // one emoji
}

TEST(CheckJsonContentTypeTest, AcceptsJsonWithUtf8CharsetOnly) {
  Request request;
  request.message.set(beast_http::field::content_type, "application/json");
  EXPECT_FALSE(CheckJsonContentType(request).has_value());
  request.message.set(beast_http::field::content_type, "Application/JSON; charset=UTF-8");
  EXPECT_FALSE(CheckJsonContentType(request).has_value());
  request.message.set(beast_http::field::content_type, "application/json; charset=latin1");
  ASSERT_TRUE(CheckJsonContentType(request).has_value());
  request.message.set(beast_http::field::content_type, "text/plain");
  auto refused = CheckJsonContentType(request);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->result_int(), 415u);
  request.message.erase(beast_http::field::content_type);
  EXPECT_TRUE(CheckJsonContentType(request).has_value());
}

}  // namespace
}  // namespace lvyuan::http
