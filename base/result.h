#pragma once
// The project's one result type: a value or an error, propagated by explicit early return.
// A small stand-in for C++23 std::expected (the stack is C++20). Not thread-safe on one instance,
// like any value type. Accessing the wrong alternative is a programming error and aborts.

#include <type_traits>
#include <utility>
#include <variant>

namespace xks {

/// Wraps an error value so `Result<T, E>` can be built from it unambiguously.
template <typename E>
struct Unexpected {
  E error;
};
template <typename E>
Unexpected(E) -> Unexpected<E>;

/// Shorthand: `return Fail(Error{...});`
template <typename E>
Unexpected<std::decay_t<E>> Fail(E&& error) {
  return Unexpected<std::decay_t<E>>{std::forward<E>(error)};
}

namespace detail {
/// Reports the programming error (to stderr: this happens before any logger may exist) and aborts.
[[noreturn]] void ResultAccessAbort(const char* what);
}  // namespace detail

template <typename T, typename E>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  template <typename U>
  Result(Unexpected<U> e) : state_(std::in_place_index<1>, E(std::move(e.error))) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    if (!ok()) detail::ResultAccessAbort("value");
    return std::get<0>(state_);
  }
  const T& value() const& {
    if (!ok()) detail::ResultAccessAbort("value");
    return std::get<0>(state_);
  }
  T&& value() && {
    if (!ok()) detail::ResultAccessAbort("value");
    return std::get<0>(std::move(state_));
  }
  const E& error() const& {
    if (ok()) detail::ResultAccessAbort("error");
    return std::get<1>(state_);
  }
  E&& error() && {
    if (ok()) detail::ResultAccessAbort("error");
    return std::get<1>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, E> state_;
};

/// Result of an operation with no value: success or an error.
template <typename E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  template <typename U>
  Result(Unexpected<U> e) : error_(E(std::move(e.error))), ok_(false) {}  // NOLINT: implicit

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const E& error() const& {
    if (ok_) detail::ResultAccessAbort("error");
    return error_;
  }
  E&& error() && {
    if (ok_) detail::ResultAccessAbort("error");
    return std::move(error_);
  }

 private:
  E error_{};
  bool ok_ = true;
};

}  // namespace xks
