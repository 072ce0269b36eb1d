// JSON responses, the one ErrorCode → HTTP status table, and typed readers
// for request bodies that name the offending field on every error.
//
// All functions are thread-safe (no shared state).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "http/router.h"

namespace lvyuan::http {

// The HTTP status for an error code: InvalidArgument/OutOfRange 400,
// Unauthenticated 401, PermissionDenied 403, NotFound 404, AlreadyExists,
// Aborted and FailedPrecondition 409, Locked 423, ResourceExhausted 429,
// Unimplemented 501, Unavailable 503, DeadlineExceeded 504, all others 500.
unsigned HttpStatusFor(core::ErrorCode code);

// `status` with `value` serialised as the body, Content-Type
// application/json; charset=utf-8 and Cache-Control: no-store.
Response JsonResponse(unsigned status, const boost::json::value& value);
// The same with a body already serialised.
Response JsonBodyResponse(unsigned status, std::string body);
// 204 with no body and Cache-Control: no-store.
Response NoContent();

// {"error":{"code","message","field"}} with HttpStatusFor(error.code). For a
// 5xx status other than 501/503/504 the message is replaced by "服务器内部错误"
// and the field dropped: internal messages never reach clients.
Response ErrorResponse(const core::Error& error);
// The same body with an explicit status, for statuses no code maps to (405,
// 413, 415, 431). The message is sanitised the same way for 500.
Response ErrorResponse(unsigned status, const core::Error& error);

// Parses a request body that must be one JSON object. InvalidArgument
// "请求体不是合法的 JSON" (field empty) when it is not JSON (including invalid
// UTF-8), "请求体必须是 JSON 对象" when it is JSON but not an object.
core::Result<boost::json::object> ParseJsonObject(std::string_view body);

// nullopt when the request's Content-Type is application/json (optionally
// with charset=utf-8); otherwise the 415 response to send.
std::optional<Response> CheckJsonContentType(const Request& request);

// Handler adapters so a handler can be written in terms of Result:
// errors become ErrorResponse(error).
using ResultHandler = std::function<core::Result<Response>(Request&)>;
using JsonBodyHandler =
    std::function<core::Result<Response>(Request&, const boost::json::object& body)>;
Handler Wrap(ResultHandler handler);
// Also checks Content-Type (415) and parses the body as an object (400).
Handler WithJsonBody(JsonBodyHandler handler);

// Reads typed fields out of a JSON object. Every error is InvalidArgument
// with field = prefix + key (e.g. "certificate.number"). Text must be valid
// UTF-8 without control characters other than \n and \t; lengths are counted
// in characters (code points). Absent and null are both "not given" for the
// Opt* readers; use IsNull to tell them apart (PATCH clearing a value).
// Holds a reference: the object must outlive the JsonFields.
class JsonFields {
 public:
  explicit JsonFields(const boost::json::object& object, std::string prefix = {});

  bool Has(std::string_view key) const;
  bool IsNull(std::string_view key) const;

  // Wrong type → "字段类型错误：应为字符串"; too long → "字段过长：最多 N 个字符".
  core::Result<std::optional<std::string>> OptString(std::string_view key,
                                                     std::size_t max_len = 1000) const;
  // As OptString, plus "缺少必填字段" when absent or null.
  core::Result<std::string> String(std::string_view key, std::size_t max_len = 1000) const;
  // Integers only (1.0 and "1" are type errors): "字段类型错误：应为整数".
  core::Result<std::optional<std::int64_t>> OptInt(std::string_view key) const;
  core::Result<std::int64_t> Int(std::string_view key) const;
  // "字段类型错误：应为布尔值".
  core::Result<std::optional<bool>> OptBool(std::string_view key) const;
  // An array of strings, each checked as OptString (field "key[3]" on a bad
  // element); at most max_items elements.
  core::Result<std::optional<std::vector<std::string>>> OptStringArray(
      std::string_view key, std::size_t max_items = 100, std::size_t max_len = 1000) const;
  // A nested object (nullptr when absent or null); read it with
  // JsonFields(*object, Prefixed(key)).
  core::Result<const boost::json::object*> OptObject(std::string_view key) const;
  // "key." with this reader's prefix, for nested readers.
  std::string Prefixed(std::string_view key) const;

  // InvalidArgument "未知字段" naming the first key not in `allowed`.
  core::Status RejectUnknown(std::initializer_list<std::string_view> allowed) const;

 private:
  std::string FieldName(std::string_view key) const;
  const boost::json::object& object_;
  std::string prefix_;
};

// Checks text for valid UTF-8 without control characters (\n and \t allowed)
// and at most max_len code points. InvalidArgument with `field` otherwise.
core::Status ValidateText(std::string_view text, std::size_t max_len, std::string_view field);

}  // namespace lvyuan::http
