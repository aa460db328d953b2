// Whole-process start-up, interleaved (issue 7): each round runs every command once, in
// an order that rotates from round to round, so a slow minute of a busy machine lands on
// all of them alike. Reports the median, the 10th and 90th percentiles and each median as
// a ratio to the first command's (the floor) and, when one is named "bwrap", to its; and
// the median peak resident memory of each (the command's and its descendants', from
// wait4's rusage).
//
//   bench_startup [--runs N] [--warmup N] [--json] [--keep-page-cache]
//                 NAME [--fresh-dir VAR] -- CMD ARGS... ::: NAME -- CMD ...
//
// Before the warm-up, each command's executable (CMD, a path) is dropped from the page
// cache, so the warm-up reads every one of them back the same way: by the page faults of
// exec, as after a reboot. A file just written (by the linker, cp or an install) stays
// cached as the writes left it, one read back by faults is cached otherwise, and the same
// bytes have measured up to 14% apart in one interleaved run here (2% in controlled
// repeats, docs/performance.md). So a binary copied for a before/after comparison is not
// measured in a state of its own. --keep-page-cache measures the binaries as they are.
//
// --fresh-dir VAR gives each run of that command a new empty directory (mode 0700) in the
// environment variable VAR, made before and removed after the timed part: a cold cache
// every time (ROOTFSCTL_CACHE_DIR, for rootfsctl's compiled-layouts cache miss).
//
// A command's stdout and stderr go to /dev/null; a command that exits non-zero stops the
// benchmark (a failing sandbox would be measured as fast). tests/bench/startup.sh runs it
// with rootfsctl, bubblewrap and the floor.
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace {

struct Command {
  std::string name;
  std::string fresh_dir_var;  // --fresh-dir VAR
  std::vector<std::string> argv;
  std::vector<double> ms;
  std::vector<double> max_rss_kib;
};

struct Sample {
  double ms = -1;  // negative on failure
  double max_rss_kib = 0;
};

double now_ms() {
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

/// Runs `argv` to completion with `env`: its wall time and peak memory.
Sample time_once(const std::vector<std::string>& argv, char** env) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  const double start = now_ms();
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), env);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return {};
  int status = 0;
  rusage usage{};
  if (::wait4(pid, &status, 0, &usage) != pid) return {};
  const double elapsed = now_ms() - start;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return {};
  return {elapsed, static_cast<double>(usage.ru_maxrss)};
}

/// Drops `path`'s pages from the page cache (those no running process maps): the next exec
/// reads it back by page faults. Clean pages only, so nothing is lost; a failure leaves the
/// file as it was, and is reported.
void drop_from_page_cache(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  const int rc = fd < 0 ? errno : ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  if (fd >= 0) ::close(fd);
  if (rc != 0) {
    std::fprintf(stderr, "bench_startup: %s stays in the page cache as it is: %s\n", path.c_str(),
                 std::strerror(rc));
  }
}

int remove_one(const char* path, const struct stat*, int, FTW*) { return ::remove(path); }

/// One run of `c`, with its fresh directory when it asks for one.
Sample run_once(const Command& c) {
  if (c.fresh_dir_var.empty()) return time_once(c.argv, environ);
  char dir[] = "/tmp/bench-startup-XXXXXX";
  if (::mkdtemp(dir) == nullptr) return {};
  std::vector<std::string> storage{c.fresh_dir_var + "=" + dir};
  std::vector<char*> env{storage[0].data()};
  for (char** e = environ; *e != nullptr; ++e) {
    if (!std::string_view(*e).starts_with(c.fresh_dir_var + "=")) env.push_back(*e);
  }
  env.push_back(nullptr);
  const Sample sample = time_once(c.argv, env.data());
  ::nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
  return sample;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const double pos = p * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(pos);
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: bench_startup [--runs N] [--warmup N] [--json] [--keep-page-cache] "
               "NAME [--fresh-dir VAR] -- CMD ARGS... [::: NAME -- CMD ARGS...]...\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 100;
  int warmup = 5;
  bool json = false;
  bool keep_page_cache = false;
  std::vector<Command> commands;
  int i = 1;
  for (; i < argc && std::string_view(argv[i]).starts_with("--"); ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--json") {
      json = true;
    } else if (flag == "--keep-page-cache") {
      keep_page_cache = true;
    } else if ((flag == "--runs" || flag == "--warmup") && i + 1 < argc) {
      (flag == "--runs" ? runs : warmup) = std::atoi(argv[++i]);
    } else {
      usage();
    }
  }
  while (i < argc) {
    Command c;
    c.name = argv[i++];
    if (i + 1 < argc && std::string_view(argv[i]) == "--fresh-dir") {
      c.fresh_dir_var = argv[i + 1];
      i += 2;
    }
    if (i >= argc || std::string_view(argv[i]) != "--") usage();
    for (++i; i < argc && std::string_view(argv[i]) != ":::"; ++i) c.argv.push_back(argv[i]);
    if (i < argc) ++i;  // ":::"
    if (c.argv.empty()) usage();
    commands.push_back(std::move(c));
  }
  if (commands.empty() || runs < 1) usage();

  if (!keep_page_cache) {
    for (const auto& c : commands) drop_from_page_cache(c.argv[0]);
  }
  const std::size_t n = commands.size();
  for (int round = -warmup; round < runs; ++round) {
    for (std::size_t k = 0; k < n; ++k) {
      auto& c = commands[(static_cast<std::size_t>(round + warmup) + k) % n];
      const Sample sample = run_once(c);
      if (sample.ms < 0) {
        std::fprintf(stderr, "bench_startup: %s failed (run it by hand to see why)\n",
                     c.name.c_str());
        return 1;
      }
      if (round >= 0) {
        c.ms.push_back(sample.ms);
        c.max_rss_kib.push_back(sample.max_rss_kib);
      }
    }
  }

  const double base = percentile(commands[0].ms, 0.5);
  double bwrap = 0;
  for (const auto& c : commands) {
    if (c.name == "bwrap") bwrap = percentile(c.ms, 0.5);
  }
  if (json) std::printf("{\"runs\": %d, \"commands\": [", runs);
  for (std::size_t k = 0; k < n; ++k) {
    const auto& c = commands[k];
    const double median = percentile(c.ms, 0.5);
    const double rss = percentile(c.max_rss_kib, 0.5);
    if (json) {
      std::printf(
          "%s{\"name\": \"%s\", \"median_ms\": %.3f, \"p10_ms\": %.3f, "
          "\"p90_ms\": %.3f, \"ratio\": %.3f, \"bwrap_ratio\": %.3f, \"max_rss_kib\": %.0f}",
          k ? ", " : "", c.name.c_str(), median, percentile(c.ms, 0.1), percentile(c.ms, 0.9),
          median / base, bwrap > 0 ? median / bwrap : 0.0, rss);
    } else {
      std::printf("%-12s median %7.2f ms  p10 %7.2f  p90 %7.2f  x%.2f of %s", c.name.c_str(),
                  median, percentile(c.ms, 0.1), percentile(c.ms, 0.9), median / base,
                  commands[0].name.c_str());
      if (bwrap > 0) std::printf("  x%.2f of bwrap", median / bwrap);
      std::printf("  max RSS %6.0f KiB\n", rss);
    }
  }
  if (json) std::printf("]}\n");
  return 0;
}
