# orthanc_env.cmake — how the tests start Orthanc (not built with the sanitizers) with a plugin
# that is: in a PDVA_SANITIZE build, PDVA_ORTHANC_TEST_ENV tells orthanc_fixture.py to preload
# the sanitizer runtimes into Orthanc only (not into Python, curl or Chromium).
# Included by tests/orthanc, tests/browser and bench/plugin.
set(PDVA_ORTHANC_TEST_ENV "")
if(PDVA_SANITIZE)
    execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libasan.so
        OUTPUT_VARIABLE _pdva_libasan OUTPUT_STRIP_TRAILING_WHITESPACE)
    execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libubsan.so
        OUTPUT_VARIABLE _pdva_libubsan OUTPUT_STRIP_TRAILING_WHITESPACE)
    get_filename_component(_pdva_libasan "${_pdva_libasan}" REALPATH)
    get_filename_component(_pdva_libubsan "${_pdva_libubsan}" REALPATH)
    set(PDVA_ORTHANC_TEST_ENV
        "PDVA_ORTHANC_PRELOAD=${_pdva_libasan}:${_pdva_libubsan}"
        "PDVA_ORTHANC_LSAN_SUPPRESSIONS=${CMAKE_CURRENT_LIST_DIR}/orthanc.lsan.supp")
endif()
