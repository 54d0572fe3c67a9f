#!/usr/bin/python3
"""The classic "which processes are in other namespaces" loop, as a baseline for `nsctl ps`.

What the well-known Python scripts do: for every /proc/<pid>, os.readlink() each
/proc/<pid>/ns/<type> link; compare with PID 1's links (or, when PID 1's cannot be read, with
this script's own, as `nsctl ps` does); group the processes that differ by the set of
namespaces they are in; print one line per process:

    PID PPID USER NAMESPACES COMMAND

with NAMESPACES as `nsctl ps` prints them ("net:4026532303 pid:4026532306", the types that
differ). Lines come group by group (groups in order of their lowest PID); a last line on
stderr counts processes and groups. A process that exits during the scan is skipped and
counted, as is one whose links cannot be read (not root). Standard library only; run with
/usr/bin/python3 (bench/compare.sh times it against `nsctl ps`).
"""

import os
import pwd
import sys

# The 8 types of /proc/PID/ns, in the order of `nsctl ps` and lsns; those this kernel has
# (time: 5.6, cgroup: 4.6).
TYPES = tuple(t for t in ("mnt", "net", "time", "cgroup", "pid", "user", "uts", "ipc")
              if os.path.lexists(f"/proc/self/ns/{t}"))


def namespaces(pid):
    """{type: inode} of a process. Raises FileNotFoundError if it has exited."""
    ns = {}
    for t in TYPES:
        link = os.readlink(f"/proc/{pid}/ns/{t}")  # "net:[4026531840]"
        ns[t] = int(link[link.index("[") + 1 : -1])
    return ns


def main():
    try:
        ref = namespaces(1)
    except OSError:
        ref = namespaces("self")
        print(f"ns_loop.py: cannot read pid 1's namespaces; comparing with own (pid {os.getpid()})",
              file=sys.stderr)

    users = {}
    groups = {}  # key: ((type, inode), ...) of the types that differ -> [(pid, line)]
    vanished = denied = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        pid = int(name)
        try:
            ns = namespaces(pid)
            diff = tuple((t, ns[t]) for t in TYPES if ns[t] != ref[t])
            if not diff:
                continue
            uid = os.stat(f"/proc/{pid}").st_uid
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read()
            # The name is in parentheses and may contain ") ": split at the last ")".
            ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read()
            command = cmdline.rstrip(b"\0").replace(b"\0", b" ").decode(errors="replace")
            if not command:  # kernel thread or zombie: the name from stat
                command = "[" + stat[stat.index(b"(") + 1 : stat.rindex(b")")].decode(
                    errors="replace") + "]"
        except (FileNotFoundError, ProcessLookupError):
            vanished += 1
            continue
        except PermissionError:
            denied += 1
            continue
        if uid not in users:
            try:
                users[uid] = pwd.getpwuid(uid).pw_name
            except KeyError:
                users[uid] = str(uid)
        text = " ".join(f"{t}:{ino}" for t, ino in diff)
        groups.setdefault(diff, []).append((pid, f"{pid} {ppid} {users[uid]} {text} {command}"))

    out = []
    for members in sorted(groups.values(), key=lambda m: min(p for p, _ in m)):
        out.extend(line for _, line in sorted(members))
    sys.stdout.write("PID PPID USER NAMESPACES COMMAND\n" + "".join(line + "\n" for line in out))
    print(f"ns_loop.py: {len(out)} processes in {len(groups)} groups; {vanished} vanished, "
          f"{denied} denied", file=sys.stderr)


if __name__ == "__main__":
    main()
