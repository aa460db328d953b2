# Sanitizer builds.
#
# ROOTFSCTL_SANITIZE=address,undefined (g++; scripts/sanitize.sh, build dir build-asan)
# builds the whole tree with those sanitizers: the libraries, the rootfsctl binary, the unit
# tests and the e2e tests, which run the sanitized binary through $<TARGET_FILE:rootfsctl>.
# Undefined behaviour aborts instead of printing and going on, so a test that hits it fails.
# The runtime options the tests run with are set in tests/CMakeLists.txt.
#
# ROOTFSCTL_FUZZ=ON (clang only; scripts/fuzz.sh, build dir build-fuzz) builds the
# libFuzzer targets in tests/fuzz: every library is instrumented for coverage with ASan and
# UBSan, and only the fuzz targets link libFuzzer's main (tests/fuzz/CMakeLists.txt).
set(ROOTFSCTL_SANITIZE "" CACHE STRING
    "Comma-separated -fsanitize= list for the whole tree, e.g. address,undefined")
option(ROOTFSCTL_FUZZ "Build the libFuzzer targets in tests/fuzz (clang only)" OFF)

if(ROOTFSCTL_SANITIZE AND ROOTFSCTL_FUZZ)
  message(FATAL_ERROR "ROOTFSCTL_FUZZ picks its own sanitizers; leave ROOTFSCTL_SANITIZE empty")
endif()

if(ROOTFSCTL_SANITIZE)
  string(REPLACE "," ";" rootfsctl_sanitizers "${ROOTFSCTL_SANITIZE}")
  add_compile_options(-fsanitize=${ROOTFSCTL_SANITIZE} -fno-omit-frame-pointer)
  # No redzones around globals (g++'s asan-globals=0). UBSan's per-check data (source
  # locations, type descriptors) is made of globals, and ASan padded and registered every
  # one: 53 MB of .data in rootfsctl, registered at each start and scanned by the leak
  # check at each exit, 100 of the 170 ms an instrumented `rootfsctl --version` took. The
  # e2e tests start rootfsctl thousands of times. What is given up is overflow detection
  # on global arrays; heap, stack, use-after-free and leak detection stay, and UBSan keeps
  # every check but the two dropped below.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND "address" IN_LIST rootfsctl_sanitizers)
    add_compile_options(--param=asan-globals=0)
  endif()
  # The instrumentation makes g++ 12 see "maybe uninitialized" paths inside libstdc++
  # (<regex>'s std::function states) that do not exist; the normal build keeps the warning.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
  add_link_options(-fsanitize=${ROOTFSCTL_SANITIZE})
  # Executables link position-dependent (-no-pie); shared libraries stay as they are. At
  # -O0 the sanitizers' per-check data (UBSan's source locations and type descriptors,
  # ASan's globals) is about 55 MB of pointers in rootfsctl: in a PIE each is a relative
  # relocation, 2 million of them, which the dynamic loader writes at every start of the
  # program. That was half of what starting an instrumented program costs (rootfsctl
  # --version: 330 ms as a PIE, 170 ms without), and the e2e tests start rootfsctl
  # thousands of times. Linking this way compiles nothing differently: every check and
  # every instrumented path is still there.
  add_link_options($<$<STREQUAL:$<TARGET_PROPERTY:TYPE>,EXECUTABLE>:-no-pie>)
  if("undefined" IN_LIST rootfsctl_sanitizers)
    add_compile_options(-fno-sanitize-recover=undefined)
    add_link_options(-fno-sanitize-recover=undefined)
    # Every UBSan check but null and alignment. Those two instrument each pointer and
    # reference use, which at -O0 was 90% of the per-check data (1.2 MB of 1.3 in
    # rootfsctl's largest source file) and a third of its code, compiled twice over by CI
    # and leak-scanned at every exit of every program of this build. A null pointer used
    # still ends the process under ASan (SEGV, with its stack); a misaligned access on
    # x86 works, and the code that reads kernel records from byte buffers reads them
    # through aligned storage.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      add_compile_options(-fno-sanitize=null,alignment)
    endif()
  endif()
  # The runtime options every program of this build starts with (sanitizer_options.cc
  # says which and why), linked into each target defined after this point.
  add_library(rootfsctl_sanitizer_options OBJECT ${CMAKE_CURRENT_LIST_DIR}/sanitizer_options.cc)
  link_libraries(rootfsctl_sanitizer_options)
endif()

if(ROOTFSCTL_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "ROOTFSCTL_FUZZ needs clang (libFuzzer): configure with "
                        "-DCMAKE_CXX_COMPILER=clang++-19, as scripts/fuzz.sh does")
  endif()
  # -Wno-deprecated-declarations: libstdc++ 12's std::stable_sort calls its own
  # get_temporary_buffer, deprecated in C++17, and clang reports that in our instantiations.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
                      -fno-sanitize-recover=undefined -fno-omit-frame-pointer
                      -Wno-deprecated-declarations)
  add_link_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined)
endif()
