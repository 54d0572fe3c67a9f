#include "nsctl/inspect/attribution.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <tuple>
#include <vector>

#include "nsctl/base/fd.hpp"
#include "proc/proc.hpp"

namespace nsctl {
namespace {

constexpr std::size_t kIdLength = 64;
constexpr std::size_t kShortIdLength = 12;
// State files larger than this are not parsed: docker's config.v2.json is a few KiB, and
// containers.json holds about 1 KiB per container.
constexpr off_t kMaxStateFile = 64 << 20;

bool is_hex_id(std::string_view s) {
  return s.size() == kIdLength && std::all_of(s.begin(), s.end(), [](char ch) {
           return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
         });
}

bool is_printable_ascii(char ch) { return ch > ' ' && ch < 0x7f; }

// Bytes outside printable ASCII become "\xNN" (and '\' itself "\x5c", so the result reads back
// unambiguously); names reach terminals and JSON, which must not see control bytes or invalid
// UTF-8.
void append_escaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char ch : text) {
    if (is_printable_ascii(ch) && ch != '\\') {
      out.push_back(ch);
    } else {
      auto byte = static_cast<unsigned char>(ch);
      out += "\\x";
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
  }
}

std::string escaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_escaped(out, text);
  return out;
}

int hex_value(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

// Docker and podman names: [a-zA-Z0-9][a-zA-Z0-9_.-]* (both engines refuse anything else).
bool is_valid_engine_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  auto alnum = [](char ch) {
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
  };
  if (!alnum(s[0])) return false;
  return std::all_of(s.begin(), s.end(),
                     [&](char ch) { return alnum(ch) || ch == '_' || ch == '.' || ch == '-'; });
}

// "<prefix><64 hex>" with an optional ".scope": systemd drivers write the scope, cgroupfs
// drivers (CRI-O, podman's libpod_parent) the bare name.
std::optional<std::string_view> prefixed_id(std::string_view comp, std::string_view prefix) {
  if (!comp.starts_with(prefix)) return std::nullopt;
  comp.remove_prefix(prefix.size());
  if (comp.ends_with(".scope")) comp.remove_suffix(6);
  if (!is_hex_id(comp)) return std::nullopt;
  return comp;
}

// A Kubernetes pod uid: a UUID (36 characters, '-' or '_' as separators) or, for static pods,
// a 32-hex hash. Returned with '_' turned into '-'.
std::optional<std::string> pod_uid(std::string_view text) {
  if (text.size() != 32 && text.size() != 36) return std::nullopt;
  std::string uid;
  uid.reserve(text.size());
  for (char ch : text) {
    if (ch == '_') ch = '-';
    bool hex = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
    if (!hex && !(ch == '-' && text.size() == 36)) return std::nullopt;
    uid.push_back(ch);
  }
  if (uid.size() == 36) {
    for (std::size_t i = 0; i < uid.size(); ++i) {
      bool dash_here = i == 8 || i == 13 || i == 18 || i == 23;
      if ((uid[i] == '-') != dash_here) return std::nullopt;
    }
  }
  return uid;
}

// The pod of a systemd-driver slice: "kubepods-burstable-pod<uid>.slice",
// "kubepods-pod<uid>.slice" (guaranteed), "kubelet-kubepods-besteffort-pod<uid>.slice" (kind);
// or a podman pod: "machine-libpod_pod_<id>.slice", "user-libpod_pod_<id>.slice" (rootless).
std::optional<std::string> pod_from_slice(std::string_view comp) {
  if (!comp.ends_with(".slice")) return std::nullopt;
  comp.remove_suffix(6);
  if (std::size_t p = comp.find("libpod_pod_"); p != std::string_view::npos) {
    std::string_view id = comp.substr(p + 11);
    if (is_hex_id(id)) return std::string(id);
    return std::nullopt;
  }
  std::size_t p = comp.rfind("-pod");
  if (p == std::string_view::npos || comp.substr(0, p).find("kubepods") == std::string_view::npos)
    return std::nullopt;
  return pod_uid(comp.substr(p + 4));
}

std::optional<uid_t> uid_from_user_service(std::string_view comp) {
  // "user@1000.service": the user's systemd instance, under which rootless engines run.
  if (!comp.starts_with("user@") || !comp.ends_with(".service")) return std::nullopt;
  auto n = parse_decimal(comp.substr(5, comp.size() - 5 - 8));
  if (!n || *n < 0 || *n > 0xfffffffe) return std::nullopt;
  return static_cast<uid_t>(*n);
}

Container make(std::string_view eng, std::string_view id, bool monitor = false) {
  Container c;
  c.engine = eng;
  c.id = id;
  c.monitor = monitor;
  return c;
}

Container make_named(std::string_view eng, std::string_view raw_name, bool monitor = false) {
  Container c;
  c.engine = eng;
  c.id = escaped(raw_name);
  c.name = c.id;
  c.monitor = monitor;
  return c;
}

// containerd (and docker, CRI-O) given a systemd-style cgroupsPath while using cgroupfs
// write it as one directory name: "kubepods-besteffort-pod<uid>.slice:cri-containerd:<id>".
std::optional<Container> colon_form(std::string_view comp) {
  std::size_t c1 = comp.find(':');
  if (c1 == std::string_view::npos) return std::nullopt;
  std::size_t c2 = comp.find(':', c1 + 1);
  if (c2 == std::string_view::npos) return std::nullopt;
  std::string_view kind = comp.substr(c1 + 1, c2 - c1 - 1);
  std::string_view id = comp.substr(c2 + 1);
  if (!is_hex_id(id)) return std::nullopt;
  std::string_view eng;
  if (kind == "cri-containerd") {
    eng = engines::kContainerd;
  } else if (kind == "docker") {
    eng = engines::kDocker;
  } else if (kind == "crio") {
    eng = engines::kCrio;
  } else {
    return std::nullopt;
  }
  Container c = make(eng, id);
  if (auto pod = pod_from_slice(comp.substr(0, c1))) c.pod = std::move(*pod);
  return c;
}

// What the container components of a path are, for nested paths.
enum class Kind { none, podman, nspawn };

struct Scan {
  std::optional<Container> found;
  int depth = 0;  // how many containers the path passes through (nesting)
};

// One component on its own. `prev` is the component before it; `pod_parent` tells that `prev`
// was a cgroupfs pod directory.
std::optional<Container> recognise(std::string_view comp, std::string_view prev, bool pod_parent,
                                   bool* is_vm) {
  // Engines whose scope names carry the 64-hex id. "-conmon-" first: it shares the prefix.
  static constexpr std::array<std::tuple<std::string_view, std::string_view, bool>, 7> kPrefixed{{
      {"libpod-conmon-", engines::kPodman, true},
      {"libpod-", engines::kPodman, false},
      {"crio-conmon-", engines::kCrio, true},
      {"crio-", engines::kCrio, false},
      {"docker-", engines::kDocker, false},
      {"cri-containerd-", engines::kContainerd, false},
      {"nerdctl-", engines::kContainerd, false},
  }};
  for (const auto& [prefix, eng, monitor] : kPrefixed) {
    if (auto id = prefixed_id(comp, prefix)) return make(eng, *id, monitor);
  }

  // cgroupfs drivers: /docker/<id>, /kubepods/<qos>/pod<uid>/<id>.
  if (is_hex_id(comp)) {
    if (prev == "docker") return make(engines::kDocker, comp);
    if (pod_parent) return make(engines::kKubernetes, comp);
    return std::nullopt;
  }

  if (auto c = colon_form(comp)) return c;

  // systemd-machined: machine-<escaped name>.scope. libvirt registers its guests there too:
  // "qemu-<n>-<name>" is a VM (its qemu process is a host process), "lxc-<pid>-<name>" a
  // libvirt-lxc container.
  if (comp.starts_with("machine-") && comp.ends_with(".scope") && comp.size() > 14) {
    std::string name = unescape_unit_name(comp.substr(8, comp.size() - 14));
    if (name.starts_with("qemu-")) {
      *is_vm = true;
      return std::nullopt;
    }
    if (name.starts_with("lxc-")) {
      std::size_t dash = name.find('-', 4);
      if (dash != std::string::npos && dash > 4 && dash + 1 < name.size() &&
          parse_decimal(std::string_view(name).substr(4, dash - 4))) {
        Container c = make(engines::kLibvirtLxc, name.substr(dash + 1));
        c.name = c.id;
        return c;
      }
    }
    Container c = make(engines::kNspawn, name);
    c.name = c.id;
    return c;
  }

  // LXC (and LXD, Incus): lxc.payload.<name> and lxc.monitor.<name> since LXC 4; the
  // directories lxc.payload/<name> and lxc.monitor/<name> in LXC 3.1; /lxc/<name> before.
  // lxc.pivot holds exiting monitors and is no container.
  if (comp.starts_with("lxc.payload.") && comp.size() > 12)
    return make_named(engines::kLxc, comp.substr(12));
  if (comp.starts_with("lxc.monitor.") && comp.size() > 12)
    return make_named(engines::kLxc, comp.substr(12), true);
  if (comp != "." && comp != "..") {
    if (prev == "lxc.payload" || prev == "lxc") return make_named(engines::kLxc, comp);
    if (prev == "lxc.monitor") return make_named(engines::kLxc, comp, true);
  }
  return std::nullopt;
}

Scan scan_path(std::string_view path) {
  Scan scan;
  std::string pod;
  std::optional<uid_t> owner;
  bool under_kubepods = false;
  bool prev_was_pod = false;
  Kind current = Kind::none;  // the kind of the container component just before, if any
  std::string_view prev;
  while (!path.empty()) {
    std::size_t slash = path.find('/');
    std::string_view comp = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
    if (comp.empty()) continue;

    Kind next = Kind::none;
    bool is_pod = false;
    bool is_vm = false;
    if (auto u = uid_from_user_service(comp)) {
      owner = u;
    } else if (comp == "kubepods") {
      under_kubepods = true;
    } else if (auto p = pod_from_slice(comp)) {
      pod = std::move(*p);
    } else if (under_kubepods && comp.starts_with("pod") && pod_uid(comp.substr(3))) {
      pod = *pod_uid(comp.substr(3));
      is_pod = true;
    } else if (current == Kind::podman && comp == "conmon") {
      // podman's early cgroupfs layout: libpod-<id>/conmon beside libpod-<id>/ctr.
      scan.found->monitor = true;
    } else if (current == Kind::nspawn && comp == "supervisor") {
      // systemd-nspawn moves itself to machine-<name>.scope/supervisor, the container to
      // .../payload.
      scan.found->monitor = true;
    } else if (auto c = recognise(comp, prev, prev_was_pod, &is_vm)) {
      if (c->engine == engines::kPodman && !c->monitor) next = Kind::podman;
      if (c->engine == engines::kNspawn) next = Kind::nspawn;
      scan.found = std::move(c);
      ++scan.depth;
    }
    // Everything below a VM's scope is the hypervisor's: no container there (though the
    // hypervisor itself may run inside one found above).
    if (is_vm) break;
    current = next;
    prev_was_pod = is_pod;
    prev = comp;
  }
  if (scan.found) {
    if (scan.found->pod.empty()) scan.found->pod = std::move(pod);
    scan.found->owner_uid = owner;
  }
  return scan;
}

// Reads a regular file of bounded size owned by one of `owners`. Engine state may sit in a
// user's home (rootless podman): a FIFO there must not block us, a symlink must not redirect
// us, a huge file must not exhaust memory, and another user's file must not name our
// containers. Any failure means "no state", never an error.
bool read_state_file(const std::string& path, std::initializer_list<uid_t> owners,
                     std::string& out) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY));
  if (!fd) return false;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > kMaxStateFile)
    return false;
  if (std::find(owners.begin(), owners.end(), st.st_uid) == owners.end()) return false;
  out.resize(static_cast<std::size_t>(st.st_size));
  std::size_t used = 0;
  while (used < out.size()) {
    ssize_t n = ::read(fd.get(), out.data() + used, out.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // error, or the file shrank: parse what we have
    used += static_cast<std::size_t>(n);
  }
  out.resize(used);
  return true;
}

nlohmann::json parse_json(const std::string& text) {
  // No exceptions: a malformed file gives a discarded value. The parser is iterative, so a
  // deeply nested hostile file cannot overflow the stack.
  try {
    return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  } catch (...) {
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
}

const std::string* string_member(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

}  // namespace

// ---- Recognisers ------------------------------------------------------------------------

std::string unescape_unit_name(std::string_view text) {
  std::string raw;
  raw.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size() && text[i + 1] == 'x') {
      int hi = hex_value(text[i + 2]);
      int lo = hex_value(text[i + 3]);
      if (hi >= 0 && lo >= 0) {
        raw.push_back(static_cast<char>(hi * 16 + lo));
        i += 3;
        continue;
      }
    }
    raw.push_back(text[i]);
  }
  return escaped(raw);
}

std::optional<Container> container_from_cgroup_path(std::string_view path) {
  return scan_path(path).found;
}

std::optional<Container> container_from_cgroup(std::string_view cgroup_file) {
  struct Candidate {
    Container c;
    int depth = 0;
    int votes = 0;
    int rank = 0;  // 0: the v2 line, 1: name=systemd, 2: a v1 controller
  };
  std::vector<Candidate> candidates;
  for (CgroupLine& line : parse_cgroup(cgroup_file)) {
    Scan scan = scan_path(line.path);
    if (!scan.found) continue;
    int rank = line.hierarchy == 0 && line.controllers.empty() ? 0
               : line.controllers == "name=systemd"            ? 1
                                                               : 2;
    Container& c = *scan.found;
    auto same = std::find_if(candidates.begin(), candidates.end(), [&](const Candidate& k) {
      return k.c.id == c.id && k.c.monitor == c.monitor;
    });
    if (same == candidates.end()) {
      candidates.push_back({std::move(c), scan.depth, 1, rank});
      continue;
    }
    // The same container seen again: merge what this line adds. A named engine beats
    // "kubernetes" (the cgroupfs path that does not say which runtime).
    Candidate& k = *same;
    ++k.votes;
    k.depth = std::max(k.depth, scan.depth);
    k.rank = std::min(k.rank, rank);
    if (k.c.engine == engines::kKubernetes && c.engine != engines::kKubernetes)
      k.c.engine = c.engine;
    if (k.c.pod.empty()) k.c.pod = std::move(c.pod);
    if (!k.c.owner_uid) k.c.owner_uid = c.owner_uid;
  }
  if (candidates.empty()) return std::nullopt;
  auto best = std::min_element(candidates.begin(), candidates.end(),
                               [](const Candidate& a, const Candidate& b) {
                                 if (a.depth != b.depth) return a.depth > b.depth;
                                 if (a.votes != b.votes) return a.votes > b.votes;
                                 return a.rank < b.rank;
                               });
  return std::move(best->c);
}

bool cgroup_says_nothing(std::string_view cgroup_file) {
  for (const CgroupLine& line : parse_cgroup(cgroup_file)) {
    if (line.path != "/" && !line.path.empty() && line.path != "/init.scope") return false;
  }
  return true;
}

std::optional<std::string_view> engine_from_container_env(std::string_view value) {
  // The values systemd-detect-virt knows (src/basic/virt.c); "lxc-libvirt" is libvirt's.
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kValues{{
      {"docker", engines::kDocker},
      {"podman", engines::kPodman},
      {"lxc", engines::kLxc},
      {"lxc-libvirt", engines::kLibvirtLxc},
      {"systemd-nspawn", engines::kNspawn},
      {"oci", "oci"},
      {"rkt", "rkt"},
      {"pouch", "pouch"},
  }};
  for (const auto& [env, eng] : kValues) {
    if (value == env) return eng;
  }
  return std::nullopt;
}

std::string Container::display() const {
  std::string out;
  append_escaped(out, engine);
  std::string_view label = name;
  if (label.empty()) {
    label = id;
    if (is_hex_id(label)) label = label.substr(0, kShortIdLength);
  }
  if (!label.empty()) {
    out.push_back(':');
    append_escaped(out, label);
  }
  if (monitor) out += "(monitor)";
  return out;
}

bool container_matches(const Container& c, std::string_view query) {
  if (query.empty()) return false;
  if ((!c.name.empty() && query == c.name) || (!c.id.empty() && query == c.id)) return true;
  if (is_hex_id(c.id) && c.id.starts_with(query)) return true;
  if (!c.engine.empty() && query.size() > c.engine.size() + 1 && query.starts_with(c.engine) &&
      query[c.engine.size()] == ':') {
    std::string_view rest = query.substr(c.engine.size() + 1);
    return (!c.name.empty() && rest == c.name) || rest == c.id ||
           (is_hex_id(c.id) && c.id.starts_with(rest));
  }
  return false;
}

// ---- Resolver -----------------------------------------------------------------------------

ContainerResolver::ContainerResolver(EngineRoots roots) : roots_(std::move(roots)) {}

Result<std::optional<Container>> ContainerResolver::attribute(int pid_dir, uid_t uid, bool name) {
  NSCTL_TRY(read_file_at(pid_dir, "cgroup", cgroup_buf_));
  std::optional<Container> c = container_from_cgroup(cgroup_buf_);
  if (c) {
    if (name) fill_name(*c, uid);
    return c;
  }
  // Only now is the environment worth its read (it can be large, and is root-only for other
  // users' processes). docker sets no container= variable; podman, LXC and nspawn do.
  if (!cgroup_says_nothing(cgroup_buf_)) return std::optional<Container>{};
  if (!read_file_at(pid_dir, "environ", environ_buf_)) return std::optional<Container>{};
  auto value = environ_value(environ_buf_, "container");
  if (!value) return std::optional<Container>{};
  auto eng = engine_from_container_env(*value);
  if (!eng) return std::optional<Container>{};
  Container env_only;
  env_only.engine = *eng;
  return std::optional<Container>(std::move(env_only));
}

std::optional<std::string> ContainerResolver::docker_name(const std::string& id) {
  if (!is_hex_id(id)) return std::nullopt;  // never build a path from anything else
  auto [it, inserted] = docker_cache_.try_emplace(id);
  if (!inserted) return it->second;
  std::string text;
  if (!read_state_file(roots_.docker + "/containers/" + id + "/config.v2.json", {0, ::geteuid()},
                       text))
    return std::nullopt;
  nlohmann::json j = parse_json(text);
  if (!j.is_object()) return std::nullopt;
  // Known to docker from here on, even without a usable name.
  std::string name;
  if (const std::string* n = string_member(j, "Name")) {
    std::string_view v = *n;
    if (v.starts_with('/')) v.remove_prefix(1);  // docker stores "/web1"
    if (is_valid_engine_name(v)) name = v;
  }
  it->second = std::move(name);
  return it->second;
}

std::string ContainerResolver::rootless_storage(uid_t uid) {
  auto [it, inserted] = home_cache_.try_emplace(uid);
  if (inserted) {
    if (roots_.home_dir) {
      it->second = roots_.home_dir(uid);
    } else {
      long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
      std::vector<char> buf(size > 0 ? static_cast<std::size_t>(size) : 16384);
      struct passwd pw {};
      struct passwd* result = nullptr;
      if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &result) == 0 && result &&
          result->pw_dir && result->pw_dir[0] == '/')
        it->second = result->pw_dir;
    }
  }
  if (it->second.empty()) return {};
  return it->second + "/.local/share/containers/storage";
}

const ContainerResolver::NameMap& ContainerResolver::storage_names(const std::string& root,
                                                                   std::optional<uid_t> owner) {
  auto [it, inserted] = storage_cache_.try_emplace(root);
  if (!inserted) return it->second;
  uid_t me = ::geteuid();
  uid_t who = owner.value_or(0);
  std::string text;
  // overlay is the default driver (also for fuse-overlayfs); vfs is rootless podman's
  // fallback on old kernels.
  if (!read_state_file(root + "/overlay-containers/containers.json", {0, me, who}, text) &&
      !read_state_file(root + "/vfs-containers/containers.json", {0, me, who}, text))
    return it->second;
  nlohmann::json j = parse_json(text);
  if (!j.is_array()) return it->second;
  for (const nlohmann::json& entry : j) {
    const std::string* id = string_member(entry, "id");
    if (!id || !is_hex_id(*id)) continue;
    auto names = entry.find("names");
    if (names == entry.end() || !names->is_array()) continue;
    for (const nlohmann::json& n : *names) {
      if (n.is_string() && is_valid_engine_name(n.get_ref<const std::string&>())) {
        it->second.emplace(*id, n.get<std::string>());
        break;
      }
    }
  }
  return it->second;
}

void ContainerResolver::fill_name(Container& c, std::optional<uid_t> uid) {
  if (c.engine == engines::kKubernetes && is_hex_id(c.id)) {
    // The cgroupfs path did not say which runtime: ask their state on disk.
    if (docker_name(c.id)) {
      c.engine = engines::kDocker;
    } else {
      auto [it, inserted] = containerd_cache_.try_emplace(c.id, false);
      if (inserted) {
        struct stat st {};
        std::string dir = roots_.containerd_state + "/io.containerd.runtime.v2.task/k8s.io/" + c.id;
        it->second = ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
      }
      if (it->second) c.engine = engines::kContainerd;
    }
  }
  if (!c.name.empty() || c.id.empty()) return;

  auto from_storage = [&](const std::string& root, std::optional<uid_t> owner) {
    if (root.empty()) return false;
    const NameMap& names = storage_names(root, owner);
    auto it = names.find(c.id);
    if (it == names.end()) return false;
    c.name = it->second;
    return true;
  };

  if (c.engine == engines::kDocker) {
    if (auto name = docker_name(c.id)) c.name = std::move(*name);
  } else if (c.engine == engines::kPodman) {
    // Whose storage: the user whose systemd instance holds the container, else the process's
    // user (a rootless container's root is that user), else root's. A rootful container's
    // process may run as any uid, so root's storage is always the last resort.
    std::optional<uid_t> owner = c.owner_uid ? c.owner_uid : uid;
    if (owner && *owner != 0 && from_storage(rootless_storage(*owner), owner)) return;
    if (c.owner_uid && *c.owner_uid != 0) return;
    from_storage(roots_.podman_root, std::nullopt);
  } else if (c.engine == engines::kCrio) {
    // CRI-O keeps its containers in the same containers/storage as rootful podman.
    from_storage(roots_.podman_root, std::nullopt);
  }
}

}  // namespace nsctl
