#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace weft {

// The kind of failure. Maps onto exit codes in the CLI and onto CNI error
// codes in the CNI entry point (only main() does either mapping).
enum class Code {
  kOk = 0,
  kInvalidArgument,     // bad user input; nothing was changed
  kNotFound,            // a named object does not exist
  kAlreadyExists,       // a named object or an address is taken
  kFailedPrecondition,  // the system is not in a state that allows this
  kResourceExhausted,   // a pool or subnet is full
  kPermissionDenied,
  kUnavailable,  // a peer (daemon, kernel facility) cannot be reached
  kInternal,     // a system call or library failed
};

std::string_view CodeName(Code code);

// A value-type error: a code, a message and the context added on the way up.
// ToString() gives "context: context: message".
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is prefixed with `context: `.
  Status Wrap(std::string_view context) const;

  std::string ToString() const { return message_; }

  // Marks an intentionally ignored status.
  void IgnoreError() const {}

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
inline Status FailedPrecondition(std::string m) {
  return {Code::kFailedPrecondition, std::move(m)};
}
inline Status ResourceExhausted(std::string m) { return {Code::kResourceExhausted, std::move(m)}; }
inline Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
inline Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
inline Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }

// Converts an errno value from a failed call: "what: strerror(err)".
// EEXIST -> kAlreadyExists, ENOENT/ENODEV/ESRCH -> kNotFound,
// EPERM/EACCES -> kPermissionDenied, EINVAL -> kInvalidArgument, else kInternal.
Status StatusFromErrno(std::string_view what, int err);

// Collects every failure of a teardown that keeps going after errors.
class StatusList {
 public:
  void Add(const Status& s) {
    if (!s.ok()) errors_.push_back(s);
  }
  bool ok() const { return errors_.empty(); }
  // The first error, with the others' messages appended ("; ...").
  Status ToStatus() const;

 private:
  std::vector<Status> errors_;
};

}  // namespace weft

// Returns early from the enclosing function when `expr` yields a failed Status.
#define WEFT_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::weft::Status weft_status_ = (expr);        \
    if (!weft_status_.ok()) return weft_status_; \
  } while (0)
