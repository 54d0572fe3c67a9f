#include "sandbox/sandbox_config.hpp"

#include <fmt/core.h>
#include <sys/resource.h>

#include <charconv>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "base/escape.hpp"
#include "base/json_util.hpp"
#include "base/text.hpp"
#include "privilege/capabilities.hpp"
#include "privilege/credentials.hpp"
#include "privilege/seccomp.hpp"

namespace nsctl {

namespace {

using json = nlohmann::json;
using json_util::bad;
// Written in insertion order so that the document reads like an OCI config (ociVersion and
// process first), not alphabetically.
using ojson = nlohmann::ordered_json;

// OCI configs nest about 6 levels deep. nlohmann's parser is iterative, but dump() (which
// hands linux.seccomp to its parser) recurses, so a hostile document must not get that far.
constexpr std::size_t kMaxDepth = 64;

struct RlimitEntry {
  int resource;
  std::string_view name;  // without "RLIMIT_"
};

constexpr RlimitEntry kRlimits[] = {
    {RLIMIT_CPU, "CPU"},           {RLIMIT_FSIZE, "FSIZE"},
    {RLIMIT_DATA, "DATA"},         {RLIMIT_STACK, "STACK"},
    {RLIMIT_CORE, "CORE"},         {RLIMIT_RSS, "RSS"},
    {RLIMIT_NPROC, "NPROC"},       {RLIMIT_NOFILE, "NOFILE"},
    {RLIMIT_MEMLOCK, "MEMLOCK"},   {RLIMIT_AS, "AS"},
    {RLIMIT_LOCKS, "LOCKS"},       {RLIMIT_SIGPENDING, "SIGPENDING"},
    {RLIMIT_MSGQUEUE, "MSGQUEUE"}, {RLIMIT_NICE, "NICE"},
    {RLIMIT_RTPRIO, "RTPRIO"},     {RLIMIT_RTTIME, "RTTIME"},
};

struct OciNsName {
  NsType type;
  std::string_view name;
};

// In the order of the OCI runtime spec's table, which is also the order they are written in.
constexpr OciNsName kOciNamespaces[] = {
    {NsType::pid, "pid"},       {NsType::net, "network"}, {NsType::mnt, "mount"},
    {NsType::ipc, "ipc"},       {NsType::uts, "uts"},     {NsType::user, "user"},
    {NsType::cgroup, "cgroup"}, {NsType::time, "time"},
};

constexpr const char* kDefaultPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// A user's string inside an error message, as a JSON string: quoted, with control bytes as
// \u00XX and every non-ASCII character escaped, so the message stays printable.
std::string q(std::string_view s) {
  return json(std::string(s)).dump(-1, ' ', true, json::error_handler_t::replace);
}

std::unexpected<Error> wrong_type(std::string_view path, std::string_view expected, const json& v) {
  return bad(path, fmt::format("expected {}, got {}", expected, v.type_name()));
}

const json* find(const json& object, const char* key) {
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

Result<void> want_object(const json& v, std::string_view path) {
  if (!v.is_object()) return wrong_type(path, "an object", v);
  return {};
}

Result<void> want_array(const json& v, std::string_view path) {
  if (!v.is_array()) return wrong_type(path, "an array", v);
  return {};
}

std::string at(std::string_view path, std::size_t i) { return fmt::format("{}[{}]", path, i); }
std::string dot(std::string_view path, std::string_view key) {
  return fmt::format("{}.{}", path, key);
}

Result<std::string> get_string(const json& v, std::string_view path) {
  if (!v.is_string()) return wrong_type(path, "a string", v);
  const auto& s = v.get_ref<const std::string&>();
  if (s.find('\0') != std::string::npos)
    return bad(path, "contains a NUL byte, which the kernel cannot take");
  return s;
}

Result<bool> get_bool(const json& v, std::string_view path) {
  if (!v.is_boolean()) return wrong_type(path, "true or false", v);
  return v.get<bool>();
}

// An integer in lo..hi. JSON numbers with a fraction or an exponent (and integers too large
// for 64 bits, which nlohmann reads as doubles) are refused rather than rounded.
template <typename T>
Result<T> get_int(const json& v, std::string_view path, T lo, T hi) {
  auto out_of_range = [&] {
    return bad(path, fmt::format("{} is out of range ({}..{})", v.dump(), lo, hi));
  };
  if (v.is_number_unsigned()) {
    auto u = v.get<std::uint64_t>();
    if (std::cmp_less(u, lo) || std::cmp_greater(u, hi)) return out_of_range();
    return static_cast<T>(u);
  }
  if (v.is_number_integer()) {
    auto i = v.get<std::int64_t>();
    if (std::cmp_less(i, lo) || std::cmp_greater(i, hi)) return out_of_range();
    return static_cast<T>(i);
  }
  if (v.is_number_float()) return bad(path, fmt::format("expected an integer, got {}", v.dump()));
  return wrong_type(path, "an integer", v);
}

template <typename T>
Result<T> get_int(const json& v, std::string_view path) {
  return get_int<T>(v, path, std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
}

// A user or group id: 4294967295 is the kernel's "no id".
Result<std::uint32_t> get_id(const json& v, std::string_view path) {
  return get_int<std::uint32_t>(v, path, 0, 4294967294u);
}

Result<std::vector<std::string>> get_strings(const json& v, std::string_view path) {
  NSCTL_TRY(want_array(v, path));
  std::vector<std::string> out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    NSCTL_ASSIGN_OR_RETURN(auto s, get_string(v[i], at(path, i)));
    out.push_back(std::move(s));
  }
  return out;
}

// A required member of an object.
Result<const json*> need(const json& object, const char* key, std::string_view path) {
  const json* v = find(object, key);
  if (!v) return bad(dot(path, key), "missing");
  return v;
}

// A limit: null is "none" (no cgroup for it); -1 is "unlimited", kept as CgroupLimits keeps it.
Result<std::optional<std::int64_t>> get_limit(const json& v, std::string_view path) {
  if (v.is_null()) return std::optional<std::int64_t>();
  NSCTL_ASSIGN_OR_RETURN(
      auto n, get_int<std::int64_t>(v, path, -1, std::numeric_limits<std::int64_t>::max()));
  return std::optional<std::int64_t>(n);
}

Result<std::uint64_t> get_capabilities(const json& v, std::string_view path) {
  static constexpr const char* kSets[] = {"bounding", "effective", "inheritable", "permitted",
                                          "ambient"};
  NSCTL_TRY(want_object(v, path));
  std::uint64_t all = 0;
  for (const char* set : kSets) {
    const json* names = find(v, set);
    if (!names) continue;
    std::string set_path = dot(path, set);
    NSCTL_TRY(want_array(*names, set_path));
    std::uint64_t mask = 0;
    for (std::size_t i = 0; i < names->size(); ++i) {
      NSCTL_ASSIGN_OR_RETURN(auto name, get_string((*names)[i], at(set_path, i)));
      auto cap = capability_from_name(name);
      if (!cap || *cap < 0 || *cap > 63)
        return bad(at(set_path, i), fmt::format("unknown capability {}", q(name)));
      mask |= std::uint64_t{1} << *cap;
    }
    // The bounding set limits all the others: when it is given, it is the set.
    if (std::string_view(set) == "bounding") return mask;
    all |= mask;
  }
  return all;
}

Result<std::vector<SandboxRlimit>> get_rlimits(const json& v, std::string_view path) {
  NSCTL_TRY(want_array(v, path));
  std::vector<SandboxRlimit> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::string p = at(path, i);
    const json& e = v[i];
    NSCTL_TRY(want_object(e, p));
    NSCTL_ASSIGN_OR_RETURN(const json* type, need(e, "type", p));
    NSCTL_ASSIGN_OR_RETURN(auto name, get_string(*type, dot(p, "type")));
    auto resource = rlimit_from_name(name);
    if (!resource) return bad(dot(p, "type"), fmt::format("unknown resource {}", q(name)));
    NSCTL_ASSIGN_OR_RETURN(const json* soft, need(e, "soft", p));
    NSCTL_ASSIGN_OR_RETURN(const json* hard, need(e, "hard", p));
    SandboxRlimit r;
    r.resource = *resource;
    NSCTL_ASSIGN_OR_RETURN(r.soft, get_int<std::uint64_t>(*soft, dot(p, "soft")));
    NSCTL_ASSIGN_OR_RETURN(r.hard, get_int<std::uint64_t>(*hard, dot(p, "hard")));
    out.push_back(r);
  }
  return out;
}

Result<void> read_process(const json& p, SandboxSpec& s) {
  const std::string_view path = "process";
  NSCTL_TRY(want_object(p, path));
  SandboxProcess& proc = s.process;
  if (const json* v = find(p, "args")) {
    NSCTL_ASSIGN_OR_RETURN(proc.args, get_strings(*v, dot(path, "args")));
  }
  const json* env = find(p, "env");
  if (env) {
    NSCTL_ASSIGN_OR_RETURN(proc.env, get_strings(*env, dot(path, "env")));
  }
  if (const json* v = find(p, "cwd")) {
    NSCTL_ASSIGN_OR_RETURN(proc.cwd, get_string(*v, dot(path, "cwd")));
  }
  if (const json* user = find(p, "user")) {
    std::string upath = dot(path, "user");
    NSCTL_TRY(want_object(*user, upath));
    if (const json* v = find(*user, "uid")) {
      NSCTL_ASSIGN_OR_RETURN(uid_t uid, get_id(*v, dot(upath, "uid")));
      // A document with its own env says what HOME is; otherwise HOME follows the uid.
      if (env)
        proc.uid = uid;
      else
        set_sandbox_uid(s, uid);
    }
    if (const json* v = find(*user, "gid")) {
      NSCTL_ASSIGN_OR_RETURN(proc.gid, get_id(*v, dot(upath, "gid")));
    }
    if (const json* v = find(*user, "additionalGids")) {
      std::string gpath = dot(upath, "additionalGids");
      NSCTL_TRY(want_array(*v, gpath));
      std::vector<gid_t> gids;
      for (std::size_t i = 0; i < v->size(); ++i) {
        NSCTL_ASSIGN_OR_RETURN(gid_t gid, get_id((*v)[i], at(gpath, i)));
        gids.push_back(gid);
      }
      proc.additional_gids = std::move(gids);
    }
  }
  if (const json* v = find(p, "rlimits")) {
    NSCTL_ASSIGN_OR_RETURN(proc.rlimits, get_rlimits(*v, dot(path, "rlimits")));
  }
  if (const json* v = find(p, "capabilities")) {
    NSCTL_ASSIGN_OR_RETURN(proc.capabilities, get_capabilities(*v, dot(path, "capabilities")));
  }
  if (const json* v = find(p, "noNewPrivileges")) {
    NSCTL_ASSIGN_OR_RETURN(bool nnp, get_bool(*v, dot(path, "noNewPrivileges")));
    if (!nnp)
      return bad(dot(path, "noNewPrivileges"),
                 "false is not supported: nsctl run always sets no_new_privs");
  }
  return {};
}

Result<void> read_root(const json& r, SandboxRoot& root) {
  NSCTL_TRY(want_object(r, "root"));
  if (const json* v = find(r, "path")) {
    NSCTL_ASSIGN_OR_RETURN(root.path, get_string(*v, "root.path"));
  }
  if (const json* v = find(r, "readonly")) {
    NSCTL_ASSIGN_OR_RETURN(root.readonly, get_bool(*v, "root.readonly"));
  }
  return {};
}

Result<std::vector<SandboxMount>> get_mounts(const json& v) {
  const std::string_view path = "mounts";
  NSCTL_TRY(want_array(v, path));
  std::vector<SandboxMount> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::string p = at(path, i);
    const json& e = v[i];
    NSCTL_TRY(want_object(e, p));
    SandboxMount m;
    NSCTL_ASSIGN_OR_RETURN(const json* dest, need(e, "destination", p));
    NSCTL_ASSIGN_OR_RETURN(m.destination, get_string(*dest, dot(p, "destination")));
    if (const json* o = find(e, "options")) {
      NSCTL_ASSIGN_OR_RETURN(m.options, get_strings(*o, dot(p, "options")));
    }
    if (const json* s = find(e, "source")) {
      NSCTL_ASSIGN_OR_RETURN(m.source, get_string(*s, dot(p, "source")));
    }
    if (const json* t = find(e, "type")) {
      NSCTL_ASSIGN_OR_RETURN(m.type, get_string(*t, dot(p, "type")));
    } else {
      // OCI lets a bind mount leave out its type and say "bind" or "rbind" in the options.
      bool bind = false;
      for (const auto& o : m.options) bind = bind || o == "bind" || o == "rbind";
      if (!bind) return bad(dot(p, "type"), "missing");
      m.type = "bind";
    }
    out.push_back(std::move(m));
  }
  return out;
}

Result<IdMap> get_id_map(const json& v, std::string_view path) {
  NSCTL_TRY(want_array(v, path));
  IdMap map;
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::string p = at(path, i);
    NSCTL_TRY(want_object(v[i], p));
    NSCTL_ASSIGN_OR_RETURN(const json* inner, need(v[i], "containerID", p));
    NSCTL_ASSIGN_OR_RETURN(const json* outer, need(v[i], "hostID", p));
    NSCTL_ASSIGN_OR_RETURN(const json* size, need(v[i], "size", p));
    IdRange r;
    NSCTL_ASSIGN_OR_RETURN(r.inner, get_int<std::uint32_t>(*inner, dot(p, "containerID")));
    NSCTL_ASSIGN_OR_RETURN(r.outer, get_int<std::uint32_t>(*outer, dot(p, "hostID")));
    NSCTL_ASSIGN_OR_RETURN(r.count, get_int<std::uint32_t>(*size, dot(p, "size")));
    map.push_back(r);
  }
  return map;
}

Result<NsTypeSet> get_namespaces(const json& v) {
  const std::string_view path = "linux.namespaces";
  NSCTL_TRY(want_array(v, path));
  NsTypeSet set;
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::string p = at(path, i);
    NSCTL_TRY(want_object(v[i], p));
    NSCTL_ASSIGN_OR_RETURN(const json* type, need(v[i], "type", p));
    NSCTL_ASSIGN_OR_RETURN(auto name, get_string(*type, dot(p, "type")));
    auto t = ns_type_from_oci_name(name);
    if (!t) return bad(dot(p, "type"), fmt::format("unknown namespace type {}", q(name)));
    // OCI: an empty path means a new namespace, as no path does.
    if (const json* ns_path = find(v[i], "path")) {
      NSCTL_ASSIGN_OR_RETURN(auto text, get_string(*ns_path, dot(p, "path")));
      if (!text.empty())
        return bad(dot(p, "path"), "joining an existing namespace is not supported");
    }
    set.insert(*t);
  }
  return set;
}

Result<void> read_resources(const json& r, CgroupLimits& limits) {
  const std::string_view path = "linux.resources";
  NSCTL_TRY(want_object(r, path));
  if (const json* mem = find(r, "memory")) {
    std::string p = dot(path, "memory");
    NSCTL_TRY(want_object(*mem, p));
    if (const json* v = find(*mem, "limit")) {
      NSCTL_ASSIGN_OR_RETURN(limits.memory_bytes, get_limit(*v, dot(p, "limit")));
    }
  }
  if (const json* pids = find(r, "pids")) {
    std::string p = dot(path, "pids");
    NSCTL_TRY(want_object(*pids, p));
    if (const json* v = find(*pids, "limit")) {
      NSCTL_ASSIGN_OR_RETURN(limits.pids, get_limit(*v, dot(p, "limit")));
    }
  }
  if (const json* cpu = find(r, "cpu")) {
    std::string p = dot(path, "cpu");
    NSCTL_TRY(want_object(*cpu, p));
    if (const json* v = find(*cpu, "quota")) {
      NSCTL_ASSIGN_OR_RETURN(limits.cpu_quota_us, get_limit(*v, dot(p, "quota")));
    }
    if (const json* v = find(*cpu, "period")) {
      if (v->is_null()) {
        limits.cpu_period_us.reset();
      } else {
        NSCTL_ASSIGN_OR_RETURN(limits.cpu_period_us, get_int<std::uint64_t>(*v, dot(p, "period")));
      }
    }
  }
  return {};
}

Result<void> read_time_offsets(const json& t, SandboxLinux& lx) {
  const std::string_view path = "linux.timeOffsets";
  NSCTL_TRY(want_object(t, path));
  const std::pair<const char*, std::int64_t*> clocks[] = {{"monotonic", &lx.monotonic_offset},
                                                          {"boottime", &lx.boottime_offset}};
  for (auto [clock, offset] : clocks) {
    const json* c = find(t, clock);
    if (!c) continue;
    std::string p = dot(path, clock);
    NSCTL_TRY(want_object(*c, p));
    if (const json* v = find(*c, "secs")) {
      NSCTL_ASSIGN_OR_RETURN(*offset, get_int<std::int64_t>(*v, dot(p, "secs")));
    }
    if (const json* v = find(*c, "nanosecs")) {
      NSCTL_ASSIGN_OR_RETURN(auto ns, get_int<std::int64_t>(*v, dot(p, "nanosecs")));
      if (ns != 0) return bad(dot(p, "nanosecs"), "must be 0: nsctl sets whole seconds");
    }
  }
  return {};
}

Result<void> read_linux(const json& l, SandboxLinux& lx) {
  const std::string_view path = "linux";
  NSCTL_TRY(want_object(l, path));
  if (const json* v = find(l, "namespaces")) {
    NSCTL_ASSIGN_OR_RETURN(lx.namespaces, get_namespaces(*v));
  }
  if (const json* v = find(l, "uidMappings")) {
    NSCTL_ASSIGN_OR_RETURN(lx.uid_mappings, get_id_map(*v, dot(path, "uidMappings")));
  }
  if (const json* v = find(l, "gidMappings")) {
    NSCTL_ASSIGN_OR_RETURN(lx.gid_mappings, get_id_map(*v, dot(path, "gidMappings")));
  }
  if (const json* v = find(l, "resources")) NSCTL_TRY(read_resources(*v, lx.resources));
  if (const json* v = find(l, "seccomp")) {
    if (v->is_null()) {
      lx.seccomp.reset();
    } else {
      NSCTL_TRY(want_object(*v, dot(path, "seccomp")));
      auto profile = parse_seccomp_profile(v->dump());
      if (!profile) {
        // Its messages start with a path inside the profile ("syscalls[3].action: ...") or,
        // for the profile as a whole, with "seccomp profile: ".
        std::string_view m = profile.error().message();
        constexpr std::string_view kWhole = "seccomp profile: ";
        if (m.starts_with(kWhole)) return bad("linux.seccomp", m.substr(kWhole.size()));
        return invalid(fmt::format("linux.seccomp.{}", m));
      }
      lx.seccomp = std::move(*profile);
    }
  }
  if (const json* v = find(l, "timeOffsets")) NSCTL_TRY(read_time_offsets(*v, lx));
  return {};
}

Result<void> read_veth(const json& v, std::optional<SandboxVeth>& veth) {
  const std::string_view path = "nsctl.veth";
  if (v.is_null()) {
    veth.reset();
    return {};
  }
  NSCTL_TRY(want_object(v, path));
  SandboxVeth out = veth.value_or(SandboxVeth{});
  if (const json* n = find(v, "hostName")) {
    NSCTL_ASSIGN_OR_RETURN(out.host_name, get_string(*n, dot(path, "hostName")));
  }
  if (const json* n = find(v, "sandboxName")) {
    NSCTL_ASSIGN_OR_RETURN(out.sandbox_name, get_string(*n, dot(path, "sandboxName")));
  }
  const std::pair<const char*, std::uint32_t*> addresses[] = {
      {"hostAddress", &out.host_address}, {"sandboxAddress", &out.sandbox_address}};
  for (auto [key, address] : addresses) {
    const json* a = find(v, key);
    if (!a) continue;
    NSCTL_ASSIGN_OR_RETURN(auto text, get_string(*a, dot(path, key)));
    auto ip = parse_ipv4(text);
    if (!ip) return bad(dot(path, key), fmt::format("invalid IPv4 address {}", q(text)));
    *address = *ip;
  }
  if (const json* n = find(v, "prefixLength")) {
    NSCTL_ASSIGN_OR_RETURN(out.prefix_len, get_int<int>(*n, dot(path, "prefixLength"), 0, 32));
  }
  veth = std::move(out);
  return {};
}

Result<void> read_extras(const json& n, SandboxExtras& x) {
  const std::string_view path = "nsctl";
  NSCTL_TRY(want_object(n, path));
  if (const json* v = find(n, "asPid1")) {
    NSCTL_ASSIGN_OR_RETURN(x.as_pid_1, get_bool(*v, dot(path, "asPid1")));
  }
  if (const json* v = find(n, "dieWithParent")) {
    NSCTL_ASSIGN_OR_RETURN(x.die_with_parent, get_bool(*v, dot(path, "dieWithParent")));
  }
  if (const json* v = find(n, "veth")) NSCTL_TRY(read_veth(*v, x.veth));
  return {};
}

Result<SandboxSpec> overlay(std::string_view text, SandboxSpec s) {
  if (json_util::nested_deeper_than(text, kMaxDepth))
    return invalid(fmt::format("invalid JSON: nested deeper than {} levels", kMaxDepth));
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    // "[json.exception.parse_error.101] parse error at line 1, column 7: ..." without the id.
    std::string_view what = e.what();
    if (std::size_t close = what.find("] "); what.starts_with('[') && close != what.npos)
      what.remove_prefix(close + 2);
    return invalid("invalid JSON: " + text::printable(what));
  }
  if (!doc.is_object()) return wrong_type("config", "an object", doc);
  if (const json* v = find(doc, "process")) NSCTL_TRY(read_process(*v, s));
  if (const json* v = find(doc, "root")) NSCTL_TRY(read_root(*v, s.root));
  if (const json* v = find(doc, "mounts")) {
    NSCTL_ASSIGN_OR_RETURN(s.mounts, get_mounts(*v));
  }
  if (const json* v = find(doc, "hostname")) {
    NSCTL_ASSIGN_OR_RETURN(s.hostname, get_string(*v, "hostname"));
  }
  if (const json* v = find(doc, "domainname")) {
    NSCTL_ASSIGN_OR_RETURN(s.domainname, get_string(*v, "domainname"));
  }
  if (const json* v = find(doc, "linux")) NSCTL_TRY(read_linux(*v, s.linux_));
  if (const json* v = find(doc, "nsctl")) NSCTL_TRY(read_extras(*v, s.nsctl));
  return s;
}

ojson seccomp_json(const SeccompProfile& p) {
  ojson j = ojson::object();
  j["defaultAction"] = p.default_action;
  if (p.default_errno_ret) j["defaultErrnoRet"] = *p.default_errno_ret;
  j["architectures"] = p.architectures;
  ojson rules = ojson::array();
  for (const auto& r : p.syscalls) {
    ojson rule = ojson::object();
    rule["names"] = r.names;
    rule["action"] = r.action;
    if (r.errno_ret) rule["errnoRet"] = *r.errno_ret;
    ojson args = ojson::array();
    for (const auto& a : r.args) {
      args.push_back(
          ojson{{"index", a.index}, {"value", a.value}, {"valueTwo", a.value_two}, {"op", a.op}});
    }
    rule["args"] = std::move(args);
    rules.push_back(std::move(rule));
  }
  j["syscalls"] = std::move(rules);
  return j;
}

ojson id_map_json(const IdMap& map) {
  ojson out = ojson::array();
  for (const auto& r : map)
    out.push_back(ojson{{"containerID", r.inner}, {"hostID", r.outer}, {"size", r.count}});
  return out;
}

template <typename T>
ojson optional_json(const std::optional<T>& v) {
  return v ? ojson(*v) : ojson(nullptr);
}

}  // namespace

std::string_view default_home(uid_t uid) { return uid == 0 ? "/root" : "/"; }

void set_sandbox_uid(SandboxSpec& spec, uid_t uid) {
  std::string old_home = fmt::format("HOME={}", default_home(spec.process.uid));
  for (auto& e : spec.process.env)
    if (e == old_home) e = fmt::format("HOME={}", default_home(uid));
  spec.process.uid = uid;
}

SandboxSpec default_sandbox(uid_t euid, const char* term) {
  SandboxSpec s;
  NsTypeSet types;
  for (const auto& t : ns_types())
    if (t.type != NsType::user || euid != 0) types.insert(t.type);
  s.linux_.namespaces = types;
  s.linux_.seccomp = default_seccomp_profile();
  s.process.capabilities = 0;
  s.process.no_new_privileges = true;
  s.nsctl.die_with_parent = true;
  s.process.cwd = "/";
  s.process.env = {kDefaultPath, fmt::format("HOME={}", default_home(s.process.uid))};
  if (term) s.process.env.push_back(fmt::format("TERM={}", term));
  return s;
}

Result<SandboxSpec> sandbox_from_json(std::string_view text, SandboxSpec base) {
  try {
    return overlay(text, std::move(base));
  } catch (const std::exception& e) {
    // Not expected (every access is checked first), but a config must never take the
    // program down: std::bad_alloc on a huge document, for one.
    return invalid(fmt::format("config: {}", text::printable(e.what())));
  }
}

std::string sandbox_to_json(const SandboxSpec& s) {
  ojson doc = ojson::object();
  doc["ociVersion"] = "1.0.2";

  ojson process = ojson::object();
  process["args"] = s.process.args;
  process["env"] = s.process.env;
  process["cwd"] = s.process.cwd;
  process["user"] = ojson{{"uid", s.process.uid},
                          {"gid", s.process.gid},
                          {"additionalGids", s.process.additional_gids}};
  ojson rlimits = ojson::array();
  for (const auto& r : s.process.rlimits) {
    rlimits.push_back(ojson{{"type", rlimit_name(r.resource)},
                            {"soft", static_cast<std::uint64_t>(r.soft)},
                            {"hard", static_cast<std::uint64_t>(r.hard)}});
  }
  process["rlimits"] = std::move(rlimits);
  std::vector<std::string> caps;
  for (int bit = 0; bit < 64; ++bit)
    if (s.process.capabilities & (std::uint64_t{1} << bit)) caps.push_back(capability_name(bit));
  ojson cap_sets = ojson::object();
  for (const char* set : {"bounding", "effective", "inheritable", "permitted"})
    cap_sets[set] = caps;
  // Ambient capabilities are what keeps them across the exec of a non-root uid; root gets its
  // permitted set back from the file capabilities rule anyway.
  cap_sets["ambient"] = s.process.uid != 0 ? caps : std::vector<std::string>();
  process["capabilities"] = std::move(cap_sets);
  process["noNewPrivileges"] = s.process.no_new_privileges;
  doc["process"] = std::move(process);

  doc["root"] = ojson{{"path", s.root.path}, {"readonly", s.root.readonly}};
  ojson mounts = ojson::array();
  for (const auto& m : s.mounts) {
    mounts.push_back(ojson{{"destination", m.destination},
                           {"type", m.type},
                           {"source", m.source},
                           {"options", m.options}});
  }
  doc["mounts"] = std::move(mounts);
  doc["hostname"] = s.hostname;
  doc["domainname"] = s.domainname;

  const SandboxLinux& lx = s.linux_;
  ojson linux_json = ojson::object();
  ojson namespaces = ojson::array();
  for (const auto& n : kOciNamespaces)
    if (lx.namespaces.contains(n.type)) namespaces.push_back(ojson{{"type", n.name}});
  linux_json["namespaces"] = std::move(namespaces);
  linux_json["uidMappings"] = id_map_json(lx.uid_mappings);
  linux_json["gidMappings"] = id_map_json(lx.gid_mappings);
  const CgroupLimits& r = lx.resources;
  linux_json["resources"] = ojson{
      {"memory", {{"limit", optional_json(r.memory_bytes)}}},
      {"pids", {{"limit", optional_json(r.pids)}}},
      {"cpu",
       {{"quota", optional_json(r.cpu_quota_us)}, {"period", optional_json(r.cpu_period_us)}}}};
  linux_json["seccomp"] = lx.seccomp ? seccomp_json(*lx.seccomp) : ojson(nullptr);
  linux_json["timeOffsets"] = ojson{{"monotonic", {{"secs", lx.monotonic_offset}, {"nanosecs", 0}}},
                                    {"boottime", {{"secs", lx.boottime_offset}, {"nanosecs", 0}}}};
  doc["linux"] = std::move(linux_json);

  ojson extras = ojson::object();
  extras["asPid1"] = s.nsctl.as_pid_1;
  extras["dieWithParent"] = s.nsctl.die_with_parent;
  if (s.nsctl.veth) {
    const SandboxVeth& v = *s.nsctl.veth;
    extras["veth"] = ojson{{"hostName", v.host_name},
                           {"sandboxName", v.sandbox_name},
                           {"hostAddress", ipv4_text(v.host_address)},
                           {"sandboxAddress", ipv4_text(v.sandbox_address)},
                           {"prefixLength", v.prefix_len}};
  } else {
    extras["veth"] = nullptr;
  }
  doc["nsctl"] = std::move(extras);
  // Strings that are not UTF-8 (paths may hold any byte) cannot be JSON strings: they are
  // written with U+FFFD rather than making this function throw.
  return doc.dump(2, ' ', false, ojson::error_handler_t::replace);
}

std::optional<int> rlimit_from_name(std::string_view name) {
  if (name.size() > 7 && iequals(name.substr(0, 7), "RLIMIT_")) name.remove_prefix(7);
  for (const auto& r : kRlimits)
    if (iequals(name, r.name)) return r.resource;
  return std::nullopt;
}

std::string rlimit_name(int resource) {
  for (const auto& r : kRlimits)
    if (r.resource == resource) return fmt::format("RLIMIT_{}", r.name);
  return fmt::format("RLIMIT_{}", resource);
}

std::string_view oci_namespace_name(NsType type) {
  for (const auto& n : kOciNamespaces)
    if (n.type == type) return n.name;
  return name(type);
}

std::optional<NsType> ns_type_from_oci_name(std::string_view name) {
  for (const auto& n : kOciNamespaces)
    if (n.name == name) return n.type;
  return std::nullopt;
}

std::optional<std::uint32_t> parse_ipv4(std::string_view text) {
  std::uint32_t address = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (text.empty() || text.front() != '.') return std::nullopt;
      text.remove_prefix(1);
    }
    std::size_t digits = 0;
    while (digits < text.size() && digits < 4 && text[digits] >= '0' && text[digits] <= '9')
      ++digits;
    if (digits == 0 || digits > 3 || (digits > 1 && text.front() == '0')) return std::nullopt;
    unsigned value = 0;
    std::from_chars(text.data(), text.data() + digits, value);
    if (value > 255) return std::nullopt;
    address = (address << 8) | value;
    text.remove_prefix(digits);
  }
  if (!text.empty()) return std::nullopt;
  return address;
}

std::string ipv4_text(std::uint32_t a) {
  return fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

}  // namespace nsctl
