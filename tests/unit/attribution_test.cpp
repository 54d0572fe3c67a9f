#include "nsctl/inspect/attribution.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "nsctl/base/fd.hpp"
#include "proc/proc.hpp"
#include "support/probe.hpp"

namespace nsctl {
namespace {

namespace fs = std::filesystem;
using namespace std::string_view_literals;

const std::string kData = std::string(NSCTL_TEST_DATA) + "/attribution";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string fixture(const std::string& name) {
  std::string text = slurp(kData + "/cgroup/" + name);
  EXPECT_FALSE(text.empty()) << "missing fixture " << name;
  return text;
}

bool printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) { return ch >= ' ' && ch < 0x7f; });
}

const std::string kDockerId = "d6b15f04feb95083acea4b9caa6e59f8ebe67e3e3cf9cb8c59fad543490ee3ef";
const std::string kHex64 = std::string(64, 'a');

// ---- One path -----------------------------------------------------------------------------

struct PathCase {
  std::string path;
  std::string engine;
  std::string id;
  std::string name = "";
  std::string pod = "";
  bool monitor = false;
  std::optional<uid_t> owner = std::nullopt;
};

TEST(AttributionPath, RecognisesEveryEngine) {
  const std::string id = "5b881011f3e7efdae20491f386f50d4eac7355296ffcb5146a2b4d3c936a9430";
  const std::string uid = "1ff47ee6-9685-4726-ac6f-0ff070c452d6";
  const std::string uid_ = "1ff47ee6_9685_4726_ac6f_0ff070c452d6";
  const std::vector<PathCase> cases = {
      // docker: systemd driver (v1 and v2), cgroupfs driver, rootless, under a custom slice
      {"/system.slice/docker-" + id + ".scope", "docker", id},
      {"/docker/" + id, "docker", id},
      {"/user.slice/user-1000.slice/user@1000.service/user.slice/docker-" + id + ".scope", "docker",
       id, "", "", false, 1000},
      {"/user.slice/user-a.slice/user-a-b.slice/docker-" + id + ".scope", "docker", id},
      // docker as the Kubernetes runtime, systemd driver
      {"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + uid_ +
           ".slice/docker-" + id + ".scope",
       "docker", id, "", uid},
      // podman: payload, crun's /container, conmon, rootless, cgroupfs manager, pods
      {"/machine.slice/libpod-" + id + ".scope", "podman", id},
      {"/machine.slice/libpod-" + id + ".scope/container", "podman", id},
      {"/machine.slice/libpod-conmon-" + id + ".scope", "podman", id, "", "", true},
      {"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + id + ".scope/container",
       "podman", id, "", "", false, 1000},
      {"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-conmon-" + id + ".scope",
       "podman", id, "", "", true, 1000},
      {"/libpod_parent/libpod-" + id, "podman", id},
      {"/libpod_parent/libpod-" + id + "/ctr", "podman", id},
      {"/libpod_parent/libpod-" + id + "/conmon", "podman", id, "", "", true},
      {"/machine.slice/machine-libpod_pod_" + kHex64 + ".slice/libpod-" + id + ".scope", "podman",
       id, "", kHex64},
      {"/user.slice/user-1000.slice/user@1000.service/user.slice/user-libpod_pod_" + kHex64 +
           ".slice/libpod-" + id + ".scope",
       "podman", id, "", kHex64, false, 1000},
      // containerd CRI: burstable, besteffort, guaranteed; cgroupfs with a systemd-style path
      {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + uid_ +
           ".slice/cri-containerd-" + id + ".scope",
       "containerd", id, "", uid},
      {"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + uid_ +
           ".slice/cri-containerd-" + id + ".scope",
       "containerd", id, "", uid},
      {"/kubepods.slice/kubepods-pod" + uid_ + ".slice/cri-containerd-" + id + ".scope",
       "containerd", id, "", uid},
      {"/kubepods-besteffort-pod" + uid_ + ".slice:cri-containerd:" + id, "containerd", id, "",
       uid},
      {"/system.slice/containerd.service/kubepods-burstable-pod" + uid_ +
           ".slice:cri-containerd:" + id,
       "containerd", id, "", uid},
      {"/system.slice/nerdctl-" + id + ".scope", "containerd", id},
      // cgroupfs driver: the runtime is not in the path
      {"/kubepods/burstable/pod" + uid + "/" + id, "kubernetes", id, "", uid},
      {"/kubepods/besteffort/pod" + uid + "/" + id, "kubernetes", id, "", uid},
      {"/kubepods/pod" + uid + "/" + id, "kubernetes", id, "", uid},
      {"/kubepods/pod8daa50c3a64c9ff60bb9eab7b44b56fd/" + id, "kubernetes", id, "",
       "8daa50c3a64c9ff60bb9eab7b44b56fd"},
      // CRI-O: systemd and cgroupfs managers, conmon
      {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + uid_ + ".slice/crio-" +
           id + ".scope",
       "cri-o", id, "", uid},
      {"/kubepods/burstable/pod" + uid + "/crio-" + id, "cri-o", id, "", uid},
      {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + uid_ +
           ".slice/crio-conmon-" + id + ".scope",
       "cri-o", id, "", uid, true},
      // systemd-nspawn, libvirt
      {"/machine.slice/machine-debian.scope", "systemd-nspawn", "debian", "debian"},
      {"/machine.slice/machine-debian\\x2dbookworm.scope/payload/init.scope", "systemd-nspawn",
       "debian-bookworm", "debian-bookworm"},
      {"/machine.slice/machine-debian\\x2dbookworm.scope/supervisor", "systemd-nspawn",
       "debian-bookworm", "debian-bookworm", "", true},
      {"/machine.slice/machine-lxc\\x2d27706\\x2dcontainer1.scope", "libvirt-lxc", "container1",
       "container1"},
      // LXC: 4+, monitor, 3.1 directories, legacy, payload running systemd
      {"/lxc.payload.web", "lxc", "web", "web"},
      {"/lxc.payload.web/system.slice/nginx.service", "lxc", "web", "web"},
      {"/lxc.monitor.web", "lxc", "web", "web", "", true},
      {"/lxc.payload/db1/init.scope", "lxc", "db1", "db1"},
      {"/lxc.monitor/db1", "lxc", "db1", "db1", "", true},
      {"/lxc/legacy1", "lxc", "legacy1", "legacy1"},
      {"/lxc.payload.odd:name", "lxc", "odd:name", "odd:name"},
      // Seen from inside another cgroup namespace: the path climbs out first.
      {"/../../system.slice/docker-" + id + ".scope", "docker", id},
  };
  for (const PathCase& k : cases) {
    SCOPED_TRACE(k.path);
    auto c = container_from_cgroup_path(k.path);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->engine, k.engine);
    EXPECT_EQ(c->id, k.id);
    EXPECT_EQ(c->name, k.name);
    EXPECT_EQ(c->pod, k.pod);
    EXPECT_EQ(c->monitor, k.monitor);
    EXPECT_EQ(c->owner_uid, k.owner);
  }
}

TEST(AttributionPath, NestedGivesInnermost) {
  const std::string outer = "d6701ec289c56e4391acb11d07474b3139466857a305490575508a8b7a9fcf22";
  const std::string inner = "358607a37e7ada357032e7f5729c9ae6a3efdb7962acbcbe47ff6a3c5506cb1c";
  // kind: the node is a docker container running kubelet with systemd.
  auto kind = container_from_cgroup_path(
      "/system.slice/docker-" + outer +
      ".scope/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
      "kubelet-kubepods-besteffort-pod2ca4a155_3599_498d_bb9d_4446693fa3ea.slice/"
      "cri-containerd-" +
      inner + ".scope");
  ASSERT_TRUE(kind);
  EXPECT_EQ(kind->engine, "containerd");
  EXPECT_EQ(kind->id, inner);
  EXPECT_EQ(kind->pod, "2ca4a155-3599-498d-bb9d-4446693fa3ea");
  // kind with cgroupfs.
  auto kind_fs = container_from_cgroup_path("/docker/" + outer +
                                            "/kubelet/kubepods/besteffort/"
                                            "pod2ca4a155-3599-498d-bb9d-4446693fa3ea/" +
                                            inner);
  ASSERT_TRUE(kind_fs);
  EXPECT_EQ(kind_fs->engine, "kubernetes");
  EXPECT_EQ(kind_fs->id, inner);
  // docker in docker, docker in LXC, podman in nspawn.
  EXPECT_EQ(container_from_cgroup_path("/docker/" + outer + "/docker/" + inner)->id, inner);
  auto in_lxc =
      container_from_cgroup_path("/lxc.payload.c1/system.slice/docker-" + inner + ".scope");
  EXPECT_EQ(in_lxc->engine, "docker");
  auto in_nspawn = container_from_cgroup_path(
      "/machine.slice/machine-dev.scope/payload/machine.slice/libpod-" + inner + ".scope");
  EXPECT_EQ(in_nspawn->engine, "podman");
  EXPECT_EQ(in_nspawn->id, inner);
  // libvirt in a docker container: the VM's qemu process runs in the container.
  auto qemu_in_docker = container_from_cgroup_path(
      "/docker/" + outer + "/machine.slice/machine-qemu\\x2d1\\x2dvm1.scope/libvirt/emulator");
  ASSERT_TRUE(qemu_in_docker);
  EXPECT_EQ(qemu_in_docker->id, outer);
  EXPECT_FALSE(
      container_from_cgroup_path("/machine.slice/machine-qemu\\x2d1\\x2dvm1.scope/"
                                 "libvirt/docker/" +
                                 outer));
}

TEST(AttributionPath, HostAndLookalikesAreNotContainers) {
  const std::string id = kDockerId;
  const std::vector<std::string> paths = {
      "",
      "/",
      "/init.scope",
      "/user.slice/user-1000.slice/session-3.scope",
      "/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-4242.scope",
      "/system.slice/docker.service",
      "/system.slice/containerd.service",
      "/system.slice/docker-compose.service",
      "/system.slice/docker-compose@myapp.service",
      "/system.slice/docker-" + id + ".service",
      "/system.slice/docker-" + id.substr(1) + ".scope",   // 63 hex
      "/system.slice/docker-" + id + "0.scope",            // 65 hex
      "/system.slice/docker-" + id.substr(1) + "g.scope",  // not hex
      "/system.slice/docker-" + id.substr(1) + "A.scope",  // upper case
      "/system.slice/docker-.scope",
      "/system.slice/libpod-conmon-.scope",
      "/system.slice/crio-conmon-" + id.substr(0, 12) + ".scope",  // a short id
      "/docker",
      "/docker/" + id.substr(0, 32),
      "/docker/web1",
      "/" + id,              // a bare id under no known parent
      "/actions_job/" + id,  // docker --cgroup-parent: unknown to the path
      "/kubepods/burstable/pod1ff47ee6-9685-4726-ac6f-0ff070c452d6",  // the pod, no container
      "/kubepods/burstable/podnot-a-uid/" + id,
      "/kubepods.slice/kubepods-burstable.slice",
      "/machine.slice",
      "/machine.slice/machine-libpod_pod_" + id + ".slice",
      "/machine.slice/machine-.scope",
      "/machine.slice/machine-qemu\\x2d1\\x2dvm1.scope/libvirt/emulator",
      "/machine.slice/machine-qemu\\x2dinstance\\x2dc51f7c4b.scope",
      "/lxc.pivot",
      "/lxc.payload",
      "/lxc.payload.",
      "/lxc.monitor",
      "/lxc",
      "/process_api/4e702828a2b5781022916e10c65d48b4",
      "/a:b:" + id,
      "/kubepods-besteffort-pod0125ec2f_b64a_4868_8f5b_94b56cbab864.slice:cri-containerd:" +
          id.substr(1),
      "/system.slice/nerdctl.service",
  };
  for (const std::string& p : paths) {
    auto c = container_from_cgroup_path(p);
    EXPECT_FALSE(c) << p << " -> " << c->display();
  }
}

TEST(AttributionPath, EscapesOddNames) {
  // A cgroup name is any byte but '/' and NUL: the result is always printable ASCII.
  auto lxc = container_from_cgroup_path("/lxc.payload.caf\xc3\xa9\x1b[31m");
  ASSERT_TRUE(lxc);
  EXPECT_EQ(lxc->id, "caf\\xc3\\xa9\\x1b[31m");
  EXPECT_TRUE(printable_ascii(lxc->display()));
  auto nspawn = container_from_cgroup_path("/machine.slice/machine-a\\x0ab\\x5cc.scope");
  ASSERT_TRUE(nspawn);
  EXPECT_EQ(nspawn->name, "a\\x0ab\\x5cc");  // newline and backslash stay escaped
}

// ---- Whole /proc/PID/cgroup files -----------------------------------------------------------

TEST(AttributionFile, RealWorldFiles) {
  const std::vector<std::pair<std::string, PathCase>> cases = {
      {"docker_systemd_v2.txt", {"", "docker", kDockerId}},
      {"docker_systemd_hybrid.txt",
       {"", "docker", "5b881011f3e7efdae20491f386f50d4eac7355296ffcb5146a2b4d3c936a9430"}},
      {"docker_cgroupfs_v1.txt",
       {"", "docker", "0d62d8b0dc65998b0dc5b88d4e2bd331f560579199f05869088ac98266dac0b1"}},
      {"k8s_docker_v1.txt",
       {"", "docker", "d0b3604b67ac7930dd34ba3a796627e3e4717d12309e90a4afe3f38b6816ac98", "",
        "7d4424e6-bb13-42f4-a47a-45a4828bf54d"}},
      {"k8s_containerd_systemd_v2.txt",
       {"", "containerd", "2032491dcae31e6746f47daa0ac74564f2843a1bd847c5e6c4eb501ca132ac36", "",
        "55c6c714-b240-4dec-9a45-57b61696ab6e"}},
      {"k8s_containerd_static_pod_v2.txt",
       {"", "containerd", "2884d57c0e100d7a9a2f9487ce0bc2986bca3430e988af7a4865aff061f51ac5", "",
        "8daa50c3a64c9ff60bb9eab7b44b56fd"}},
      {"k8s_containerd_colon_v1.txt",
       {"", "containerd", "ee4b20e90ac7f42a10bd004d05646b13d8ab5e2c5e7cbc01abf8006bac016459", "",
        "0125ec2f-b64a-4868-8f5b-94b56cbab864"}},
      {"k8s_cgroupfs_v1.txt",
       {"", "kubernetes", "4f8a3b5e1c2d7f90a6b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2", "",
        "1ff47ee6-9685-4726-ac6f-0ff070c452d6"}},
      {"crio_v1.txt",
       {"", "cri-o", "5eed917563583925ffdbd40a64efb2aaffe58638e57add8becaf460fe74f5b1c", "",
        "a5c1f8d5-1919-434d-add7-4afaafdaef89"}},
      // The memory line shows only the node container; the others the pod inside it.
      {"minikube_crio_in_docker_v1.txt",
       {"", "cri-o", "358607a37e7ada357032e7f5729c9ae6a3efdb7962acbcbe47ff6a3c5506cb1c", "",
        "2ca4a155-3599-498d-bb9d-4446693fa3ea"}},
      {"podman_v1.txt",
       {"", "podman", "2521e906f0a0c758c3a7dc4fd68c197e32e96abb4b36807d0b0ede6d014a7c24"}},
      {"podman_user0_v2.txt",
       {"", "podman", "cf21d19260ace8544fe8b769fc2638bf2c0873dfbfff0b6253f0569b26a1d5eb", "", "",
        false, 0}},
      {"podman_rootless_v2.txt",
       {"", "podman", "a2bc7b153f034b17f358cde43a7f8c7475147e8a0d1b2573c26473244ec44ce4", "", "",
        false, 1000}},
      {"podman_conmon_v2.txt",
       {"", "podman", "a2bc7b153f034b17f358cde43a7f8c7475147e8a0d1b2573c26473244ec44ce4", "", "",
        true}},
      {"podman_pod_v2.txt",
       {"", "podman", "00f25dddce04025153a32a470bf850ee99203012a28be343538576a6c1168250", "",
        "f7dcaa9fd8ead898ab3d4ac2828a1a33ce54e8d07b65318f40b7467da90f9fa1"}},
      {"podman_libpod_parent_v2.txt",
       {"", "podman", "5ad0debee049e150d851d81fa3e8184ee20725412e5702c7ffe3aae7e5173207"}},
      {"nspawn_v2.txt",
       {"", "systemd-nspawn", "TEST-13-NSPAWN.machinectl-bind.7ye",
        "TEST-13-NSPAWN.machinectl-bind.7ye"}},
      {"nspawn_supervisor_v2.txt",
       {"", "systemd-nspawn", "debian-bookworm", "debian-bookworm", "", true}},
      {"libvirt_lxc_v2.txt", {"", "libvirt-lxc", "container1", "container1"}},
      {"lxc_payload_v2.txt", {"", "lxc", "web", "web"}},
      {"lxc_monitor_v2.txt", {"", "lxc", "web", "web", "", true}},
      {"lxc_31_v1.txt", {"", "lxc", "db1", "db1"}},
      {"lxc_legacy_v1.txt", {"", "lxc", "yyztestttt333321", "yyztestttt333321"}},
  };
  for (const auto& [file, k] : cases) {
    SCOPED_TRACE(file);
    auto c = container_from_cgroup(fixture(file));
    ASSERT_TRUE(c);
    EXPECT_EQ(c->engine, k.engine);
    EXPECT_EQ(c->id, k.id);
    EXPECT_EQ(c->name, k.name);
    EXPECT_EQ(c->pod, k.pod);
    EXPECT_EQ(c->monitor, k.monitor);
    EXPECT_EQ(c->owner_uid, k.owner);
  }
}

TEST(AttributionFile, HostProcesses) {
  for (const char* file : {"host_session_v1.txt", "host_user_service_v2.txt", "host_dockerd_v1.txt",
                           "host_compose_v2.txt", "host_sandbox_hybrid.txt", "all_root_v2.txt",
                           "libvirt_qemu_v2.txt"}) {
    auto c = container_from_cgroup(fixture(file));
    EXPECT_FALSE(c) << file << " -> " << c->display();
  }
}

TEST(AttributionFile, ChoosesTheMostSpecificConsistentAnswer) {
  const std::string a(64, 'a');
  const std::string b(64, 'b');
  // Lines that agree: fields missing on one line come from another.
  auto merged =
      container_from_cgroup("3:pids:/kubepods/burstable/pod1ff47ee6-9685-4726-ac6f-0ff070c452d6/" +
                            a + "\n1:name=systemd:/docker/" + a + "\n");
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->engine, "docker");  // a named runtime beats "kubernetes"
  EXPECT_EQ(merged->pod, "1ff47ee6-9685-4726-ac6f-0ff070c452d6");
  // Lines that disagree: the deeper nesting wins over the majority...
  auto nested =
      container_from_cgroup("4:pids:/docker/" + a + "\n3:memory:/docker/" + a + "\n2:cpu:/docker/" +
                            a + "\n1:name=systemd:/docker/" + a + "/docker/" + b + "\n");
  EXPECT_EQ(nested->id, b);
  // ...the majority wins at equal depth...
  auto majority = container_from_cgroup("4:pids:/docker/" + a + "\n3:memory:/docker/" + a +
                                        "\n0::/system.slice/docker-" + b + ".scope\n");
  EXPECT_EQ(majority->id, a);
  // ...and the v2 line, then name=systemd, break a tie.
  auto v2 =
      container_from_cgroup("4:pids:/docker/" + a + "\n0::/system.slice/docker-" + b + ".scope\n");
  EXPECT_EQ(v2->id, b);
  auto named =
      container_from_cgroup("4:pids:/docker/" + a + "\n1:name=systemd:/docker/" + b + "\n");
  EXPECT_EQ(named->id, b);
  // Controllers left at "/" or elsewhere do not hide the container.
  auto partial =
      container_from_cgroup("5:devices:/user.slice\n4:memory:/\n3:freezer:/docker/" + a + "\n");
  EXPECT_EQ(partial->id, a);
}

TEST(AttributionFile, SaysNothing) {
  EXPECT_TRUE(cgroup_says_nothing(""));
  EXPECT_TRUE(cgroup_says_nothing("0::/\n"));
  EXPECT_TRUE(cgroup_says_nothing("0::/init.scope\n"));
  EXPECT_TRUE(cgroup_says_nothing("2:memory:/\n1:name=systemd:/init.scope\n0::/\n"));
  EXPECT_TRUE(cgroup_says_nothing("garbage without colons\n"));
  EXPECT_FALSE(cgroup_says_nothing("0::/user.slice/user-1000.slice/session-2.scope\n"));
  EXPECT_FALSE(cgroup_says_nothing(fixture("host_sandbox_hybrid.txt")));
}

TEST(AttributionEnv, KnownContainerValues) {
  EXPECT_EQ(engine_from_container_env("podman"), "podman");
  EXPECT_EQ(engine_from_container_env("lxc"), "lxc");
  EXPECT_EQ(engine_from_container_env("lxc-libvirt"), "libvirt-lxc");
  EXPECT_EQ(engine_from_container_env("systemd-nspawn"), "systemd-nspawn");
  EXPECT_EQ(engine_from_container_env("docker"), "docker");
  EXPECT_EQ(engine_from_container_env("oci"), "oci");
  EXPECT_FALSE(engine_from_container_env(""));
  EXPECT_FALSE(engine_from_container_env("wsl"));
  EXPECT_FALSE(engine_from_container_env("Podman"));
  EXPECT_FALSE(engine_from_container_env("podman\n"));
}

TEST(AttributionUnescape, SystemdEscapes) {
  EXPECT_EQ(unescape_unit_name("TEST\\x2d13\\x2dNSPAWN"), "TEST-13-NSPAWN");
  EXPECT_EQ(unescape_unit_name("a\\x2Db"), "a-b");
  EXPECT_EQ(unescape_unit_name("plain.name"), "plain.name");
  // Broken escapes stay as they were (the backslash itself shown escaped).
  EXPECT_EQ(unescape_unit_name("a\\xZZ"), "a\\x5cxZZ");
  EXPECT_EQ(unescape_unit_name("end\\x2"), "end\\x5cx2");
  EXPECT_EQ(unescape_unit_name("\\x1b\\xff"), "\\x1b\\xff");
  EXPECT_EQ(unescape_unit_name(""), "");
}

TEST(AttributionDisplay, NameShortIdOrEngine) {
  Container c;
  c.engine = "docker";
  c.id = kDockerId;
  EXPECT_EQ(c.display(), "docker:d6b15f04feb9");
  c.name = "web1";
  EXPECT_EQ(c.display(), "docker:web1");
  c.monitor = true;
  EXPECT_EQ(c.display(), "docker:web1(monitor)");
  Container env_only;
  env_only.engine = "podman";
  EXPECT_EQ(env_only.display(), "podman");
  Container lxc;
  lxc.engine = "lxc";
  lxc.id = lxc.name = "a-long-container-name";
  EXPECT_EQ(lxc.display(), "lxc:a-long-container-name");
}

TEST(AttributionMatches, NameIdPrefixAndEngine) {
  Container c;
  c.engine = "docker";
  c.id = kDockerId;
  c.name = "web1";
  EXPECT_TRUE(container_matches(c, "web1"));
  EXPECT_TRUE(container_matches(c, "d"));
  EXPECT_TRUE(container_matches(c, "d6b15f04feb9"));
  EXPECT_TRUE(container_matches(c, kDockerId));
  EXPECT_TRUE(container_matches(c, "docker:web1"));
  EXPECT_TRUE(container_matches(c, "docker:d6b1"));
  EXPECT_FALSE(container_matches(c, ""));
  EXPECT_FALSE(container_matches(c, "web"));
  EXPECT_FALSE(container_matches(c, "e"));
  EXPECT_FALSE(container_matches(c, kDockerId + "0"));
  EXPECT_FALSE(container_matches(c, "podman:web1"));
  EXPECT_FALSE(container_matches(c, "docker:"));
  Container lxc;
  lxc.engine = "lxc";
  lxc.id = lxc.name = "web1";
  EXPECT_TRUE(container_matches(lxc, "web1"));
  EXPECT_TRUE(container_matches(lxc, "lxc:web1"));
  EXPECT_FALSE(container_matches(lxc, "we"));  // a name is matched whole
}

// ---- Hostile input ------------------------------------------------------------------------

void expect_clean(const std::optional<Container>& c) {
  if (!c) return;
  EXPECT_TRUE(printable_ascii(c->engine));
  EXPECT_TRUE(printable_ascii(c->id));
  EXPECT_TRUE(printable_ascii(c->name));
  EXPECT_TRUE(printable_ascii(c->pod));
  EXPECT_TRUE(printable_ascii(c->display()));
}

TEST(AttributionHostile, GarbageHugeAndInvalidUtf8) {
  expect_clean(container_from_cgroup("\n\n::\n:::\nx:y:z\n-1::/docker/" + kHex64 + "\n"));
  EXPECT_FALSE(container_from_cgroup("\xff\xfe\x00\x01"sv));
  // A path of a million bytes and one of a hundred thousand components.
  std::string huge = "0::/";
  for (int i = 0; i < 20000; ++i) huge += "docker-" + kHex64.substr(0, 40) + "/";
  huge += "docker/" + kHex64 + "\n";
  auto c = container_from_cgroup(huge);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->id, kHex64);
  std::string deep = "0::";
  for (int i = 0; i < 100000; ++i) deep += "/docker/" + kHex64;
  EXPECT_EQ(container_from_cgroup(deep)->id, kHex64);
  std::string long_name = "0::/lxc.payload." + std::string(1 << 20, '\x80') + "\n";
  expect_clean(container_from_cgroup(long_name));
  expect_clean(container_from_cgroup("0::/machine.slice/machine-\\xff\\x00\\x1b.scope\n"));
  expect_clean(container_from_cgroup("0::/lxc/\xed\xa0\x80\n"));
}

TEST(AttributionHostile, RandomTokenSoup) {
  const std::vector<std::string> tokens = {"/",
                                           "//",
                                           "\n",
                                           ":",
                                           "0::",
                                           "1:name=systemd:",
                                           "4:memory:",
                                           "docker",
                                           "docker-",
                                           "libpod-",
                                           "libpod-conmon-",
                                           "crio-",
                                           "cri-containerd-",
                                           ".scope",
                                           ".slice",
                                           ".service",
                                           kHex64,
                                           kHex64.substr(1),
                                           "kubepods",
                                           "kubepods-burstable-pod",
                                           "pod",
                                           "-pod",
                                           "1ff47ee6_9685_4726_ac6f_0ff070c452d6",
                                           "machine-",
                                           "\\x",
                                           "2d",
                                           "\\xff",
                                           "\xff",
                                           "\x1b",
                                           std::string(1, '\0'),
                                           "lxc.payload.",
                                           "lxc.monitor",
                                           "lxc",
                                           "user@",
                                           "1000",
                                           "..",
                                           "qemu-",
                                           "libpod_pod_",
                                           "supervisor",
                                           "conmon",
                                           ":cri-containerd:",
                                           "a",
                                           "-"};
  std::mt19937 rng(12345);
  std::uniform_int_distribution<std::size_t> pick(0, tokens.size() - 1);
  std::uniform_int_distribution<int> len(0, 60);
  for (int round = 0; round < 5000; ++round) {
    std::string text;
    for (int i = len(rng); i > 0; --i) text += tokens[pick(rng)];
    expect_clean(container_from_cgroup(text));
    expect_clean(container_from_cgroup_path(text));
    (void)cgroup_says_nothing(text);
    (void)unescape_unit_name(text);
  }
}

// ---- The resolver -------------------------------------------------------------------------

// Copies the engine-state fixtures into a fresh temporary directory, so the files belong to
// whoever runs the tests (the resolver only trusts state owned by root, the caller or the
// container's owner) and the tests can add hostile files.
class AttributionResolver : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/nsctl-attr-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    for (const char* dir : {"docker", "storage", "home", "containerd"})
      fs::copy(kData + "/" + dir, root_ + "/" + dir, fs::copy_options::recursive);
    roots_.docker = root_ + "/docker";
    roots_.podman_root = root_ + "/storage";
    roots_.containerd_state = root_ + "/containerd";
    std::string home = root_ + "/home/alice";
    roots_.home_dir = [home](uid_t uid) { return uid == 1000 ? home : std::string(); };
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  static Container make(std::string engine, std::string id) {
    Container c;
    c.engine = std::move(engine);
    c.id = std::move(id);
    return c;
  }

  std::string root_;
  EngineRoots roots_;
};

TEST_F(AttributionResolver, DockerNameFromConfig) {
  ContainerResolver r(roots_);
  Container c = make("docker", kDockerId);
  r.fill_name(c);
  // The top-level "Name", not the volume's or the label's further up the file.
  EXPECT_EQ(c.name, "web1");
  EXPECT_EQ(c.display(), "docker:web1");
  EXPECT_TRUE(container_matches(c, "web1"));

  // Cached: the file is read once per resolver.
  fs::remove_all(roots_.docker + "/containers/" + kDockerId);
  Container again = make("docker", kDockerId);
  r.fill_name(again);
  EXPECT_EQ(again.name, "web1");
  ContainerResolver fresh(roots_);
  Container gone = make("docker", kDockerId);
  fresh.fill_name(gone);
  EXPECT_EQ(gone.name, "");
}

TEST_F(AttributionResolver, DockerBadConfigsGiveNoName) {
  ContainerResolver r(roots_);
  for (const char* id :
       {"5b881011f3e7efdae20491f386f50d4eac7355296ffcb5146a2b4d3c936a9430",     // truncated
        "0d62d8b0dc65998b0dc5b88d4e2bd331f560579199f05869088ac98266dac0b1",     // escape
        "d0b3604b67ac7930dd34ba3a796627e3e4717d12309e90a4afe3f38b6816ac98",     // list
        "1111111111111111111111111111111111111111111111111111111111111111"}) {  // none
    Container c = make("docker", id);
    r.fill_name(c);
    EXPECT_EQ(c.name, "") << id;
    EXPECT_EQ(c.display(), "docker:" + std::string(id).substr(0, 12));
  }
  // An id that is not an id never becomes a path.
  Container evil = make("docker", "../../../../etc");
  r.fill_name(evil);
  EXPECT_EQ(evil.name, "");
}

TEST_F(AttributionResolver, PodmanRootAndRootless) {
  const std::string rootless_id =
      "a2bc7b153f034b17f358cde43a7f8c7475147e8a0d1b2573c26473244ec44ce4";
  ContainerResolver r(roots_);
  Container root =
      make("podman", "2521e906f0a0c758c3a7dc4fd68c197e32e96abb4b36807d0b0ede6d014a7c24");
  r.fill_name(root, 0);
  EXPECT_EQ(root.name, "systemd-box");
  Container first_name =
      make("podman", "5ad0debee049e150d851d81fa3e8184ee20725412e5702c7ffe3aae7e5173207");
  r.fill_name(first_name);
  EXPECT_EQ(first_name.name, "judgehost");

  // The owner from the cgroup path picks alice's storage (root's has another name for the id).
  Container owned = *container_from_cgroup(fixture("podman_rootless_v2.txt"));
  r.fill_name(owned, 100033);  // a subuid inside the container: the owner wins
  EXPECT_EQ(owned.name, "nginx-rootless");
  // Without an owner in the path, the process's uid picks the storage...
  Container by_uid = make("podman", rootless_id);
  r.fill_name(by_uid, 1000);
  EXPECT_EQ(by_uid.name, "nginx-rootless");
  // ...and root's storage is the fallback for a rootful container running as some user.
  Container rootful = make("podman", rootless_id);
  r.fill_name(rootful, 33);
  EXPECT_EQ(rootful.name, "root-has-no-such");
  // An owner without storage gives no name rather than root's.
  Container stranger = make("podman", rootless_id);
  stranger.owner_uid = 4242;
  r.fill_name(stranger);
  EXPECT_EQ(stranger.name, "");

  // Each containers.json is read once.
  fs::remove(roots_.podman_root + "/overlay-containers/containers.json");
  Container cached =
      make("podman", "00f25dddce04025153a32a470bf850ee99203012a28be343538576a6c1168250");
  r.fill_name(cached);
  EXPECT_EQ(cached.name, "pod-web");
}

TEST_F(AttributionResolver, CrioNameFromStorage) {
  ContainerResolver r(roots_);
  Container c = *container_from_cgroup(fixture("crio_v1.txt"));
  r.fill_name(c);
  EXPECT_EQ(
      c.name,
      "k8s_calico-node_calico-node-hx7cw_kube-system_a5c1f8d5-1919-434d-add7-4afaafdaef89_49");
}

TEST_F(AttributionResolver, KubernetesRuntimeSettledFromState) {
  ContainerResolver r(roots_);
  Container docker = *container_from_cgroup(fixture("k8s_cgroupfs_v1.txt"));
  ASSERT_EQ(docker.engine, "kubernetes");
  r.fill_name(docker);
  EXPECT_EQ(docker.engine, "docker");
  EXPECT_EQ(docker.name, "k8s_app_mypod_default_1ff47ee6-9685-4726-ac6f-0ff070c452d6_0");
  EXPECT_EQ(docker.pod, "1ff47ee6-9685-4726-ac6f-0ff070c452d6");

  const std::string cd = "9c7e5a3f1d2b4c6e8a0f9e7d5c3b1a2f4e6d8c0b9a7f5e3d1c2b4a6f8e0d9c7b";
  Container containerd =
      *container_from_cgroup_path("/kubepods/besteffort/pod" + std::string(32, 'c') + "/" + cd);
  r.fill_name(containerd);
  EXPECT_EQ(containerd.engine, "containerd");
  EXPECT_EQ(containerd.name, "");

  Container unknown =
      *container_from_cgroup_path("/kubepods/pod" + std::string(32, 'c') + "/" + kHex64);
  r.fill_name(unknown);
  EXPECT_EQ(unknown.engine, "kubernetes");
  EXPECT_EQ(unknown.display(), "kubernetes:aaaaaaaaaaaa");
}

TEST_F(AttributionResolver, HostileStateFilesAreIgnored) {
  const std::string store = roots_.podman_root + "/overlay-containers/containers.json";
  const std::string id = "2521e906f0a0c758c3a7dc4fd68c197e32e96abb4b36807d0b0ede6d014a7c24";
  auto name_with = [&](const std::function<void()>& plant) {
    fs::remove(store);
    plant();
    ContainerResolver r(roots_);
    Container c = make("podman", id);
    r.fill_name(c);
    return c.name;
  };
  // A FIFO must not block, a symlink must not be followed, a directory is not a file.
  EXPECT_EQ(name_with([&] { ASSERT_EQ(::mkfifo(store.c_str(), 0600), 0); }), "");
  EXPECT_EQ(name_with([&] {
              fs::create_symlink(kData + "/storage/overlay-containers/containers.json", store);
            }),
            "");
  EXPECT_EQ(name_with([&] { fs::create_directory(store); }), "");
  fs::remove(store);
  // Too large (sparse: no disk used).
  EXPECT_EQ(name_with([&] {
              UniqueFd fd(::open(store.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
              ASSERT_TRUE(fd);
              ASSERT_EQ(::ftruncate(fd.get(), off_t{65} << 20), 0);
            }),
            "");
  // Not JSON, the wrong shape, invalid UTF-8, and nesting deep enough to break a recursive
  // parser.
  for (const std::string& text : {std::string("not json"), std::string("{\"id\":\"x\"}"),
                                  "[{\"id\":\"" + id + "\",\"names\":[\"\xff\xfe\"]}]",
                                  "[{\"id\":\"" + id + "\",\"names\":\"systemd-box\"}]",
                                  std::string(200000, '[') + std::string(200000, ']')}) {
    EXPECT_EQ(name_with([&] { std::ofstream(store, std::ios::binary) << text; }), "");
  }
  // Owned by another user: not trusted (needs root to plant).
  if (::geteuid() == 0) {
    EXPECT_EQ(name_with([&] {
                fs::copy_file(kData + "/storage/overlay-containers/containers.json", store);
                ASSERT_EQ(::chown(store.c_str(), 4242, 4242), 0);
              }),
              "");
  }
}

TEST_F(AttributionResolver, AttributeReadsProcFixtures) {
  ContainerResolver r(roots_);
  auto at = [&](const char* dir, uid_t uid) {
    auto fd = open_dir_at(AT_FDCWD, (kData + "/proc/" + dir).c_str());
    EXPECT_TRUE(fd) << dir;
    return r.attribute(fd->get(), uid);
  };
  auto docker = at("docker_web1", 0);
  ASSERT_TRUE(docker) << docker.error().message();
  ASSERT_TRUE(*docker);
  EXPECT_EQ((*docker)->display(), "docker:web1");

  auto rootless = at("rootless", 1000);
  ASSERT_TRUE(rootless && *rootless);
  EXPECT_EQ((*rootless)->display(), "podman:nginx-rootless");
  EXPECT_EQ((*rootless)->owner_uid, std::optional<uid_t>(1000));

  // Only the environment tells: podman sets container=podman.
  auto env = at("podman_env", 0);
  ASSERT_TRUE(env && *env);
  EXPECT_EQ((*env)->engine, "podman");
  EXPECT_EQ((*env)->id, "");
  EXPECT_EQ((*env)->display(), "podman");

  // The cgroup path says "host session": the environment is not consulted.
  auto host = at("host_env_ignored", 1000);
  ASSERT_TRUE(host);
  EXPECT_FALSE(*host);
  // No environ, or an unknown value: no container, no error.
  auto no_env = at("root_no_environ", 0);
  ASSERT_TRUE(no_env);
  EXPECT_FALSE(*no_env);
  auto unknown = at("unknown_env", 0);
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(*unknown);
  // No cgroup file at all: an error, with its errno.
  auto missing = at(".", 0);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ENOENT);
}

TEST_F(AttributionResolver, LiveProcessesAndAVanishedOne) {
  ContainerResolver r(roots_);
  auto self = open_dir_at(AT_FDCWD, "/proc/self");
  ASSERT_TRUE(self);
  auto mine = r.attribute(self->get(), ::getuid());
  ASSERT_TRUE(mine) << mine.error().message();
  if (*mine) {
    EXPECT_TRUE(printable_ascii((*mine)->display()));
  }

  std::string error;
  test::Probe probe = test::spawn_probe(0, {}, &error);
  ASSERT_TRUE(probe) << error;
  auto dir = open_dir_at(AT_FDCWD, ("/proc/" + std::to_string(probe.pid())).c_str());
  ASSERT_TRUE(dir);
  ASSERT_TRUE(r.attribute(dir->get(), ::getuid()));
  probe.kill();  // kills and reaps it: the directory fd now names a dead process
  auto gone = r.attribute(dir->get(), ::getuid());
  ASSERT_FALSE(gone);
  EXPECT_TRUE(is_vanished(gone.error().code())) << gone.error().message();
}

}  // namespace
}  // namespace nsctl
