// The gettext edge (common/i18n.hpp) with the real catalogues of the build tree
// (po/herald/*.po compiled by herald_add_catalogs): which language the environment
// picks, Polish plural forms, placeholders, and the English fallback.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "herald/common/i18n.hpp"
#include "language.hpp"

using herald::testing::Language;

using herald::tr;
using herald::tr_word;
using herald::trf;
using herald::trn;

TEST_CASE("LANGUAGE=pl picks the Polish catalogue of the build tree") {
  Language pl("LANGUAGE", "pl");
  CHECK(herald::i18n::language() == "pl");
  CHECK_FALSE(herald::i18n::locale_dir().empty());
  CHECK(std::string(tr("inbox is empty")) == "skrzynka jest pusta");
  CHECK(std::string(tr_word("read")) == "przeczytana");
  CHECK(std::string(tr_word("critical")) == "krytyczny");
  CHECK(std::string(tr_word("no-such-word")) == "no-such-word");  // unknown words pass through
  CHECK(trf("unknown message id '{1}'", {"m1"}) == "nieznany identyfikator wiadomości 'm1'");
}

TEST_CASE("LANG=pl_PL.UTF-8 alone picks Polish, with or without a generated locale") {
  Language pl("LANG", "pl_PL.UTF-8");
  CHECK(herald::i18n::language() == "pl");
  CHECK(std::string(tr("inbox is empty")) == "skrzynka jest pusta");
}

TEST_CASE("the C library's own texts keep their letters when the asked-for locale is not generated") {
  Language pl("LANG", "pl_PL.UTF-8");
  // "Brak dostępu" where glibc has Polish texts, "Permission denied" where not; never
  // "Brak dost?pu" (an ASCII LC_CTYPE left behind by a locale that does not exist).
  CHECK(std::string(std::strerror(EACCES)).find('?') == std::string::npos);
}

TEST_CASE("LC_ALL wins over LANG, as in gettext") {
  Language pl(Language::Vars{{"LC_ALL", "pl_PL.UTF-8"}, {"LANG", "en_GB.UTF-8"}});
  CHECK(herald::i18n::language() == "pl");
}

TEST_CASE("Polish has three plural forms: 1, 2-4 (not 12-14), and the rest") {
  Language pl("LANGUAGE", "pl");
  CHECK(trn("{1} lesson", "{1} lessons", 1) == "1 lekcja");
  CHECK(trn("{1} lesson", "{1} lessons", 2) == "2 lekcje");
  CHECK(trn("{1} lesson", "{1} lessons", 4) == "4 lekcje");
  CHECK(trn("{1} lesson", "{1} lessons", 5) == "5 lekcji");
  CHECK(trn("{1} lesson", "{1} lessons", 12) == "12 lekcji");
  CHECK(trn("{1} lesson", "{1} lessons", 22) == "22 lekcje");
  CHECK(trn("{1} lesson", "{1} lessons", 25) == "25 lekcji");
  CHECK(trn("{1} lesson", "{1} lessons", 0) == "0 lekcji");
  CHECK(trn("{1} person", "{1} people", 3) == "3 osoby");
}

TEST_CASE("a translation may reorder the placeholders") {
  Language pl("LANGUAGE", "pl");
  // English "reminded {1} of {2}" puts the count first, Polish the message id.
  CHECK(trf("reminded {1} of {2}", {"3 komputery", "m1"}) == "przypomniano o m1: 3 komputery");
}

TEST_CASE("English: unset, C, en and an unknown language all give the text of the source") {
  for (const auto& vars : std::vector<Language::Vars>{{},
                                                      {{"LANG", "C"}},
                                                      {{"LANG", "C.UTF-8"}},
                                                      {{"LANGUAGE", "en"}},
                                                      {{"LANG", "en_US.UTF-8"}},
                                                      {{"LANGUAGE", "xx"}},
                                                      {{"LANG", "xx_YY.UTF-8"}}}) {
    Language lang(vars);
    CAPTURE(herald::i18n::language());
    CHECK(std::string(tr("inbox is empty")) == "inbox is empty");
    CHECK(std::string(tr_word("read")) == "read");
    CHECK(trn("{1} lesson", "{1} lessons", 1) == "1 lesson");
    CHECK(trn("{1} lesson", "{1} lessons", 2) == "2 lessons");
    CHECK(trf("unknown message id '{1}'", {"m1"}) == "unknown message id 'm1'");
  }
}

TEST_CASE("trf: {{ is a literal brace; unknown or missing placeholders stay as written") {
  Language en("LANGUAGE", "en");
  CHECK(trf("{{1} is {1}", {"x"}) == "{1} is x");
  CHECK(trf("{2} and {1}", {"a", "b"}) == "b and a");
  CHECK(trf("{3} {x} {}", {"a"}) == "{3} {x} {}");
}
