// Result<T> and Error: expected failures as values.
//
// Every fallible function in lvyuan returns Result<T> (or Status, which is
// Result<void>). Codes follow abseil's canonical list; choose them by
// abseil's guidance: InvalidArgument for bad input regardless of state,
// FailedPrecondition when the system is not in a state for the request,
// NotFound also for objects the caller may not see, PermissionDenied when the
// caller is known but lacks the right, Unauthenticated when not known.
// kLocked is lvyuan's one addition: an account locked after failed logins
// (HTTP 423), which no canonical code expresses.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace lvyuan::core {

enum class ErrorCode {
  kCancelled,
  kUnknown,
  kInvalidArgument,
  kDeadlineExceeded,
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,
  kResourceExhausted,
  kFailedPrecondition,
  kAborted,
  kOutOfRange,
  kUnimplemented,
  kInternal,
  kUnavailable,
  kDataLoss,
  kUnauthenticated,
  kLocked,
};

// The canonical upper-snake name of a code, e.g. "INVALID_ARGUMENT".
std::string_view ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kUnknown;
  // A sentence a person understands; shown to users, so no internals.
  std::string message;
  // The input field at fault (JSON path such as "region_code"), or empty.
  std::string field;

  std::string ToString() const;
};

Error InvalidArgument(std::string message, std::string field = {});
Error NotFound(std::string message);
Error AlreadyExists(std::string message, std::string field = {});
Error PermissionDenied(std::string message);
Error Unauthenticated(std::string message);
Error FailedPrecondition(std::string message, std::string field = {});
Error Aborted(std::string message);
Error ResourceExhausted(std::string message);
Error Unavailable(std::string message);
Error Internal(std::string message);
Error Locked(std::string message);
// Stored data is damaged or was altered (a record that fails verification).
Error DataLoss(std::string message, std::string field = {});
Error OutOfRange(std::string message, std::string field = {});

template <typename T = void>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  Result(T value)
      : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT
  template <typename U>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, Error> &&
           !std::is_same_v<std::decay_t<U>, Result>) Result(U&& value)
      : state_(std::in_place_index<0>, T(std::forward<U>(value))) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Precondition for value(): ok(). For error(): !ok().
  T& value() & {
    assert(ok() && "value() on an error Result");
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok() && "value() on an error Result");
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok() && "value() on an error Result");
    return std::get<0>(std::move(state_));
  }
  const Error& error() const& {
    assert(!ok() && "error() on an ok Result");
    return std::get<1>(state_);
  }
  Error&& error() && {
    assert(!ok() && "error() on an ok Result");
    return std::get<1>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  void value() const { assert(ok_ && "value() on an error Status"); }
  const Error& error() const& {
    assert(!ok_ && "error() on an ok Status");
    return error_;
  }
  Error&& error() && {
    assert(!ok_ && "error() on an ok Status");
    return std::move(error_);
  }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Status Ok() { return {}; }

namespace internal {
template <typename R>
decltype(auto) TakeValue(R&& r) {
  if constexpr (std::is_void_v<typename std::decay_t<R>::value_type>) {
    return;
  } else {
    return std::move(r).value();
  }
}
}  // namespace internal

}  // namespace lvyuan::core

// TRY(expr): evaluates expr (a Result); on error returns the error from the
// enclosing function, otherwise yields the value (nothing for Status).
// Uses a GNU statement expression, which GCC and Clang both accept.
#define LVYUAN_CONCAT_INNER(a, b) a##b
#define LVYUAN_CONCAT(a, b) LVYUAN_CONCAT_INNER(a, b)
#define TRY(expr)                                                                         \
  ({                                                                                      \
    auto&& LVYUAN_CONCAT(try_result_, __LINE__) = (expr);                                 \
    if (!LVYUAN_CONCAT(try_result_, __LINE__).ok())                                       \
      return std::move(LVYUAN_CONCAT(try_result_, __LINE__)).error();                     \
    ::lvyuan::core::internal::TakeValue(std::move(LVYUAN_CONCAT(try_result_, __LINE__))); \
  })
