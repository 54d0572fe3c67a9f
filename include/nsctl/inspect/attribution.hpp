// Container attribution: which container a process belongs to, read from the cgroup paths in
// /proc/PID/cgroup (and, when those say nothing, the `container=` variable in its
// environment), with names taken from the engines' state on disk. No daemon is asked.
//
// Every engine places a container's processes in a cgroup whose name carries the container's
// id: docker-<id>.scope or /docker/<id> (docker), libpod-<id>.scope (podman),
// cri-containerd-<id>.scope (containerd's CRI plugin), crio-<id>.scope (CRI-O),
// machine-<name>.scope (systemd-nspawn via machined), lxc.payload.<name> (LXC, LXD, Incus).
// The recognisers below accept only those shapes, with a full 64-hex id where the engine uses
// one, so a host service such as docker-compose.service is never taken for a container.
//
// Paths are as the reader's cgroup namespace shows them: run from the host, they are full.
// Kernel: /proc/PID/cgroup exists since 2.6.24, its cgroup v2 line ("0::") since 4.5; nothing
// here needs more.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "nsctl/base/error.hpp"

namespace nsctl {

// The engine names used in Container::engine.
namespace engines {
inline constexpr std::string_view kDocker = "docker";
inline constexpr std::string_view kPodman = "podman";
inline constexpr std::string_view kContainerd = "containerd";  // CRI plugin or nerdctl
inline constexpr std::string_view kCrio = "cri-o";
inline constexpr std::string_view kNspawn = "systemd-nspawn";
inline constexpr std::string_view kLxc = "lxc";  // LXC, LXD and Incus
inline constexpr std::string_view kLibvirtLxc = "libvirt-lxc";
// A Kubernetes container whose runtime the cgroup path does not name (the cgroupfs driver
// writes /kubepods/<qos>/pod<uid>/<id> for docker and containerd alike). The resolver turns it
// into docker or containerd when that engine's state on disk knows the id.
inline constexpr std::string_view kKubernetes = "kubernetes";
}  // namespace engines

struct Container {
  std::string engine;    // one of engines::k*, or a `container=` value such as "oci"
  std::string id;        // the full id from the cgroup path; the machine/container name for
                         // systemd-nspawn, LXC and libvirt-lxc; empty when known only from the
                         // environment
  std::string name;      // from the engine's state on disk, or the nspawn/LXC name; may be empty
  std::string pod;       // the pod: a Kubernetes pod uid ('_' turned into '-'), or a podman pod id
  bool monitor = false;  // the engine's monitor of the container (conmon, lxc monitor, nspawn
                         // supervisor) rather than its payload
  // The user whose systemd instance holds the container (".../user@UID.service/..."): rootless
  // podman and docker. Used to find that user's podman storage.
  std::optional<uid_t> owner_uid;

  // What a CONTAINER column shows: "docker:web1", or "docker:0123456789ab" (the 12-character
  // short id) when there is no name, or just "podman" when only the environment told;
  // "(monitor)" is appended for a monitor. Always printable ASCII.
  std::string display() const;

  bool operator==(const Container&) const = default;
};

// Recognises one cgroup path (the third field of a /proc/PID/cgroup line). When containers are
// nested (kind, docker in LXC, podman in nspawn), the innermost one is returned; a pod found on
// the way is kept. Never fails: anything unrecognised gives nullopt.
std::optional<Container> container_from_cgroup_path(std::string_view path);

// The whole /proc/PID/cgroup text: the cgroup v2 line and any v1 lines. Lines may disagree on a
// hybrid system (e.g. name=systemd says docker-<id>.scope while a controller left the process
// at "/"); the answer is the most deeply nested container any line shows, then the one most
// lines agree on, then the v2 line's, then name=systemd's; fields the chosen line lacks (pod,
// owner) are taken from lines naming the same container.
std::optional<Container> container_from_cgroup(std::string_view cgroup_file);

// True when the cgroup text says nothing about where the process is: every path is "/" or
// "/init.scope" (what a process sees inside its own cgroup namespace), or there are no lines.
// Only then is the environment worth reading.
bool cgroup_says_nothing(std::string_view cgroup_file);

// The engine a `container=` value names (systemd's list: docker, podman, lxc, lxc-libvirt,
// systemd-nspawn, oci, rkt, pouch), or nullopt for any other value.
std::optional<std::string_view> engine_from_container_env(std::string_view value);

// Undoes systemd's unit name escaping ("\x2d" -> "-"). Bytes that are not printable ASCII
// after unescaping are written back as "\xNN", so the result is always printable ASCII.
std::string unescape_unit_name(std::string_view text);

// True if `query` equals the container's name or id, or is a prefix (>= 1 character) of its
// 64-hex id, or is "<engine>:" followed by one of those. Used by `--container NAME|ID`. (An
// nspawn or LXC name is its id, so it must be given whole.)
bool container_matches(const Container& c, std::string_view query);

// Where the engines keep their state. Tests point these at fixtures.
struct EngineRoots {
  std::string docker = "/var/lib/docker";                   // containers/<id>/config.v2.json
  std::string podman_root = "/var/lib/containers/storage";  // overlay-containers/containers.json
  std::string containerd_state = "/run/containerd";  // io.containerd.runtime.v2.task/k8s.io/<id>
  // The home directory of a user, for rootless podman's storage
  // (<home>/.local/share/containers/storage). Unset: getpwuid_r's pw_dir. Returning "" means
  // unknown.
  std::function<std::string(uid_t)> home_dir;
};

// Attributes processes to containers, caching what it reads from the engines' state: each
// docker config.v2.json and each containers.json is read at most once per resolver. A missing
// or malformed state file is not an error; the container just has no name. Not thread-safe.
class ContainerResolver {
 public:
  explicit ContainerResolver(EngineRoots roots = {});

  // Reads "cgroup" (and "environ" when the cgroup text says nothing) relative to `pid_dir`, an
  // open /proc/PID directory, and returns the process's container with its name filled in, or
  // nullopt for a host process. `uid` is the process's uid: for rootless podman it picks the
  // user's storage when the cgroup path does not show the owner. An unreadable environ is not
  // an error. Errors: reading cgroup failed; ENOENT or ESRCH when the process vanished.
  // `name` false: leave the name (and a kubernetes container's engine) to a later fill_name().
  Result<std::optional<Container>> attribute(int pid_dir, uid_t uid, bool name = true);

  // Fills c.name from the engine's state on disk (cached), and settles the engine of a
  // kubernetes container when docker or containerd knows its id. `uid` as for attribute();
  // c.owner_uid takes precedence.
  void fill_name(Container& c, std::optional<uid_t> uid = std::nullopt);

 private:
  using NameMap = std::unordered_map<std::string, std::string>;  // id -> name
  std::optional<std::string> docker_name(const std::string& id);
  const NameMap& storage_names(const std::string& storage_root, std::optional<uid_t> owner);
  std::string rootless_storage(uid_t uid);

  EngineRoots roots_;
  std::unordered_map<std::string, std::optional<std::string>> docker_cache_;  // id -> name
  std::map<std::string, NameMap> storage_cache_;  // storage root -> its containers
  std::unordered_map<uid_t, std::string> home_cache_;
  std::unordered_map<std::string, bool> containerd_cache_;  // id -> known to containerd
  std::string cgroup_buf_;
  std::string environ_buf_;
};

}  // namespace nsctl
