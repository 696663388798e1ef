#pragma once
// CLI11's own words in --help (Usage, OPTIONS, REQUIRED, group headings) in the reader's
// language. Header-only: herald::common does not link CLI11, the programs that include
// this do. Call after every option and subcommand is added (it walks them all).
#include <CLI/CLI.hpp>

#include "herald/common/i18n.hpp"

namespace herald::i18n {

inline void translate_cli(CLI::App& app) {
  auto formatter = app.get_formatter();
  formatter->label("Usage", tr("Usage"));
  formatter->label("OPTIONS", tr("OPTIONS"));
  formatter->label("SUBCOMMAND", tr("SUBCOMMAND"));
  formatter->label("SUBCOMMANDS", tr("SUBCOMMANDS"));
  formatter->label("REQUIRED", tr("REQUIRED"));
  formatter->label("Positionals", tr("Positionals"));
  if (auto* help = app.get_help_ptr()) help->description(tr("Print this help message and exit"));
  if (auto* version = app.get_version_ptr()) version->description(tr("Display program version information and exit"));
  // Group headings are printed as named, not through the labels.
  for (auto* option : app.get_options())
    if (option->get_group() == "Options") option->group(tr("Options"));
  for (auto* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    if (sub->get_group() == "Subcommands") sub->group(tr("Subcommands"));
    translate_cli(*sub);
  }
}

}  // namespace herald::i18n
