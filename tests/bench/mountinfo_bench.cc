// mountinfo parsing cost per entry, rootfsctl against util-linux libmount (issue 7 asks
// for at least 10x less per entry than mnt_table_parse_file).
//
// For each size (1k, 20k, 100k entries) a container-host-like table is synthesised and
// written to a temporary file; then, side by side:
//   mountinfo/parse_mountinfo/N      text already in memory -> MountTable
//   mountinfo/read_mountinfo_file/N  file -> MountTable (read + parse: the CLI's path)
//   mountinfo/libmount_parse_file/N  file -> libmnt_table (mnt_table_parse_file)
// The "per_entry" counter is the CPU time per entry ("89.8ns"); items_per_second is its
// inverse. Reproduce: bench_mountinfo --benchmark_repetitions=5
// --benchmark_report_aggregates_only=true (a Release or RelWithDebInfo build).
#include <benchmark/benchmark.h>
#include <libmount/libmount.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "mountinfo/mountinfo.h"

namespace rootfsctl::mountinfo {
namespace {

std::string hex_id(int i, std::size_t width) {
  std::string out;
  unsigned long long x = 0x9e3779b97f4a7c15ull * static_cast<unsigned>(i + 1);
  while (out.size() < width) {
    out += "0123456789abcdef"[x & 15];
    x = (x >> 4) | (x << 60);
  }
  return out;
}

/// One line of a busy container host: overlays with long layer lists, per-pod tmpfs and
/// shm mounts, shared ext4 binds, kernel filesystems, and now and then an escaped name.
std::string line(int i) {
  std::string id = std::to_string(i + 30);
  std::string parent = std::to_string(i < 8 ? 29 : 30 + (i % 8));
  std::string dev = "0:" + std::to_string(40 + i);
  std::string head = id + " " + parent + " " + dev + " ";
  switch (i % 8) {
    case 0:
    case 1: {
      std::string snap = "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/";
      std::string n = std::to_string(i);
      return head + "/ /run/containerd/io.containerd.runtime.v2.task/k8s.io/" + hex_id(i, 64) +
             "/rootfs rw,relatime - overlay overlay rw,lowerdir=" + snap + n + "1/fs:" + snap + n +
             "2/fs:" + snap + n + "3/fs,upperdir=" + snap + n + "4/fs,workdir=" + snap + n +
             "4/work,uuid=on";
    }
    case 2:
      return head + "/ /var/lib/kubelet/pods/" + hex_id(i, 8) + "-" + hex_id(i + 1, 4) +
             "-4a5b-8c9d-" + hex_id(i + 2, 12) +
             "/volumes/kubernetes.io~projected/kube-api-access-" + hex_id(i, 5) +
             " rw,relatime - tmpfs tmpfs rw,size=7998648k,inode64";
    case 3:
      return head + "/ /run/containerd/io.containerd.grpc.v1.cri/sandboxes/" + hex_id(i, 64) +
             "/shm rw,nosuid,nodev,noexec,relatime shared:" + std::to_string(i) +
             " - tmpfs shm rw,size=65536k,inode64";
    case 4:
      return head + "/var/lib/kubelet/pods/" + hex_id(i, 8) + "/etc-hosts /etc/hosts" +
             std::to_string(i) + " rw,relatime shared:1 master:1 - ext4 /dev/nvme0n1p1 " +
             "rw,discard,errors=remount-ro";
    case 5:
      return head + "/ /proc/" + std::to_string(i) + " rw,nosuid,nodev,noexec,relatime - proc " +
             "proc rw";
    case 6:
      return head + "/ /sys/fs/cgroup/kubepods.slice/pod" + hex_id(i, 8) +
             " ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 "
             "rw,nsdelegate,memory_recursiveprot";
    default:
      return head + "/home/user/My\\040Drive/" + std::to_string(i) +
             " /media/user/My\\040Drive\\011(" + std::to_string(i) +
             ") rw,nosuid,nodev,relatime unbindable - fuse.rclone remote:My\\040Drive " +
             "rw,user_id=1000,group_id=1000";
  }
}

/// A synthesised table, in memory and in a temporary file (removed at exit).
struct Sample {
  std::string text;
  std::string path;
};

const Sample& sample(int entries) {
  static std::map<int, Sample> samples;
  static const int cleanup = std::atexit([] {
    for (const auto& [n, each] : samples) ::unlink(each.path.c_str());
  });
  (void)cleanup;
  auto [it, fresh] = samples.try_emplace(entries);
  if (!fresh) return it->second;
  Sample& s = it->second;
  s.text = "29 1 254:1 / / rw,relatime - ext4 /dev/nvme0n1p1 rw,discard\n";
  for (int i = 0; i + 1 < entries; ++i) s.text += line(i) + "\n";
  const char* tmp = std::getenv("TMPDIR");
  s.path = std::string(tmp != nullptr ? tmp : "/tmp") + "/rootfsctl_mountinfo_bench_XXXXXX";
  int fd = ::mkstemp(s.path.data());
  if (fd < 0 || ::write(fd, s.text.data(), s.text.size()) != static_cast<ssize_t>(s.text.size())) {
    std::perror("writing the sample");
    std::exit(1);
  }
  ::close(fd);
  return s;
}

void report(benchmark::State& state, int entries) {
  state.SetItemsProcessed(state.iterations() * entries);
  state.counters["per_entry"] = benchmark::Counter(
      static_cast<double>(entries),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void parse_in_memory(benchmark::State& state, int entries) {
  const Sample& s = sample(entries);
  for (auto _ : state) {
    auto table = parse_mountinfo(s.text);
    if (!table || table->size() != static_cast<std::size_t>(entries)) {
      state.SkipWithError("parse_mountinfo failed");
      break;
    }
    benchmark::DoNotOptimize(table->entries().data());
  }
  report(state, entries);
}

void read_file(benchmark::State& state, int entries) {
  const Sample& s = sample(entries);
  for (auto _ : state) {
    auto table = read_mountinfo_file(s.path);
    if (!table || table->size() != static_cast<std::size_t>(entries)) {
      state.SkipWithError("read_mountinfo_file failed");
      break;
    }
    benchmark::DoNotOptimize(table->entries().data());
  }
  report(state, entries);
}

void libmount_file(benchmark::State& state, int entries) {
  const Sample& s = sample(entries);
  for (auto _ : state) {
    libmnt_table* table = mnt_new_table();
    int rc = mnt_table_parse_file(table, s.path.c_str());
    int parsed = mnt_table_get_nents(table);
    mnt_unref_table(table);
    if (rc != 0 || parsed != entries) {
      state.SkipWithError("mnt_table_parse_file failed");
      break;
    }
  }
  report(state, entries);
}

}  // namespace
}  // namespace rootfsctl::mountinfo

int main(int argc, char** argv) {
  using namespace rootfsctl::mountinfo;
  // glibc returns blocks above the mmap/trim thresholds to the kernel on free, so each
  // iteration of a parser that makes few large allocations (ours: the text, the entry
  // vector) would pay fresh page faults, while libmount's many small chunks are recycled
  // from the heap. Keeping freed memory in the heap measures both parsers warm, which is
  // what a loop measures anyway; --cold_malloc keeps glibc's defaults.
  std::vector<char*> args(argv, argv + argc);
  std::erase_if(args, [](const char* arg) { return std::string_view(arg) == "--cold_malloc"; });
  if (static_cast<int>(args.size()) == argc) {
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
  }
  argc = static_cast<int>(args.size());
  argv = args.data();
  // Registered size by size so each size's three rows print together.
  for (int entries : {1000, 20000, 100000}) {
    std::string n = std::to_string(entries);
    benchmark::RegisterBenchmark(("mountinfo/parse_mountinfo/" + n).c_str(), parse_in_memory,
                                 entries)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("mountinfo/read_mountinfo_file/" + n).c_str(), read_file, entries)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("mountinfo/libmount_parse_file/" + n).c_str(), libmount_file,
                                 entries)
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
