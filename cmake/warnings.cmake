# Warnings are errors in every build (issue #2). Applied through an interface target so that
# third-party headers (included as SYSTEM) do not trip them.
add_library(mw_warnings INTERFACE)
target_compile_options(mw_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Werror
  -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough
  # g++ 12 false positive on Asio's awaitable frame allocator (sized operator delete on a frame
  # from its own operator new): GCC bug 109224 class; the pairing is correct.
  -Wno-mismatched-new-delete
  # g++ 12 at -O3 reports a false -Wrestrict inside std::string concatenation (GCC bug 105329,
  # fixed in 13); it broke the Release build of config/listen_address.cpp and load_toml.cpp.
  $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-restrict>)

# mw_library(NAME SOURCES a.cpp b.cpp DEPS x y): a static library of one src/ folder.
function(mw_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE mw_warnings)
endfunction()

# mw_unit_test(NAME SOURCES a_test.cpp DEPS mw_x): one GoogleTest binary, discovered by CTest.
function(mw_unit_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main mw_warnings)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS unit ENVIRONMENT "MW_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
