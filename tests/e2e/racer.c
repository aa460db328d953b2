/* A racer for the handles suite (issue 15): exchanges two names with
 * renameat2(RENAME_EXCHANGE) in a tight loop, the way an image's owner swaps a file
 * rootfsctl is about to write, chmod or unmount for a FIFO, a device node, a symlink or a
 * hard link out of the root (runc CVE-2021-30465 style).
 *
 * Usage: racer NAME ALTERNATIVE SECONDS
 *
 * Runs until SECONDS have passed or it is sent SIGTERM, then prints how many exchanges
 * succeeded. A failed exchange (ENOENT while rootfsctl has not made NAME yet) is retried:
 * the racer is started before the apply and swaps as soon as both names exist. Exits 0,
 * or 2 on a usage error. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static volatile sig_atomic_t stop;

static void on_term(int sig) {
  (void)sig;
  stop = 1;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: racer NAME ALTERNATIVE SECONDS\n");
    return 2;
  }
  double seconds = strtod(argv[3], NULL);
  if (seconds <= 0) {
    fprintf(stderr, "racer: SECONDS must be positive\n");
    return 2;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  double deadline = now() + seconds;
  unsigned long swaps = 0;
  unsigned long tries = 0;
  /* Ready: the caller waits for this line so the racer is running before the apply. */
  printf("racing\n");
  fflush(stdout);
  while (!stop) {
    if (renameat2(AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) == 0) swaps++;
    if ((++tries & 1023) == 0 && now() > deadline) break;
  }
  printf("%lu\n", swaps);
  return 0;
}
