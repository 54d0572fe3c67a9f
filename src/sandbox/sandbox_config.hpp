// The configuration of `nsctl run`: its defaults, and the SandboxSpec as a JSON document in
// the shape of an OCI runtime config.json (read with `--config`, written with
// `--print-config`). Pure: nothing here touches the system.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "nsctl/base/error.hpp"
#include "nsctl/ns/ns_type.hpp"
#include "sandbox/sandbox.hpp"

namespace nsctl {

// The defaults of `nsctl run` for a caller with effective uid `euid`:
// - every namespace new, except `user` when euid is 0: real root needs no user namespace to
//   have privilege, and one would only take it away (it is added on request);
// - the default seccomp profile, no capabilities, no_new_privs, die with the parent;
// - cwd "/", uid and gid 0 inside;
// - env: PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin, HOME (see
//   default_home), and TERM=<term> when `term` is not null.
SandboxSpec default_sandbox(uid_t euid, const char* term);

// "/root" for uid 0, "/" for any other uid (the sandbox has no passwd database to ask).
std::string_view default_home(uid_t uid);

// Sets process.uid. HOME follows the uid only while it is still the default one: when env
// holds "HOME=<default_home(old uid)>", it becomes "HOME=<default_home(uid)>". A HOME that the
// user set (--setenv, --keep-env, a config's env) is left alone. Both `--uid` and a config's
// process.user.uid (without process.env) go through here.
void set_sandbox_uid(SandboxSpec& spec, uid_t uid);

// Overlays the OCI-shaped JSON document `text` onto `base`: every field the document has
// replaces base's (lists such as mounts, env, rlimits and linux.namespaces are replaced
// whole); every field it lacks keeps base's value, so that a config with only process.args
// runs with nsctl run's defaults. The fields (OCI names; nsctl's own under "nsctl"):
//   process{args, env, cwd, user{uid, gid, additionalGids}, rlimits[{type, soft, hard}],
//           capabilities{bounding, effective, inheritable, permitted, ambient},
//           noNewPrivileges}
//   root{path, readonly}, mounts[{destination, type, source, options}], hostname, domainname
//   linux{namespaces[{type}], uidMappings/gidMappings[{containerID, hostID, size}],
//         resources{memory{limit}, pids{limit}, cpu{quota, period}}, seccomp,
//         timeOffsets{monotonic{secs, nanosecs}, boottime{secs, nanosecs}}}
//   nsctl{asPid1, dieWithParent, veth{hostName, sandboxName, hostAddress, sandboxAddress,
//         prefixLength}}
// Capabilities: nsctl keeps one set; it is `bounding` when present, else the union of the
// other sets. Limits, linux.seccomp and nsctl.veth may be null ("none"); a limit of -1 is
// "unlimited", as in CgroupLimits. A namespace entry with a non-empty "path" (joining) is
// refused; so are noNewPrivileges false and non-zero nanosecs. Unknown keys are ignored, as
// OCI configs carry many. Strings must not hold NUL bytes (the kernel takes C strings).
// Errors (EINVAL) name the JSON path: `process.rlimits[1].type: unknown resource
// "RLIMIT_FOO"`; invalid JSON and documents nested deeper than 64 levels are refused. Never
// throws.
Result<SandboxSpec> sandbox_from_json(std::string_view text, SandboxSpec base);

// `spec` as that document, pretty-printed (2-space indent), with every field written (null
// for what is absent), so that sandbox_from_json(sandbox_to_json(s), any base) == s for every
// spec that validate_sandbox accepts and whose strings are UTF-8 (other bytes are written as
// U+FFFD). Capabilities go to bounding, effective, permitted and inheritable, and to ambient
// when process.uid is not 0.
std::string sandbox_to_json(const SandboxSpec& spec);

// The 16 Linux resource limits: "RLIMIT_NOFILE", "NOFILE" or "nofile" (any case) ->
// RLIMIT_NOFILE; nullopt for an unknown name.
std::optional<int> rlimit_from_name(std::string_view name);
// RLIMIT_NOFILE -> "RLIMIT_NOFILE"; an unknown resource -> "RLIMIT_<n>".
std::string rlimit_name(int resource);

// OCI's namespace type names: "network" <-> NsType::net, "mount" <-> NsType::mnt, the other
// six as nsctl names them.
std::string_view oci_namespace_name(NsType type);
std::optional<NsType> ns_type_from_oci_name(std::string_view name);

// Dotted-quad IPv4 addresses in host byte order: "10.200.0.1" <-> 0x0ac80001. Parsing takes
// exactly four decimal parts 0..255 without leading zeros (which some parsers read as octal).
std::optional<std::uint32_t> parse_ipv4(std::string_view text);
std::string ipv4_text(std::uint32_t address);

}  // namespace nsctl
