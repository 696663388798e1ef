#pragma once
// The one error type of Herald. Its kind is the process exit code, so scripts can
// tell "not permitted" from "broker unreachable" without parsing text.
#include <stdexcept>
#include <string>

namespace herald {

enum class ErrorKind : int {
  internal = 1,       // a bug or an unexpected library failure
  usage = 2,          // bad command line or bad input (target, body, duration, id format)
  not_found = 3,      // unknown message id, account, file
  not_permitted = 4,  // the broker refused the action (ACL)
  unreachable = 5,    // broker not reachable / timed out
  auth = 6,           // bad credentials or certificate
  storage = 7,        // LMDB or file system failure
  protocol = 8,       // malformed payload or topic
  config = 9,         // missing or invalid configuration
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }
  int exit_code() const noexcept { return static_cast<int>(kind_); }

 private:
  ErrorKind kind_;
};

}  // namespace herald
