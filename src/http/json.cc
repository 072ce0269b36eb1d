#include "http/json.h"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <limits>

#include "core/strings.h"

namespace lvyuan::http {
namespace {

constexpr std::string_view kInternalMessage = "服务器内部错误";
constexpr std::string_view kJsonContentType = "application/json; charset=utf-8";

}  // namespace

unsigned HttpStatusFor(core::ErrorCode code) {
  using core::ErrorCode;
  switch (code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kOutOfRange:
      return 400;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kAborted:
    case ErrorCode::kFailedPrecondition:
      return 409;
    case ErrorCode::kLocked:
      return 423;
    case ErrorCode::kResourceExhausted:
      return 429;
    case ErrorCode::kUnimplemented:
      return 501;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kDeadlineExceeded:
      return 504;
    case ErrorCode::kCancelled:
    case ErrorCode::kUnknown:
    case ErrorCode::kInternal:
    case ErrorCode::kDataLoss:
      return 500;
  }
  return 500;
}

Response JsonBodyResponse(unsigned status, std::string body) {
  Response response{static_cast<beast_http::status>(status), 11};
  response.set(beast_http::field::content_type, kJsonContentType);
  response.set(beast_http::field::cache_control, "no-store");
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

Response JsonResponse(unsigned status, const boost::json::value& value) {
  return JsonBodyResponse(status, boost::json::serialize(value));
}

Response NoContent() {
  Response response{beast_http::status::no_content, 11};
  response.set(beast_http::field::cache_control, "no-store");
  return response;
}

Response ErrorResponse(const core::Error& error) {
  return ErrorResponse(HttpStatusFor(error.code), error);
}

Response ErrorResponse(unsigned status, const core::Error& error) {
  bool internal = status == 500;
  boost::json::object detail;
  detail["code"] = internal ? std::string_view("INTERNAL") : core::ErrorCodeName(error.code);
  detail["message"] = internal ? kInternalMessage : std::string_view(error.message);
  detail["field"] = internal ? std::string_view() : std::string_view(error.field);
  boost::json::object body;
  body["error"] = std::move(detail);
  Response response = JsonResponse(status, body);
  if (status == 401) response.set(beast_http::field::www_authenticate, "Bearer realm=\"lvyuan\"");
  return response;
}

core::Result<boost::json::object> ParseJsonObject(std::string_view body) {
  boost::json::error_code ec;
  boost::json::value value = boost::json::parse(body, ec);
  if (ec) return core::InvalidArgument("请求体不是合法的 JSON");
  if (!value.is_object()) return core::InvalidArgument("请求体必须是 JSON 对象");
  return std::move(value.as_object());
}

std::optional<Response> CheckJsonContentType(const Request& request) {
  std::string_view header = request.Header("Content-Type");
  std::size_t semicolon = header.find(';');
  bool ok = core::AsciiLower(core::TrimBlanks(header.substr(0, semicolon))) == "application/json";
  if (ok && semicolon != std::string_view::npos) {
    // Parameters: only charset=utf-8 is meaningful for JSON (RFC 8259 §8.1).
    std::string_view params = header.substr(semicolon + 1);
    while (ok && !params.empty()) {
      std::size_t next = params.find(';');
      std::string param = core::AsciiLower(core::TrimBlanks(params.substr(0, next)));
      ok = param.empty() || param == "charset=utf-8" || param == "charset=\"utf-8\"";
      params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
    }
  }
  if (ok) return std::nullopt;
  return ErrorResponse(415, core::InvalidArgument("请求体必须是 application/json"));
}

Handler Wrap(ResultHandler handler) {
  return [handler = std::move(handler)](Request& request) -> Response {
    core::Result<Response> result = handler(request);
    if (!result.ok()) return ErrorResponse(result.error());
    return std::move(result).value();
  };
}

Handler WithJsonBody(JsonBodyHandler handler) {
  return [handler = std::move(handler)](Request& request) -> Response {
    if (std::optional<Response> refused = CheckJsonContentType(request)) return *std::move(refused);
    core::Result<boost::json::object> body = ParseJsonObject(request.body());
    if (!body.ok()) return ErrorResponse(body.error());
    core::Result<Response> result = handler(request, body.value());
    if (!result.ok()) return ErrorResponse(result.error());
    return std::move(result).value();
  };
}

core::Status ValidateText(std::string_view text, std::size_t max_len, std::string_view field) {
  std::size_t count = 0;
  std::size_t i = 0;
  auto bad_utf8 = [&] {
    return core::InvalidArgument("字段不是合法的 UTF-8 文本", std::string(field));
  };
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    std::uint32_t cp = 0;
    std::size_t len = 0;
    if (byte < 0x80) {
      cp = byte;
      len = 1;
    } else if (byte >= 0xC2 && byte <= 0xDF) {
      cp = byte & 0x1Fu;
      len = 2;
    } else if (byte >= 0xE0 && byte <= 0xEF) {
      cp = byte & 0x0Fu;
      len = 3;
    } else if (byte >= 0xF0 && byte <= 0xF4) {
      cp = byte & 0x07u;
      len = 4;
    } else {
      return bad_utf8();
    }
    if (i + len > text.size()) return bad_utf8();
    for (std::size_t k = 1; k < len; ++k) {
      auto cont = static_cast<unsigned char>(text[i + k]);
      if ((cont & 0xC0u) != 0x80u) return bad_utf8();
      cp = (cp << 6) | (cont & 0x3Fu);
    }
    // Overlong forms, surrogates and values beyond U+10FFFF.
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return bad_utf8();
    }
    bool control = cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
    if (control && cp != '\n' && cp != '\t') {
      return core::InvalidArgument("字段含有不允许的控制字符", std::string(field));
    }
    ++count;
    i += len;
  }
  if (count > max_len) {
    return core::InvalidArgument("字段过长：最多 " + std::to_string(max_len) + " 个字符",
                                 std::string(field));
  }
  return core::Ok();
}

JsonFields::JsonFields(const boost::json::object& object, std::string prefix)
    : object_(object), prefix_(std::move(prefix)) {}

std::string JsonFields::FieldName(std::string_view key) const {
  std::string name = prefix_;
  name += key;
  return name;
}

std::string JsonFields::Prefixed(std::string_view key) const { return FieldName(key) + "."; }

bool JsonFields::Has(std::string_view key) const { return object_.contains(key); }

bool JsonFields::IsNull(std::string_view key) const {
  const boost::json::value* value = object_.if_contains(key);
  return value != nullptr && value->is_null();
}

core::Result<std::optional<std::string>> JsonFields::OptString(std::string_view key,
                                                               std::size_t max_len) const {
  const boost::json::value* value = object_.if_contains(key);
  if (value == nullptr || value->is_null()) return std::optional<std::string>();
  if (!value->is_string()) return core::InvalidArgument("字段类型错误：应为字符串", FieldName(key));
  std::string_view text = value->get_string();
  TRY(ValidateText(text, max_len, FieldName(key)));
  return std::optional<std::string>(std::string(text));
}

core::Result<std::string> JsonFields::String(std::string_view key, std::size_t max_len) const {
  std::optional<std::string> text = TRY(OptString(key, max_len));
  if (!text) return core::InvalidArgument("缺少必填字段", FieldName(key));
  return *std::move(text);
}

core::Result<std::optional<std::int64_t>> JsonFields::OptInt(std::string_view key) const {
  const boost::json::value* value = object_.if_contains(key);
  if (value == nullptr || value->is_null()) return std::optional<std::int64_t>();
  if (value->is_int64()) return std::optional<std::int64_t>(value->get_int64());
  if (value->is_uint64()) {
    return core::InvalidArgument("字段数值超出范围", FieldName(key));
  }
  return core::InvalidArgument("字段类型错误：应为整数", FieldName(key));
}

core::Result<std::int64_t> JsonFields::Int(std::string_view key) const {
  std::optional<std::int64_t> number = TRY(OptInt(key));
  if (!number) return core::InvalidArgument("缺少必填字段", FieldName(key));
  return *number;
}

core::Result<std::optional<bool>> JsonFields::OptBool(std::string_view key) const {
  const boost::json::value* value = object_.if_contains(key);
  if (value == nullptr || value->is_null()) return std::optional<bool>();
  if (!value->is_bool()) return core::InvalidArgument("字段类型错误：应为布尔值", FieldName(key));
  return std::optional<bool>(value->get_bool());
}

core::Result<std::optional<std::vector<std::string>>> JsonFields::OptStringArray(
    std::string_view key, std::size_t max_items, std::size_t max_len) const {
  using Strings = std::optional<std::vector<std::string>>;
  const boost::json::value* value = object_.if_contains(key);
  if (value == nullptr || value->is_null()) return Strings();
  if (!value->is_array()) {
    return core::InvalidArgument("字段类型错误：应为字符串数组", FieldName(key));
  }
  const boost::json::array& array = value->get_array();
  if (array.size() > max_items) {
    return core::InvalidArgument("数组元素过多：最多 " + std::to_string(max_items) + " 个",
                                 FieldName(key));
  }
  std::vector<std::string> out;
  out.reserve(array.size());
  for (std::size_t i = 0; i < array.size(); ++i) {
    std::string element_field = FieldName(key) + "[" + std::to_string(i) + "]";
    if (!array[i].is_string()) {
      return core::InvalidArgument("字段类型错误：应为字符串", element_field);
    }
    std::string_view text = array[i].get_string();
    TRY(ValidateText(text, max_len, element_field));
    out.emplace_back(text);
  }
  return Strings(std::move(out));
}

core::Result<const boost::json::object*> JsonFields::OptObject(std::string_view key) const {
  const boost::json::value* value = object_.if_contains(key);
  if (value == nullptr || value->is_null()) return static_cast<const boost::json::object*>(nullptr);
  if (!value->is_object()) return core::InvalidArgument("字段类型错误：应为对象", FieldName(key));
  return &value->get_object();
}

core::Status JsonFields::RejectUnknown(std::initializer_list<std::string_view> allowed) const {
  for (const auto& [key, value] : object_) {
    bool known = false;
    for (std::string_view name : allowed) known = known || name == std::string_view(key);
    if (!known) return core::InvalidArgument("未知字段", FieldName(key));
  }
  return core::Ok();
}

}  // namespace lvyuan::http
