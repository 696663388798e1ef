#include "herald/common/ids.hpp"

#include <date/date.h>
#include <openssl/rand.h>

#include "herald/common/error.hpp"
#include "herald/common/time.hpp"

namespace herald {

std::string new_id() {
  unsigned char random[5];
  if (RAND_bytes(random, sizeof random) != 1) throw Error(ErrorKind::internal, "OpenSSL RAND_bytes failed");
  static const char* hex = "0123456789abcdef";
  std::string id = date::format("%Y%m%dT%H%M%SZ-", std::chrono::time_point_cast<std::chrono::seconds>(now()));
  for (unsigned char b : random) {
    id += hex[b >> 4];
    id += hex[b & 0xf];
  }
  return id;
}

}  // namespace herald
