# Shared by update-catalogues.sh and check-catalogues.sh (sourced, not run).
# A text domain is a folder po/DOMAIN/ with LANG.po catalogues and a file `sources`: the
# source folders (one per line, from the repository root) whose tr()/trf()/trn() strings
# belong to the domain.

# Prints the C++ files of po/$1's source folders, one per line (tracked files when in git).
domain_files() {
  local domain=$1 dir
  while IFS= read -r dir || [ -n "$dir" ]; do
    dir=${dir%%#*}
    dir=$(echo "$dir" | tr -d '[:space:]')
    [ -n "$dir" ] && [ -d "$dir" ] || continue
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
      git ls-files --cached --others --exclude-standard -- "$dir" | grep -E '\.(cpp|hpp|h)$' || true
    else
      find "$dir" -name '*.cpp' -o -name '*.hpp' -o -name '*.h'
    fi
  done < "po/$domain/sources" | sort -u
}

# Writes the domain's template (every string in the sources) to $2.
extract_domain() {
  local domain=$1 out=$2
  local files
  mapfile -t files < <(domain_files "$domain")
  if [ ${#files[@]} -eq 0 ]; then
    # No sources yet: an empty template with a header, so msgmerge/msgcmp still work.
    : > "$out.empty.cpp"
    files=("$out.empty.cpp")
  fi
  xgettext --language=C++ --from-code=UTF-8 --keyword= --keyword=tr --keyword=trf:1 --keyword=trn:1,2 \
    --add-comments=TRANSLATORS: --package-name=Herald --foreign-user --no-wrap --force-po \
    --sort-by-file -o "$out" "${files[@]}"
  rm -f "$out.empty.cpp"
}
