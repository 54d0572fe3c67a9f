// Kernel constants and structures newer than the 6.1 UAPI headers the build machines have.
// Each is guarded so that newer headers win.
#pragma once

#include <linux/ioctl.h>
#include <linux/types.h>
#include <sched.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080  // 5.6
#endif

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000  // 5.2
#endif

#ifndef NSIO
#define NSIO 0xb7
#endif
#ifndef NS_GET_USERNS
#define NS_GET_USERNS _IO(NSIO, 0x1)  // 4.9
#endif
#ifndef NS_GET_PARENT
#define NS_GET_PARENT _IO(NSIO, 0x2)  // 4.9
#endif
#ifndef NS_GET_NSTYPE
#define NS_GET_NSTYPE _IO(NSIO, 0x3)  // 4.11
#endif
#ifndef NS_GET_OWNER_UID
#define NS_GET_OWNER_UID _IO(NSIO, 0x4)  // 4.11
#endif
#ifndef NS_GET_MNTNS_ID
#define NS_GET_MNTNS_ID _IOR(NSIO, 0x5, __u64)  // 6.8
#endif

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

#ifndef SIOCGSKNS
#define SIOCGSKNS 0x894C  // 4.9: a socket's network namespace, as an fd
#endif

namespace nsctl::sys {

// clone3(2), 5.3: the first published layout (CLONE_ARGS_SIZE_VER0), declared here rather than
// taken from <linux/sched.h>, which clashes with glibc's <sched.h>.
struct CloneArgs {
  __aligned_u64 flags;
  __aligned_u64 pidfd;
  __aligned_u64 child_tid;
  __aligned_u64 parent_tid;
  __aligned_u64 exit_signal;
  __aligned_u64 stack;
  __aligned_u64 stack_size;
  __aligned_u64 tls;
};
static_assert(sizeof(CloneArgs) == 64);

// listmount(2)/statmount(2): 6.8; mnt_ns_id in the request: 6.10; mnt_ns_fd: 6.18.
inline constexpr long kNrStatmount = 457;
inline constexpr long kNrListmount = 458;

inline constexpr unsigned kMntIdReqSizeVer1 = 32;
inline constexpr __u64 kLsmtRoot = 0xffffffffffffffffULL;

inline constexpr __u64 kStatmountSbBasic = 0x00000001U;
inline constexpr __u64 kStatmountMntBasic = 0x00000002U;
inline constexpr __u64 kStatmountMntRoot = 0x00000008U;
inline constexpr __u64 kStatmountMntPoint = 0x00000010U;
inline constexpr __u64 kStatmountFsType = 0x00000020U;

struct MntIdReq {
  __u32 size;
  __u32 mnt_ns_fd;  // "spare" before 6.18
  __u64 mnt_id;
  __u64 param;
  __u64 mnt_ns_id;
};

struct Statmount {
  __u32 size;
  __u32 mnt_opts;
  __u64 mask;
  __u32 sb_dev_major;
  __u32 sb_dev_minor;
  __u64 sb_magic;
  __u32 sb_flags;
  __u32 fs_type;
  __u64 mnt_id;
  __u64 mnt_parent_id;
  __u32 mnt_id_old;
  __u32 mnt_parent_id_old;
  __u64 mnt_attr;
  __u64 mnt_propagation;
  __u64 mnt_peer_group;
  __u64 mnt_master;
  __u64 propagate_from;
  __u32 mnt_root;
  __u32 mnt_point;
  __u64 mnt_ns_id;
  __u32 fs_subtype;
  __u32 sb_source;
  __u32 opt_num;
  __u32 opt_array;
  __u32 opt_sec_num;
  __u32 opt_sec_array;
  __u64 supported_mask;
  __u32 mnt_uidmap_num;
  __u32 mnt_uidmap;
  __u32 mnt_gidmap_num;
  __u32 mnt_gidmap;
  __u64 spare2[43];
  // The strings follow the struct: a [str] field is an offset from its end.
};

}  // namespace nsctl::sys
