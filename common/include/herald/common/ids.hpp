#pragma once
#include <string>

namespace herald {
// A new message or request id: sortable by creation time and unguessable,
// e.g. "20261122T130118Z-3f9a2c1b7d". Valid as one topic level.
std::string new_id();
}  // namespace herald
