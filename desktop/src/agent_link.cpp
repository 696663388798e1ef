#include "herald/desktop/agent_link.hpp"

#include "herald/common/desktop_protocol.hpp"
#include "herald/common/i18n.hpp"
#include "herald/common/log.hpp"
#include "herald/desktop/text.hpp"

namespace herald::desktop {

namespace proto = herald::desktop_protocol;

AgentLink::AgentLink(QString socket_path, QObject* parent) : QObject(parent), path_(std::move(socket_path)) {
  retry_.setInterval(1000);
  retry_.setSingleShot(true);
  connect(&retry_, &QTimer::timeout, this, &AgentLink::try_connect);
  connect(&socket_, &QLocalSocket::connected, this, [this] {
    was_connected_ = true;
    log::info("connected to the agent at " + path_.toStdString());
    if (on_connected) on_connected();
  });
  connect(&socket_, &QLocalSocket::readyRead, this, &AgentLink::read_lines);
  // Every way of ending up unconnected (a refused or failed connect, which never says
  // `disconnected` and may report its error before the state changes, or a lost
  // connection) passes through this state, so each one schedules exactly one retry.
  connect(&socket_, &QLocalSocket::stateChanged, this, [this](QLocalSocket::LocalSocketState state) {
    if (state == QLocalSocket::UnconnectedState) lost();
  });
}

AgentLink::~AgentLink() {
  // The socket's destructor says `disconnected`; by then the callbacks' owner and this
  // object's other members are gone, so nobody may hear it.
  QObject::disconnect(&socket_, nullptr, this, nullptr);
  retry_.stop();
}

void AgentLink::start() { try_connect(); }

bool AgentLink::is_connected() const { return socket_.state() == QLocalSocket::ConnectedState; }

void AgentLink::try_connect() {
  if (socket_.state() != QLocalSocket::UnconnectedState) return;
  socket_.connectToServer(path_);
  // A connect that fails at once may not change the state at all: try again later.
  if (socket_.state() == QLocalSocket::UnconnectedState && !retry_.isActive()) retry_.start();
}

void AgentLink::lost() {
  pending_.clear();
  if (was_connected_) {
    was_connected_ = false;
    log::info("the agent went away; connecting again every second");
    if (on_disconnected) on_disconnected();
  }
  if (!retry_.isActive()) retry_.start();
}

void AgentLink::request(std::string_view op, nlohmann::json fields, Reply on_reply) {
  if (!is_connected()) return;
  long re = next_re_++;
  fields["op"] = op;
  fields["re"] = re;
  if (on_reply) pending_[re] = std::move(on_reply);
  auto line = fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  socket_.write(line.data(), static_cast<qint64>(line.size()));
}

void AgentLink::read_lines() {
  while (socket_.canReadLine()) {
    QByteArray line = socket_.readLine();
    auto j = nlohmann::json::parse(line.constBegin(), line.constEnd(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      log::warn("the agent sent a line that is not a JSON object; ignored");
      continue;
    }
    handle(j);
  }
  // The daemon's lines are bounded; a longer one is not the agent speaking the protocol.
  if (socket_.bytesAvailable() > static_cast<qint64>(proto::kMaxReplyBytes)) {
    log::warn("the agent sent an over-long line; connecting again");
    socket_.abort();
  }
}

void AgentLink::handle(const nlohmann::json& line) {
  if (auto ev = line.find("event"); ev != line.end() && ev->is_string()) {
    auto name = ev->get<std::string>();
    if (name == proto::event::refused) {
      auto reason = field(line, "reason");
      log::warn("the agent refused this session: " + reason);
      if (on_refused) on_refused(reason);
      return;
    }
    if (on_event) on_event(name, line);
    return;
  }
  auto re = line.find("re");
  if (re == line.end() || !re->is_number_integer()) return;
  auto it = pending_.find(re->get<long>());
  if (it == pending_.end()) return;
  auto reply = std::move(it->second);
  pending_.erase(it);
  reply(line);
}

QString error_text(const nlohmann::json& reply) {
  long code = 0;
  if (auto e = reply.find("error"); e != reply.end() && e->is_object()) code = e->value("code", 0L);
  switch (code) {
    case 2:
      return q(tr("The Herald agent refused the request."));
    case 3:
      return q(tr("This message is no longer available."));
    case 7:
      return q(tr("The Herald agent could not save the change."));
    default:
      return q(tr("The Herald agent could not answer."));
  }
}

}  // namespace herald::desktop
