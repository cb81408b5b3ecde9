# embed_text.cmake — cmake -DINPUT=file -DOUTPUT=file.c -DSYMBOL=name -P embed_text.cmake
# Writes `const char name[]` holding the bytes of INPUT and a final NUL (explorer.js into the
# plugin). SPDX-License-Identifier: GPL-3.0-or-later
file(READ "${INPUT}" hex HEX)
# plain ASCII only: the bytes become `char` values, which must stay positive
if(hex MATCHES "^(..)*[89a-f][0-9a-f]")
    message(FATAL_ERROR "${INPUT} contains non-ASCII bytes; write them as \\u escapes")
endif()
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n    " bytes "${bytes}")
file(WRITE "${OUTPUT}.tmp"
    "/* Generated from ${INPUT} by embed_text.cmake: do not edit. */\n"
    "extern const char ${SYMBOL}[];\n"
    "const char ${SYMBOL}[] = {\n    ${bytes}0x00};\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
