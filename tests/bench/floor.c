/* The bare-syscall floor for `rootfsctl run sandbox -- CMD` (issue 7): the same
 * namespaces, the same mounts in the same order, the pivot, and an init that forks CMD
 * and waits for it, with nothing else: no layout to parse, no plan, no validation, no
 * journal, no verification, no error messages beyond the failing step.
 *
 *   bench_floor CMD [ARGS...]      (as root; exit status is CMD's)
 *
 * What manifests/sandbox.yaml asks for: new mount, pid and ipc namespaces; a 64M tmpfs
 * root; /usr bound read-only (recursively); the /bin, /lib, /lib64 and /sbin links;
 * proc; a /dev tmpfs with null, zero, full, random, urandom and tty bound onto empty
 * files, the fd, stdin, stdout and stderr links, devpts with a ptmx link, mqueue and a
 * shm tmpfs; a /tmp tmpfs. The new root is assembled under /tmp of the new mount
 * namespace (private, so the host never sees it), as bubblewrap assembles its own. CMD
 * runs as `rootfsctl run` runs it: no capabilities (bounding set, ambient, permitted,
 * effective, inheritable) and no_new_privs.
 *
 * With BENCH_FLOOR_TIMINGS set, it prints its phases on stderr, in milliseconds, cut where
 * `rootfsctl run --timings` cuts its own: clone (from main until the child runs), assemble
 * (the mounts and the pivot) and command (from then until CMD and the namespaces are gone,
 * as seen by the parent). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NEW_ROOT "/tmp"

static void die(const char* step) {
  fprintf(stderr, "bench_floor: %s: %s\n", step, strerror(errno));
  _exit(125);
}

static void check(int rc, const char* step) {
  if (rc != 0) die(step);
}

static void do_mount(const char* source, const char* target, const char* type, unsigned long flags,
                     const char* data) {
  check(mount(source, target, type, flags, data), target);
}

static void device(const char* name) {
  char host[64], inside[64];
  snprintf(host, sizeof host, "/dev/%s", name);
  snprintf(inside, sizeof inside, NEW_ROOT "/dev/%s", name);
  int fd = open(inside, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) die(inside);
  close(fd);
  do_mount(host, inside, NULL, MS_BIND, NULL);
}

static void assemble(void) {
  do_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
  do_mount("tmpfs", NEW_ROOT, "tmpfs", 0, "size=64M,mode=0755");
  check(mkdir(NEW_ROOT "/usr", 0755), "mkdir usr");
  do_mount("/usr", NEW_ROOT "/usr", NULL, MS_BIND | MS_REC, NULL);
  check(symlink("usr/bin", NEW_ROOT "/bin"), "bin");
  check(symlink("usr/lib", NEW_ROOT "/lib"), "lib");
  check(symlink("usr/lib64", NEW_ROOT "/lib64"), "lib64");
  check(symlink("usr/sbin", NEW_ROOT "/sbin"), "sbin");
  check(mkdir(NEW_ROOT "/proc", 0755), "mkdir proc");
  do_mount("proc", NEW_ROOT "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  check(mkdir(NEW_ROOT "/dev", 0755), "mkdir dev");
  do_mount("tmpfs", NEW_ROOT "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755");
  device("null");
  device("zero");
  device("full");
  device("random");
  device("urandom");
  device("tty");
  check(symlink("/proc/self/fd", NEW_ROOT "/dev/fd"), "fd");
  check(symlink("/proc/self/fd/0", NEW_ROOT "/dev/stdin"), "stdin");
  check(symlink("/proc/self/fd/1", NEW_ROOT "/dev/stdout"), "stdout");
  check(symlink("/proc/self/fd/2", NEW_ROOT "/dev/stderr"), "stderr");
  check(mkdir(NEW_ROOT "/dev/pts", 0755), "mkdir pts");
  do_mount("devpts", NEW_ROOT "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
           "newinstance,ptmxmode=0666,mode=620");
  check(symlink("pts/ptmx", NEW_ROOT "/dev/ptmx"), "ptmx");
  check(mkdir(NEW_ROOT "/dev/mqueue", 0755), "mkdir mqueue");
  do_mount("mqueue", NEW_ROOT "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  check(mkdir(NEW_ROOT "/dev/shm", 0755), "mkdir shm");
  do_mount("tmpfs", NEW_ROOT "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
  check(mkdir(NEW_ROOT "/tmp", 0755), "mkdir tmp");
  do_mount("tmpfs", NEW_ROOT "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=64M,mode=1777");
  /* Read-only last, as rootfsctl's plan does; MS_REC is not honoured by a bind remount,
   * so the floor, like bubblewrap, makes only the top of /usr read-only. */
  do_mount(NULL, NEW_ROOT "/usr", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
  check(chdir(NEW_ROOT), "chdir new root");
  check((int)syscall(SYS_pivot_root, ".", "."), "pivot_root");
  check(umount2(".", MNT_DETACH), "detach old root");
  check(chdir("/"), "chdir /");
}

/* What `rootfsctl run` does before exec: every capability set emptied, no_new_privs. */
static void drop_privileges(void) {
  for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; ++cap) {
    check(prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), "drop from the bounding set");
  }
  check(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clear ambient");
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  check((int)syscall(SYS_capset, &header, data), "capset");
  check(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs");
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

int main(int argc, char** argv) {
  const double start = now_ms();
  if (argc < 2) {
    fprintf(stderr, "usage: bench_floor CMD [ARGS...]\n");
    return 2;
  }
  /* The child's two marks, in a page both share; none without BENCH_FLOOR_TIMINGS. */
  double* marks = NULL;
  if (getenv("BENCH_FLOOR_TIMINGS") != NULL) {
    marks =
        mmap(NULL, 2 * sizeof(double), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (marks == MAP_FAILED) die("mmap");
  }
  pid_t init = (pid_t)syscall(SYS_clone, CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | SIGCHLD, NULL,
                              NULL, NULL, NULL);
  if (init < 0) die("clone");
  if (init == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (marks) marks[0] = now_ms();
    assemble();
    if (marks) marks[1] = now_ms();
    pid_t cmd = fork();
    if (cmd < 0) die("fork");
    if (cmd == 0) {
      drop_privileges();
      execvp(argv[1], argv + 1);
      _exit(errno == ENOENT ? 127 : 126);
    }
    int status = 0;
    while (waitpid(cmd, &status, 0) < 0) {
      if (errno != EINTR) die("waitpid");
    }
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
  int status = 0;
  while (waitpid(init, &status, 0) < 0) {
    if (errno != EINTR) die("waitpid");
  }
  if (marks) {
    const double end = now_ms();
    fprintf(stderr, "clone %.3f assemble %.3f command %.3f total %.3f\n", marks[0] - start,
            marks[1] - marks[0], end - marks[1], end - start);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
