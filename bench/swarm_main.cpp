// herald-bench-swarm: one swarm process of the benchmark (see swarm.hpp), or the raw
// baseline's publisher. Started by herald-bench, not by people.
#include <CLI/CLI.hpp>
#include <iostream>

#include "herald/bench/swarm.hpp"
#include "herald/common/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"herald-bench-swarm: K agents (or K raw subscribers) driven by herald-bench over stdin/stdout"};
  app.require_subcommand(1);
  herald::bench::SwarmOptions s;
  herald::bench::PublishOptions p;
  for (auto [name, mode] : {std::pair{"agents", herald::bench::SwarmOptions::Mode::agent},
                            std::pair{"raw", herald::bench::SwarmOptions::Mode::raw}}) {
    auto* cmd = app.add_subcommand(
        name, name == std::string("agents") ? "agent sessions of the agent library" : "plain Paho subscribers");
    cmd->add_option("--uri", s.uri)->required();
    cmd->add_option("--ca", s.ca_file)->required();
    cmd->add_option("--list", s.list_file)->required();
    cmd->add_option("--data-dir", s.data_dir);
    cmd->add_option("--executors", s.executors);
    cmd->add_option("--connects-in-flight", s.connects_in_flight);
    cmd->callback([&s, mode = mode] { s.mode = mode; });
  }
  auto* pub = app.add_subcommand("publish", "one QoS-1 publish over TLS (the raw baseline's sender)");
  pub->add_option("--uri", p.uri)->required();
  pub->add_option("--ca", p.ca_file)->required();
  pub->add_option("--username", p.username)->required();
  pub->add_option("--password-file", p.password_file)->required();
  pub->add_option("--topic", p.topic)->required();
  pub->add_option("--payload-file", p.payload_file)->required();
  pub->add_flag("--retained", p.retained);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : static_cast<int>(herald::ErrorKind::usage);
  }
  try {
    if (pub->parsed()) return herald::bench::run_publish(p);
    return herald::bench::run_swarm(s);
  } catch (const herald::Error& e) {
    std::cerr << "herald-bench-swarm: error: " << e.what() << "\n";
    return e.exit_code();
  }
}
