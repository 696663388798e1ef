// herald::text: the one printable(), widths and the Table every CLI prints.
#include <doctest/doctest.h>

#include <sstream>

#include "herald/common/text.hpp"

using namespace herald::text;

TEST_CASE("widths count characters, and shortening never splits one") {
  CHECK(display_width("Łódź") == 4);
  CHECK(shorten("Zażółć gęślą jaźń", 10) == "Zażółć ...");
  CHECK(shorten("short", 10) == "short");
}

TEST_CASE("printable neutralises terminal escapes and truncates") {
  CHECK(printable("a\x1b[2Jb") == "a?[2Jb");
  CHECK(printable("line1\nline2") == "line1?line2");
  CHECK(printable("line1\nline2", 100, true) == "line1\nline2");
  CHECK(printable(std::string(500, 'x'), 10) == std::string(10, 'x') + "...");
}

TEST_CASE("Table: aligned columns two spaces apart; cells stay on one line and cannot escape") {
  Table table({"A", "LONGER"});
  table.add({"Łódź-1", "x"});
  table.add({"multi\nline\ttitle", "esc\x1b[2J"});
  std::string kept = "view";
  table.add_views({kept, table.own("owned")});
  std::ostringstream out;
  table.print(out);
  CHECK(out.str() ==
        "A                 LONGER\n"
        "Łódź-1            x\n"
        "multi line title  esc?[2J\n"
        "view              owned\n");
}

TEST_CASE("Table: minimum widths and gap, as herald-agent inbox prints") {
  Table table({"ID", "KIND", "TITLE"}, Table::Layout{1, {4, 6, 3}});
  table.add({"m1", "alert", ""});
  table.add({"m12345", "message", "Hi"});
  std::ostringstream out;
  table.print(out);
  CHECK(out.str() ==
        "ID     KIND    TITLE\n"
        "m1     alert   \n"
        "m12345 message Hi\n");
}
