# Warnings live on an INTERFACE target so that no global flag is edited.
add_library(intermap_warnings INTERFACE)
add_library(intermap::warnings ALIAS intermap_warnings)
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(intermap_warnings INTERFACE -Wall -Wextra -Wpedantic -Wno-unused-parameter)
endif()
