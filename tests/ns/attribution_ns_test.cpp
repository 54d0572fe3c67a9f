// Container attribution on real cgroups: the test creates cgroups shaped like the engines'
// (under a top directory of its own), moves a child it started into them, and checks what the
// resolver reads from /proc/<child>. It touches no cgroup it did not create and moves no
// process but its own child.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "nsctl/base/fd.hpp"
#include "nsctl/inspect/attribution.hpp"
#include "proc/proc.hpp"
#include "support/cgroup.hpp"
#include "support/probe.hpp"

namespace nsctl {
namespace {

namespace fs = std::filesystem;
using test::CgroupDirs;
using test::move_to;
using test::random_hex;
using test::v1_hierarchy;
using test::v2_hierarchy;

class AttributionNs : public ::testing::Test {
 protected:
  void SetUp() override {
    NSCTL_REQUIRE_ROOT();
    char tmpl[] = "/tmp/nsctl-attr-ns-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    state_ = tmpl;
    roots_.docker = state_ + "/docker";
    roots_.podman_root = state_ + "/storage";
    roots_.containerd_state = state_ + "/containerd";
    roots_.home_dir = [](uid_t) { return std::string(); };
    top_name_ = "nsctl-attr-" + std::to_string(::getpid()) + "-" + random_hex(8);
  }
  void TearDown() override {
    std::error_code ec;
    if (!state_.empty()) fs::remove_all(state_, ec);
  }

  // Docker's state for `id`, as /var/lib/docker/containers/<id>/config.v2.json holds it.
  void write_docker_config(const std::string& id, const std::string& name) {
    fs::create_directories(roots_.docker + "/containers/" + id);
    std::ofstream(roots_.docker + "/containers/" + id + "/config.v2.json")
        << R"({"ID":")" << id << R"(","Config":{"Labels":{"Name":"label"}},"Name":"/)" << name
        << R"(","Driver":"overlay2"})";
  }

  // Creates <hierarchy>/<top>/<components...>, moves a fresh child into the leaf (in every
  // hierarchy given), and attributes the child.
  struct Placement {
    std::string hierarchy;
    std::vector<std::string> components;
  };
  void attribute_in(const std::vector<Placement>& placements,
                    const std::function<void(const std::optional<Container>&)>& check) {
    std::vector<std::string> tops;
    {
      CgroupDirs dirs;  // destroyed after the probe: the child is reaped before any rmdir
      std::vector<std::string> leaves;
      for (const Placement& p : placements) {
        if (::access(p.hierarchy.c_str(), W_OK) != 0)
          GTEST_SKIP() << p.hierarchy << " is not writable: " << std::strerror(errno);
        std::string path = p.hierarchy + "/" + top_name_;
        tops.push_back(path);
        std::string err = dirs.make(path);
        ASSERT_EQ(err, "");
        for (const std::string& comp : p.components) {
          path += "/" + comp;
          err = dirs.make(path);
          ASSERT_EQ(err, "");
        }
        leaves.push_back(path);
      }
      std::string error;
      test::Probe child = test::spawn_probe(0, {}, &error);
      ASSERT_TRUE(child) << error;
      for (const std::string& leaf : leaves) {
        std::string err = move_to(leaf, child.pid());
        ASSERT_EQ(err, "");
      }
      auto dir = open_dir_at(AT_FDCWD, ("/proc/" + std::to_string(child.pid())).c_str());
      ASSERT_TRUE(dir) << dir.error().message();
      ContainerResolver resolver(roots_);
      auto got = resolver.attribute(dir->get(), 0);
      ASSERT_TRUE(got) << got.error().message();
      std::string cgroup;
      (void)read_file_at(dir->get(), "cgroup", cgroup);
      SCOPED_TRACE("child's cgroup file:\n" + cgroup);
      check(*got);
      child.kill();
    }
    for (const std::string& top : tops) EXPECT_FALSE(fs::exists(top)) << top << " left behind";
  }

  std::string state_;
  std::string top_name_;
  EngineRoots roots_;
};

TEST_F(AttributionNs, DockerCgroupfsLayoutInV1Pids) {
  std::string pids = v1_hierarchy("pids");
  if (pids.empty()) GTEST_SKIP() << "no cgroup v1 pids hierarchy at /sys/fs/cgroup/pids";
  const std::string id = random_hex(64);
  write_docker_config(id, "web1");
  attribute_in({{pids, {"docker", id}}}, [&](const std::optional<Container>& c) {
    ASSERT_TRUE(c);
    EXPECT_EQ(c->engine, "docker");
    EXPECT_EQ(c->id, id);
    EXPECT_EQ(c->name, "web1");
    EXPECT_EQ(c->display(), "docker:web1");
    EXPECT_TRUE(container_matches(*c, "web1"));
    EXPECT_TRUE(container_matches(*c, id.substr(0, 5)));
  });
}

TEST_F(AttributionNs, DockerSystemdLayoutInV1NamedHierarchy) {
  std::string systemd = v1_hierarchy("systemd");
  if (systemd.empty()) GTEST_SKIP() << "no name=systemd v1 hierarchy at /sys/fs/cgroup/systemd";
  const std::string id = random_hex(64);  // no config: the short id is shown
  attribute_in({{systemd, {"system.slice", "docker-" + id + ".scope"}}},
               [&](const std::optional<Container>& c) {
                 ASSERT_TRUE(c);
                 EXPECT_EQ(c->engine, "docker");
                 EXPECT_EQ(c->id, id);
                 EXPECT_EQ(c->name, "");
                 EXPECT_EQ(c->display(), "docker:" + id.substr(0, 12));
               });
}

TEST_F(AttributionNs, KubernetesPodInV2) {
  std::string v2 = v2_hierarchy();
  if (v2.empty()) GTEST_SKIP() << "no cgroup v2 hierarchy mounted";
  const std::string id = random_hex(64);
  const std::string uid = random_hex(8) + "-" + random_hex(4) + "-" + random_hex(4) + "-" +
                          random_hex(4) + "-" + random_hex(12);
  std::string uid_ = uid;
  std::replace(uid_.begin(), uid_.end(), '-', '_');
  attribute_in({{v2,
                 {"kubepods.slice", "kubepods-burstable.slice",
                  "kubepods-burstable-pod" + uid_ + ".slice", "cri-containerd-" + id + ".scope"}}},
               [&](const std::optional<Container>& c) {
                 ASSERT_TRUE(c);
                 EXPECT_EQ(c->engine, "containerd");
                 EXPECT_EQ(c->id, id);
                 EXPECT_EQ(c->pod, uid);
               });
}

TEST_F(AttributionNs, HybridLinesAgreeAndNestingWins) {
  std::string pids = v1_hierarchy("pids");
  std::string v2 = v2_hierarchy();
  if (pids.empty() || v2.empty() || v2 == "/sys/fs/cgroup")
    GTEST_SKIP() << "needs a v1/v2 hybrid (pids at /sys/fs/cgroup/pids, v2 at .../unified)";
  const std::string outer = random_hex(64);
  const std::string inner = random_hex(64);
  write_docker_config(inner, "inner1");
  // v1 shows only the outer container (as when a controller is not delegated further); v2
  // shows the container nested inside it.
  attribute_in({{pids, {"docker", outer}},
                {v2, {"system.slice", "docker-" + outer + ".scope", "docker", inner}}},
               [&](const std::optional<Container>& c) {
                 ASSERT_TRUE(c);
                 EXPECT_EQ(c->engine, "docker");
                 EXPECT_EQ(c->id, inner);
                 EXPECT_EQ(c->name, "inner1");
               });
}

TEST_F(AttributionNs, PodmanConmonAndLxcInV2) {
  std::string v2 = v2_hierarchy();
  if (v2.empty()) GTEST_SKIP() << "no cgroup v2 hierarchy mounted";
  const std::string id = random_hex(64);
  attribute_in({{v2, {"machine.slice", "libpod-conmon-" + id + ".scope"}}},
               [&](const std::optional<Container>& c) {
                 ASSERT_TRUE(c);
                 EXPECT_EQ(c->engine, "podman");
                 EXPECT_EQ(c->id, id);
                 EXPECT_TRUE(c->monitor);
               });
  top_name_ += "-lxc";
  attribute_in({{v2, {"lxc.payload.web-" + id.substr(0, 6), "init.scope"}}},
               [&](const std::optional<Container>& c) {
                 ASSERT_TRUE(c);
                 EXPECT_EQ(c->engine, "lxc");
                 EXPECT_EQ(c->name, "web-" + id.substr(0, 6));
                 EXPECT_FALSE(c->monitor);
               });
}

}  // namespace
}  // namespace nsctl
