# PdvaCompilerFlags.cmake — warnings, sanitizers and the helper every pdva target uses.
# SPDX-License-Identifier: GPL-3.0-or-later

set(PDVA_C_WARNINGS
    -Wall -Wextra -Wshadow -Wconversion -Wsign-conversion -Wformat=2 -Wstrict-prototypes
    -Wmissing-prototypes -Wold-style-definition -Wvla -Wpointer-arith -Wcast-qual
    -Wundef -Wnull-dereference)
set(PDVA_CXX_WARNINGS -Wall -Wextra -Wshadow -Wconversion -Wformat=2 -Wnon-virtual-dtor)
if(PDVA_WERROR)
    list(APPEND PDVA_C_WARNINGS -Werror)
    list(APPEND PDVA_CXX_WARNINGS -Werror)
endif()

if(PDVA_SANITIZE)
    set(PDVA_SANITIZER_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer
        -fno-sanitize-recover=undefined)
    add_compile_options(${PDVA_SANITIZER_FLAGS})
    add_link_options(${PDVA_SANITIZER_FLAGS})
endif()

# pdva_target_defaults(TARGET): the include roots and warnings every project target gets.
function(pdva_target_defaults target)
    target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR} ${PDVA_PUBLIC_INCLUDE_DIRS})
    target_compile_options(${target} PRIVATE
        $<$<COMPILE_LANGUAGE:C>:${PDVA_C_WARNINGS}>
        $<$<COMPILE_LANGUAGE:CXX>:${PDVA_CXX_WARNINGS}>)
    target_compile_definitions(${target} PRIVATE _POSIX_C_SOURCE=200809L _DEFAULT_SOURCE
        PDVA_BUILDING_LIBRARY)
    if(PDVA_BUILD_TESTS)
        target_compile_definitions(${target} PRIVATE PDVA_ALLOC_FAULT_INJECTION)
    endif()
endfunction()
