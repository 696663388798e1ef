// herald: the admin CLI. Everything, including error handling, lives in herald::dispatcher.
#include <unistd.h>

#include <iostream>

#include "herald/common/i18n.hpp"
#include "herald/dispatcher/cli.hpp"
#include "herald/dispatcher/session.hpp"

int main(int argc, char** argv) {
  herald::i18n::init("herald");
  herald::dispatcher::Session::leave_connections_to_process_exit();
  int code = herald::dispatcher::run_cli(argc, argv, std::cout, std::cerr);
  std::cout.flush();
  std::cerr.flush();
  // _exit: libmosquitto's network threads are still running (see
  // Session::leave_connections_to_process_exit), so no static destructors may run under them.
  _exit(code);
}
