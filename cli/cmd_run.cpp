// nsctl run: a sandbox. The options become a SandboxSpec (run_args.cpp), which is checked,
// then run by the library; the exit codes are those of docker and podman: 125 when the sandbox
// could not be set up, 126 when the command cannot be executed, 127 when it is not found, and
// otherwise the command's own (128 + the signal that killed it).
#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "cli.hpp"
#include "commands.hpp"
#include "run_args.hpp"
#include "sandbox/sandbox.hpp"
#include "sandbox/sandbox_config.hpp"

namespace nsctl::cli {

namespace {

void print_help(const Invocation& inv) {
  fmt::print(
      "\nUsage:\n {} [options] [--] <command> [<argument>...]\n\n"
      "Run a command in a sandbox: new namespaces, its own root filesystem and mounts,\n"
      "limits, no capabilities, a seccomp filter, no_new_privs. Every namespace is new\n"
      "by default (except the user namespace when run as root).\n\n"
      "Configuration:\n"
      " --config <file>           read an OCI-style config.json first; the other\n"
      "                             options apply on top of it\n"
      " --print-config            print the resulting configuration as JSON and exit\n\n"
      "Namespaces:\n"
      " --share <list>            share these namespaces with the caller: mnt, net,\n"
      "                             ipc, uts, pid, cgroup, user, time, or all\n"
      "                             (comma-separated)\n"
      " --share-mnt, --share-net, --share-ipc, --share-uts, --share-pid,\n"
      " --share-cgroup, --share-user, --share-time\n"
      "                           share that one namespace\n"
      " --userns                  a new user namespace even when run as root\n"
      " --uid <uid>               user id in the sandbox (default 0)\n"
      " --gid <gid>               group id in the sandbox (default 0)\n"
      " --groups <list>           supplementary group ids (comma-separated)\n"
      " --map-users <inner>:<outer>:<count>\n"
      "                           map count user ids from outer to inner (repeatable)\n"
      " --map-groups <inner>:<outer>:<count>\n"
      "                           map count group ids from outer to inner (repeatable)\n\n"
      "Identity:\n"
      " --hostname <name>         hostname in the sandbox\n"
      " --domainname <name>       NIS domain name in the sandbox\n\n"
      "Process:\n"
      " --as-pid-1                run the command as PID 1 (no nsctl init to reap\n"
      "                             orphans)\n"
      " --no-die-with-parent      let the sandbox outlive nsctl\n"
      " --chdir <dir>             working directory in the sandbox (default /)\n\n"
      "Filesystem (relative sources are taken from the current directory):\n"
      " --root <dir>              use <dir> as the root filesystem\n"
      " --ro                      make the root filesystem read-only\n"
      " --bind <src> <dst>        bind mount <src> on <dst>\n"
      " --ro-bind <src> <dst>     bind mount <src> on <dst>, read-only\n"
      " --tmpfs <dst>             mount a tmpfs on <dst>\n"
      " --proc <dst>              mount the sandbox's proc on <dst>\n"
      " --dev <dst>               mount a minimal /dev on <dst> (null, zero, full,\n"
      "                             random, urandom, tty, pts, shm)\n"
      " --overlay <lower> <upper> <work> <dst>\n"
      "                           mount an overlay on <dst> (<lower> may be a:b)\n\n"
      "Network:\n"
      " --veth[=<network>]        a veth pair to the caller's network namespace, eth0\n"
      "                             in the sandbox; default a /30 of 10.200.0.0/16, or\n"
      "                             the first two addresses of <network> (such as\n"
      "                             192.168.7.0/24)\n\n"
      "Limits:\n"
      " --rlimit <name>=<soft>[:<hard>]\n"
      "                           a resource limit (NOFILE, NPROC, ...; a number or\n"
      "                             unlimited); repeatable\n"
      " --memory <size>           memory limit (bytes, or k, m, g, t: base 1024)\n"
      " --pids <n>                most processes and threads at once\n"
      " --cpus <n>                CPU time, in CPUs (e.g. 0.5)\n\n"
      "Privileges:\n"
      " --cap-add <list>          keep these capabilities (names or ALL;\n"
      "                             comma-separated)\n"
      " --seccomp <file>          a seccomp profile (OCI/Docker JSON) instead of the\n"
      "                             default\n"
      " --no-seccomp              no seccomp filter\n\n"
      "Environment (default: PATH, HOME and TERM only):\n"
      " --keep-env                start from the caller's environment\n"
      " --setenv <name> <value>   set a variable\n"
      " --unsetenv <name>         remove a variable\n\n"
      "Time:\n"
      " --time-offset monotonic=<secs>,boottime=<secs>\n"
      "                           clock offsets in the sandbox's time namespace\n\n"
      " -h, --help                display this help\n\n"
      "Exit status: the command's, 128 + the signal that killed it, 125 when the\n"
      "sandbox could not be set up, 126 when the command could not be executed, 127\n"
      "when it was not found.\n",
      inv.prog);
}

}  // namespace

Outcome run_run(const Invocation& inv, int argc, char** argv) {
  auto parsed = parse_run_args(argc, argv, ::geteuid(), std::getenv("TERM"));
  if (!parsed) return std::unexpected(std::move(parsed).error());
  if (parsed->help) {
    print_help(inv);
    return 0;
  }
  const SandboxSpec& spec = parsed->spec;
  if (parsed->print_config) {
    fmt::print("{}\n", sandbox_to_json(spec));
    return 0;
  }
  if (auto valid = validate_sandbox(spec); !valid)
    return failure(quoted(valid.error().message()), kSetupFailedExit);
  // The command shares this process's stdout: what stdio holds goes first.
  std::fflush(stdout);
  bool exec_failed = false;
  auto status = run_sandbox(spec, &exec_failed);
  if (!status) {
    int code = kSetupFailedExit;
    if (exec_failed) code = status.error().code() == ENOENT ? 127 : 126;
    return failure(quoted(status.error().message()), code);
  }
  return status->shell_code();
}

}  // namespace nsctl::cli
