// Sanitizer runtime defaults, linked into every executable of a ROOTFSCTL_SANITIZE build
// (cmake/sanitizers.cmake), so the tests, the rootfsctl binary and every process they fork
// behave the same however they are started (ctest, by hand, through setpriv or unshare).
// ASAN_OPTIONS and UBSAN_OPTIONS in the environment still override these.
//
// exitcode=99: a sanitizer report must not pass for one of rootfsctl's own exit statuses
// (1 validation errors, 2 usage, 3 apply failed; a forwarded command's 125..127 or
// 128+signal), so an e2e test that expects a status fails when a report ends the process
// instead. Leak checking stays on (ASan's default): a forked helper or pid 1 that leaves
// through _exit(2) runs no atexit handlers and so no leak check, by design, and those that
// return through exit(3) are checked like any other process.

extern "C" {

const char* __asan_default_options() {
  return "exitcode=99:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1";
}

const char* __ubsan_default_options() { return "exitcode=99:print_stacktrace=1"; }

const char* __lsan_default_options() { return "exitcode=99"; }

}  // extern "C"
