// nsctl run end to end, what the sandbox is given: its filesystem (root, every mount option),
// network (lo, veth) and limits (rlimits, cgroups) — checked from inside the sandbox, and from
// the test's side where the kernel keeps a view outside (cgroups, veth).
#include "run_support.hpp"

namespace nsctl::run_e2e {
namespace {

// --- Filesystem ---

TEST_F(Run, RootIsTheBusyboxRootAndTheHostIsHidden) {
  auto r = run_sh({"--proc", "/proc"},
                  "cat /etc/nsctl-test-root\n"
                  "for p in /work /usr/bin/env /usr /home /lib /var; do\n"
                  "  if [ -e $p ]; then echo \"visible $p\"; fi\n"
                  "done\n"
                  "echo '== mountinfo =='\n"
                  "cat /proc/self/mountinfo\n");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  auto s = sections(r.out);
  EXPECT_EQ(s[""], root_->marker_text()) << "not the test's root, or a host path is visible";
  // pivot_root with the old root detached: the root and /proc, nothing of the host's.
  std::set<std::string> points;
  for (const auto& [point, m] : parse_mountinfo(s["mountinfo"])) points.insert(point);
  EXPECT_EQ(points, (std::set<std::string>{"/", "/proc"})) << s["mountinfo"];
}

// Every mount option, seen in the sandbox's mountinfo and by using the mounts. The bind sources
// and the overlay's directories are on a tmpfs of a private mount namespace of the test's (a
// forked child), and the read-only bind's source has a tmpfs submount: --ro-bind must make the
// whole tree read-only.
TEST_F(Run, MountOptionsTakeEffect) {
  // The character devices --dev binds from the host, as "major:minor" in hex (stat's %t:%T).
  std::map<std::string, std::string> devices;
  for (const char* d : {"null", "zero", "full", "random", "urandom", "tty"}) {
    struct stat st {};
    ASSERT_EQ(::stat((std::string("/dev/") + d).c_str(), &st), 0) << d;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%x:%x", major(st.st_rdev), minor(st.st_rdev));
    devices[d] = buf;
  }
  NSCTL_EXPECT_CHILD_OK([&] {
    Scratch scratch;
    if (int rc = scratch.make()) return rc;
    const std::string& s = scratch.dir;
    for (const char* d : {"/ro", "/ro/sub", "/rw", "/lower", "/upper", "/work"})
      CHILD_CHECK(::mkdir((s + d).c_str(), 0755) == 0, "mkdir %s", d);
    CHILD_CHECK(::mount("tmpfs", (s + "/ro/sub").c_str(), "tmpfs", 0, nullptr) == 0, "submount");
    CHILD_CHECK(write_file(s + "/ro/sub/file", "sub\n") && write_file(s + "/lower/low", "low\n"));
    auto r = run_command(in_root(
        {"--proc",     "/proc",     "--dev",   "/dev",    "--ro-bind", s + "/ro",   "/mnt/ro",
         "--bind",     s + "/rw",   "/mnt/rw", "--tmpfs", "/mnt/tmp",  "--overlay", s + "/lower",
         s + "/upper", s + "/work", "/mnt/ov", "--tmpfs", "/new/dir",  "--chdir",   "/mnt/rw"},
        sh("pwd\n"
           "echo '== use =='\n"
           "cat /mnt/ro/sub/file /mnt/ov/low\n"
           "echo through-overlay > /mnt/ov/written && echo ov-written\n"
           "echo rw > written && echo rw-written\n"
           "touch /mnt/ro/x 2>&1; touch /mnt/ro/sub/x 2>&1\n"
           "echo x > /dev/null && echo null-ok\n"
           "head -c 3 /dev/zero | od -An -tx1\n"
           "echo '== dev =='\n"
           "ls -A /dev\n"
           "echo '== devices =='\n"
           "for d in null zero full random urandom tty; do stat -c \"$d %F %t:%T\" /dev/$d; done\n"
           "echo '== links =='\n"
           "for l in ptmx fd stdin stdout stderr core; do echo \"$l $(readlink /dev/$l)\"; done\n"
           "echo '== mountinfo =='\n"
           "cat /proc/self/mountinfo\n")));
    CHILD_CHECK(r.exit_code == 0, "%s", describe(r).c_str());
    auto sec = sections(r.out);
    std::string all = describe(r);
    CHILD_CHECK(sec[""] == "/mnt/rw\n", "--chdir: %s", all.c_str());
    std::string use = sec["use"];
    CHILD_CHECK(use.find("sub\nlow\nov-written\nrw-written\n") == 0, "%s", all.c_str());
    CHILD_CHECK(use.find("touch: /mnt/ro/x: Read-only file system") != std::string::npos &&
                    use.find("touch: /mnt/ro/sub/x: Read-only file system") != std::string::npos,
                "--ro-bind is not read-only in its whole tree:\n%s", all.c_str());
    CHILD_CHECK(use.find("null-ok\n 00 00 00\n") != std::string::npos, "%s", all.c_str());
    // The overlay wrote to its upper directory, not the lower one.
    CHILD_CHECK(read_text(s + "/upper/written") == "through-overlay\n", "upper: %s", all.c_str());
    CHILD_CHECK(::access((s + "/lower/written").c_str(), F_OK) != 0, "written to lowerdir");
    CHILD_CHECK(read_text(s + "/rw/written") == "rw\n", "--bind is not the source: %s",
                all.c_str());
    // The missing mount point was created inside the root.
    struct stat st {};
    CHILD_CHECK(::stat(root_->host_path("/new/dir").c_str(), &st) == 0 && S_ISDIR(st.st_mode),
                "--tmpfs /new/dir did not create its mount point in the root");

    std::set<std::string> dev;
    for (const auto& l : lines(sec["dev"])) dev.insert(l);
    const std::set<std::string> want_dev = {"null",  "zero",   "full",   "random", "urandom",
                                            "tty",   "pts",    "ptmx",   "shm",    "fd",
                                            "stdin", "stdout", "stderr", "core"};
    CHILD_CHECK(dev == want_dev, "/dev holds:\n%s", sec["dev"].c_str());
    for (const auto& [name, rdev] : devices) {
      std::string want = name + " character special file " + rdev + "\n";
      CHILD_CHECK(sec["devices"].find(want) != std::string::npos, "/dev/%s: want %s in\n%s",
                  name.c_str(), rdev.c_str(), sec["devices"].c_str());
    }
    CHILD_CHECK(sec["links"] ==
                    "ptmx pts/ptmx\nfd /proc/self/fd\nstdin /proc/self/fd/0\n"
                    "stdout /proc/self/fd/1\nstderr /proc/self/fd/2\ncore /proc/kcore\n",
                "/dev links:\n%s", sec["links"].c_str());

    auto m = parse_mountinfo(sec["mountinfo"]);
    std::string mi = sec["mountinfo"];
    auto mounted = [&](const std::string& p) { return m.count(p) != 0; };
    for (const char* p : {"/", "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/null", "/mnt/ro",
                          "/mnt/ro/sub", "/mnt/rw", "/mnt/tmp", "/mnt/ov", "/new/dir"})
      CHILD_CHECK(mounted(p), "no mount on %s:\n%s", p, mi.c_str());
    CHILD_CHECK(has_option(m["/"].options, "rw"), "/ is not rw without --ro");
    CHILD_CHECK(
        has_option(m["/mnt/ro"].options, "ro") && has_option(m["/mnt/ro/sub"].options, "ro"),
        "--ro-bind:\n%s", mi.c_str());
    CHILD_CHECK(m["/mnt/ro/sub"].fstype == "tmpfs", "the submount is missing:\n%s", mi.c_str());
    CHILD_CHECK(has_option(m["/mnt/rw"].options, "rw"), "--bind is not rw:\n%s", mi.c_str());
    CHILD_CHECK(m["/mnt/tmp"].fstype == "tmpfs" && has_option(m["/mnt/tmp"].options, "nosuid") &&
                    has_option(m["/mnt/tmp"].options, "nodev"),
                "--tmpfs:\n%s", mi.c_str());
    CHILD_CHECK(m["/proc"].fstype == "proc", "--proc:\n%s", mi.c_str());
    CHILD_CHECK(m["/dev"].fstype == "tmpfs" && m["/dev/pts"].fstype == "devpts" &&
                    m["/dev/shm"].fstype == "tmpfs",
                "--dev:\n%s", mi.c_str());
    const MountLine& ov = m["/mnt/ov"];
    CHILD_CHECK(ov.fstype == "overlay" && has_option(ov.super, "lowerdir=" + s + "/lower") &&
                    has_option(ov.super, "upperdir=" + s + "/upper") &&
                    has_option(ov.super, "workdir=" + s + "/work"),
                "--overlay:\n%s", mi.c_str());
    return 0;
  });
}

TEST_F(Run, ReadOnlyRootKeepsItsTmpfsWritable) {
  auto r = run_sh({"--ro", "--tmpfs", "/tmp", "--proc", "/proc"},
                  "touch /x 2>&1; touch /tmp/x && echo tmp-ok\n"
                  "echo '== mountinfo =='\n"
                  "cat /proc/self/mountinfo\n");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  auto s = sections(r.out);
  EXPECT_EQ(s[""], "touch: /x: Read-only file system\ntmp-ok\n");
  auto m = parse_mountinfo(s["mountinfo"]);
  EXPECT_TRUE(has_option(m["/"].options, "ro")) << s["mountinfo"];
  EXPECT_TRUE(has_option(m["/tmp"].options, "rw")) << s["mountinfo"];
  EXPECT_NE(::access(root_->host_path("/x").c_str(), F_OK), 0);
}

// Without --root the mounts go over the caller's own directories, in the sandbox's mount
// namespace only.
TEST_F(Run, WithoutRootMountsCoverTheCallersTreeInsideOnly) {
  NSCTL_EXPECT_CHILD_OK([] {
    Scratch scratch;
    if (int rc = scratch.make()) return rc;
    std::string target = scratch.dir + "/target";
    CHILD_CHECK(::mkdir(target.c_str(), 0755) == 0 && write_file(target + "/host-file", "x"));
    std::string before = read_text("/proc/self/mountinfo");
    auto r = run_command(
        nsctl_run({"--tmpfs", target},
                  {"/bin/sh", "-c",
                   "ls -A " + target + "; echo '== mountinfo =='; cat /proc/self/mountinfo"}));
    CHILD_CHECK(r.exit_code == 0, "%s", describe(r).c_str());
    auto s = sections(r.out);
    CHILD_CHECK(s[""].empty(), "the tmpfs does not cover the directory: %s", s[""].c_str());
    auto m = parse_mountinfo(s["mountinfo"]);
    CHILD_CHECK(m.count(target) && m[target].fstype == "tmpfs", "%s", s["mountinfo"].c_str());
    CHILD_CHECK(read_text("/proc/self/mountinfo") == before, "the caller's mounts changed");
    CHILD_CHECK(::access((target + "/host-file").c_str(), F_OK) == 0, "the host file is gone");
    return 0;
  });
}

// --- Network ---

TEST_F(Run, NewNetworkNamespaceHasOnlyLoopbackUp) {
  auto r = run_sh({}, "ip -o link; echo '== addr =='; ip -o -4 addr");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  auto s = sections(r.out);
  auto links = lines(s[""]);
  ASSERT_EQ(links.size(), 1u) << s[""];
  EXPECT_EQ(links[0].rfind("1: lo: <LOOPBACK,UP,LOWER_UP>", 0), 0u) << links[0];
  EXPECT_NE(s["addr"].find("inet 127.0.0.1/8"), std::string::npos) << s["addr"];
}

// "10.77.0.2" -> host-order integer (0 on failure).
std::uint32_t ipv4(const std::string& text) {
  in_addr a{};
  return ::inet_pton(AF_INET, text.c_str(), &a) == 1 ? ntohl(a.s_addr) : 0;
}

// nsctl run --veth from inside a network namespace the test created: the test listens there (on
// every address of that namespace: the host end's address only exists once nsctl made it), the
// sandbox connects to the host end's address with busybox nc, and the bytes arrive from the
// sandbox end's address. The pair goes when the sandbox does.
TEST_F(Run, VethCarriesTcpBetweenTheSandboxAndTheHostEnd) {
  NSCTL_EXPECT_CHILD_OK([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      std::perror("unshare(CLONE_NEWNET)");
      return 77;
    }
    auto rt = Rtnl::open();
    CHILD_CHECK(rt.has_value(), "rtnetlink");
    auto lo = rt->link_index("lo");
    CHILD_CHECK(lo.has_value() && rt->set_link_up(*lo).has_value(), "lo up");
    int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    socklen_t len = sizeof addr;
    CHILD_CHECK(listener >= 0 &&
                    ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                    ::listen(listener, 4) == 0 &&
                    ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0,
                "listen: %s", std::strerror(errno));
    std::string port = std::to_string(ntohs(addr.sin_port));
    Started nsctl(in_root({"--veth=10.77.0.0/30"},
                          sh("ip -o -4 addr show eth0; echo '== route =='; ip route;"
                             "echo '== nc =='; echo nsctl-veth-payload | nc 10.77.0.1 " +
                             port + "; echo \"nc $?\"")));
    CHILD_CHECK(nsctl, "fork");
    pollfd p{listener, POLLIN, 0};
    CHILD_CHECK(::poll(&p, 1, 10000) == 1, "no connection within 10 s: %s",
                describe(nsctl.wait(5000ms)).c_str());
    sockaddr_in peer{}, local{};
    socklen_t peer_len = sizeof peer, local_len = sizeof local;
    int conn = ::accept4(listener, reinterpret_cast<sockaddr*>(&peer), &peer_len, SOCK_CLOEXEC);
    CHILD_CHECK(conn >= 0, "accept: %s", std::strerror(errno));
    ::getsockname(conn, reinterpret_cast<sockaddr*>(&local), &local_len);
    CHILD_CHECK(ntohl(peer.sin_addr.s_addr) == ipv4("10.77.0.2") &&
                    ntohl(local.sin_addr.s_addr) == ipv4("10.77.0.1"),
                "the connection did not come over the veth");
    // The host end, seen from the test's namespace while the sandbox runs.
    std::string host_end = "nsctl" + std::to_string(nsctl.pid());
    auto host = run_command({"ip", "-o", "-4", "addr", "show", "dev", host_end});
    CHILD_CHECK(host.out.find("inet 10.77.0.1/30") != std::string::npos, "host end %s: %s %s",
                host_end.c_str(), host.out.c_str(), host.err.c_str());
    std::string got;
    char buf[256];
    for (ssize_t n; got.find('\n') == std::string::npos;) {
      pollfd c{conn, POLLIN, 0};
      if (::poll(&c, 1, 10000) != 1 || (n = ::read(conn, buf, sizeof buf)) <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
    ::close(conn);
    ::close(listener);
    auto r = nsctl.wait();
    CHILD_CHECK(got == "nsctl-veth-payload\n", "received '%s'", printable(got).c_str());
    CHILD_CHECK(r.exit_code == 0, "%s", describe(r).c_str());
    auto s = sections(r.out);
    CHILD_CHECK(s[""].find("eth0    inet 10.77.0.2/30") != std::string::npos, "%s",
                describe(r).c_str());
    CHILD_CHECK(s["route"].find("default via 10.77.0.1 dev eth0") != std::string::npos, "%s",
                describe(r).c_str());
    CHILD_CHECK(s["nc"] == "nc 0\n", "%s", describe(r).c_str());
    // The sandbox's network namespace is torn down asynchronously, and its veth with it.
    bool gone = false;
    for (int i = 0; i < 500 && !gone; ++i) {
      gone = ::if_nametoindex(host_end.c_str()) == 0;
      if (!gone) std::this_thread::sleep_for(10ms);
    }
    CHILD_CHECK(gone, "%s outlived the sandbox", host_end.c_str());

    // Without a network: a /30 of 10.200.0.0/16, the host end first, the sandbox second.
    r = run_command(in_root({"--veth"}, sh("ip -o -4 addr show eth0; ip route")));
    CHILD_CHECK(r.exit_code == 0, "%s", describe(r).c_str());
    std::istringstream in(r.out);
    std::string w, cidr, gateway;
    while (in >> w && w != "inet") {
    }
    in >> cidr;
    while (in >> w && w != "via") {
    }
    in >> gateway;
    std::uint32_t mine = ipv4(cidr.substr(0, cidr.find('/'))), gw = ipv4(gateway);
    CHILD_CHECK(cidr.size() > 3 && cidr.substr(cidr.size() - 3) == "/30" &&
                    (gw & 0xffff0000u) == ipv4("10.200.0.0") && gw % 4 == 1 && mine == gw + 1,
                "default --veth: %s", r.out.c_str());
    return 0;
  });
}

// --- Limits ---

TEST_F(Run, RlimitsAreSet) {
  auto r = run_sh({"--rlimit", "NOFILE=64:128", "--rlimit", "CORE=0", "--proc", "/proc"},
                  "grep -E '^Max (open files|core file size)' /proc/self/limits");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(squeeze(r.out), "Max core file size 0 0 bytes\nMax open files 64 128 files\n");
}

// The cgroup is nsctl-run-<nsctl's pid> under the caller's cgroup in each hierarchy, holds the
// limits, is the root of the sandbox's cgroup namespace, and is gone when nsctl is.
TEST_F(Run, LimitsLiveInACgroupOfTheirOwn) {
  std::string sync = root_->path() + ".sync";
  ASSERT_EQ(::mkdir(sync.c_str(), 0755), 0);
  Started nsctl(in_root({"--memory", "64m", "--pids", "20", "--cpus", "0.5", "--bind", sync,
                         "/mnt/sync", "--proc", "/proc"},
                        sh("grep -E ':(memory|pids|cpu):' /proc/self/cgroup | cut -d: -f2- | sort\n"
                           "echo ready\n"
                           "i=0; while [ ! -e /mnt/sync/go ] && [ $i -lt 400 ]; do\n"
                           "  sleep 0.05; i=$((i+1)); done\n")));
  ASSERT_TRUE(nsctl);
  std::string inside;
  for (auto l = nsctl.line(); l && *l != "ready"; l = nsctl.line()) inside += *l + "\n";
  pid_t init = wait_for_child(nsctl.pid());
  std::map<std::string, std::string> mine, theirs;
  for (const auto& l : lines(read_text("/proc/self/cgroup"))) {
    auto a = l.find(':'), b = l.find(':', a + 1);
    mine[l.substr(a + 1, b - a - 1)] = l.substr(b + 1);
  }
  for (const auto& l : lines(read_text("/proc/" + std::to_string(init) + "/cgroup"))) {
    auto a = l.find(':'), b = l.find(':', a + 1);
    theirs[l.substr(a + 1, b - a - 1)] = l.substr(b + 1);
  }
  std::string name = "nsctl-run-" + std::to_string(nsctl.pid());
  std::vector<std::string> dirs;
  for (const char* h : {"memory", "pids", "cpu"}) {
    std::string parent = mine[h] == "/" ? "" : mine[h];
    EXPECT_EQ(theirs[h], parent + "/" + name) << h;
    dirs.push_back(std::string("/sys/fs/cgroup/") + h + parent + "/" + name);
  }
  auto value = [](const std::string& path) { return trim(read_text(path)); };
  EXPECT_EQ(value(dirs[0] + "/memory.limit_in_bytes"), "67108864");
  EXPECT_EQ(value(dirs[1] + "/pids.max"), "20");
  EXPECT_EQ(std::atoll(value(dirs[2] + "/cpu.cfs_quota_us").c_str()) * 2,
            std::atoll(value(dirs[2] + "/cpu.cfs_period_us").c_str()));
  // Inside, the cgroup namespace is rooted there.
  EXPECT_EQ(inside, "cpu:/\nmemory:/\npids:/\n");
  ASSERT_TRUE(write_file(sync + "/go", ""));
  auto r = nsctl.wait();
  ::unlink((sync + "/go").c_str());
  ::rmdir(sync.c_str());
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  for (const auto& d : dirs) EXPECT_NE(::access(d.c_str(), F_OK), 0) << d << " is left";
}

TEST_F(Run, ForkBombStopsAtThePidsLimit) {
  // (--dev: the shell gives background jobs /dev/null as stdin.)
  auto r = run_sh({"--pids", "20", "--dev", "/dev"},
                  "i=0; while [ $i -lt 200 ]; do sleep 30 & i=$((i+1)); echo \"started $i\";"
                  " done; echo not-stopped");
  EXPECT_NE(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.err.find("can't fork: Resource temporarily unavailable"), std::string::npos)
      << describe(r);
  auto l = lines(r.out);
  ASSERT_FALSE(l.empty()) << describe(r);
  // init and sh are 2 of the 20.
  EXPECT_LE(std::atoi(l.back().substr(8).c_str()), 18) << l.back();
  EXPECT_EQ(r.out.find("not-stopped"), std::string::npos);
}

TEST_F(Run, MemoryHogIsKilledAtTheMemoryLimit) {
  auto r = run_sh({"--memory", "64m", "--dev", "/dev"},
                  "head -c 300000000 /dev/zero | tail -n 1; echo \"status $?\"");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "status 137\n") << describe(r);
}

}  // namespace
}  // namespace nsctl::run_e2e
