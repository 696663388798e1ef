#include "herald/desktop/text.hpp"

#include <QByteArray>
#include <QDateTime>
#include <QImage>
#include <QRegularExpression>
#include <QTextDocument>
#include <QUrl>

#include "herald/common/i18n.hpp"

namespace herald::desktop {

QString q(const char* utf8) { return QString::fromUtf8(utf8); }
QString q(const std::string& utf8) { return QString::fromUtf8(utf8.data(), static_cast<qsizetype>(utf8.size())); }

std::string field(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

QString local_time(const std::string& rfc3339) {
  if (rfc3339.empty()) return {};
  auto t = QDateTime::fromString(q(rfc3339), Qt::ISODateWithMs);
  if (!t.isValid()) t = QDateTime::fromString(q(rfc3339), Qt::ISODate);
  if (!t.isValid()) return q(rfc3339);
  return t.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm"));
}

bool is_read(const nlohmann::json& row) {
  auto state = field(row, "state");
  if (!field(row, "read_at").empty() || state == "read" || state == "confirmed") return true;
  // An alert that was on screen has been seen: it does not wait in the unread count.
  return field(row, "kind") == "alert" && state == "displayed";
}

bool needs_confirmation(const nlohmann::json& row) {
  auto it = row.find("require_confirm");
  bool required = it != row.end() && it->is_boolean() && it->get<bool>();
  return required && field(row, "confirmed_at").empty() && field(row, "state") != "confirmed";
}

unsigned char urgency_of(const std::string& severity) {
  if (severity == "critical") return 2;
  if (severity == "warning") return 1;
  return 0;
}

namespace {

// Escaped text with its http(s) and mailto addresses made clickable; nothing the
// sender wrote is ever interpreted as markup.
QString linkify(const QString& text) {
  static const QRegularExpression url(QStringLiteral(R"((https?://|mailto:)[^\s<>"]+)"));
  QString out;
  qsizetype last = 0;
  auto it = url.globalMatch(text);
  while (it.hasNext()) {
    auto m = it.next();
    out += text.mid(last, m.capturedStart() - last).toHtmlEscaped();
    auto href = m.captured().toHtmlEscaped();
    out += QStringLiteral("<a href=\"%1\">%1</a>").arg(href);
    last = m.capturedEnd();
  }
  out += text.mid(last).toHtmlEscaped();
  out.replace(QLatin1Char('\n'), QStringLiteral("<br>"));
  return out;
}

bool safe_link(const QString& link) {
  auto scheme = QUrl(link).scheme().toLower();
  return scheme == QLatin1String("https") || scheme == QLatin1String("http") || scheme == QLatin1String("mailto");
}

}  // namespace

QString message_html(const nlohmann::json& row, QTextDocument* doc, bool heading) {
  QString html;
  if (heading) {
    html += QStringLiteral("<h2>%1</h2>").arg(q(field(row, "title")).toHtmlEscaped());
    html += QStringLiteral("<p><small>%1</small></p>")
                .arg(q(trf("From {1}, {2}", {field(row, "sender"), local_time(field(row, "sent_at")).toStdString()}))
                         .toHtmlEscaped());
  }
  if (auto lesson = row.find("lesson"); lesson != row.end() && lesson->is_object()) {
    auto number = lesson->value("number", 0L);
    auto of = lesson->value("of", 0L);
    html += QStringLiteral("<p><i>%1</i></p>")
                .arg(q(trf("Lesson {1} of {2}", {std::to_string(number), std::to_string(of)})).toHtmlEscaped());
  }
  html += QStringLiteral("<p>%1</p>").arg(linkify(q(field(row, "body"))));
  if (auto links = row.find("links"); links != row.end() && links->is_array() && !links->empty()) {
    html += QStringLiteral("<p><b>%1</b><br>").arg(q(tr("Links:")).toHtmlEscaped());
    for (const auto& l : *links) {
      if (!l.is_string()) continue;
      auto link = q(l.get<std::string>());
      if (safe_link(link))
        html += QStringLiteral("<a href=\"%1\">%1</a><br>").arg(link.toHtmlEscaped());
      else
        html += link.toHtmlEscaped() + QStringLiteral("<br>");
    }
    html += QStringLiteral("</p>");
  }
  if (auto images = row.find("images"); images != row.end() && images->is_array()) {
    int n = 0;
    for (const auto& image : *images) {
      auto data = field(image, "data");
      if (data.empty()) continue;
      QImage img = QImage::fromData(QByteArray::fromBase64(QByteArray::fromStdString(data)));
      if (img.isNull()) continue;
      if (img.width() > 640) img = img.scaledToWidth(640, Qt::SmoothTransformation);
      QUrl name(QStringLiteral("herald-image://%1").arg(n++));
      if (doc) doc->addResource(QTextDocument::ImageResource, name, img);
      html += QStringLiteral("<p><img src=\"%1\" alt=\"%2\"></p>")
                  .arg(name.toString(), q(field(image, "name")).toHtmlEscaped());
    }
  }
  return html;
}

}  // namespace herald::desktop
