#pragma once
// An owning file descriptor: closes on destruction, move-only, so no early return leaks one.
// Thread safety: a value type; one instance is not safe for concurrent mutation.

namespace xks {

class UniqueFd {
 public:
  UniqueFd() noexcept = default;
  /// Takes ownership of `fd` (-1 or any negative value means "none").
  explicit UniqueFd(int fd) noexcept : fd_(fd < 0 ? -1 : fd) {}
  ~UniqueFd();
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  /// The descriptor (-1 when none); ownership stays here.
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }

  /// Gives up ownership without closing; returns the descriptor (-1 when none).
  [[nodiscard]] int Release() noexcept;
  /// Closes the current descriptor (errors ignored) and takes ownership of `fd`.
  void Reset(int fd = -1) noexcept;
  /// Closes the descriptor now and reports the result: 0, or the errno of close(2). The object
  /// owns nothing afterwards, whatever the result. Use it where a failed close means lost data
  /// (after writing); the destructor ignores close errors.
  int Close() noexcept;

 private:
  int fd_ = -1;
};

}  // namespace xks
