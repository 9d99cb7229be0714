# Embeds a text file as a C++ string_view constant in a generated header. The text is a char array, so
# its length is sizeof, not a constexpr strlen (which hits GCC's loop limit past 256 KB).
function(sextant_embed_text input output symbol)
  file(READ ${input} content)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${input})
  file(WRITE ${output}.tmp "#pragma once\n// Generated from ${input} by cmake/Embed.cmake; do not edit.\n#include <string_view>\ninline constexpr char ${symbol}Data[] = R\"SEXTANT_EMBED(${content})SEXTANT_EMBED\";\ninline constexpr std::string_view ${symbol}{${symbol}Data, sizeof(${symbol}Data) - 1};\n")
  file(COPY_FILE ${output}.tmp ${output} ONLY_IF_DIFFERENT)
endfunction()
