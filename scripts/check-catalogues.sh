#!/usr/bin/env bash
# Fails (exit 1) when a tr()/trf()/trn() string in a domain's sources has no translation
# (or only a fuzzy one) in one of its catalogues po/DOMAIN/LANG.po, or a catalogue does
# not compile (msgfmt --check: placeholders, plural forms, header). Run by ctest as the
# test `catalogues`, so a new string cannot ship untranslated. Fix: run
# scripts/update-catalogues.sh, translate what it left empty or fuzzy, commit.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/catalogue-lib.sh

# The msgid of the entry at or before line $2 of file $1 (msgcmp names lines, not msgids).
msgid_at() { awk -v n="$2" 'NR <= n && /^msgid / { m = $0 } NR == n { print m; exit }' "$1"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
checked=0
for d in po/*/; do
  domain=$(basename "$d")
  [ -f "$d/sources" ] || continue
  pos=("$d"*.po)
  [ -e "${pos[0]}" ] || continue  # a domain whose catalogues are not written yet
  extract_domain "$domain" "$tmp/$domain.pot"
  for po in "${pos[@]}"; do
    checked=$((checked + 1))
    if ! msgfmt --check -o /dev/null "$po" 2>"$tmp/msgfmt.err"; then
      echo "check-catalogues: $po does not compile:"
      sed 's/^/  /' "$tmp/msgfmt.err"
      failed=1
    fi
    # trf()/trn() substitute {1}, {2}...: a translation must keep exactly the msgid's.
    msgcat --no-wrap --no-location "$po" | awk '
      function holders(s,   out, rest, m) {
        out = ""; rest = s
        while (match(rest, /\{[0-9]+\}/)) {
          m = substr(rest, RSTART, RLENGTH)
          if (index(out, m) == 0) out = out m
          rest = substr(rest, RSTART + RLENGTH)
        }
        return out
      }
      function same(a, b,   i, m) {  # the same set of placeholders, in any order
        if (length(a) != length(b)) return 0
        while (match(a, /\{[0-9]+\}/)) { m = substr(a, RSTART, RLENGTH); if (index(b, m) == 0) return 0; a = substr(a, RSTART + RLENGTH) }
        return 1
      }
      /^msgid "/ { id = substr($0, 7); plural = ""; next }
      /^msgid_plural "/ { plural = substr($0, 14); next }
      /^msgstr(\[[0-9]+\])? "/ {
        str = $0; sub(/^msgstr(\[[0-9]+\])? /, "", str)
        if (id == "\"\"" || str == "\"\"") next
        if (!same(holders(str), holders(id)) && (plural == "" || !same(holders(str), holders(plural))))
          printf "  placeholders %s instead of %s in the translation of %s\n", holders(str), holders(id), id
      }' >"$tmp/placeholders.out"
    if [ -s "$tmp/placeholders.out" ]; then
      echo "check-catalogues: $po changes placeholders:"
      cat "$tmp/placeholders.out"
      failed=1
    fi
    # Every string of the sources, translated and not fuzzy (msgcmp counts a fuzzy or
    # empty translation as missing); each problem named by its msgid.
    if ! msgcmp "$po" "$tmp/$domain.pot" >"$tmp/msgcmp.out" 2>&1; then
      echo "check-catalogues: $po is incomplete for the sources of '$domain':"
      while IFS=: read -r file line rest; do
        case "$rest" in
          *"used but not defined"*) echo "  untranslated: $(msgid_at "$file" "$line")" ;;
          *"needs to be reviewed"*) echo "  fuzzy:        $(msgid_at "$file" "$line")" ;;
        esac
      done <"$tmp/msgcmp.out"
      echo "  (run scripts/update-catalogues.sh $domain, translate, drop the fuzzy marks)"
      failed=1
    fi
  done
done
if [ "$failed" -ne 0 ]; then exit 1; fi
echo "check-catalogues: $checked catalogues complete"
