// topics.md's access table must say exactly what the generator emits. The table is
// rendered by `herald-acl table`; these tests parse it back out of topics.md and check
// it against both the renderer and the generated acl_file for real accounts.
#include <doctest/doctest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "helpers.hpp"

using namespace herald::acl;
using namespace herald::acl::test;

namespace {

std::string topics_md() {
  std::ifstream in(HERALD_ACL_REPO_DIR "/topics.md");
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string table_in_topics_md() {
  auto text = topics_md();
  const std::string begin = "<!-- access-table:begin -->\n";
  const std::string end = "<!-- access-table:end -->";
  auto b = text.find(begin);
  auto e = text.find(end);
  REQUIRE(b != std::string::npos);
  REQUIRE(e != std::string::npos);
  return text.substr(b + begin.size(), e - b - begin.size());
}

struct Row {
  std::string who;
  std::string access;
  std::string topic;
};

std::vector<Row> rows() {
  std::vector<Row> out;
  std::istringstream in(table_in_topics_md());
  std::string line;
  std::regex row(R"(^\| (.+) \| (read|write|readwrite|deny) \| `([^`]+)` \|$)");
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, row)) out.push_back({m[1], m[2], m[3]});
  }
  return out;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
  return s;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST_CASE("topics.md's access table is the one herald-acl renders") {
  CHECK(table_in_topics_md() == render_access_table());
}

TEST_CASE("each capability row of topics.md is what an account with that capability gets") {
  auto all = rows();
  REQUIRE(all.size() > 10);
  for (auto cap : kAllCapabilities) {
    std::string name(capability_name(cap));
    CAPTURE(name);
    std::string scope = cap == Capability::admin ? "org" : "org/branch01";
    auto p = policy_from(R"({"accounts": {"acct1": {"scopes": {")" + name + R"(": [")" + scope +
                         R"("]}, "password_hash": ")" + some_hash() + R"("}}})");
    std::vector<std::string> documented{"topic read herald/reply/acct1/#"};  // "every enabled account"
    for (const auto& r : all)
      if (r.who == "an account with `" + name + "` over `{S}`")
        documented.push_back("topic " + r.access + " " +
                             replace_all(replace_all(r.topic, "{account}", "acct1"), "{S}", scope));
    CHECK(sorted(documented) == sorted(lines_of(p, "acct1")));
  }
}

TEST_CASE("the agent rows of topics.md are what a computer's acl_file entries say") {
  std::vector<herald::DirectoryEntry> dir = {{"org", "central", "", "", ""},
                                             {"org/branch01", "branch", "", "", ""},
                                             {"org/branch01/pc001", "computer", "", "", ""}};
  auto p = policy_from(R"({"revoked_agents": ["org/branch02/pc001"]})");
  auto acl = generate(p, dir, "p", "d").acl;
  std::size_t agent_rows = 0;
  for (const auto& r : rows()) {
    if (r.who.find("every agent (pattern") == 0) {
      CHECK(acl.find("pattern " + r.access + " " + r.topic + "\n") != std::string::npos);
      ++agent_rows;
    } else if (r.who.find("every agent in the directory") == 0) {
      for (std::string ancestor : {"org", "org/branch01"}) {
        auto line = "topic " + r.access + " " + replace_all(r.topic, "{A}", ancestor) + "\n";
        CAPTURE(line);
        CHECK(acl.find("user org/branch01/pc001\n") < acl.find(line));
      }
      ++agent_rows;
    } else if (r.who == "a revoked agent") {
      CHECK(acl.find("user org/branch02/pc001\ntopic " + r.access + " " + r.topic + "\n") != std::string::npos);
      ++agent_rows;
    }
  }
  // 9 patterns (receipted, remind, chatup and chatdown included), 3 ancestor rules, 1 revocation
  CHECK(agent_rows == 13);
}
