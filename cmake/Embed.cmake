# Embeds a text file as a C++ string_view constant in a generated header.
function(sextant_embed_text input output symbol)
  file(READ ${input} content)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${input})
  file(WRITE ${output}.tmp "#pragma once\n// Generated from ${input} by cmake/Embed.cmake; do not edit.\n#include <string_view>\ninline constexpr std::string_view ${symbol} = R\"SEXTANT_EMBED(${content})SEXTANT_EMBED\";\n")
  file(COPY_FILE ${output}.tmp ${output} ONLY_IF_DIFFERENT)
endfunction()
