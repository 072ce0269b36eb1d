#include "core/result.h"

namespace lvyuan::core {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kCancelled:
      return "CANCELLED";
    case ErrorCode::kUnknown:
      return "UNKNOWN";
    case ErrorCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case ErrorCode::kDeadlineExceeded:
      return "DEADLINE_EXCEEDED";
    case ErrorCode::kNotFound:
      return "NOT_FOUND";
    case ErrorCode::kAlreadyExists:
      return "ALREADY_EXISTS";
    case ErrorCode::kPermissionDenied:
      return "PERMISSION_DENIED";
    case ErrorCode::kResourceExhausted:
      return "RESOURCE_EXHAUSTED";
    case ErrorCode::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case ErrorCode::kAborted:
      return "ABORTED";
    case ErrorCode::kOutOfRange:
      return "OUT_OF_RANGE";
    case ErrorCode::kUnimplemented:
      return "UNIMPLEMENTED";
    case ErrorCode::kInternal:
      return "INTERNAL";
    case ErrorCode::kUnavailable:
      return "UNAVAILABLE";
    case ErrorCode::kDataLoss:
      return "DATA_LOSS";
    case ErrorCode::kUnauthenticated:
      return "UNAUTHENTICATED";
    case ErrorCode::kLocked:
      return "LOCKED";
  }
  return "UNKNOWN";
}

std::string Error::ToString() const {
  std::string out(ErrorCodeName(code));
  out += ": ";
  out += message;
  if (!field.empty()) {
    out += " (field ";
    out += field;
    out += ")";
  }
  return out;
}

Error InvalidArgument(std::string m, std::string f) {
  return {ErrorCode::kInvalidArgument, std::move(m), std::move(f)};
}
Error NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m), {}}; }
Error AlreadyExists(std::string m, std::string f) {
  return {ErrorCode::kAlreadyExists, std::move(m), std::move(f)};
}
Error PermissionDenied(std::string m) { return {ErrorCode::kPermissionDenied, std::move(m), {}}; }
Error Unauthenticated(std::string m) { return {ErrorCode::kUnauthenticated, std::move(m), {}}; }
Error FailedPrecondition(std::string m, std::string f) {
  return {ErrorCode::kFailedPrecondition, std::move(m), std::move(f)};
}
Error Aborted(std::string m) { return {ErrorCode::kAborted, std::move(m), {}}; }
Error ResourceExhausted(std::string m) { return {ErrorCode::kResourceExhausted, std::move(m), {}}; }
Error Unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m), {}}; }
Error Internal(std::string m) { return {ErrorCode::kInternal, std::move(m), {}}; }
Error Locked(std::string m) { return {ErrorCode::kLocked, std::move(m), {}}; }
Error DataLoss(std::string message, std::string field) {
  return {ErrorCode::kDataLoss, std::move(message), std::move(field)};
}
Error OutOfRange(std::string message, std::string field) {
  return {ErrorCode::kOutOfRange, std::move(message), std::move(field)};
}

}  // namespace lvyuan::core
