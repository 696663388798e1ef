#include "herald/desktop/inbox_window.hpp"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTextBrowser>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <algorithm>

#include "herald/common/i18n.hpp"
#include "herald/common/log.hpp"
#include "herald/desktop/agent_link.hpp"
#include "herald/desktop/text.hpp"

namespace herald::desktop {

namespace {
constexpr int kIdRole = Qt::UserRole;

QString kind_text(const std::string& kind) {
  if (kind == "alert") return q(herald::tr("Alert"));
  if (kind == "lesson") return q(herald::tr("Lesson"));
  return q(herald::tr("Message"));
}

QString state_text(const std::string& state) {
  if (state == "confirmed") return q(herald::tr("confirmed"));
  if (state == "read") return q(herald::tr("read"));
  return q(herald::tr("unread"));
}

bool ok(const nlohmann::json& reply) { return reply.value("ok", false); }
}  // namespace

InboxWindow::InboxWindow(AgentLink& link) : link_(link) {
  setObjectName(QStringLiteral("herald.inbox"));
  resize(960, 600);

  tabs_ = new QTabWidget(this);
  tabs_->setObjectName(QStringLiteral("tabs"));
  setCentralWidget(tabs_);

  // Messages: the list on the left, the open message on the right.
  auto* split = new QSplitter(tabs_);
  list_ = new QTreeWidget(split);
  list_->setObjectName(QStringLiteral("inbox.list"));
  list_->setAccessibleName(q(herald::tr("Messages")));
  list_->setRootIsDecorated(false);
  list_->setHeaderLabels(
      {q(herald::tr("Title")), q(herald::tr("Kind")), q(herald::tr("From")), q(herald::tr("Received"))});
  list_->header()->setSectionResizeMode(0, QHeaderView::Stretch);
  for (int c = 1; c < 4; ++c) list_->header()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
  list_->header()->setStretchLastSection(false);
  auto* right = new QWidget(split);
  auto* rlayout = new QVBoxLayout(right);
  rlayout->setContentsMargins(0, 0, 0, 0);
  body_ = new QTextBrowser(right);
  body_->setObjectName(QStringLiteral("inbox.body"));
  body_->setAccessibleName(q(herald::tr("Message text")));
  body_->setOpenExternalLinks(true);
  auto* buttons = new QHBoxLayout;
  confirm_ = new QPushButton(q(herald::tr("I have read and understood")), right);
  confirm_->setObjectName(QStringLiteral("inbox.confirm"));
  confirm_->setVisible(false);
  ask_ = new QPushButton(q(herald::tr("Ask about this message")), right);
  ask_->setObjectName(QStringLiteral("inbox.ask"));
  ask_->setEnabled(false);
  buttons->addWidget(confirm_);
  buttons->addStretch(1);
  buttons->addWidget(ask_);
  rlayout->addWidget(body_, 1);
  rlayout->addLayout(buttons);
  split->addWidget(list_);
  split->addWidget(right);
  split->setStretchFactor(0, 2);
  split->setStretchFactor(1, 3);
  tabs_->addTab(split, q(herald::tr("Messages")));

  // Courses: one row per course with its progress, its lessons in order beneath.
  courses_ = new QTreeWidget(tabs_);
  courses_->setObjectName(QStringLiteral("courses.list"));
  courses_->setAccessibleName(q(herald::tr("Courses")));
  courses_->setHeaderLabels({q(herald::tr("Course")), q(herald::tr("Progress"))});
  courses_->header()->setSectionResizeMode(0, QHeaderView::Stretch);
  courses_->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
  courses_->header()->setStretchLastSection(false);
  tabs_->addTab(courses_, q(herald::tr("Courses")));

  // Chat with the helpdesk.
  auto* chat_page = new QWidget(tabs_);
  auto* clayout = new QVBoxLayout(chat_page);
  chat_ = new QTextBrowser(chat_page);
  chat_->setObjectName(QStringLiteral("chat.history"));
  chat_->setAccessibleName(q(herald::tr("Conversation with the helpdesk")));
  chat_about_ = new QLabel(chat_page);
  chat_about_->setObjectName(QStringLiteral("chat.about"));
  chat_about_->setTextFormat(Qt::PlainText);
  chat_about_->setVisible(false);
  auto* input_row = new QHBoxLayout;
  chat_input_ = new QLineEdit(chat_page);
  chat_input_->setObjectName(QStringLiteral("chat.input"));
  chat_input_->setAccessibleName(q(herald::tr("Your message to the helpdesk")));
  chat_input_->setPlaceholderText(q(herald::tr("Write to the helpdesk...")));
  chat_send_ = new QPushButton(q(herald::tr("Send")), chat_page);
  chat_send_->setObjectName(QStringLiteral("chat.send"));
  input_row->addWidget(chat_input_, 1);
  input_row->addWidget(chat_send_);
  clayout->addWidget(chat_, 1);
  clayout->addWidget(chat_about_);
  clayout->addLayout(input_row);
  tabs_->addTab(chat_page, q(herald::tr("Helpdesk")));

  // Selection, not the current item: a list taking the keyboard focus makes its first
  // row current by itself, and opening it then would send a `read` nobody did.
  connect(list_, &QTreeWidget::itemSelectionChanged, this, [this] {
    auto items = list_->selectedItems();
    if (!items.isEmpty()) selected(items.front());
  });
  connect(confirm_, &QPushButton::clicked, this, [this] { confirm(); });
  connect(ask_, &QPushButton::clicked, this, [this] { ask_about(); });
  connect(chat_send_, &QPushButton::clicked, this, [this] { send_chat(); });
  connect(chat_input_, &QLineEdit::returnPressed, this, [this] { send_chat(); });
  // A lesson opens on a click (like a link in a table of contents) or Enter.
  auto open_lesson = [this](QTreeWidgetItem* item, int) {
    auto id = item->data(0, kIdRole).toString();
    if (!id.isEmpty()) open_message(id.toStdString());
  };
  connect(courses_, &QTreeWidget::itemClicked, this, open_lesson);
  connect(courses_, &QTreeWidget::itemActivated, this, open_lesson);
  connect(tabs_, &QTabWidget::currentChanged, this, [this](int) {
    if (tabs_->currentIndex() == 2) refresh_chat();  // marks the helpdesk's lines read
  });
  set_status(q(herald::tr("Waiting for the Herald agent...")));
  update_title();
}

void InboxWindow::set_status(const QString& text) { statusBar()->showMessage(text); }

void InboxWindow::update_title() {
  if (unread_ > 0)
    setWindowTitle(
        q(trn("Herald: {1} unread message", "Herald: {1} unread messages", static_cast<unsigned long>(unread_))));
  else
    setWindowTitle(q(herald::tr("Herald: messages")));
}

void InboxWindow::refresh_inbox() {
  link_.request("inbox", nlohmann::json::object(), [this](const nlohmann::json& reply) {
    if (!ok(reply)) {
      set_status(error_text(reply));
      return;
    }
    auto rows = reply.find("messages");
    if (rows != reply.end() && rows->is_array()) fill_inbox(*rows);
  });
}

void InboxWindow::fill_inbox(const nlohmann::json& rows) {
  rows_ = rows;
  // Rebuilt from scratch: expired and recalled messages simply are not in the new list.
  QSignalBlocker block(list_);
  list_->clear();
  int unread = 0;
  QTreeWidgetItem* current = nullptr;
  for (const auto& row : rows) {
    auto id = field(row, "id");
    auto* item = new QTreeWidgetItem(list_);
    item->setText(0, q(field(row, "title")));
    item->setText(1, kind_text(field(row, "kind")));
    item->setText(2, q(field(row, "sender")));
    item->setText(3, local_time(field(row, "received_at")));
    item->setData(0, kIdRole, q(id));
    bool read = is_read(row);
    item->setData(0, Qt::AccessibleDescriptionRole, state_text(field(row, "state")));
    if (!read) {
      ++unread;
      for (int c = 0; c < 4; ++c) {
        auto font = item->font(c);
        font.setBold(true);
        item->setFont(c, font);
      }
    }
    if (id == current_) current = item;
  }
  if (current) {
    list_->setCurrentItem(current);  // signals blocked: not shown (and marked) again
  } else if (!current_.empty()) {
    // The open message was recalled or expired: it goes from the screen too.
    current_.clear();
    body_->clear();
    confirm_->setVisible(false);
    ask_->setEnabled(false);
  }
  log::info("inbox " + std::to_string(rows.size()) + " messages, " + std::to_string(unread) + " unread");
  if (unread != unread_) {
    unread_ = unread;
    update_title();
    if (on_unread_changed) on_unread_changed(unread_);
  }
}

void InboxWindow::selected(QTreeWidgetItem* item) {
  if (!item) return;
  auto id = item->data(0, kIdRole).toString().toStdString();
  // `show` is what marks it read and sends the receipt, as `herald-agent show` does.
  link_.request("show", {{"id", id}}, [this, id](const nlohmann::json& reply) {
    if (!ok(reply)) {
      set_status(error_text(reply));
      return;
    }
    auto m = reply.find("message");
    if (m == reply.end() || !m->is_object()) return;
    current_ = id;
    show_row(*m);
    // The agent's `inbox` event repaints the list; until then this row is read.
    for (int i = 0; i < list_->topLevelItemCount(); ++i) {
      auto* it = list_->topLevelItem(i);
      if (it->data(0, kIdRole).toString().toStdString() != id) continue;
      for (int c = 0; c < 4; ++c) {
        auto font = it->font(c);
        font.setBold(false);
        it->setFont(c, font);
      }
    }
  });
}

void InboxWindow::show_row(const nlohmann::json& row) {
  body_->document()->clear();
  body_->setHtml(message_html(row, body_->document()));
  confirm_->setVisible(needs_confirmation(row));
  confirm_->setEnabled(true);
  ask_->setEnabled(true);
  if (field(row, "state") == "confirmed") set_status(q(herald::tr("You confirmed this message.")));
}

void InboxWindow::open_message(const std::string& id) {
  tabs_->setCurrentIndex(0);
  for (int i = 0; i < list_->topLevelItemCount(); ++i) {
    auto* it = list_->topLevelItem(i);
    if (it->data(0, kIdRole).toString().toStdString() == id) {
      list_->setCurrentItem(it);
      return;
    }
  }
}

void InboxWindow::confirm() {
  if (current_.empty()) return;
  confirm_->setEnabled(false);
  link_.request("confirm", {{"id", current_}}, [this](const nlohmann::json& reply) {
    if (!ok(reply)) {
      confirm_->setEnabled(true);
      set_status(error_text(reply));
      return;
    }
    if (auto m = reply.find("message"); m != reply.end() && m->is_object()) show_row(*m);
    set_status(q(herald::tr("You confirmed this message.")));
  });
}

void InboxWindow::ask_about() {
  if (current_.empty()) return;
  about_ = current_;
  std::string title;
  for (const auto& row : rows_)
    if (field(row, "id") == current_) title = field(row, "title");
  chat_about_->setText(q(trf("About: {1}", {title.empty() ? current_ : title})));
  chat_about_->setVisible(true);
  tabs_->setCurrentIndex(2);
  chat_input_->setFocus();
}

void InboxWindow::send_chat() {
  auto text = chat_input_->text().trimmed().toStdString();
  if (text.empty()) return;
  nlohmann::json req = {{"text", text}};
  if (about_) req["about"] = *about_;
  chat_send_->setEnabled(false);
  link_.request("chat_send", req, [this](const nlohmann::json& reply) {
    chat_send_->setEnabled(true);
    if (!ok(reply)) {
      set_status(error_text(reply));
      return;
    }
    chat_input_->clear();
    about_.reset();
    chat_about_->setVisible(false);
    refresh_chat();
  });
}

void InboxWindow::refresh_courses() {
  link_.request("courses", nlohmann::json::object(), [this](const nlohmann::json& reply) {
    if (!ok(reply)) return;
    auto courses = reply.find("courses");
    if (courses == reply.end() || !courses->is_array()) return;
    courses_->clear();
    for (const auto& c : *courses) {
      auto* top = new QTreeWidgetItem(courses_);
      top->setText(0, q(field(c, "course")));
      auto read = c.value("read", 0L);
      auto of = c.value("of", 0L);
      top->setText(1, q(trf("{1} of {2}", {std::to_string(read), std::to_string(of)})));
      if (auto lessons = c.find("lessons"); lessons != c.end() && lessons->is_array()) {
        for (const auto& l : *lessons) {
          auto* item = new QTreeWidgetItem(top);
          item->setText(0, q(trf("{1}. {2}", {std::to_string(l.value("number", 0L)), field(l, "title")})));
          item->setText(1, state_text(field(l, "state")));
          item->setData(0, kIdRole, q(field(l, "id")));
        }
      }
      top->setExpanded(true);
    }
  });
}

void InboxWindow::refresh_chat() {
  link_.request("chat_history", nlohmann::json::object(), [this](const nlohmann::json& reply) {
    if (!ok(reply)) return;
    QString html;
    long last_helpdesk = 0;
    auto history = reply.find("history");
    if (history != reply.end() && history->is_object()) {
      if (auto lines = history->find("lines"); lines != history->end() && lines->is_array()) {
        for (const auto& l : *lines) {
          auto from = field(l, "from");
          bool mine = from.find('/') != std::string::npos;  // an agent path: this computer's side
          auto who = mine ? q(herald::tr("You")) : q(herald::tr("Helpdesk"));
          html += QStringLiteral("<p><b>%1</b> <small>%2</small><br>%3</p>")
                      .arg(who.toHtmlEscaped(), local_time(field(l, "at")), q(field(l, "text")).toHtmlEscaped());
          if (!mine) last_helpdesk = std::max(last_helpdesk, l.value("seq", 0L));
        }
      }
    }
    if (auto unsent = reply.find("unsent"); unsent != reply.end() && unsent->is_array()) {
      for (const auto& u : *unsent)
        if (u.is_string())
          html += QStringLiteral("<p><b>%1</b> <small>%2</small><br>%3</p>")
                      .arg(q(herald::tr("You")).toHtmlEscaped(), q(herald::tr("not sent yet")).toHtmlEscaped(),
                           q(u.get<std::string>()).toHtmlEscaped());
    }
    if (html.isEmpty()) html = q(herald::tr("No conversation with the helpdesk yet.")).toHtmlEscaped();
    chat_->setHtml(html);
    // The employee has seen the helpdesk's lines once the tab is on screen.
    if (isVisible() && tabs_->currentIndex() == 2 && last_helpdesk > last_chat_seq_) {
      last_chat_seq_ = last_helpdesk;
      link_.request("chat_read", {{"seq", last_helpdesk}});
    }
  });
}

}  // namespace herald::desktop
