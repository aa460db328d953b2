/* A C caller of the installed librootfsctl (tests/capi/capi_test.py builds it with
 * `pkg-config --cflags --libs rootfsctl-c` alone, with the C compiler).
 *
 *   proof apply LAYOUT PID OUT_DIR    plan LAYOUT against PID and against its mountinfo
 *                                     text, a rollback drill, apply for real, verify,
 *                                     capture; each JSON result written to OUT_DIR/<step>.json
 *                                     and "<step> <return value>" printed per step
 *   proof threads LAYOUT N            N threads plan LAYOUT (one shared rootfsctl_layout)
 *                                     at once, 20 times each; prints "threads N plans M
 *                                     identical" when every result is the same bytes
 *   proof errors                      the error values: stage, errno, message, JSON
 *   proof fork-load LAYOUT PID N D    D rollback drills and then the real apply to PID, a
 *                                     process in another user namespace (so each forks
 *                                     the library's helper), while N-1 threads plan
 */
#include <pthread.h>
#include <rootfsctl/rootfsctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int write_file(const char* dir, const char* step, const char* text) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.json", dir, step);
  FILE* f = fopen(path, "w");
  if (f == NULL) return -1;
  fputs(text, f);
  return fclose(f);
}

/* Records one step: its return value on stdout, its JSON (or error JSON) in OUT_DIR. */
static int record(const char* dir, const char* step, int rc, char* json, rootfsctl_error* error) {
  printf("%s %d\n", step, rc);
  if (json != NULL) write_file(dir, step, json);
  if (error != NULL) {
    printf("%s error stage=%s errno=%d %s\n", step, rootfsctl_error_stage(error),
           rootfsctl_error_errno(error), rootfsctl_error_message(error));
    write_file(dir, step, rootfsctl_error_json(error));
  }
  rootfsctl_string_free(json);
  rootfsctl_error_free(error);
  return rc;
}

static char* read_text(const char* path) {
  FILE* f = fopen(path, "r");
  if (f == NULL) return NULL;
  size_t size = 0, cap = 1 << 16;
  char* text = malloc(cap);
  size_t n;
  while (text != NULL && (n = fread(text + size, 1, cap - size - 1, f)) > 0) {
    size += n;
    if (cap - size - 1 == 0) {
      char* grown = realloc(text, cap *= 2);
      if (grown == NULL) free(text);
      text = grown;
    }
  }
  fclose(f);
  if (text != NULL) text[size] = '\0';
  return text;
}

static int apply_steps(const char* layout_path, pid_t pid, const char* dir) {
  const char* vars[] = {"usr=/usr", NULL};
  rootfsctl_layout* layout = NULL;
  rootfsctl_error* error = NULL;
  char* json = NULL;
  int rc = rootfsctl_layout_load_file(layout_path, vars, &layout, &error);
  if (record(dir, "load", rc, NULL, error) != ROOTFSCTL_OK) return 1;

  error = NULL;
  rc = rootfsctl_plan_pid(layout, pid, &json, &error);
  record(dir, "plan_pid", rc, json, error);

  char path[4096];
  snprintf(path, sizeof path, "/proc/%d/mountinfo", (int)pid);
  char* mountinfo = read_text(path);
  json = NULL;
  error = NULL;
  rc = rootfsctl_plan_mountinfo(layout, mountinfo != NULL ? mountinfo : "", &json, &error);
  record(dir, "plan_mountinfo", rc, json, error);
  free(mountinfo);

  /* A rollback drill first: op 5 fails, everything before it is undone. */
  rootfsctl_apply_options options;
  memset(&options, 0, sizeof options);
  options.size = sizeof options;
  options.fail_at = "5:EPERM";
  json = NULL;
  error = NULL;
  rc = rootfsctl_apply(layout, pid, &options, &json, &error);
  record(dir, "apply_fail_at", rc, json, error);

  options.fail_at = "5:kill"; /* refused: it would kill this process */
  json = NULL;
  error = NULL;
  rc = rootfsctl_apply(layout, pid, &options, &json, &error);
  record(dir, "apply_kill_refused", rc, json, error);

  json = NULL;
  error = NULL;
  rc = rootfsctl_apply(layout, pid, NULL, &json, &error);
  int applied = record(dir, "apply", rc, json, error);

  json = NULL;
  error = NULL;
  rc = rootfsctl_verify(layout, pid, &json, &error);
  record(dir, "verify", rc, json, error);

  json = NULL;
  error = NULL;
  rc = rootfsctl_capture(pid, &json, &error);
  record(dir, "capture", rc, json, error);

  rootfsctl_layout_free(layout);
  return applied == ROOTFSCTL_OK ? 0 : 1;
}

struct planner {
  const rootfsctl_layout* layout;
  int rounds;
  char* first;   /* the first result, kept */
  int identical; /* rounds whose result equals it */
  int failures;
};

static void* plan_rounds(void* arg) {
  struct planner* p = arg;
  for (int i = 0; i < p->rounds; ++i) {
    char* json = NULL;
    rootfsctl_error* error = NULL;
    int rc = rootfsctl_plan_pid(p->layout, 0, &json, &error);
    if (error != NULL || json == NULL || rc > ROOTFSCTL_INVALID) {
      ++p->failures;
    } else if (p->first == NULL) {
      p->first = json;
      json = NULL;
      ++p->identical;
    } else if (strcmp(p->first, json) == 0) {
      ++p->identical;
    }
    rootfsctl_string_free(json);
    rootfsctl_error_free(error);
  }
  return NULL;
}

static int threads_steps(const char* layout_path, int count) {
  enum { kMaxThreads = 64, kRounds = 20 };
  if (count < 1 || count > kMaxThreads) return 2;
  rootfsctl_layout* layout = NULL;
  rootfsctl_error* error = NULL;
  if (rootfsctl_layout_load_file(layout_path, NULL, &layout, &error) != ROOTFSCTL_OK) {
    return record(".", "load", 2, NULL, error);
  }
  pthread_t threads[kMaxThreads];
  struct planner planners[kMaxThreads];
  for (int i = 0; i < count; ++i) {
    planners[i] = (struct planner){layout, kRounds, NULL, 0, 0};
    if (pthread_create(&threads[i], NULL, plan_rounds, &planners[i]) != 0) return 1;
  }
  int identical = 0, failures = 0;
  for (int i = 0; i < count; ++i) pthread_join(threads[i], NULL);
  for (int i = 0; i < count; ++i) {
    failures += planners[i].failures;
    /* Every thread's results must equal thread 0's as well as its own first. */
    if (planners[i].first != NULL && planners[0].first != NULL &&
        strcmp(planners[i].first, planners[0].first) == 0) {
      identical += planners[i].identical;
    }
  }
  /* Thread 0's result is compared with every other's above: freed only now. */
  for (int i = 0; i < count; ++i) rootfsctl_string_free(planners[i].first);
  rootfsctl_layout_free(layout);
  printf("threads %d plans %d identical %d failures %d\n", count, count * kRounds, identical,
         failures);
  return identical == count * kRounds && failures == 0 ? 0 : 1;
}

/* Planners that run until told to stop, so that every fork of an apply happens while
 * other threads allocate. */
static int g_stop;

static void* plan_until_stopped(void* arg) {
  struct planner* p = arg;
  while (!__atomic_load_n(&g_stop, __ATOMIC_ACQUIRE)) {
    char* json = NULL;
    rootfsctl_error* error = NULL;
    if (rootfsctl_plan_pid(p->layout, 0, &json, &error) > ROOTFSCTL_INVALID) ++p->failures;
    ++p->rounds;
    rootfsctl_string_free(json);
    rootfsctl_error_free(error);
  }
  return NULL;
}

/* Applies LAYOUT to PID (in another user namespace: each apply forks the helper) while
 * N-1 threads plan: DRILLS rollback drills, then the real apply. */
static int fork_load_steps(const char* layout_path, pid_t pid, int count, int drills) {
  enum { kMaxThreads = 64 };
  if (count < 2 || count > kMaxThreads) return 2;
  rootfsctl_layout* layout = NULL;
  rootfsctl_error* error = NULL;
  if (rootfsctl_layout_load_file(layout_path, NULL, &layout, &error) != ROOTFSCTL_OK) {
    return record(".", "load", 2, NULL, error);
  }
  pthread_t threads[kMaxThreads];
  struct planner planners[kMaxThreads];
  for (int i = 1; i < count; ++i) {
    planners[i] = (struct planner){layout, 0, NULL, 0, 0};
    if (pthread_create(&threads[i], NULL, plan_until_stopped, &planners[i]) != 0) return 1;
  }
  int rolled_back = 0;
  for (int k = 0; k < drills; ++k) {
    char fail_at[32];
    snprintf(fail_at, sizeof fail_at, "%d:EPERM", 2 + k % 30);
    rootfsctl_apply_options options = {sizeof options, 0, 0, 0, 0, fail_at};
    char* json = NULL;
    error = NULL;
    if (rootfsctl_apply(layout, pid, &options, &json, &error) == ROOTFSCTL_ROLLED_BACK) {
      ++rolled_back;
    }
    rootfsctl_string_free(json);
    rootfsctl_error_free(error);
  }
  char* json = NULL;
  error = NULL;
  int rc = rootfsctl_apply(layout, pid, NULL, &json, &error);
  __atomic_store_n(&g_stop, 1, __ATOMIC_RELEASE);
  int plans = 0, failures = 0;
  for (int i = 1; i < count; ++i) {
    pthread_join(threads[i], NULL);
    plans += planners[i].rounds;
    failures += planners[i].failures;
  }
  printf("drills %d rolled_back %d apply %d plans %d failures %d\n", drills, rolled_back, rc, plans,
         failures);
  if (error != NULL) printf("error %s\n", rootfsctl_error_message(error));
  rootfsctl_string_free(json);
  rootfsctl_error_free(error);
  rootfsctl_layout_free(layout);
  return rc == ROOTFSCTL_OK && rolled_back == drills && failures == 0 ? 0 : 1;
}

static int error_steps(void) {
  rootfsctl_layout* layout = NULL;
  rootfsctl_error* error = NULL;
  int rc = rootfsctl_layout_load_text("version: 1\nmounts:\n  - tmpfs: relative\n", "bad.yaml",
                                      NULL, &layout, &error);
  printf("bad_layout %d stage=%s errno=%d\n%s", rc, rootfsctl_error_stage(error),
         rootfsctl_error_errno(error), rootfsctl_error_json(error));
  rootfsctl_error_free(error);
  const char* bad_vars[] = {"novalue", NULL};
  error = NULL;
  rc = rootfsctl_layout_load_text("version: 1\n", NULL, bad_vars, &layout, &error);
  printf("bad_var %d stage=%s\n", rc, rootfsctl_error_stage(error));
  rootfsctl_error_free(error);
  error = NULL;
  rc = rootfsctl_layout_load_text("version: 1\nname: ok\nmounts:\n  - tmpfs: /mnt\n", NULL, NULL,
                                  &layout, &error);
  printf("good_layout %d\n", rc);
  char* json = NULL;
  error = NULL;
  /* pid 2**22 + 1 is above pid_max's ceiling: no such process. */
  rc = rootfsctl_apply(layout, 4194305, NULL, &json, &error);
  printf("no_process %d stage=%s errno=%d json=%s\n", rc, rootfsctl_error_stage(error),
         rootfsctl_error_errno(error), json != NULL ? "set" : "null");
  rootfsctl_error_free(error);
  rootfsctl_string_free(json);
  error = NULL;
  rc = rootfsctl_plan_pid(NULL, 0, NULL, &error);
  printf("null_layout %d stage=%s\n", rc, rootfsctl_error_stage(error));
  rootfsctl_error_free(error);
  rootfsctl_layout_free(layout);
  printf("version %s\n", rootfsctl_version());
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 5 && strcmp(argv[1], "apply") == 0) {
    return apply_steps(argv[2], (pid_t)atoi(argv[3]), argv[4]);
  }
  if (argc == 4 && strcmp(argv[1], "threads") == 0) return threads_steps(argv[2], atoi(argv[3]));
  if (argc == 2 && strcmp(argv[1], "errors") == 0) return error_steps();
  if (argc == 6 && strcmp(argv[1], "fork-load") == 0) {
    return fork_load_steps(argv[2], (pid_t)atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
  }
  fprintf(stderr,
          "usage: proof apply LAYOUT PID OUT_DIR | threads LAYOUT N | errors | "
          "fork-load LAYOUT PID N DRILLS\n");
  return 2;
}
