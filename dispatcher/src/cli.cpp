#include "herald/dispatcher/cli.hpp"

#include <CLI/CLI.hpp>

#include "herald/common/error.hpp"
#include "herald/dispatcher/commands.hpp"

namespace herald::dispatcher {
namespace {

constexpr const char* kTargetHelp =
    "recipient: an org path (org, org/branch01, org/branch01/pc042) or user:LOGIN; repeatable";

void print_error(std::ostream& err, const Error& e) {
  if (e.kind() == ErrorKind::not_permitted)
    err << "herald: not permitted: " << e.what() << '\n';
  else
    err << "herald: error: " << e.what() << '\n';
}

void add_send_options(CLI::App* cmd, SendOptions& o, CLI::Option*& body_option) {
  cmd->add_option("--to", o.to, kTargetHelp)->type_name("TARGET");
  cmd->add_option("--title", o.title, "headline, at most 200 bytes");
  body_option = cmd->add_option("--body", o.body, "text, up to 64 KiB; '-' reads stdin")->type_name("TEXT");
  cmd->add_option("--body-file", o.body_file, "read the text from FILE ('-' = stdin)")->type_name("FILE");
  cmd->add_option("--expires", o.expires, "lifetime such as 2h, 7d, 1h30m (at most 366d)")->type_name("DURATION");
  cmd->add_flag("--json", o.json, "print {id, kind, targets, sent_at, expires_at, recorded} as JSON");
  cmd->fallthrough();
}

}  // namespace

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"herald: send alerts and messages to the organisation's computers and follow their receipts"};
  app.name("herald");
  app.require_subcommand(1);
  GlobalOptions global;
  app.add_option("--config", global.config_path,
                 "config file (default: $HERALD_CONFIG, ~/.config/herald/herald.conf, /etc/herald/herald.conf)")
      ->type_name("FILE");
  app.set_version_flag("--version", "herald " HERALD_VERSION);
  app.footer(
      "Exit codes: 0 ok, 2 bad input, 3 unknown id or file, 4 not permitted, 5 broker or heraldd "
      "unreachable, 6 bad credentials, 9 configuration. Run herald COMMAND --help for a command's options.");

  SendOptions alert;
  alert.kind = topics::Kind::alert;
  CLI::Option* alert_body = nullptr;
  auto* alert_cmd =
      app.add_subcommand("alert", "show an alert pop-up on the targets' screens (expires in 24h by default)");
  add_send_options(alert_cmd, alert, alert_body);
  alert_cmd->add_option("--severity", alert.severity, "info (default), warning or critical")->type_name("LEVEL");

  SendOptions message;
  message.kind = topics::Kind::message;
  CLI::Option* message_body = nullptr;
  auto* send_cmd = app.add_subcommand("send", "put a message in the targets' inboxes (expires in 90d by default)");
  add_send_options(send_cmd, message, message_body);
  send_cmd->add_option("--link", message.links, "http(s) link shown with the message; repeatable")->type_name("URL");

  StatusOptions status;
  auto* status_cmd = app.add_subcommand("status", "show who received, displayed and read a message");
  status_cmd->add_option("ID", status.id, "message id printed by herald alert/send")->required();
  status_cmd->add_flag("--json", status.json, "print heraldd's result as JSON");
  status_cmd->fallthrough();

  PendingOptions pending;
  auto* pending_cmd = app.add_subcommand("pending", "list unread messages per recipient");
  pending_cmd->add_option("--under", pending.under, "org subtree to ask about (default: config 'scope')")
      ->type_name("PATH");
  pending_cmd->add_flag("--json", pending.json, "print heraldd's result as JSON");
  pending_cmd->fallthrough();

  ListOptions list;
  auto* list_cmd = app.add_subcommand("list", "list recent messages with their read counts");
  list_cmd->add_option("--under", list.under, "org subtree to ask about (default: config 'scope')")->type_name("PATH");
  list_cmd->add_option("--limit", list.limit, "at most N messages, newest first (default 50)")
      ->type_name("N")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
  list_cmd->add_flag("--json", list.json, "print heraldd's result as JSON");
  list_cmd->fallthrough();

  RecallOptions recall;
  auto* recall_cmd = app.add_subcommand("recall", "withdraw a message from every inbox");
  recall_cmd->add_option("ID", recall.id, "message id")->required();
  recall_cmd->add_flag("--json", recall.json, "print {id, recalled_at, targets} as JSON");
  recall_cmd->fallthrough();

  ImportOptions import;
  auto* import_cmd = app.add_subcommand("import-org", "replace heraldd's org directory with a CSV export");
  import_cmd->add_option("FILE", import.file, "CSV with columns path,kind[,name,login,person]")->required();
  import_cmd->add_flag("--json", import.json, "print heraldd's result as JSON");
  import_cmd->fallthrough();

  for (auto* sub : app.get_subcommands({}))
    sub->footer(
        "Global option: --config FILE (default: $HERALD_CONFIG, ~/.config/herald/herald.conf, "
        "/etc/herald/herald.conf)");

  try {
    try {
      app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
      return app.exit(e, out, err);
    } catch (const CLI::CallForAllHelp& e) {
      return app.exit(e, out, err);
    } catch (const CLI::CallForVersion& e) {
      return app.exit(e, out, err);
    } catch (const CLI::ParseError& e) {
      err << "herald: error: " << e.what() << " (see herald --help)\n";
      return static_cast<int>(ErrorKind::usage);
    }
    if (alert_cmd->parsed()) {
      alert.body_given = alert_body->count() > 0;
      return run_send(alert, global, out, err);
    }
    if (send_cmd->parsed()) {
      message.body_given = message_body->count() > 0;
      return run_send(message, global, out, err);
    }
    if (status_cmd->parsed()) return run_status(status, global, out);
    if (pending_cmd->parsed()) return run_pending(pending, global, out);
    if (list_cmd->parsed()) return run_list(list, global, out);
    if (recall_cmd->parsed()) return run_recall(recall, global, out);
    if (import_cmd->parsed()) return run_import(import, global, out);
    err << "herald: error: no command given (see herald --help)\n";
    return static_cast<int>(ErrorKind::usage);
  } catch (const Error& e) {
    print_error(err, e);
    return e.exit_code();
  } catch (const std::exception& e) {
    err << "herald: error: internal error: " << e.what() << '\n';
    return static_cast<int>(ErrorKind::internal);
  }
}

}  // namespace herald::dispatcher
