// Running a command in new namespaces: what util-linux unshare(1) does, as a library call.
#pragma once

#include <sys/mount.h>
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nsctl/base/error.hpp"
#include "nsctl/ns/ns_type.hpp"
#include "nsctl/process/exit_status.hpp"
#include "privilege/idmap.hpp"

namespace nsctl {

enum class Setgroups : std::uint8_t { unchanged, allow, deny };

struct UnshareSpec {
  NsTypeSet types;  // the namespaces to create
  // Per type (indexed by NsType): keep the namespace alive by bind-mounting its nsfs file on
  // this path (pid and time: the namespace the command's children get). Empty: not persisted.
  std::array<std::string, kNsTypeCount> persist;
  // Create a missing persistence file (and remove it again if the run fails). util-linux
  // requires the file to exist.
  bool create_persist_files = false;

  bool fork = false;             // run the command as a child and wait for it
  int kill_child_signal = 0;     // sent to the child when this process dies (0: none)
  bool forward_signals = false;  // pass SIGTERM and SIGINT on to the child

  std::optional<std::string> mount_proc;    // mount proc there, in the new mount namespace
  std::optional<std::string> mount_binfmt;  // mount binfmt_misc there
  std::optional<std::string> load_interp;   // a binfmt_misc "register" line
  // Recursive propagation for "/" in a new mount namespace: MS_PRIVATE (unshare's default),
  // MS_SHARED, MS_SLAVE (each with MS_REC), or 0 to leave it.
  unsigned long propagation = MS_REC | MS_PRIVATE;

  // Single mappings of the caller's euid/egid (-r, -c, --map-user, --map-group).
  std::optional<std::uint32_t> map_user, map_group;
  // Range maps (--map-users, --map-groups, --map-auto, --map-subids); with a single mapping
  // too, the single one is punched out of them (with_single_id).
  IdMap user_map, group_map;
  Setgroups setgroups = Setgroups::unchanged;
  // --owner: become this uid/gid before creating the user namespace, which it then owns.
  std::optional<std::pair<uid_t, gid_t>> owner;
  bool keep_caps = false;  // raise the permitted capabilities into the ambient set

  std::optional<std::string> root;  // chroot
  std::optional<std::string> wd;    // chdir (after chroot; "/" by default with a root)
  std::optional<uid_t> setuid;      // -S
  std::optional<gid_t> setgid;      // -G (also drops the supplementary groups)
  std::optional<std::int64_t> monotonic, boottime;  // time namespace offsets, seconds

  bool clear_env = false;
  std::optional<std::vector<std::string>> env_whitelist;  // names to keep (implies clear)

  // The command; empty runs $SHELL (or /bin/sh) as a login shell.
  std::vector<std::string> argv;
};

// Checks a spec for conflicts before anything is created (EINVAL with unshare's message):
// --monotonic/--boottime without a time namespace, --setgroups=allow with a single group map,
// a persistence file for a type not created, maps that overlap... Also done by run_unshare().
Result<void> validate_unshare(const UnshareSpec& spec);

// Runs spec.argv in new namespaces.
//
// With fork, the command runs in a child made by one clone3(CLONE_PIDFD | CLONE_NEW*) (5.3+;
// kernels without clone3, or a spec with time offsets or --owner, take unshare(2) + fork as
// util-linux does; a child that needs nothing from outside and no time namespace is started
// with clone(CLONE_VM | CLONE_VFORK), as posix_spawn does). The caller's own namespaces do not
// change; it writes the child's id maps, bind-mounts the persistence files, waits through the
// pidfd (forwarding SIGINT/SIGTERM with forward_signals) and returns how the child ended, with
// SIGINT and SIGTERM left blocked (as unshare holds them back): the caller should then end the
// same way (exit_like).
//
// Without fork, this process calls unshare(2), sets up and execs: it returns only on failure.
// Persistence and range maps are done by a helper process forked before unshare(2), which stays
// in the original namespaces.
//
// Resets SIGCHLD to SIG_DFL (an inherited SIG_IGN would reap the child before the wait), as
// unshare does. Every failure leaves nothing behind: the child and helper are killed and reaped,
// bind mounts undone, created persistence files removed. Errors carry unshare's messages, e.g.
// "unshare failed: Operation not permitted", "mount /proc/123/ns/net on /x failed: ...".
// When the command itself cannot be executed, *exec_failed is set (the shell's 126/127 then
// apply: 127 for ENOENT).
Result<ExitStatus> run_unshare(const UnshareSpec& spec, bool* exec_failed = nullptr);

}  // namespace nsctl
