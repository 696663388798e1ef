#pragma once
// Human-readable text in the reader's language (gettext). Every line a person reads from
// herald, herald-agent, heraldd or herald-desktop goes through tr(); --json, --csv, log
// keys, exit codes and message content never do (a monitoring script or a parser must
// see the same bytes in every language). Catalogues: po/<domain>/<lang>.po, compiled by
// CMake (herald_add_catalogs) into <build>/share/locale; installed next to the binaries.
//
// Which language: gettext's usual order (LANGUAGE, then LC_ALL, LC_MESSAGES, LANG);
// English, the text in the source, is the fallback. init() also makes LANGUAGE work when
// the locale itself is missing or "C" (glibc ignores LANGUAGE then), so `LANGUAGE=pl`
// and `LANG=pl_PL.UTF-8` both select Polish on a machine without generated locales.
#include <initializer_list>
#include <string>
#include <string_view>

namespace herald::i18n {

// Binds the text domain ("herald" for the CLIs and heraldd, "herald-desktop") to its
// catalogue folder and selects the language from the environment. Call once, first
// thing in main(). Numbers and dates are formatted by Herald itself, so only
// LC_MESSAGES (and LC_CTYPE, for UTF-8) are taken from the environment.
void init(const char* domain);

// The folder init() found the catalogues in ("" if none): $HERALD_LOCALEDIR, else
// <exe>/../share/locale, else the build tree's.
const std::string& locale_dir();

// The language init() chose, e.g. "pl" or "en" (for tests and --version).
const std::string& language();

}  // namespace herald::i18n

namespace herald {

// The translation of `msgid` (a string literal: xgettext extracts tr("...")), or msgid.
const char* tr(const char* msgid);

// tr() with arguments: "{1}", "{2}" ... in the translated text are replaced by the
// arguments in order (a translation may move them), "{{" is a literal "{".
//   trf("unknown message id '{1}'", {id})
std::string trf(const char* msgid, std::initializer_list<std::string_view> args);

// Plural forms: tr_n("{1} message", "{1} messages", n) picks the catalogue's form for n
// (Polish has three) and substitutes {1} with n.
std::string trn(const char* singular, const char* plural, unsigned long n);

// A state, kind or severity word as a person reads it in a table or a headline ("read",
// "alert", "critical", ...), translated; a word it does not know comes back as given.
// The result views static text or `name`. Never for --json/--csv, which keep the names.
std::string_view tr_word(std::string_view name);

}  // namespace herald
