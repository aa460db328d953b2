/* rootfsctl's C API (librootfsctl.so.0; docs/library.md): load a layout, plan and validate
 * it against a live process or a captured mount table, apply it inside a process's
 * namespaces, verify it, capture a process's tree. Everything runs in the calling
 * process; nothing here starts the rootfsctl program.
 *
 * Results are JSON documents in the shapes `rootfsctl ... --format json` prints
 * (docs/commands.md). Errors are values: an rootfsctl_error with a stage, an errno and a
 * message. Every function returns the exit code the command line would give for the same
 * request (ROOTFSCTL_OK, ROOTFSCTL_INVALID, ...), never throws, and every pointer it hands
 * out is freed by the matching rootfsctl_*_free.
 *
 * Thread safety: every function may be called from any thread at once; a rootfsctl_layout
 * is immutable once loaded and may be shared between threads.
 */
#ifndef ROOTFSCTL_ROOTFSCTL_H
#define ROOTFSCTL_ROOTFSCTL_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define ROOTFSCTL_API __attribute__((visibility("default")))
#else
#define ROOTFSCTL_API
#endif

/* Return values: the exit codes of the command line (docs/commands.md). */
enum {
  ROOTFSCTL_OK = 0,          /* done: the plan is valid, applied and verified, no drift */
  ROOTFSCTL_INVALID = 1,     /* validation errors (nothing done), or drift found */
  ROOTFSCTL_USAGE = 2,       /* bad argument, unreadable or malformed layout */
  ROOTFSCTL_ROLLED_BACK = 3, /* apply failed and was rolled back cleanly */
  ROOTFSCTL_LEFTOVER = 4,    /* apply failed and the rollback is incomplete */
  ROOTFSCTL_UNUSABLE = 5     /* target gone, unreachable or not permitted; nothing done */
};

/* The version of the library ("0.1.0"), static storage. */
ROOTFSCTL_API const char* rootfsctl_version(void);

/* ---- Errors ---------------------------------------------------------------------- */

typedef struct rootfsctl_error rootfsctl_error;

/* The stage that failed, a stable lower-case name: "usage", "manifest", "read", "parse",
 * "validate", "open_ns", "setns", "mount", "pivot_root", "internal", ... */
ROOTFSCTL_API const char* rootfsctl_error_stage(const rootfsctl_error* error);
/* The errno captured right after the failing system call; 0 when none was involved. */
ROOTFSCTL_API int rootfsctl_error_errno(const rootfsctl_error* error);
/* One line: where (file:line:col or context) and what went wrong. */
ROOTFSCTL_API const char* rootfsctl_error_message(const rootfsctl_error* error);
/* The whole error as the command line's JSON: {"error": {"stage", "errno", "message",
 * "file"?, "line"?, "column"?, "hint"?, "code"?}}. Owned by the error. */
ROOTFSCTL_API const char* rootfsctl_error_json(const rootfsctl_error* error);
ROOTFSCTL_API void rootfsctl_error_free(rootfsctl_error* error);

/* JSON results are allocated by the library: free them with this (NULL is fine). */
ROOTFSCTL_API void rootfsctl_string_free(char* text);

/* ---- Layouts --------------------------------------------------------------------- */

typedef struct rootfsctl_layout rootfsctl_layout;

/* Loads a layout: a file path, or a profile name on the search path ("sandbox";
 * docs/layouts.md). `vars` is NULL or a NULL-terminated array of "NAME=VALUE" strings
 * that beat the layout's own vars (the command line's --set). On success *layout is set;
 * on failure *error is (when `error` is not NULL). */
ROOTFSCTL_API int rootfsctl_layout_load_file(const char* name_or_path, const char* const* vars,
                                             rootfsctl_layout** layout, rootfsctl_error** error);
/* The same from YAML text; `source_name` names it in error locations and origins
 * (NULL: "<text>"). `extends` resolves profile names on the search path. */
ROOTFSCTL_API int rootfsctl_layout_load_text(const char* text, const char* source_name,
                                             const char* const* vars, rootfsctl_layout** layout,
                                             rootfsctl_error** error);
ROOTFSCTL_API void rootfsctl_layout_free(rootfsctl_layout* layout);

/* ---- Plan and validate ----------------------------------------------------------- */

/* Plans `layout` and validates it against the live process `pid` (its mount table, its
 * files, its namespaces), or against the calling process when pid is 0: `rootfsctl plan
 * --pid N --format json`. *json gets {"layout", "name", "ops": [...], "diagnostics":
 * [...]}. Returns ROOTFSCTL_OK, ROOTFSCTL_INVALID (errors among the diagnostics; *json is
 * still set), or an error code with *error set. */
ROOTFSCTL_API int rootfsctl_plan_pid(const rootfsctl_layout* layout, pid_t pid, char** json,
                                     rootfsctl_error** error);
/* The same against a captured table, the text of a /proc/N/mountinfo (offline: only the
 * table is known), as `rootfsctl plan --mountinfo FILE --format json`. */
ROOTFSCTL_API int rootfsctl_plan_mountinfo(const rootfsctl_layout* layout,
                                           const char* mountinfo_text, char** json,
                                           rootfsctl_error** error);

/* ---- Apply ----------------------------------------------------------------------- */

/* Options of an apply, as the command line's. Set `size` to sizeof(rootfsctl_apply_options)
 * so that a later library that grows the struct knows which fields the caller has; zero
 * the rest for the defaults. NULL options are the defaults. */
typedef struct rootfsctl_apply_options {
  size_t size;
  int dry_run;                /* plan and validate against the live target, change nothing */
  int allow_shared_namespace; /* a layout without a root in the caller's own namespace */
  int strict;                 /* validation warnings are errors */
  int no_intent_log;          /* do not persist intents for crash recovery */
  const char* fail_at;        /* "K" or "K:ERRNO": op K fails, to test the rollback;
                                 the kill modes are refused (they would kill the caller) */
} rootfsctl_apply_options;

/* Applies `layout` inside the namespaces of process `pid`, transactionally:
 * `rootfsctl apply LAYOUT --pid N --format json`. *json gets the outcome: {"applied":
 * {...}} or {"error": {...}, "rollback": {...}}, with "diagnostics" for the warnings; or
 * the checked plan for a dry run and for validation errors. Returns ROOTFSCTL_OK,
 * ROOTFSCTL_INVALID, ROOTFSCTL_ROLLED_BACK or ROOTFSCTL_LEFTOVER with *json set, or
 * ROOTFSCTL_USAGE or ROOTFSCTL_UNUSABLE with *error set (nothing was attempted). */
ROOTFSCTL_API int rootfsctl_apply(const rootfsctl_layout* layout, pid_t pid,
                                  const rootfsctl_apply_options* options, char** json,
                                  rootfsctl_error** error);

/* ---- Verify and capture ---------------------------------------------------------- */

/* Checks that the live tree of `pid` is what `layout` says: `rootfsctl verify --format
 * json`, {"drift": [...]}. ROOTFSCTL_OK when it matches, ROOTFSCTL_INVALID with the drift. */
ROOTFSCTL_API int rootfsctl_verify(const rootfsctl_layout* layout, pid_t pid, char** json,
                                   rootfsctl_error** error);

/* The live tree of `pid` as a layout: `rootfsctl capture --format json`, {"target",
 * "mounts", "comments", "yaml"}. */
ROOTFSCTL_API int rootfsctl_capture(pid_t pid, char** json, rootfsctl_error** error);

#ifdef __cplusplus
}
#endif

#endif /* ROOTFSCTL_ROOTFSCTL_H */
