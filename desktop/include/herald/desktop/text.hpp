#pragma once
// Text helpers shared by the windows: translated strings as QString, fields of the
// agent's JSON rows, and a message rendered as safe HTML for a QTextBrowser.
#include <QString>
#include <nlohmann/json.hpp>
#include <string>

class QTextDocument;

namespace herald::desktop {

// UTF-8 (herald::tr's result, a message field) as a QString.
QString q(const char* utf8);
QString q(const std::string& utf8);

// A string field of a JSON object, "" when absent, null or not a string: rows come from
// another program, and a missing field must not end the desktop program.
std::string field(const nlohmann::json& j, const char* key);
// An RFC 3339 time as the reader's local "yyyy-MM-dd HH:mm" ("" for none).
QString local_time(const std::string& rfc3339);
// Whether the row counts as read: read_at set (read, confirmed), or an alert that was
// displayed.
bool is_read(const nlohmann::json& row);
bool needs_confirmation(const nlohmann::json& row);  // require_confirm and not yet confirmed

// The message as HTML: every text field escaped, http(s)/mailto links clickable, the
// `images` of a `show` reply (base64) added to `doc` as resources and shown inline.
// `heading`: the title and sender line first (the critical window shows its own).
QString message_html(const nlohmann::json& row, QTextDocument* doc, bool heading = true);

// The severity's freedesktop urgency: info 0 (low), warning 1 (normal), critical 2.
unsigned char urgency_of(const std::string& severity);

}  // namespace herald::desktop
