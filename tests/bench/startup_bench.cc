// Whole-process start-up, interleaved (issue 7): each round runs every command once, in
// an order that rotates from round to round, so a slow minute of a busy machine lands on
// all of them alike. Reports the median, the 10th and 90th percentiles and each median as
// a ratio to the first command's (the floor).
//
//   bench_startup [--runs N] [--warmup N] [--json] NAME -- CMD ARGS... ::: NAME -- CMD ...
//
// A command's stdout and stderr go to /dev/null; a command that exits non-zero stops the
// benchmark (a failing sandbox would be measured as fast). tests/bench/startup.sh runs it
// with rootfsctl, bubblewrap and the floor.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
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
  std::vector<std::string> argv;
  std::vector<double> ms;
};

double now_ms() {
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

/// Runs `argv` to completion; returns the wall time in ms, or a negative value on failure.
double time_once(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  const double start = now_ms();
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  const double elapsed = now_ms() - start;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? elapsed : -1;
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
               "usage: bench_startup [--runs N] [--warmup N] [--json] "
               "NAME -- CMD ARGS... [::: NAME -- CMD ARGS...]...\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 100;
  int warmup = 5;
  bool json = false;
  std::vector<Command> commands;
  int i = 1;
  for (; i < argc && std::string_view(argv[i]).starts_with("--"); ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--json") {
      json = true;
    } else if ((flag == "--runs" || flag == "--warmup") && i + 1 < argc) {
      (flag == "--runs" ? runs : warmup) = std::atoi(argv[++i]);
    } else {
      usage();
    }
  }
  while (i < argc) {
    Command c;
    c.name = argv[i++];
    if (i >= argc || std::string_view(argv[i]) != "--") usage();
    for (++i; i < argc && std::string_view(argv[i]) != ":::"; ++i) c.argv.push_back(argv[i]);
    if (i < argc) ++i;  // ":::"
    if (c.argv.empty()) usage();
    commands.push_back(std::move(c));
  }
  if (commands.empty() || runs < 1) usage();

  const std::size_t n = commands.size();
  for (int round = -warmup; round < runs; ++round) {
    for (std::size_t k = 0; k < n; ++k) {
      auto& c = commands[(static_cast<std::size_t>(round + warmup) + k) % n];
      const double ms = time_once(c.argv);
      if (ms < 0) {
        std::fprintf(stderr, "bench_startup: %s failed (run it by hand to see why)\n",
                     c.name.c_str());
        return 1;
      }
      if (round >= 0) c.ms.push_back(ms);
    }
  }

  const double base = percentile(commands[0].ms, 0.5);
  if (json) std::printf("{\"runs\": %d, \"commands\": [", runs);
  for (std::size_t k = 0; k < n; ++k) {
    const auto& c = commands[k];
    const double median = percentile(c.ms, 0.5);
    if (json) {
      std::printf(
          "%s{\"name\": \"%s\", \"median_ms\": %.3f, \"p10_ms\": %.3f, "
          "\"p90_ms\": %.3f, \"ratio\": %.3f}",
          k ? ", " : "", c.name.c_str(), median, percentile(c.ms, 0.1), percentile(c.ms, 0.9),
          median / base);
    } else {
      std::printf("%-12s median %7.2f ms  p10 %7.2f  p90 %7.2f  x%.2f of %s\n", c.name.c_str(),
                  median, percentile(c.ms, 0.1), percentile(c.ms, 0.9), median / base,
                  commands[0].name.c_str());
    }
  }
  if (json) std::printf("]}\n");
  return 0;
}
