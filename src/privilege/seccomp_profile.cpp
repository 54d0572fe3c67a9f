// The JSON side of seccomp profiles: the OCI `linux.seccomp` object, which is also Docker's
// profile format (Docker adds fields of its own, ignored here).
#include <fmt/core.h>

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "base/escape.hpp"
#include "base/json_util.hpp"
#include "privilege/seccomp.hpp"

namespace nsctl {

namespace {

using json = nlohmann::json;
using json_util::bad;

// Far above any real profile (Docker's is about 20 KiB); bounds the parse of hostile input.
constexpr std::size_t kMaxProfileBytes = 16 << 20;
// A profile nests four levels deep; the limit keeps a hostile one from costing a deep tree.
constexpr std::size_t kMaxDepth = 32;

constexpr std::string_view kActions[] = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
    "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE",        "SCMP_ACT_ALLOW",       "SCMP_ACT_LOG"};
constexpr std::string_view kOps[] = {"SCMP_CMP_NE",       "SCMP_CMP_LT", "SCMP_CMP_LE",
                                     "SCMP_CMP_EQ",       "SCMP_CMP_GE", "SCMP_CMP_GT",
                                     "SCMP_CMP_MASKED_EQ"};
constexpr std::string_view kArches[] = {
    "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64"};

template <std::size_t N>
bool one_of(std::string_view s, const std::string_view (&set)[N]) {
  for (std::string_view v : set)
    if (v == s) return true;
  return false;
}

// Input text as it goes into a message: escaped, and cut short.
std::string printable(std::string_view s) { return text::printable(s, 64); }

const char* type_name(const json& v) { return v.type_name(); }

Result<std::string> get_string(const json& v, std::string_view path) {
  if (!v.is_string()) return bad(path, fmt::format("expected a string, got {}", type_name(v)));
  return v.get<std::string>();
}

// An unsigned integer of at most `max`. nlohmann reads integers past 64 bits as floating
// point, so those are refused as "not an integer" rather than silently rounded.
Result<std::uint64_t> get_unsigned(const json& v, std::string_view path, std::uint64_t max) {
  if (v.is_number_unsigned()) {
    auto n = v.get<std::uint64_t>();
    if (n > max) return bad(path, fmt::format("{} is out of range (0..{})", n, max));
    return n;
  }
  if (v.is_number_integer()) {
    auto n = v.get<std::int64_t>();
    if (n >= 0 && static_cast<std::uint64_t>(n) <= max) return static_cast<std::uint64_t>(n);
    return bad(path, fmt::format("{} is out of range (0..{})", n, max));
  }
  if (v.is_number_float()) return bad(path, "expected an unsigned integer that fits in 64 bits");
  return bad(path, fmt::format("expected an unsigned integer, got {}", type_name(v)));
}

Result<std::uint32_t> get_errno(const json& v, std::string_view path) {
  NSCTL_ASSIGN_OR_RETURN(std::uint64_t n, get_unsigned(v, path, 4095));
  return static_cast<std::uint32_t>(n);
}

Result<std::string> get_action(const json& v, std::string_view path) {
  NSCTL_ASSIGN_OR_RETURN(std::string action, get_string(v, path));
  if (action == "SCMP_ACT_NOTIFY")
    return bad(path, "SCMP_ACT_NOTIFY is not supported (nsctl has no seccomp agent)");
  if (!one_of(action, kActions))
    return bad(path, fmt::format("unknown action \"{}\"", printable(action)));
  return action;
}

bool valid_syscall_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

Result<std::string> get_name(const json& v, std::string_view path) {
  NSCTL_ASSIGN_OR_RETURN(std::string name, get_string(v, path));
  if (!valid_syscall_name(name))
    return bad(path, fmt::format("invalid syscall name \"{}\"", printable(name)));
  return name;
}

Result<SeccompArg> parse_arg(const json& v, const std::string& path) {
  if (!v.is_object()) return bad(path, fmt::format("expected an object, got {}", type_name(v)));
  SeccompArg arg;
  auto index = v.find("index");
  if (index == v.end()) return bad(path, "no \"index\"");
  NSCTL_ASSIGN_OR_RETURN(std::uint64_t i, get_unsigned(*index, path + ".index", 5));
  arg.index = static_cast<unsigned>(i);
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  if (auto it = v.find("value"); it != v.end()) {
    NSCTL_ASSIGN_OR_RETURN(arg.value, get_unsigned(*it, path + ".value", kMax));
  }
  if (auto it = v.find("valueTwo"); it != v.end()) {
    NSCTL_ASSIGN_OR_RETURN(arg.value_two, get_unsigned(*it, path + ".valueTwo", kMax));
  }
  auto op = v.find("op");
  if (op == v.end()) return bad(path, "no \"op\"");
  NSCTL_ASSIGN_OR_RETURN(arg.op, get_string(*op, path + ".op"));
  if (!one_of(arg.op, kOps))
    return bad(path + ".op", fmt::format("unknown operator \"{}\"", printable(arg.op)));
  return arg;
}

Result<SeccompRule> parse_rule(const json& v, const std::string& path) {
  if (!v.is_object()) return bad(path, fmt::format("expected an object, got {}", type_name(v)));
  SeccompRule rule;
  // "name" is the older single-name form; a rule may carry both.
  if (auto it = v.find("names"); it != v.end() && !it->is_null()) {
    if (!it->is_array())
      return bad(path + ".names", fmt::format("expected an array, got {}", type_name(*it)));
    for (std::size_t i = 0; i < it->size(); ++i) {
      NSCTL_ASSIGN_OR_RETURN(std::string name,
                             get_name((*it)[i], fmt::format("{}.names[{}]", path, i)));
      rule.names.push_back(std::move(name));
    }
  }
  if (auto it = v.find("name"); it != v.end() && !it->is_null()) {
    NSCTL_ASSIGN_OR_RETURN(std::string name, get_name(*it, path + ".name"));
    rule.names.push_back(std::move(name));
  }
  if (rule.names.empty()) return bad(path, "no syscall names");
  auto action = v.find("action");
  if (action == v.end()) return bad(path, "no \"action\"");
  NSCTL_ASSIGN_OR_RETURN(rule.action, get_action(*action, path + ".action"));
  if (auto it = v.find("errnoRet"); it != v.end() && !it->is_null()) {
    NSCTL_ASSIGN_OR_RETURN(rule.errno_ret, get_errno(*it, path + ".errnoRet"));
  }
  if (auto it = v.find("args"); it != v.end() && !it->is_null()) {
    if (!it->is_array())
      return bad(path + ".args", fmt::format("expected an array, got {}", type_name(*it)));
    if (it->size() > 6) return bad(path + ".args", "more than 6 argument comparisons");
    for (std::size_t i = 0; i < it->size(); ++i) {
      NSCTL_ASSIGN_OR_RETURN(SeccompArg arg,
                             parse_arg((*it)[i], fmt::format("{}.args[{}]", path, i)));
      rule.args.push_back(std::move(arg));
    }
  }
  return rule;
}

Result<SeccompProfile> parse_root(const json& root) {
  if (!root.is_object())
    return invalid(fmt::format("seccomp profile: expected an object, got {}", type_name(root)));
  SeccompProfile p;
  auto action = root.find("defaultAction");
  if (action == root.end()) return invalid("seccomp profile: no \"defaultAction\"");
  NSCTL_ASSIGN_OR_RETURN(p.default_action, get_action(*action, "defaultAction"));
  if (auto it = root.find("defaultErrnoRet"); it != root.end() && !it->is_null()) {
    NSCTL_ASSIGN_OR_RETURN(p.default_errno_ret, get_errno(*it, "defaultErrnoRet"));
  }
  if (auto it = root.find("architectures"); it != root.end() && !it->is_null()) {
    if (!it->is_array())
      return bad("architectures", fmt::format("expected an array, got {}", type_name(*it)));
    for (std::size_t i = 0; i < it->size(); ++i) {
      std::string path = fmt::format("architectures[{}]", i);
      NSCTL_ASSIGN_OR_RETURN(std::string arch, get_string((*it)[i], path));
      if (!one_of(arch, kArches))
        return bad(path, fmt::format("unknown architecture \"{}\"", printable(arch)));
      p.architectures.push_back(std::move(arch));
    }
  }
  if (auto it = root.find("syscalls"); it != root.end() && !it->is_null()) {
    if (!it->is_array())
      return bad("syscalls", fmt::format("expected an array, got {}", type_name(*it)));
    for (std::size_t i = 0; i < it->size(); ++i) {
      NSCTL_ASSIGN_OR_RETURN(SeccompRule rule,
                             parse_rule((*it)[i], fmt::format("syscalls[{}]", i)));
      p.syscalls.push_back(std::move(rule));
    }
  }
  return p;
}

// The reason of a nlohmann parse error without the input it quotes ("...; last read: 'x'"),
// which may hold any bytes: "syntax error while parsing value - invalid literal".
std::string parse_reason(const json::parse_error& e) {
  std::string_view what = e.what();
  if (auto at = what.find(": syntax error"); at != std::string_view::npos)
    what.remove_prefix(at + 2);
  what = what.substr(0, what.find("; last read"));
  return printable(what.substr(0, 120));
}

}  // namespace

Result<SeccompProfile> parse_seccomp_profile(std::string_view json_text) {
  if (json_text.size() > kMaxProfileBytes)
    return invalid(fmt::format("seccomp profile: {} bytes is too large (at most {})",
                               json_text.size(), kMaxProfileBytes));
  if (json_util::nested_deeper_than(json_text, kMaxDepth))
    return invalid(fmt::format("seccomp profile: nested deeper than {} levels", kMaxDepth));
  // nlohmann reports errors by exception; none may leave the library. Its parse errors quote
  // the input, so only the position goes into the message, with the reason in our words.
  try {
    json root = json::parse(json_text.begin(), json_text.end());
    return parse_root(root);
  } catch (const json::parse_error& e) {
    return invalid(
        fmt::format("seccomp profile: invalid JSON at byte {}: {}", e.byte, parse_reason(e)));
  } catch (const json::exception& e) {
    return invalid(fmt::format("seccomp profile: invalid JSON (nlohmann error {})", e.id));
  } catch (const std::bad_alloc&) {
    return fail(ENOMEM, "seccomp profile");
  } catch (const std::exception&) {
    return invalid("seccomp profile: cannot parse");
  }
}

}  // namespace nsctl
