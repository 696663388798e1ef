// herald-agent: the employee-side agent. All logic is in herald::agent; this parses the
// command line and maps herald::Error to the exit code.
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "herald/agent/agent_config.hpp"
#include "herald/agent/commands.hpp"
#include "herald/common/cli_i18n.hpp"
#include "herald/common/error.hpp"
#include "herald/common/i18n.hpp"
#include "herald/common/log.hpp"

using herald::tr;
using herald::trf;

int main(int argc, char** argv) {
  // Few threads, little memory: an idle agent must stay small.
  mallopt(M_ARENA_MAX, 1);
  herald::i18n::init("herald");
  herald::log::set_component("herald-agent");

  CLI::App app{tr("herald-agent: receives Herald alerts and messages for this computer and shows them")};
  app.require_subcommand(1);
  std::string config_path = herald::agent::default_config_path();
  bool verbose = false;
  bool json = false;
  std::string id;

  auto* run = app.add_subcommand("run", tr("Run the agent daemon (connects to the broker, stores and shows messages)"));
  run->add_option("--config,-c", config_path,
                  tr("Configuration file ($HERALD_AGENT_CONFIG or /etc/herald/agent.conf)"));
  run->add_flag("--verbose,-v", verbose, tr("Also log debug lines"));

  auto* inbox = app.add_subcommand("inbox", tr("List the messages received on this computer"));
  inbox->add_option("--config,-c", config_path,
                    tr("Configuration file ($HERALD_AGENT_CONFIG or /etc/herald/agent.conf)"));
  inbox->add_flag("--json", json, tr("Print a JSON array"));

  auto* show = app.add_subcommand("show", tr("Print one message and mark it read (sends a read receipt)"));
  show->add_option("ID", id, tr("Message id (see herald-agent inbox)"))->required();
  show->add_option("--config,-c", config_path,
                   tr("Configuration file ($HERALD_AGENT_CONFIG or /etc/herald/agent.conf)"));
  show->add_flag("--json", json, tr("Print the message as JSON"));
  std::string save_images;
  show->add_option(
      "--save-images", save_images,
      tr("Also write the message's images into DIR (created if missing; existing files are not overwritten)"));

  auto* confirm = app.add_subcommand(
      "confirm", tr("Confirm that you have read and understood a message that asks for it (sends the receipt)"));
  confirm->add_option("ID", id, tr("Message id (see herald-agent inbox)"))->required();
  confirm->add_option("--config,-c", config_path,
                      tr("Configuration file ($HERALD_AGENT_CONFIG or /etc/herald/agent.conf)"));
  confirm->add_flag("--json", json, tr("Print the message as JSON"));

  auto* chat = app.add_subcommand("chat", tr("Chat with the helpdesk (interactive; Ctrl-D leaves)"));
  chat->require_subcommand(0, 1);
  herald::agent::ChatOptions chat_options;
  chat->add_option("--config,-c", config_path,
                   tr("Configuration file ($HERALD_AGENT_CONFIG or /etc/herald/agent.conf)"));
  chat->add_option("--about", chat_options.about, tr("The message (id, see herald-agent inbox) the chat is about"));
  chat->add_flag("--computer", chat_options.computer, tr("This computer's conversation, not the logged-in person's"));
  auto* chat_send = chat->add_subcommand("send", tr("Send one line to the helpdesk"));
  std::string chat_text;
  chat_send->add_option("TEXT", chat_text, tr("The line (1 to 4096 bytes)"))->required();
  chat_send->add_option("--config,-c", config_path,
                        tr("Configuration file ($HERALD_AGENT_CONFIG or /etc/herald/agent.conf)"));
  chat_send->add_option("--about", chat_options.about,
                        tr("The message (id, see herald-agent inbox) the chat is about"));
  chat_send->add_flag("--computer", chat_options.computer,
                      tr("This computer's conversation, not the logged-in person's"));
  auto* chat_history = chat->add_subcommand("history", tr("Print the chat with the helpdesk"));
  bool mark_read = false;
  chat_history->add_option("--config,-c", config_path,
                           tr("Configuration file ($HERALD_AGENT_CONFIG or /etc/herald/agent.conf)"));
  chat_history->add_flag("--json", json, tr("Print the conversation and its lines as JSON"));
  chat_history->add_flag("--computer", chat_options.computer,
                         tr("This computer's conversation, not the logged-in person's"));
  chat_history->add_flag("--mark-read", mark_read, tr("Mark the helpdesk's lines read (sends a read mark)"));

  herald::i18n::translate_cli(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "herald-agent: " << trf("error: {1} (see {2} --help)", {e.what(), "herald-agent"}) << '\n';
    return static_cast<int>(herald::ErrorKind::usage);
  }
  herald::log::set_verbose(verbose);

  try {
    auto file = herald::Config::load(config_path);
    if (*run) {
      auto config = herald::agent::load_agent_config(file, herald::agent::ConfigNeeds::daemon);
      return herald::agent::run_daemon(config);
    }
    if (*inbox) {
      auto config = herald::agent::load_agent_config(file, herald::agent::ConfigNeeds::store);
      herald::agent::list_inbox(config, json, std::cout);
      return 0;
    }
    auto config = herald::agent::load_agent_config(file, herald::agent::ConfigNeeds::path);
    if (*confirm) {
      herald::agent::confirm_message(config, id, json, std::cout);
      return 0;
    }
    if (*chat) {
      if (*chat_send) {
        herald::agent::chat_send(config, chat_text, chat_options, std::cout);
        return 0;
      }
      if (*chat_history) {
        herald::agent::chat_history(config, json, chat_options.computer, mark_read, std::cout);
        return 0;
      }
      return herald::agent::chat_interactive(config, chat_options, std::cin, std::cout);
    }
    herald::agent::show_message(config, id, json, std::cout, save_images);
    return 0;
  } catch (const herald::Error& e) {
    if (e.kind() == herald::ErrorKind::not_permitted)
      std::cerr << "herald-agent: " << trf("not permitted: {1}", {e.what()}) << '\n';
    else
      std::cerr << "herald-agent: " << trf("error: {1}", {e.what()}) << '\n';
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "herald-agent: " << trf("error: {1}", {e.what()}) << '\n';
    return static_cast<int>(herald::ErrorKind::internal);
  }
}
