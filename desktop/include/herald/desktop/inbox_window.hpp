#pragma once
// The employee's window: Messages (newest first, unread in bold; selecting one asks the
// agent to `show` it, which marks it read; "I have read and understood" when the sender
// asks for confirmation; "Ask about this message"), Courses (progress and lessons in
// order) and the helpdesk Chat. Widgets carry objectName()s ("inbox.list", "inbox.body",
// "inbox.confirm", "inbox.ask", "courses.list", "chat.history", "chat.input",
// "chat.send", "tabs"), which is how the tests and the accessibility tree find them.
#include <QMainWindow>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

class QTreeWidget;
class QTreeWidgetItem;
class QTextBrowser;
class QPushButton;
class QLineEdit;
class QLabel;
class QTabWidget;

namespace herald::desktop {

class AgentLink;

class InboxWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit InboxWindow(AgentLink& link);

  // Asks the agent again for what is shown (after connect and on its events).
  void refresh_inbox();
  void refresh_courses();
  void refresh_chat();
  void set_status(const QString& text);
  void open_message(const std::string& id);  // selects it in Messages and shows it

  int unread() const { return unread_; }
  std::function<void(int unread)> on_unread_changed;

 private:
  void fill_inbox(const nlohmann::json& rows);
  void show_row(const nlohmann::json& row);
  void selected(QTreeWidgetItem* item);
  void confirm();
  void ask_about();
  void send_chat();
  void update_title();

  AgentLink& link_;
  QTabWidget* tabs_;
  QTreeWidget* list_;
  QTextBrowser* body_;
  QPushButton* confirm_;
  QPushButton* ask_;
  QTreeWidget* courses_;
  QTextBrowser* chat_;
  QLabel* chat_about_;
  QLineEdit* chat_input_;
  QPushButton* chat_send_;
  std::string current_;               // id shown in the body
  std::optional<std::string> about_;  // the message the next chat line is about
  nlohmann::json rows_ = nlohmann::json::array();
  int unread_ = -1;
  long last_chat_seq_ = 0;
};

}  // namespace herald::desktop
