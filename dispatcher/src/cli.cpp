#include "herald/dispatcher/cli.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "herald/common/cli_i18n.hpp"
#include "herald/common/error.hpp"
#include "herald/common/i18n.hpp"
#include "herald/common/text.hpp"
#include "herald/dispatcher/chat_commands.hpp"
#include "herald/dispatcher/commands.hpp"
#include "herald/dispatcher/plans_commands.hpp"

namespace herald::dispatcher {
namespace {

// Functions, not constants: the text is translated once init() has chosen the language.
std::string rule_help(const char* intro) {
  return trf("{1}: iCalendar RRULE, e.g. FREQ=WEEKLY;BYDAY=TU,WE,TH,FR;COUNT=8", {intro});
}
const char* tz_help() { return tr("IANA time zone (default: config 'timezone', else the system zone, else UTC)"); }
const char* start_help() {
  return tr("first possible day, YYYY-MM-DD (default: today, or tomorrow if --at has passed)");
}
const char* skip_help() {
  return tr(
      "days to skip (holidays): an iCalendar file, a file with one YYYY-MM-DD per line, or 2026-12-24,2026-12-25");
}
const char* target_help() {
  return tr("recipient: an org path (org, org/branch01, org/branch01/pc042) or user:LOGIN; repeatable");
}

void print_error(std::ostream& err, const Error& e) {
  if (e.kind() == ErrorKind::not_permitted)
    err << "herald: " << trf("not permitted: {1}", {e.what()}) << '\n';
  else
    err << "herald: " << trf("error: {1}", {e.what()}) << '\n';
}

void add_send_options(CLI::App* cmd, SendOptions& o, CLI::Option*& body_option) {
  cmd->add_option("--to", o.to, target_help())->type_name("TARGET");
  cmd->add_option("--title", o.title, tr("headline, at most 200 bytes"));
  body_option = cmd->add_option("--body", o.body, tr("text, up to 64 KiB; '-' reads stdin"))->type_name("TEXT");
  cmd->add_option("--body-file", o.body_file, tr("read the text from FILE ('-' = stdin)"))->type_name("FILE");
  cmd->add_option("--expires", o.expires, tr("lifetime such as 2h, 7d, 1h30m (at most 366d)"))->type_name("DURATION");
  cmd->add_flag("--json", o.json, tr("print {id, kind, targets, sent_at, expires_at, recorded} as JSON"));
  cmd->add_option("--repeat", o.repeat, rule_help(tr("send on a schedule instead of now")))->type_name("RULE");
  cmd->add_option("--at", o.at,
                  tr("with --repeat: time of day HH:MM (default 09:00); alone: one delayed message at HH:MM (next "
                     "such time), 'YYYY-MM-DD HH:MM' or an RFC 3339 time"))
      ->type_name("TIME");
  cmd->add_option("--tz", o.tz, tz_help())->type_name("ZONE");
  cmd->add_option("--start", o.start, start_help())->type_name("DATE");
  cmd->add_option("--skip-dates", o.skip_dates, skip_help())->type_name("FILE");
  auto* confirm = cmd->add_flag("--require-confirm", o.require_confirm,
                                tr("the employee must confirm it (\"I have read and understood\", herald-agent "
                                   "confirm); it stays pending until then"));
  // Accepted by alert only to refuse it with a sentence (prepare_send), not offered.
  if (o.kind != topics::Kind::message) confirm->group("");
  cmd->fallthrough();
}

void add_when_options(CLI::App* cmd, CampaignOptions& o) {
  cmd->add_option("COURSE", o.course, tr("course id, or a course folder or file (see course create)"))->required();
  cmd->add_option("--to", o.to, target_help())->type_name("TARGET");
  cmd->add_option("--schedule", o.when.rule, rule_help(tr("one lesson per occurrence")))->type_name("RULE");
  cmd->add_option("--at", o.when.at, tr("local time of day of each lesson, HH:MM"))->type_name("HH:MM");
  cmd->add_option("--tz", o.when.tz, tz_help())->type_name("ZONE");
  cmd->add_option("--start", o.when.start, start_help())->type_name("DATE");
  cmd->add_option("--skip-dates", o.when.skip_dates, skip_help())->type_name("FILE");
  cmd->add_option("--expires", o.expires, tr("each lesson's lifetime in inboxes after it is sent (default 90d)"))
      ->type_name("DURATION");
  cmd->add_flag("--json", o.json, tr("print the result as JSON"));
  cmd->fallthrough();
}

}  // namespace

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{tr("herald: send alerts and messages to the organisation's computers and follow their receipts")};
  app.name("herald");
  app.require_subcommand(1);
  GlobalOptions global;
  app.add_option("--config", global.config_path,
                 tr("config file (default: $HERALD_CONFIG, ~/.config/herald/herald.conf, /etc/herald/herald.conf)"))
      ->type_name("FILE");
  app.set_version_flag("--version", "herald " HERALD_VERSION);
  app.footer(
      tr("Exit codes: 0 ok, 2 bad input, 3 unknown id or file, 4 not permitted, 5 broker or heraldd "
         "unreachable, 6 bad credentials, 9 configuration. Run herald COMMAND --help for a command's options."));

  SendOptions alert;
  alert.kind = topics::Kind::alert;
  CLI::Option* alert_body = nullptr;
  auto* alert_cmd =
      app.add_subcommand("alert", tr("show an alert pop-up on the targets' screens (expires in 24h by default)"));
  add_send_options(alert_cmd, alert, alert_body);
  alert_cmd->add_option("--severity", alert.severity, tr("info (default), warning or critical"))->type_name("LEVEL");

  SendOptions message;
  message.kind = topics::Kind::message;
  CLI::Option* message_body = nullptr;
  auto* send_cmd = app.add_subcommand("send", tr("put a message in the targets' inboxes (expires in 90d by default)"));
  add_send_options(send_cmd, message, message_body);
  send_cmd->add_option("--link", message.links, tr("http(s) link shown with the message; repeatable"))
      ->type_name("URL");

  StatusOptions status;
  auto* status_cmd = app.add_subcommand("status", tr("show who received, displayed and read a message"));
  status_cmd->add_option("ID", status.id, tr("message id printed by herald alert/send"))->required();
  status_cmd->add_flag("--json", status.json, tr("print heraldd's result as JSON"));
  status_cmd->fallthrough();

  PendingOptions pending;
  auto* pending_cmd = app.add_subcommand("pending", tr("list unread messages per recipient"));
  pending_cmd->add_option("--under", pending.under, tr("org subtree to ask about (default: config 'scope')"))
      ->type_name("PATH");
  pending_cmd->add_flag("--json", pending.json, tr("print heraldd's result as JSON"));
  pending_cmd->fallthrough();

  ListOptions list;
  auto* list_cmd = app.add_subcommand("list", tr("list recent messages with their read counts"));
  list_cmd->add_option("--under", list.under, tr("org subtree to ask about (default: config 'scope')"))
      ->type_name("PATH");
  list_cmd->add_option("--limit", list.limit, tr("at most N messages, newest first (default 50)"))
      ->type_name("N")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
  list_cmd->add_flag("--json", list.json, tr("print heraldd's result as JSON"));
  list_cmd->fallthrough();

  RecallOptions recall;
  auto* recall_cmd = app.add_subcommand("recall", tr("withdraw a message from every inbox"));
  recall_cmd->add_option("ID", recall.id, tr("message id"))->required();
  recall_cmd->add_flag("--json", recall.json, tr("print {id, recalled_at, targets} as JSON"));
  recall_cmd->fallthrough();

  ImportOptions import;
  auto* import_cmd = app.add_subcommand("import-org", tr("replace heraldd's org directory with a CSV export"));
  import_cmd->add_option("FILE", import.file, tr("CSV with columns path,kind[,name,login,person]"))->required();
  import_cmd->add_flag("--json", import.json, tr("print heraldd's result as JSON"));
  import_cmd->fallthrough();

  CourseOptions course;
  auto* course_cmd = app.add_subcommand("course", tr("e-learning courses: create, list, show, delete"));
  course_cmd->require_subcommand(1);
  auto* course_create = course_cmd->add_subcommand("create", tr("send a course (folder or file) to heraldd"));
  course_create->add_option("SOURCE", course.path_or_id, tr("course folder with course.json, or a .json or .md file"))
      ->required()
      ->type_name("DIR|FILE");
  auto* course_list = course_cmd->add_subcommand("list", tr("list the courses"));
  auto* course_show = course_cmd->add_subcommand("show", tr("show a course and its lessons"));
  course_show->add_option("ID", course.path_or_id, tr("course id"))->required();
  auto* course_delete = course_cmd->add_subcommand("delete", tr("delete a course no active or paused campaign uses"));
  course_delete->add_option("ID", course.path_or_id, tr("course id"))->required();
  for (auto* sub : {course_create, course_list, course_show, course_delete}) {
    sub->add_flag("--json", course.json, tr("print the result as JSON"));
    sub->fallthrough();
  }
  course_cmd->fallthrough();

  CampaignOptions campaign;
  auto* campaign_cmd = app.add_subcommand("campaign", tr("deliver a course's lessons on a schedule"));
  campaign_cmd->require_subcommand(1);
  auto* campaign_start = campaign_cmd->add_subcommand("start", tr("start delivering a course to targets"));
  add_when_options(campaign_start, campaign);
  auto* campaign_preview =
      campaign_cmd->add_subcommand("preview", tr("print the exact delivery times without starting anything"));
  add_when_options(campaign_preview, campaign);
  auto* campaign_list = campaign_cmd->add_subcommand("list", tr("list campaigns whose targets are in your scope"));
  campaign_list->add_flag("--json", campaign.json, tr("print heraldd's result as JSON"));
  campaign_list->fallthrough();
  std::vector<std::pair<CLI::App*, std::string>> campaign_changes;
  auto* campaign_show = campaign_cmd->add_subcommand("show", tr("show a campaign and its lessons' times"));
  const std::pair<const char*, const char*> changes[] = {{"pause", tr("pause a campaign (cancel cannot be undone)")},
                                                         {"resume", tr("resume a campaign (cancel cannot be undone)")},
                                                         {"cancel", tr("cancel a campaign (cancel cannot be undone)")}};
  for (const auto& [op, help] : changes) campaign_changes.emplace_back(campaign_cmd->add_subcommand(op, help), op);
  for (auto* sub : {campaign_show, campaign_changes[0].first, campaign_changes[1].first, campaign_changes[2].first}) {
    sub->add_option("ID", campaign.id, tr("campaign id printed by campaign start"))->required();
    sub->add_flag("--json", campaign.json, tr("print heraldd's result as JSON"));
    sub->fallthrough();
  }
  campaign_cmd->fallthrough();

  ScheduleOptions schedule;
  auto* schedule_cmd =
      app.add_subcommand("schedule", tr("delayed and recurring messages (send/alert --repeat or --at)"));
  schedule_cmd->require_subcommand(1);
  auto* schedule_list = schedule_cmd->add_subcommand("list", tr("list what is planned"));
  schedule_list->add_flag("--json", schedule.json, tr("print heraldd's result as JSON"));
  schedule_list->fallthrough();
  auto* schedule_cancel = schedule_cmd->add_subcommand("cancel", tr("cancel a delayed or recurring message"));
  schedule_cancel->add_option("ID", schedule.id, tr("schedule id printed by send/alert --repeat or --at"))->required();
  schedule_cancel->add_flag("--json", schedule.json, tr("print heraldd's result as JSON"));
  schedule_cancel->fallthrough();
  schedule_cmd->fallthrough();

  ProgressOptions progress;
  auto* progress_cmd = app.add_subcommand("progress", tr("who has read which lessons of a course, per person"));
  progress_cmd->add_option("COURSE", progress.course, tr("course id"))->required();
  progress_cmd->add_option("--under", progress.under, tr("org subtree to ask about (default: config 'scope')"))
      ->type_name("PATH");
  progress_cmd->add_flag("--json", progress.json, tr("print heraldd's result as JSON"));
  progress_cmd->add_flag("--csv", progress.csv, tr("one row per person: login,name,read,sent,total,first_at,last_at"));
  progress_cmd->fallthrough();

  RemindOptions remind;
  auto* remind_cmd =
      app.add_subcommand("remind", tr("notify again those who have not read a course's lessons or a message"));
  remind_cmd
      ->add_option("ID", remind.id,
                   tr("a message id (as herald send prints: YYYYMMDDTHHMMSSZ-hex), or else a course id"))
      ->required()
      ->type_name("COURSE|ID");
  remind_cmd->add_flag("--json", remind.json, tr("print heraldd's result as JSON"));
  remind_cmd->fallthrough();

  ChatOptions chat;
  auto* chat_cmd = app.add_subcommand(
      "chat", tr("chat with a computer or a person: without TARGET, list the conversations; with one, chat live"));
  chat_cmd->add_option("TARGET", chat.target, tr("a computer's org path (org/branch01/pc042) or user:LOGIN"))
      ->type_name("TARGET");
  chat_cmd
      ->add_option("--under", chat.under,
                   tr("list only the conversations under an org path, user (every person) or user:LOGIN (default: "
                      "config 'scope' and every person)"))
      ->type_name("SCOPE");
  auto* chat_json = chat_cmd->add_flag("--json", chat.json, tr("list: print heraldd's result as JSON"));
  chat_cmd->fallthrough();
  auto* chat_send = chat_cmd->add_subcommand("send", tr("write one line to a conversation"));
  chat_send->add_option("TARGET", chat.target, tr("a computer's org path or user:LOGIN"))->required();
  chat_send->add_option("TEXT", chat.text, tr("the line, 1-4096 bytes"))->required();
  chat_send->add_option("--about", chat.about, tr("the message id the conversation is about"))->type_name("ID");
  auto* chat_close = chat_cmd->add_subcommand("close", tr("close a conversation (a new line opens it again)"));
  chat_close->add_option("TARGET", chat.target, tr("a computer's org path or user:LOGIN"))->required();
  auto* chat_history = chat_cmd->add_subcommand("history", tr("print a conversation's lines (marks nothing read)"));
  chat_history->add_option("TARGET", chat.target, tr("a computer's org path or user:LOGIN"))->required();
  chat_history->add_flag("--csv", chat.csv, tr("one row per line: seq,from,at,delivered_at,read_at,text"));
  chat_history->add_option("--limit", chat.limit, tr("only the last N lines (default: all)"))
      ->type_name("N")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10000}));
  for (auto* sub : {chat_send, chat_close, chat_history}) {
    sub->add_flag("--json", chat.json, tr("print heraldd's result as JSON"));
    sub->fallthrough();
  }

  std::vector<CLI::App*> all;
  for (auto* sub : app.get_subcommands({})) {
    all.push_back(sub);
    for (auto* nested : sub->get_subcommands({})) all.push_back(nested);
  }
  for (auto* sub : all)
    sub->footer(
        tr("Global option: --config FILE (default: $HERALD_CONFIG, ~/.config/herald/herald.conf, "
           "/etc/herald/herald.conf)"));

  i18n::translate_cli(app);
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
      err << "herald: " << trf("error: {1} (see {2} --help)", {e.what(), "herald"}) << '\n';
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
    if (course_create->parsed()) return run_course_create(course, global, out);
    if (course_list->parsed()) return run_course_list(course, global, out);
    if (course_show->parsed()) return run_course_show(course, global, out);
    if (course_delete->parsed()) return run_course_delete(course, global, out);
    if (campaign_start->parsed()) return run_campaign_start(campaign, global, out);
    if (campaign_preview->parsed()) return run_campaign_preview(campaign, global, out);
    if (campaign_list->parsed()) return run_campaign_list(campaign, global, out);
    if (campaign_show->parsed()) return run_campaign_show(campaign, global, out);
    for (const auto& [cmd, op] : campaign_changes)
      if (cmd->parsed()) return run_campaign_change(op, campaign, global, out);
    if (schedule_list->parsed()) return run_schedule_list(schedule, global, out);
    if (schedule_cancel->parsed()) return run_schedule_cancel(schedule, global, out);
    if (progress_cmd->parsed()) return run_progress(progress, global, out);
    if (remind_cmd->parsed()) return run_remind(remind, global, out);
    if (chat_send->parsed()) return run_chat_send(chat, global, out);
    if (chat_close->parsed()) return run_chat_close(chat, global, out);
    if (chat_history->parsed()) return run_chat_history(chat, global, out);
    if (chat_cmd->parsed()) {
      if (chat.target.empty()) return run_chat_list(chat, global, out);
      (void)parse_chat_target(chat.target);
      if (!chat.under.empty() || chat_json->count() > 0)
        throw Error(ErrorKind::usage, trf("--under and --json list the conversations: drop them to chat with {1}",
                                          {text::printable(chat.target, 100)}));
      return run_chat_interactive(chat, global, std::cin, out);
    }
    err << "herald: " << tr("error: no command given (see herald --help)") << '\n';
    return static_cast<int>(ErrorKind::usage);
  } catch (const Error& e) {
    print_error(err, e);
    return e.exit_code();
  } catch (const std::exception& e) {
    err << "herald: " << trf("error: internal error: {1}", {e.what()}) << '\n';
    return static_cast<int>(ErrorKind::internal);
  }
}

}  // namespace herald::dispatcher
