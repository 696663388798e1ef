// heraldd: the Herald server daemon. Everything but argument parsing and signal
// handling lives in herald::scheduler.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "herald/common/cli_i18n.hpp"
#include "herald/common/config.hpp"
#include "herald/common/error.hpp"
#include "herald/common/i18n.hpp"
#include "herald/common/log.hpp"
#include "herald/scheduler/server.hpp"

using herald::tr;
using herald::trf;

namespace {
// Paho's network threads end asynchronously after the last client is destroyed; if
// exit() ran OpenSSL's atexit clean-up meanwhile, such a thread's OpenSSL thread-local
// destructor would touch freed state (seen under ASan as a SEGV in libcrypto at thread
// exit). Everything heraldd keeps is committed by now, so leave without exit handlers.
int leave(int code) {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  _exit(code);
}
}  // namespace

int main(int argc, char** argv) {
  herald::i18n::init("herald");
  CLI::App app{tr("heraldd: records Herald messages and receipts, answers queries, keeps the broker's retained store")};
  const char* from_env = std::getenv("HERALDD_CONFIG");
  std::string config_path = from_env && *from_env ? from_env : "/etc/herald/heraldd.conf";
  bool verbose = false;
  app.add_option("--config", config_path,
                 tr("configuration file (default $HERALDD_CONFIG or /etc/herald/heraldd.conf)"));
  app.add_flag("-v,--verbose", verbose, tr("log debug lines too"));
  app.set_version_flag("--version", std::string("heraldd ") + HERALD_VERSION);
  herald::i18n::translate_cli(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : static_cast<int>(herald::ErrorKind::usage);
  }

  herald::log::set_component("heraldd");
  herald::log::set_verbose(verbose);
  try {
    auto settings = herald::scheduler::settings_from(herald::Config::load(config_path));
    // SIGINT/SIGTERM are blocked in every thread (Paho's included, created later) and
    // taken by one thread with sigwait, which stops the server cleanly.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    {
      herald::scheduler::Server server(std::move(settings));
      std::thread([&server, signals] {
        int received = 0;
        sigwait(&signals, &received);
        herald::log::info(trf("received signal {1}", {received == SIGINT ? "SIGINT" : "SIGTERM"}));
        server.stop();
      }).detach();
      server.run();
    }  // the ledger is closed and the MQTT client destroyed here
    return leave(0);
  } catch (const herald::Error& e) {
    std::cerr << "heraldd: "
              << (e.kind() == herald::ErrorKind::not_permitted ? trf("not permitted: {1}", {e.what()})
                                                               : trf("error: {1}", {e.what()}))
              << "\n";
    return leave(e.exit_code());
  }
}
