# herald_add_catalogs(DOMAIN): compiles every po/DOMAIN/LANG.po into
# ${CMAKE_BINARY_DIR}/share/locale/LANG/LC_MESSAGES/DOMAIN.mo, part of `all`, so the
# programs in build/bin find their catalogues at <exe>/../share/locale (i18n.hpp).
# `msgfmt --check` refuses a catalogue whose {N} placeholders or format is broken.
find_program(MSGFMT_EXECUTABLE msgfmt REQUIRED)

function(herald_add_catalogs domain)
  file(GLOB po_files ${PROJECT_SOURCE_DIR}/po/${domain}/*.po)
  set(mo_files)
  foreach(po ${po_files})
    get_filename_component(lang ${po} NAME_WE)
    set(dir ${CMAKE_BINARY_DIR}/share/locale/${lang}/LC_MESSAGES)
    set(mo ${dir}/${domain}.mo)
    add_custom_command(OUTPUT ${mo}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
      COMMAND ${MSGFMT_EXECUTABLE} --check -o ${mo} ${po}
      DEPENDS ${po}
      COMMENT "catalogue ${domain} ${lang}")
    list(APPEND mo_files ${mo})
  endforeach()
  add_custom_target(catalogue_${domain} ALL DEPENDS ${mo_files})
endfunction()
