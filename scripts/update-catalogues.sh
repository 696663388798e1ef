#!/usr/bin/env bash
# Refreshes every text domain's catalogues from the sources: po/DOMAIN/DOMAIN.pot (all
# tr()/trf()/trn() strings), each LANG.po merged with it (new strings empty, changed
# ones fuzzy: translate them, then `scripts/check-catalogues.sh` passes), and en.po
# rebuilt as the identity (English is the text in the source).
#   scripts/update-catalogues.sh [DOMAIN...]     (default: every po/*/ with a `sources` file)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/catalogue-lib.sh

domains=("$@")
if [ ${#domains[@]} -eq 0 ]; then
  for d in po/*/; do [ -f "$d/sources" ] && domains+=("$(basename "$d")"); done
fi
for domain in "${domains[@]}"; do
  if [ -z "$(domain_files "$domain")" ]; then
    echo "$domain: no sources yet (po/$domain/sources), skipped"
    continue
  fi
  pot=po/$domain/$domain.pot
  extract_domain "$domain" "$pot"
  for po in po/"$domain"/*.po; do
    [ -e "$po" ] || continue
    lang=$(basename "$po" .po)
    if [ "$lang" = en ]; then
      continue
    fi
    msgmerge --quiet --update --backup=none --no-wrap "$po" "$pot"
    msgattrib --no-obsolete --no-wrap -o "$po" "$po"
  done
  # English: msgstr = msgid, with English plural forms.
  msginit --no-translator --no-wrap --locale=en_US.UTF-8 -i "$pot" -o - 2>/dev/null |
    msgen --no-wrap -o po/"$domain"/en.po -
  sed -i -e 's/^"Language: en_US\\n"$/"Language: en\\n"/' -e 's/charset=ASCII/charset=UTF-8/' po/"$domain"/en.po
  for po in po/"$domain"/*.po; do
    [ -e "$po" ] || continue
    printf '%s: ' "$po"
    msgfmt --check --statistics -o /dev/null "$po" 2>&1
  done
done
