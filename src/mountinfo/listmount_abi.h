// The kernel ABI of listmount(2) and statmount(2) (Linux 6.8+), NS_GET_MNTNS_ID (6.11+)
// and statx's unique mount id (6.8+), written out here because Debian 12's
// <linux/mount.h> and <linux/nsfs.h> predate them. Layouts and values follow the kernel's
// include/uapi/linux/mount.h, nsfs.h and stat.h as of Linux 6.18; every struct is
// versioned by size, so a newer kernel accepts these and an older one refuses them with
// an error the reader turns into "unsupported".
#pragma once

#include <cstddef>
#include <cstdint>

namespace rootfsctl::mountinfo::kernel {

// Syscall numbers: the unified table (asm-generic) that x86-64, arm64, riscv and the
// other architectures since 5.1 share. Elsewhere the reader reports ENOSYS.
#if defined(__x86_64__) || defined(__aarch64__) || defined(__riscv) || defined(__i386__) || \
    defined(__arm__) || defined(__loongarch__) || defined(__powerpc__) || defined(__s390__)
inline constexpr long kSysStatmount = 457;
inline constexpr long kSysListmount = 458;
#else
inline constexpr long kSysStatmount = -1;
inline constexpr long kSysListmount = -1;
#endif

/// struct mnt_id_req: which mount (statmount) or where to continue (listmount), and in
/// which mount namespace. Size 24 (VER0) had no namespace id; 32 (VER1) has one.
struct MntIdReq {
  std::uint32_t size = 0;
  std::uint32_t spare = 0;      // newer kernels: a namespace fd (mnt_ns_fd); unused, 0
  std::uint64_t mnt_id = 0;     // statmount: the mount; listmount: the parent (kLsmtRoot)
  std::uint64_t param = 0;      // statmount: request mask; listmount: last id listed
  std::uint64_t mnt_ns_id = 0;  // 0: the caller's mount namespace
};
inline constexpr std::uint32_t kMntIdReqSizeVer1 = 32;
static_assert(sizeof(MntIdReq) == kMntIdReqSizeVer1);

/// listmount: list the whole namespace (mounts reachable from its root).
inline constexpr std::uint64_t kLsmtRoot = ~std::uint64_t{0};

/// struct statmount. String fields are offsets into `str`; the kernel sets a bit in
/// `mask` only for what it wrote, and leaves a string's bit clear when the string would
/// be empty.
struct Statmount {
  std::uint32_t size;      // total size, strings included
  std::uint32_t mnt_opts;  // [str] filesystem options, comma separated, escaped
  std::uint64_t mask;      // what was written
  std::uint32_t sb_dev_major;
  std::uint32_t sb_dev_minor;
  std::uint64_t sb_magic;
  std::uint32_t sb_flags;       // SB_RDONLY, SB_SYNCHRONOUS, SB_DIRSYNC, SB_LAZYTIME
  std::uint32_t fs_type;        // [str]
  std::uint64_t mnt_id;         // unique 64-bit id
  std::uint64_t mnt_parent_id;  // unique id of the parent (itself for a namespace root)
  std::uint32_t mnt_id_old;     // the id /proc/N/mountinfo shows
  std::uint32_t mnt_parent_id_old;
  std::uint64_t mnt_attr;         // MOUNT_ATTR_*
  std::uint64_t mnt_propagation;  // MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE
  std::uint64_t mnt_peer_group;
  std::uint64_t mnt_master;
  std::uint64_t propagate_from;
  std::uint32_t mnt_root;   // [str] root of the mount within its filesystem
  std::uint32_t mnt_point;  // [str] mount point, relative to the caller's root
  std::uint64_t mnt_ns_id;
  std::uint32_t fs_subtype;  // [str] e.g. "sshfs" of "fuse.sshfs"
  std::uint32_t sb_source;   // [str] the source, unescaped
  std::uint32_t opt_num;
  std::uint32_t opt_array;
  std::uint32_t opt_sec_num;
  std::uint32_t opt_sec_array;
  std::uint64_t supported_mask;  // every mask bit this kernel knows (6.15+)
  std::uint32_t mnt_uidmap_num;
  std::uint32_t mnt_uidmap;
  std::uint32_t mnt_gidmap_num;
  std::uint32_t mnt_gidmap;
  std::uint64_t spare2[43];
  // char str[] follows: a flexible array member is not C++, so the strings are reached
  // through strings(), which points just past the fixed part.
  const char* strings() const { return reinterpret_cast<const char*>(this + 1); }
};
static_assert(sizeof(Statmount) == 512);
static_assert(offsetof(Statmount, mnt_attr) == 64);
static_assert(offsetof(Statmount, mnt_root) == 104);
static_assert(offsetof(Statmount, fs_subtype) == 120);
static_assert(offsetof(Statmount, supported_mask) == 144);

// statmount request and result mask bits.
inline constexpr std::uint64_t kStatmountSbBasic = 0x0001;
inline constexpr std::uint64_t kStatmountMntBasic = 0x0002;
inline constexpr std::uint64_t kStatmountPropagateFrom = 0x0004;
inline constexpr std::uint64_t kStatmountMntRoot = 0x0008;
inline constexpr std::uint64_t kStatmountMntPoint = 0x0010;
inline constexpr std::uint64_t kStatmountFsType = 0x0020;
inline constexpr std::uint64_t kStatmountMntNsId = 0x0040;
inline constexpr std::uint64_t kStatmountMntOpts = 0x0080;        // 6.11
inline constexpr std::uint64_t kStatmountFsSubtype = 0x0100;      // 6.13
inline constexpr std::uint64_t kStatmountSbSource = 0x0200;       // 6.13
inline constexpr std::uint64_t kStatmountSupportedMask = 0x1000;  // 6.15

// struct statmount's mnt_attr (MOUNT_ATTR_* in <linux/mount.h>).
inline constexpr std::uint64_t kMountAttrRdonly = 0x00000001;
inline constexpr std::uint64_t kMountAttrNosuid = 0x00000002;
inline constexpr std::uint64_t kMountAttrNodev = 0x00000004;
inline constexpr std::uint64_t kMountAttrNoexec = 0x00000008;
inline constexpr std::uint64_t kMountAttrAtimeMask = 0x00000070;
inline constexpr std::uint64_t kMountAttrRelatime = 0x00000000;
inline constexpr std::uint64_t kMountAttrNoatime = 0x00000010;
inline constexpr std::uint64_t kMountAttrStrictatime = 0x00000020;
inline constexpr std::uint64_t kMountAttrNodiratime = 0x00000080;
inline constexpr std::uint64_t kMountAttrIdmap = 0x00100000;
inline constexpr std::uint64_t kMountAttrNosymfollow = 0x00200000;

// struct statmount's mnt_propagation (MS_* in <linux/mount.h>).
inline constexpr std::uint64_t kMsUnbindable = 1u << 17;
inline constexpr std::uint64_t kMsPrivate = 1u << 18;
inline constexpr std::uint64_t kMsSlave = 1u << 19;
inline constexpr std::uint64_t kMsShared = 1u << 20;

// struct statmount's sb_flags (SB_* in <linux/fs.h>, the values of MS_*).
inline constexpr std::uint32_t kSbRdonly = 0x0001;
inline constexpr std::uint32_t kSbSynchronous = 0x0010;
inline constexpr std::uint32_t kSbDirsync = 0x0080;
inline constexpr std::uint32_t kSbLazytime = 0x02000000;

/// ioctl on a mount namespace file: its 64-bit id, _IOR(NSIO = 0xb7, 0x5, __u64).
inline constexpr unsigned long kNsGetMntnsId = 0x8008b705ul;

/// statx: the unique 64-bit mount id in stx_mnt_id (6.8+), and the attribute that says the
/// path is the root of its mount.
inline constexpr unsigned kStatxMntIdUnique = 0x00004000u;
inline constexpr std::uint64_t kStatxAttrMountRoot = 0x00002000u;

}  // namespace rootfsctl::mountinfo::kernel
