// herald-desktop: the employee's desktop program (desktop/README.md).
#include <CLI/CLI.hpp>
#include <QApplication>
#include <iostream>

#include "herald/common/i18n.hpp"
#include "herald/common/log.hpp"
#include "herald/desktop/app.hpp"

int main(int argc, char** argv) {
  herald::i18n::init("herald-desktop");
  herald::log::set_component("herald-desktop");
  // QApplication takes its own options (-platform, -display) out of argv first.
  QApplication qt(argc, argv);
  QApplication::setApplicationName(QStringLiteral("herald-desktop"));
  QApplication::setDesktopFileName(QStringLiteral("herald-desktop"));
  QApplication::setQuitOnLastWindowClosed(false);  // the tray icon stays

  CLI::App cli(herald::tr("The Herald desktop program: alerts, messages, courses and the helpdesk chat."));
  std::string config, socket;
  bool no_alerts = false, show = false;
  cli.add_option("--config", config, herald::tr("the agent's configuration (for its data_dir)"));
  cli.add_option("--socket", socket, herald::tr("the agent's desktop socket (instead of --config)"));
  cli.add_flag("--no-alerts", no_alerts, herald::tr("leave alerts to the agent's own display"));
  cli.add_flag("--show", show, herald::tr("open the messages window at start"));
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e) == 0 ? 0 : 2;
  }

  herald::desktop::Options options;
  options.socket_path = herald::desktop::socket_path_for(socket, config);
  options.alerts = !no_alerts;
  options.show_inbox = show;
  herald::desktop::DesktopApp app(options);
  app.start();
  return QApplication::exec();
}
