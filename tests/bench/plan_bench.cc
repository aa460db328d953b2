// plan + validate of large layouts against a 20,000-entry mount table (issue 7: 10k
// entries in <= 100 ms, 100k in <= 12x the 10k time, that is n log n, not n^2).
//
// The layouts are synthesised in memory (loading YAML is not part of this measure) from
// groups of 50 entries, each group a directory tree of its own under /srv/rN/gM: a tmpfs
// at the group's base, directories, binds of host directories (some read-only, some
// recursive, some deep under a tmpfs), a remount of a bind, symlinks, files, device
// placeholders, nested tmpfs. Two families:
//   plan_validate/root/N     with a tmpfs root: everything built in the new root, then
//                            the pivot (the sandbox shape)
//   plan_validate/no_root/N  applied to the target's current tree, where every mount is
//                            checked against the table for mounts it would hide
// The table is a container host's: overlays, shm and pod-volume tmpfs, and some mounts
// under the layouts' own paths. The filesystem probe answers from the path alone (no
// disk access), so the figure is the planner's and validator's own cost.
// Reproduce: bench_plan --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "layout/model.h"
#include "mountinfo/mountinfo.h"
#include "plan/planner.h"
#include "plan/validator.h"

namespace rootfsctl::plan {
namespace {

using layout::Entry;
using layout::EntryKind;

constexpr int kGroupSize = 50;
constexpr int kGroupsPerDir = 40;
constexpr int kTableEntries = 20000;

std::string group_base(int group) {
  return "/srv/r" + std::to_string(group / kGroupsPerDir) + "/g" + std::to_string(group);
}

Entry make(EntryKind kind, std::string target, int line) {
  Entry e;
  e.kind = kind;
  e.target = std::move(target);
  e.origin = Origin{"bench.yaml", line, 3, {}};
  return e;
}

/// Entry k (0..49) of group g.
Entry entry(int group, int k, int line) {
  const std::string base = group_base(group);
  const std::string n = std::to_string(k);
  auto at = [&](int back, const char* prefix) { return base + prefix + std::to_string(k - back); };
  if (k == 0) {
    Entry e = make(EntryKind::kTmpfs, base, line);
    e.size = "64M";
    e.options = {"nosuid"};
    return e;
  }
  switch (k % 10) {
    case 1: {
      Entry e = make(EntryKind::kDir, at(0, "/d"), line);
      e.mode = 0750;
      return e;
    }
    case 2: {
      Entry e = make(EntryKind::kBind, at(1, "/d") + "/b" + n, line);
      e.from = "/usr/lib/x" + std::to_string(group % 500) + "/y" + n;
      if (k % 20 == 2) e.readonly = true;
      return e;
    }
    case 3: {
      Entry e = make(EntryKind::kSymlink, base + "/l" + n, line);
      e.to = "d1";
      return e;
    }
    case 4: {
      Entry e = make(EntryKind::kFile, at(3, "/d") + "/f" + n, line);
      e.content = "generated " + n + "\n";
      return e;
    }
    case 5: {
      Entry e = make(EntryKind::kDevice, base + "/dev" + n, line);
      e.from = k % 20 == 5 ? "/dev/null" : "/dev/zero";
      return e;
    }
    case 6: {
      Entry e = make(EntryKind::kTmpfs, base + "/t" + n, line);
      e.mode = 01777;
      return e;
    }
    case 7:
      return make(EntryKind::kDir, at(1, "/t") + "/sub" + n, line);
    case 8: {
      Entry e =
          make(EntryKind::kBind, at(2, "/t") + "/sub" + std::to_string(k - 1) + "/deep" + n, line);
      e.from = "/var/lib/data" + std::to_string(group) + "/" + n;
      e.readonly = k % 20 == 8;
      return e;
    }
    case 9: {
      Entry e = make(EntryKind::kRemount, at(8, "/d") + "/b" + std::to_string(k - 7), line);
      e.options = {"nodev"};
      return e;
    }
    default: {
      Entry e = make(EntryKind::kDir, at(9, "/d") + "/x" + n, line);
      return e;
    }
  }
}

layout::Layout make_layout(int entries, bool root) {
  layout::Layout l;
  l.source = "bench.yaml";
  l.name = "bench";
  if (root) {
    layout::Root r;
    r.kind = layout::RootKind::kTmpfs;
    r.size = "1G";
    r.origin = Origin{"bench.yaml", 1, 1, {}};
    l.root = r;
  }
  l.mounts.reserve(static_cast<std::size_t>(entries));
  for (int i = 0; i < entries; ++i) {
    l.mounts.push_back(entry(i / kGroupSize, i % kGroupSize, i + 2));
  }
  return l;
}

std::string hex(int i, std::size_t width) {
  std::string out;
  unsigned long long x = 0x9e3779b97f4a7c15ull * static_cast<unsigned>(i + 1);
  while (out.size() < width) {
    out += "0123456789abcdef"[x & 15];
    x = (x >> 4) | (x << 60);
  }
  return out;
}

/// A container host's table: the system mounts, then overlays, shm and pod volumes under
/// /run and /var/lib, and one mount in fifty under the layouts' /srv paths.
std::string make_table_text() {
  std::string t =
      "1 0 254:1 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard\n"
      "2 1 0:20 / /proc rw,nosuid,nodev,noexec,relatime shared:2 - proc proc rw\n"
      "3 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:3 - sysfs sysfs rw\n"
      "4 1 0:5 / /dev rw,nosuid,relatime shared:4 - devtmpfs devtmpfs rw,mode=755\n"
      "5 4 0:22 / /dev/pts rw,nosuid,noexec,relatime shared:5 - devpts devpts rw,mode=620\n"
      "6 1 0:23 / /run rw,nosuid,nodev,relatime shared:6 - tmpfs tmpfs rw,mode=755\n"
      "7 1 254:2 / /var/lib rw,relatime shared:7 - ext4 /dev/vdb rw\n"
      "8 1 0:24 / /tmp rw,nosuid,nodev,relatime shared:8 - tmpfs tmpfs rw\n";
  for (int i = 9; i <= kTableEntries; ++i) {
    std::string head = std::to_string(i) + " ";
    std::string dev = " 0:" + std::to_string(30 + i) + " ";
    switch (i % 50 == 0 ? 4 : i % 4) {
      case 0:
        t += head + "6" + dev + "/ /run/containerd/io.containerd.runtime.v2.task/k8s.io/" +
             hex(i, 64) + "/rootfs rw,relatime - overlay overlay rw,lowerdir=/l" +
             std::to_string(i) + ",upperdir=/u,workdir=/w\n";
        break;
      case 1:
        t += head + "6" + dev + "/ /run/containerd/io.containerd.grpc.v1.cri/sandboxes/" +
             hex(i, 64) + "/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=65536k\n";
        break;
      case 2:
        t += head + "7" + dev + "/ /var/lib/kubelet/pods/" + hex(i, 36) +
             "/volumes/kubernetes.io~projected/kube-api-access-" + hex(i, 5) +
             " rw,relatime - tmpfs tmpfs rw,size=7998648k\n";
        break;
      case 3:
        t += head + "7 254:2 /data/" + std::to_string(i) + " /var/lib/data" +
             std::to_string(i % 2000) + "/" + std::to_string(i) +
             " rw,relatime shared:7 - ext4 /dev/vdb rw\n";
        break;
      default:
        t += head + "1" + dev + "/ " + group_base(i / 50 % 2000) +
             "/d1/mounted rw,nosuid,relatime - tmpfs host rw\n";
        break;
    }
  }
  return t;
}

const mountinfo::MountTable& table() {
  static const mountinfo::MountTable parsed = [] {
    auto t = mountinfo::parse_mountinfo(make_table_text());
    if (!t || t->size() != static_cast<std::size_t>(kTableEntries)) {
      std::fprintf(stderr, "bench_plan: the synthetic table does not parse\n");
      std::exit(1);
    }
    return std::move(*t);
  }();
  return parsed;
}

/// Answers from the path alone: devices under /dev, files where the name says so,
/// directories elsewhere; nothing is missing, so the validator checks every rule.
class PathProbe final : public FsProbe {
 public:
  FileInfo lstat(std::string_view p) const override { return stat(p); }
  FileInfo stat(std::string_view p) const override {
    if (p.starts_with("/dev/")) return {FileType::kCharDevice, 0};
    auto slash = p.rfind('/');
    if (p.substr(slash + 1).starts_with("f")) return {FileType::kRegular, 0};
    return {FileType::kDirectory, 0};
  }
};

void plan_validate(benchmark::State& state, int entries, bool root) {
  const layout::Layout layout = make_layout(entries, root);
  const PathProbe probe;
  ValidationContext context;
  context.table = &table();
  context.probe = &probe;
  context.filesystems =
      std::set<std::string>{"tmpfs", "proc", "sysfs", "devpts", "mqueue", "overlay"};
  PlanOptions options;
  options.source_type = [&](std::string_view p) { return probe.stat(p).type; };
  std::size_t ops = 0, diagnostics = 0, errors = 0;
  for (auto _ : state) {
    Plan plan = make_plan(layout, options);
    auto found = validate(layout, plan, context);
    ops = plan.ops.size();
    diagnostics = found.size();
    errors =
        static_cast<std::size_t>(std::count_if(found.begin(), found.end(), [](const Diagnostic& d) {
          return d.severity == Severity::kError;
        }));
    benchmark::DoNotOptimize(found.data());
  }
  state.counters["ops"] = static_cast<double>(ops);
  state.counters["diagnostics"] = static_cast<double>(diagnostics);
  state.counters["errors"] = static_cast<double>(errors);  // 0: a layout that would apply
  state.counters["per_entry"] = benchmark::Counter(
      static_cast<double>(entries),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

}  // namespace
}  // namespace rootfsctl::plan

int main(int argc, char** argv) {
  using namespace rootfsctl::plan;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  table();  // built once, outside every measurement
  for (bool root : {true, false}) {
    for (int entries : {1000, 10000, 100000}) {
      std::string name =
          std::string("plan_validate/") + (root ? "root/" : "no_root/") + std::to_string(entries);
      benchmark::RegisterBenchmark(name.c_str(), plan_validate, entries, root)
          ->Unit(benchmark::kMillisecond);
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
