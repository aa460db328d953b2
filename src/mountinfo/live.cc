// listmount(2)/statmount(2) -> MountTable, built to equal what parse_mountinfo() makes of
// /proc/N/mountinfo (live.h says when that holds and what happens otherwise). The text's
// fields come from fs/proc_namespace.c, show_mountinfo(); each builder below names the
// piece it mirrors.
#include "mountinfo/live.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "mountinfo/table_impl.h"

namespace rootfsctl::mountinfo {
namespace {

using kernel::Statmount;

/// Everything a mountinfo line has, as statmount names it.
constexpr std::uint64_t kWanted =
    kernel::kStatmountSbBasic | kernel::kStatmountMntBasic | kernel::kStatmountPropagateFrom |
    kernel::kStatmountMntRoot | kernel::kStatmountMntPoint | kernel::kStatmountFsType |
    kernel::kStatmountMntOpts | kernel::kStatmountFsSubtype | kernel::kStatmountSbSource;
/// What every answer must carry; the string fields may be absent (empty strings).
constexpr std::uint64_t kAlwaysThere = kernel::kStatmountSbBasic | kernel::kStatmountMntBasic |
                                       kernel::kStatmountPropagateFrom | kernel::kStatmountMntRoot |
                                       kernel::kStatmountFsType;

// A statmount answer with a few paths fits here; longer ones grow it (EOVERFLOW).
constexpr std::size_t kInitialStatBuffer = 16 * 1024;
constexpr std::size_t kMaxStatBuffer = std::size_t{16} << 20;
// Ids per listmount call; the next call continues after the last one.
constexpr std::size_t kIdsPerCall = 4096;

/// The reader cannot promise the text's answer (live.h); errno ENOTSUP.
Error unsupported(std::string why) { return make_error(Stage::kRead, std::move(why), ENOTSUP); }

/// A call failed with -`result`.
Error failed(std::string what, long result) {
  return make_error(Stage::kRead, std::move(what), static_cast<int>(-result));
}

/// "statmount(2) of mount 9 failed: EPERM (Operation not permitted)"; no errno suffix
/// for the reader's own "unsupported".
std::string reason_of(const Error& error) {
  return error.errno_value == ENOTSUP ? error.message : error.to_string();
}

/// A statmount answer in a buffer that grows when the kernel says it is too small.
class StatBuffer {
 public:
  StatBuffer() { resize(kInitialStatBuffer); }

  /// statmount of `id`: 0, or -errno (-ENOENT: the mount is gone).
  long fetch(MountApi& api, kernel::MntIdReq req) {
    for (;;) {
      long result = api.statmount(req, get(), size_);
      if (result != -EOVERFLOW) return result;
      if (size_ >= kMaxStatBuffer) return result;
      resize(size_ * 2);
    }
  }

  const Statmount& answer() const { return *get(); }

  /// The string at `offset` if `bit` is in the mask and it lies inside the answer.
  std::optional<std::string_view> string(std::uint64_t bit, std::uint32_t offset) const {
    const Statmount& sm = *get();
    if ((sm.mask & bit) == 0) return std::string_view{};
    std::size_t answer = std::min<std::size_t>(sm.size, size_);
    if (answer <= sizeof(Statmount)) return std::nullopt;
    std::size_t room = answer - sizeof(Statmount);
    if (offset >= room) return std::nullopt;
    const char* begin = sm.strings() + offset;
    const void* nul = std::memchr(begin, '\0', room - offset);
    if (nul == nullptr) return std::nullopt;
    return std::string_view(begin, static_cast<std::size_t>(static_cast<const char*>(nul) - begin));
  }

 private:
  Statmount* get() const { return reinterpret_cast<Statmount*>(data_.get()); }
  void resize(std::size_t size) {
    // Zeroed, so nothing a fake (or a short answer) leaves unwritten is read as garbage.
    data_ = std::unique_ptr<std::uint64_t[]>(new std::uint64_t[size / sizeof(std::uint64_t)]());
    size_ = size;
  }

  std::unique_ptr<std::uint64_t[]> data_;  // 8-byte aligned, as struct statmount needs
  std::size_t size_ = 0;
};

/// A field's place in the arena, until the arena's final address is known.
struct Span {
  std::uint32_t offset = 0;
  std::uint32_t size = 0;
};

/// The text fields of one entry.
struct Spans {
  Span root, target, options, optional_fields, fstype, source, super_options;
};

/// What the checks after listing need to know of an entry (live.h).
struct Identity {
  std::uint64_t unique_id = 0;
  std::uint64_t unique_parent = 0;
  std::uint64_t peer_group = 0;  // when shared
  std::uint64_t master = 0;      // when a slave
  bool shared = false;
  bool slave = false;
};

/// The converted entries: numbers in `entries` (views still empty), text in the arena.
struct Listing {
  std::vector<MountEntry> entries;
  std::vector<Spans> spans;
  std::vector<Identity> identities;
};

/// The text fields of every entry in one buffer, which becomes the table's storage as is
/// (with parse_owned's padding, so both kinds of table look alike).
class Arena {
 public:
  explicit Arena(std::size_t capacity) { reserve(capacity); }

  /// Appends to the field being written.
  void append(std::string_view text) {
    // An empty field may have no data at all, and memcpy from a null pointer is undefined
    // even for 0 bytes (UBSan, scripts/sanitize.sh).
    if (text.empty()) return;
    if (size_ + text.size() > capacity_) reserve(std::max(capacity_ * 2, size_ + text.size()));
    std::memcpy(data_.get() + size_, text.data(), text.size());
    size_ += text.size();
  }
  void append_number(std::uint64_t value) {
    char digits[20];
    std::size_t n = 0;
    do {
      digits[sizeof digits - ++n] = static_cast<char>('0' + value % 10);
      value /= 10;
    } while (value != 0);
    append(std::string_view(digits + sizeof digits - n, n));
  }
  /// Ends the field that began at `begin` (size() when it began).
  Span field(std::size_t begin) const {
    return {static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(size_ - begin)};
  }
  Span add(std::string_view text) {
    std::size_t begin = size_;
    append(text);
    return field(begin);
  }
  /// Decodes \ooo in the field that began at `begin`, as the text parser does.
  Span unescape(std::size_t begin) {
    size_ = begin + unescape_octal(data_.get() + begin, size_ - begin);
    return field(begin);
  }
  std::size_t size() const { return size_; }
  /// Fields are offsets from here once the arena is handed over.
  ByteBuffer release() {
    std::memset(data_.get() + size_, 0, kScanPadding);
    return std::move(data_);
  }

 private:
  void reserve(std::size_t capacity) {
    ByteBuffer data(capacity + kScanPadding);
    if (size_ > 0) std::memcpy(data.get(), data_.get(), size_);
    data_ = std::move(data);
    capacity_ = capacity;
  }

  ByteBuffer data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

// A table's text is about this many bytes an entry on a busy host: one allocation, mostly.
constexpr std::size_t kBytesPerEntryGuess = 160;

// show_mnt_opts(): "rw" or "ro", then the per-mount flags in the kernel's order.
Span mount_options(std::uint64_t attr, Arena& arena) {
  std::size_t begin = arena.size();
  arena.append((attr & kernel::kMountAttrRdonly) ? "ro" : "rw");
  if (attr & kernel::kMountAttrNosuid) arena.append(",nosuid");
  if (attr & kernel::kMountAttrNodev) arena.append(",nodev");
  if (attr & kernel::kMountAttrNoexec) arena.append(",noexec");
  std::uint64_t atime = attr & kernel::kMountAttrAtimeMask;
  if (atime == kernel::kMountAttrNoatime) arena.append(",noatime");
  if (attr & kernel::kMountAttrNodiratime) arena.append(",nodiratime");
  if (atime == kernel::kMountAttrRelatime) arena.append(",relatime");
  if (attr & kernel::kMountAttrNosymfollow) arena.append(",nosymfollow");
  if (attr & kernel::kMountAttrIdmap) arena.append(",idmapped");
  return arena.field(begin);
}

// The tagged fields: "shared:N", "master:N" and "propagate_from:N" when it differs from
// the master, "unbindable".
Span optional_fields(const Statmount& sm, Arena& arena) {
  std::size_t begin = arena.size();
  auto word = [&](std::string_view tag) {
    if (arena.size() != begin) arena.append(" ");
    arena.append(tag);
  };
  if (sm.mnt_propagation & kernel::kMsShared) {
    word("shared:");
    arena.append_number(sm.mnt_peer_group);
  }
  if (sm.mnt_propagation & kernel::kMsSlave) {
    word("master:");
    arena.append_number(sm.mnt_master);
    if (sm.propagate_from != 0 && sm.propagate_from != sm.mnt_master) {
      word("propagate_from:");
      arena.append_number(sm.propagate_from);
    }
  }
  if (sm.mnt_propagation & kernel::kMsUnbindable) word("unbindable");
  return arena.field(begin);
}

// The super options: "rw" or "ro" from the superblock, show_sb_opts()'s flags, then the
// filesystem's own options (security options first, as statmount_mnt_opts() puts them),
// which show_options() escapes with \ooo and the text parser decodes.
Span super_options(std::uint32_t sb_flags, std::string_view fs_options, Arena& arena) {
  std::size_t begin = arena.size();
  arena.append((sb_flags & kernel::kSbRdonly) ? "ro" : "rw");
  if (sb_flags & kernel::kSbSynchronous) arena.append(",sync");
  if (sb_flags & kernel::kSbDirsync) arena.append(",dirsync");
  if (sb_flags & kernel::kSbLazytime) arena.append(",lazytime");
  if (fs_options.empty()) return arena.field(begin);
  arena.append(",");
  arena.append(fs_options);
  return arena.unescape(begin);
}

// show_type(): "fuse.sshfs".
Span fstype(std::string_view type, std::string_view subtype, Arena& arena) {
  std::size_t begin = arena.size();
  arena.append(type);
  if (!subtype.empty()) {
    arena.append(".");
    arena.append(subtype);
  }
  return arena.field(begin);
}

/// The strings of one answer, or nullopt when an offset points outside it.
struct Strings {
  std::string_view root, point, fstype, subtype, source, options;
};

std::optional<Strings> strings_of(const StatBuffer& buf) {
  const Statmount& sm = buf.answer();
  auto root = buf.string(kernel::kStatmountMntRoot, sm.mnt_root);
  auto point = buf.string(kernel::kStatmountMntPoint, sm.mnt_point);
  auto type = buf.string(kernel::kStatmountFsType, sm.fs_type);
  auto subtype = buf.string(kernel::kStatmountFsSubtype, sm.fs_subtype);
  auto source = buf.string(kernel::kStatmountSbSource, sm.sb_source);
  auto options = buf.string(kernel::kStatmountMntOpts, sm.mnt_opts);
  if (!root || !point || !type || !subtype || !source || !options) return std::nullopt;
  return Strings{*root, *point, *type, *subtype, *source, *options};
}

/// Appends one answer to `out`; leaves out a mount unreachable from the root (mountinfo
/// leaves such mounts out too).
Result<void> convert(const StatBuffer& buf, Arena& arena, Listing& out) {
  const Statmount& sm = buf.answer();
  if ((sm.mask & kAlwaysThere) != kAlwaysThere) {
    return std::unexpected(unsupported("statmount answered without a basic field"));
  }
  auto text = strings_of(buf);
  if (!text) return std::unexpected(unsupported("statmount answer is malformed"));
  // No mount point: seq_path_root() said the mount is outside the root (SEQ_SKIP).
  if ((sm.mask & kernel::kStatmountMntPoint) == 0) return {};
  MountEntry& e = out.entries.emplace_back();
  e.id = static_cast<int>(sm.mnt_id_old);
  e.parent = static_cast<int>(sm.mnt_parent_id_old);
  e.major = sm.sb_dev_major;
  e.minor = sm.sb_dev_minor;
  Spans& s = out.spans.emplace_back();
  s.root = arena.add(text->root);
  s.target = arena.add(text->point);
  s.options = mount_options(sm.mnt_attr, arena);
  s.optional_fields = optional_fields(sm, arena);
  s.fstype = fstype(text->fstype, text->subtype, arena);
  s.source = arena.add(text->source);
  s.super_options = super_options(sm.sb_flags, text->options, arena);
  out.identities.push_back({sm.mnt_id, sm.mnt_parent_id, sm.mnt_peer_group, sm.mnt_master,
                            (sm.mnt_propagation & kernel::kMsShared) != 0,
                            (sm.mnt_propagation & kernel::kMsSlave) != 0});
  return {};
}

/// Every mount id in the namespace, in the kernel's order (ascending unique id, the order
/// mountinfo lists them in).
Result<std::vector<std::uint64_t>> list_ids(MountApi& api, std::uint64_t ns_id) {
  std::vector<std::uint64_t> ids;
  kernel::MntIdReq req;
  req.size = kernel::kMntIdReqSizeVer1;
  req.mnt_id = kernel::kLsmtRoot;
  req.mnt_ns_id = ns_id;
  for (;;) {
    std::size_t have = ids.size();
    ids.resize(have + kIdsPerCall);
    long got = api.listmount(req, ids.data() + have, kIdsPerCall);
    if (got < 0) {
      if (got == -ENOSYS) api.set_kernel_unsupported("the kernel has no listmount(2)");
      return std::unexpected(failed("listmount(2) failed", got));
    }
    ids.resize(have + static_cast<std::size_t>(got));
    if (static_cast<std::size_t>(got) < kIdsPerCall) return ids;
    req.param = ids.back();
  }
}

/// Checks the first answer's supported_mask: can this kernel report every field?
bool kernel_reports_everything(MountApi& api, const Statmount& sm) {
  if ((sm.mask & kernel::kStatmountSupportedMask) == 0) {
    api.set_kernel_unsupported("statmount(2) has no supported_mask (Linux 6.15+)");
    return false;
  }
  if ((sm.supported_mask & kWanted) != kWanted) {
    api.set_kernel_unsupported("statmount(2) cannot report every mountinfo field");
    return false;
  }
  return true;
}

/// statmount of every id. A mount that vanished in between is left out, as if the text
/// had been read a moment later.
Result<void> stat_all(MountApi& api, const std::vector<std::uint64_t>& ids, std::uint64_t ns_id,
                      Arena& arena, Listing& out) {
  out.entries.reserve(ids.size());
  out.spans.reserve(ids.size());
  out.identities.reserve(ids.size());
  StatBuffer buf;
  bool probed = false;
  for (std::uint64_t id : ids) {
    kernel::MntIdReq req;
    req.size = kernel::kMntIdReqSizeVer1;
    req.mnt_id = id;
    req.param = probed ? kWanted : kWanted | kernel::kStatmountSupportedMask;
    req.mnt_ns_id = ns_id;
    long result = buf.fetch(api, req);
    if (result == -ENOENT) continue;
    if (result < 0) {
      if (result == -ENOSYS) api.set_kernel_unsupported("the kernel has no statmount(2)");
      return std::unexpected(
          failed("statmount(2) of mount " + std::to_string(id) + " failed", result));
    }
    if (!probed && !kernel_reports_everything(api, buf.answer())) {
      return std::unexpected(unsupported(api.kernel_unsupported()));
    }
    probed = true;
    if (auto converted = convert(buf, arena, out); !converted) return converted;
    // The same bound as the text readers', which also keeps Span's offsets in range.
    if (arena.size() > kMaxMountinfoBytes) {
      return std::unexpected(make_error(
          Stage::kRead,
          "the mount table is larger than " + std::to_string(kMaxMountinfoBytes >> 20) + " MiB",
          EFBIG));
    }
  }
  return {};
}

/// The entry listmount treated as the root: the one whose parent is not listed (or is
/// itself, for a namespace's own root mount). Exactly one, or the view is not a tree
/// hanging from one root and the caller falls back.
const Identity* listing_root(const std::vector<Identity>& identities) {
  std::unordered_set<std::uint64_t> ids;
  ids.reserve(identities.size());
  for (const auto& e : identities) ids.insert(e.unique_id);
  const Identity* root = nullptr;
  for (const auto& e : identities) {
    if (e.unique_parent != e.unique_id && ids.contains(e.unique_parent)) continue;
    if (root != nullptr) return nullptr;
    root = &e;
  }
  return root;
}

/// True when mountinfo's propagate_from would be absent for every slave of a namespace
/// that is not ours (live.h): each slave's master peer group has a member in the table.
bool masters_visible(const std::vector<Identity>& identities) {
  std::unordered_set<std::uint64_t> groups;
  for (const auto& e : identities) {
    if (e.shared) groups.insert(e.peer_group);
  }
  return std::all_of(identities.begin(), identities.end(),
                     [&](const Identity& e) { return !e.slave || groups.contains(e.master); });
}

/// Hands the arena to the table as its storage and points every entry's views into it.
MountTable build_table(Listing& listing, Arena& arena) {
  auto impl = std::make_unique<MountTable::Impl>();
  impl->storage_size = arena.size();
  impl->storage = arena.release();
  const char* base = impl->storage.get();
  auto view = [base](Span s) { return std::string_view(base + s.offset, s.size); };
  for (std::size_t i = 0; i < listing.entries.size(); ++i) {
    MountEntry& e = listing.entries[i];
    const Spans& s = listing.spans[i];
    e.root = view(s.root);
    e.target = view(s.target);
    e.options = view(s.options);
    e.optional_fields = view(s.optional_fields);
    e.fstype = view(s.fstype);
    e.source = view(s.source);
    e.super_options = view(s.super_options);
  }
  impl->entries = std::move(listing.entries);
  return MountTable::Impl::adopt(std::move(impl));
}

std::string proc_dir(pid_t pid) {
  return pid == 0 ? std::string("/proc/self") : "/proc/" + std::to_string(pid);
}

/// The target's root must be the root listmount used (live.h).
Result<void> check_root(MountApi& api, pid_t pid, const std::vector<Identity>& identities) {
  const Identity* top = listing_root(identities);
  if (top == nullptr) return std::unexpected(unsupported("the listing has no single root mount"));
  auto root = api.root_mount(proc_dir(pid) + "/root");
  if (!root) return std::unexpected(root.error());
  if (!root->is_mount_root || root->mnt_id != top->unique_id) {
    return std::unexpected(
        unsupported("the target's root directory is not its namespace's root (chroot?)"));
  }
  return {};
}

}  // namespace

Result<MountTable> read_listmount_table(MountApi& api, pid_t pid) {
  if (pid < 0) return std::unexpected(unsupported("invalid process id"));
  if (const char* why = api.kernel_unsupported()) return std::unexpected(unsupported(why));
  auto ns_id = api.mount_ns_id(proc_dir(pid) + "/ns/mnt");
  if (!ns_id) return std::unexpected(ns_id.error());
  auto own_ns = api.mount_ns_id("/proc/thread-self/ns/mnt");
  if (!own_ns) return std::unexpected(own_ns.error());
  auto ids = list_ids(api, *ns_id);
  if (!ids) return std::unexpected(ids.error());
  Arena arena(ids->size() * kBytesPerEntryGuess);
  Listing listing;
  if (auto stat = stat_all(api, *ids, *ns_id, arena, listing); !stat) {
    return std::unexpected(stat.error());
  }
  if (auto root = check_root(api, pid, listing.identities); !root) {
    return std::unexpected(root.error());
  }
  if (*ns_id != *own_ns && !masters_visible(listing.identities)) {
    return std::unexpected(unsupported(
        "a slave's master is outside the target's namespace (propagate_from unknowable)"));
  }
  return build_table(listing, arena);
}

Result<MountTable> read_live_table(MountApi& api, pid_t pid, LiveReadReport* report) {
  auto table = read_listmount_table(api, pid);
  if (table) {
    if (report) *report = {LiveSource::kListmount, {}};
    return table;
  }
  if (report) *report = {LiveSource::kMountinfoText, reason_of(table.error())};
  return api.read_mountinfo(pid);
}

Result<MountTable> read_live_table(pid_t pid) { return read_live_table(linux_mount_api(), pid); }

}  // namespace rootfsctl::mountinfo
