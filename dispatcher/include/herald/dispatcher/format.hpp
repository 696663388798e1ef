#pragma once
// Human output of `herald status|pending|list`: aligned tables (herald::text::Table) of
// heraldd's reply results. `--json` bypasses this and prints the result unchanged. The
// results are herald::results' types, documented in topics.md "Query results". Times are
// shown as heraldd's RFC 3339 strings; missing values as "-".
#include <ostream>
#include <string_view>

#include "herald/common/results.hpp"

namespace herald::dispatcher {

// The status table straight from heraldd's reply payload (Session::ask_text), read with
// simdjson under results' keys, many times faster than through nlohmann for a
// 10,000-recipient reply (bench/README.md). Throws what ask() would for an error reply, Error(protocol) for an
// unreadable one or a result that is not a results::Status.
void print_status_reply(std::string_view reply_payload, std::ostream& out);
void print_pending(const results::Pending& result, std::ostream& out);
void print_list(const results::List& result, std::ostream& out);

}  // namespace herald::dispatcher
