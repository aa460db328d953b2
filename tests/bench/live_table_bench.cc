// Reading a live mount table: listmount(2)+statmount(2) against /proc/self/mountinfo text
// (issue 7). Needs root.
//
// Before anything is measured the program builds two private mount namespaces of its own
// (unshare(CLONE_NEWNS), "/" made rprivate first, so nothing reaches the machine's
// namespace): one whose table has 1,000 entries and one with 10,000 (a tmpfs for every
// eighth mount, binds of one directory for the rest, under paths of container-host
// length, on a tmpfs over /tmp). Each benchmark enters its namespace with setns(2) and reads the
// table of that namespace, side by side:
//   live_table/mountinfo_text/N   read_mountinfo_pid(0): /proc/self/mountinfo, parsed
//   live_table/listmount/N        read_listmount_table(): listmount + N statmount calls
//   live_table/read_live_table/N  what rootfsctl calls: listmount, text as the fallback
// "per_entry" is the CPU time per entry; the kernel's share is most of both.
// Reproduce: bench_live_table --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "core/unique_fd.h"
#include "mountinfo/live.h"
#include "mountinfo/mountinfo.h"

namespace rootfsctl::mountinfo {
namespace {

void check(bool ok, const std::string& what) {
  if (ok) return;
  std::fprintf(stderr, "bench_live_table: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

std::size_t table_size() {
  auto table = read_mountinfo_pid(0);
  check(table.has_value(), "read /proc/self/mountinfo");
  return table->size();
}

/// Adds mounts under `top` until this namespace's table has `entries` entries.
void grow_to(const std::string& top, std::size_t entries, int& serial) {
  std::size_t have = table_size();
  for (; have < entries; ++have, ++serial) {
    std::string dir = top + "/k8s.io/" + std::to_string(serial) + "/rootfs-volume-projected";
    check(::mkdir((top + "/k8s.io/" + std::to_string(serial)).c_str(), 0755) == 0, "mkdir");
    check(::mkdir(dir.c_str(), 0755) == 0, "mkdir " + dir);
    int rc = serial % 8 == 0
                 ? ::mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=64k")
                 : ::mount((top + "/src").c_str(), dir.c_str(), nullptr, MS_BIND, nullptr);
    check(rc == 0, "mount " + dir);
  }
}

/// The namespaces, by table size: open files of /proc/self/ns/mnt taken after building.
std::map<int, UniqueFd>& namespaces() {
  static std::map<int, UniqueFd> fds;
  return fds;
}

void build_namespaces() {
  check(::unshare(CLONE_NEWNS) == 0, "unshare(CLONE_NEWNS)");
  check(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0, "make / rprivate");
  // A tmpfs over /tmp in this namespace only: nothing is left behind on the machine.
  const std::string top = "/tmp";
  check(::mount("live bench", top.c_str(), "tmpfs", 0, "mode=1777") == 0, "tmpfs on /tmp");
  check(::mkdir((top + "/src").c_str(), 0755) == 0 && ::mkdir((top + "/k8s.io").c_str(), 0755) == 0,
        "mkdir");
  int serial = 0;
  for (int entries : {1000, 10000}) {
    // Each size gets its own namespace, a copy of the smaller one grown further.
    if (!namespaces().empty()) check(::unshare(CLONE_NEWNS) == 0, "unshare(CLONE_NEWNS)");
    grow_to(top, static_cast<std::size_t>(entries), serial);
    namespaces()[entries] = UniqueFd(::open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC));
    check(namespaces()[entries].get() >= 0, "open /proc/self/ns/mnt");
  }
}

void enter(benchmark::State& state, int entries) {
  if (::setns(namespaces().at(entries).get(), CLONE_NEWNS) != 0) {
    state.SkipWithError("setns failed");
  }
}

void report(benchmark::State& state, std::size_t entries) {
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(entries));
  state.counters["per_entry"] = benchmark::Counter(
      static_cast<double>(entries),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["entries"] = static_cast<double>(entries);
}

template <typename Read>
void measure(benchmark::State& state, int entries, Read read, const char* what) {
  enter(state, entries);
  std::size_t size = 0;
  for (auto _ : state) {
    auto table = read();
    if (!table) {
      state.SkipWithError((std::string(what) + ": " + table.error().to_string()).c_str());
      break;
    }
    size = table->size();
    benchmark::DoNotOptimize(table->entries().data());
  }
  report(state, size);
}

void mountinfo_text(benchmark::State& state, int entries) {
  measure(
      state, entries, [] { return read_mountinfo_pid(0); }, "read_mountinfo_pid");
}

void listmount(benchmark::State& state, int entries) {
  measure(
      state, entries, [] { return read_listmount_table(linux_mount_api(), 0); },
      "read_listmount_table");
}

void live(benchmark::State& state, int entries) {
  measure(
      state, entries, [] { return read_live_table(0); }, "read_live_table");
}

}  // namespace
}  // namespace rootfsctl::mountinfo

int main(int argc, char** argv) {
  using namespace rootfsctl::mountinfo;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (::geteuid() != 0) {
    std::fprintf(stderr, "bench_live_table: needs root (it builds private mount namespaces)\n");
    return 1;
  }
  build_namespaces();
  for (int entries : {1000, 10000}) {
    std::string n = std::to_string(entries);
    benchmark::RegisterBenchmark(("live_table/mountinfo_text/" + n).c_str(), mountinfo_text,
                                 entries)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("live_table/listmount/" + n).c_str(), listmount, entries)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("live_table/read_live_table/" + n).c_str(), live, entries)
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
