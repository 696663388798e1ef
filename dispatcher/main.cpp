// herald: the admin CLI. Everything, including error handling, lives in herald::dispatcher.
#include <iostream>

#include "herald/dispatcher/cli.hpp"

int main(int argc, char** argv) { return herald::dispatcher::run_cli(argc, argv, std::cout, std::cerr); }
