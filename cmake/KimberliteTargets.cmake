# Helpers that give every subsystem the same shape:
#   kb_subsystem(NAME crypto DEPS kb_base kb_types LIBS OpenSSL::Crypto)
# builds static library kb_<name> from src/<name>/*.cc (minus *_test.cc, *_bench.cc,
# *_fuzz.cc), one GoogleTest binary kb_<name>_test from *_test.cc, and one Google Benchmark
# binary kb_<name>_bench from *_bench.cc. Sources named *_sse41.cc, *_sse42.cc, *_avx2.cc
# and *_avx512.cc get the matching instruction-set flag (and only they do: the rest of the
# build runs on any x86-64, and callers dispatch at run time).

set(KB_WARNINGS -Wall -Wextra -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
    -Wold-style-cast -Woverloaded-virtual -Wimplicit-fallthrough)
if(KB_WERROR)
    list(APPEND KB_WARNINGS -Werror)
endif()

# Flags that keep apply deterministic across replicas: no fast-math, no FMA contraction.
set(KB_COMMON_FLAGS -ffp-contract=off -fno-fast-math -fno-strict-aliasing)
if(KB_SANITIZE)
    list(APPEND KB_COMMON_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer
        -fno-sanitize-recover=undefined)
    add_link_options(-fsanitize=address,undefined)
endif()

function(kb_apply_flags target)
    target_compile_options(${target} PRIVATE ${KB_WARNINGS} ${KB_COMMON_FLAGS})
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/src
        ${PROJECT_SOURCE_DIR}/include)
endfunction()

function(kb_simd_flags)
    foreach(source IN LISTS ARGN)
        if(source MATCHES "_sse41\\.cc$")
            set_source_files_properties(${source} PROPERTIES COMPILE_OPTIONS "-msse4.1")
        elseif(source MATCHES "_sse42\\.cc$")
            set_source_files_properties(${source} PROPERTIES COMPILE_OPTIONS "-msse4.2")
        elseif(source MATCHES "_avx2\\.cc$")
            set_source_files_properties(${source} PROPERTIES COMPILE_OPTIONS "-mavx2")
        elseif(source MATCHES "_avx512\\.cc$")
            set_source_files_properties(${source} PROPERTIES COMPILE_OPTIONS
                "-mavx512f;-mavx512vl")
        endif()
    endforeach()
endfunction()

# One executable per fuzz target; see fuzz/CMakeLists.txt.
function(kb_fuzz_target source lib)
    get_filename_component(stem ${source} NAME_WE)
    set(target kb_${stem})
    add_executable(${target} ${source})
    kb_apply_flags(${target})
    target_link_libraries(${target} PRIVATE ${lib})
    if(KB_FUZZ)
        target_compile_options(${target} PRIVATE -fsanitize=fuzzer)
        target_link_options(${target} PRIVATE -fsanitize=fuzzer)
    else()
        target_link_libraries(${target} PRIVATE kb_fuzz_main)
        set(corpus ${PROJECT_SOURCE_DIR}/fuzz/corpus/${stem})
        add_test(NAME fuzz_smoke_${stem} COMMAND ${target} ${corpus})
        set_tests_properties(fuzz_smoke_${stem} PROPERTIES LABELS fuzz-smoke)
    endif()
endfunction()

function(kb_subsystem)
    cmake_parse_arguments(KB "" "NAME" "DEPS;LIBS;TEST_LIBS" ${ARGN})
    file(GLOB all_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
    set(lib_sources ${all_sources})
    list(FILTER lib_sources EXCLUDE REGEX "_(test|bench|fuzz)\\.cc$")
    set(test_sources ${all_sources})
    list(FILTER test_sources INCLUDE REGEX "_test\\.cc$")
    set(bench_sources ${all_sources})
    list(FILTER bench_sources INCLUDE REGEX "_bench\\.cc$")
    set(fuzz_sources ${all_sources})
    list(FILTER fuzz_sources INCLUDE REGEX "_fuzz\\.cc$")
    kb_simd_flags(${all_sources})

    set(lib kb_${KB_NAME})
    if(lib_sources)
        add_library(${lib} STATIC ${lib_sources})
        kb_apply_flags(${lib})
        target_link_libraries(${lib} PUBLIC ${KB_DEPS} ${KB_LIBS})
    else()
        add_library(${lib} INTERFACE)
        target_include_directories(${lib} INTERFACE ${PROJECT_SOURCE_DIR}/src
            ${PROJECT_SOURCE_DIR}/include)
        target_link_libraries(${lib} INTERFACE ${KB_DEPS} ${KB_LIBS})
    endif()

    if(test_sources)
        add_executable(${lib}_test ${test_sources})
        kb_apply_flags(${lib}_test)
        target_link_libraries(${lib}_test PRIVATE ${lib} ${KB_TEST_LIBS} GTest::gtest
            GTest::gtest_main rapidcheck)
        # Each test case becomes its own CTest test, so `ctest -j` spreads them over cores.
        gtest_discover_tests(${lib}_test
            PROPERTIES LABELS unit
            WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
            DISCOVERY_TIMEOUT 60)
    endif()

    foreach(source IN LISTS fuzz_sources)
        kb_fuzz_target(${source} ${lib})
    endforeach()

    if(bench_sources)
        add_executable(${lib}_bench ${bench_sources})
        kb_apply_flags(${lib}_bench)
        target_link_libraries(${lib}_bench PRIVATE ${lib} benchmark::benchmark
            benchmark::benchmark_main)
        # A short run on every `make test` keeps the benchmarks compiling and working;
        # `make bench` runs them properly (bench/run.py). Benchmarks over huge inputs put
        # "large" in their name and are left out of the smoke run.
        add_test(NAME ${lib}_bench_smoke
            COMMAND ${lib}_bench --benchmark_min_time=0.001 "--benchmark_filter=-.*[Ll]arge.*"
            WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
        set_tests_properties(${lib}_bench_smoke PROPERTIES LABELS bench-smoke)
    endif()
endfunction()
