# lvyuan_library(NAME name SRCS ... DEPS ... LIBS ... TESTS ...)
#
# Declares the layer library lvyuan_<name> (alias lvyuan::<name>). DEPS name
# other lvyuan layers (without prefix) and are the only layers this one may use;
# tests/layering_test.sh checks that #include lines agree. LIBS are external
# targets. TESTS are *_test.cc files linked into one gtest binary per layer.
function(lvyuan_library)
  cmake_parse_arguments(L "" "NAME" "SRCS;DEPS;LIBS;TESTS" ${ARGN})
  set(target lvyuan_${L_NAME})
  add_library(${target} STATIC ${L_SRCS})
  add_library(lvyuan::${L_NAME} ALIAS ${target})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  set(deps "")
  foreach(d IN LISTS L_DEPS)
    list(APPEND deps lvyuan::${d})
  endforeach()
  target_link_libraries(${target} PUBLIC ${deps} ${L_LIBS})
  set_property(GLOBAL APPEND PROPERTY LVYUAN_LAYERS "${L_NAME}:${L_DEPS}")
  if(L_TESTS)
    set(test_target ${target}_test)
    add_executable(${test_target} ${L_TESTS})
    target_link_libraries(${test_target} PRIVATE ${target} GTest::gtest GTest::gmock GTest::gtest_main)
    target_compile_definitions(${test_target} PRIVATE LVYUAN_SOURCE_ROOT="${PROJECT_SOURCE_DIR}")
    gtest_discover_tests(${test_target} DISCOVERY_MODE PRE_TEST
      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} PROPERTIES LABELS unit)
  endif()
endfunction()
