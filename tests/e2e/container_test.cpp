// Container attribution end to end: the test places processes it starts in cgroups shaped like
// docker's and podman's, then checks what `nsctl ls` and `nsctl ps` say about them.
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "support/cgroup.hpp"
#include "support/command.hpp"
#include "support/probe.hpp"

namespace nsctl {
namespace {

using nlohmann::json;
using test::run_command;

class ContainerE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    NSCTL_REQUIRE_ROOT();
    hierarchy_ = test::v1_hierarchy("pids");
    if (hierarchy_.empty()) hierarchy_ = test::v2_hierarchy();
    if (hierarchy_.empty() || ::access(hierarchy_.c_str(), W_OK) != 0)
      GTEST_SKIP() << "no writable cgroup hierarchy";
    top_ = hierarchy_ + "/nsctl-e2e-" + std::to_string(::getpid()) + "-" + test::random_hex(6);
  }

  // Starts a probe in new namespaces and moves it into <top>/<path...>.
  test::Probe place(const std::vector<std::string>& components, int flags) {
    std::string path = top_;
    if (std::string err = dirs_.make(path); !err.empty() && errno != EEXIST) ADD_FAILURE() << err;
    for (const auto& c : components) {
      path += "/" + c;
      if (std::string err = dirs_.make(path); !err.empty()) ADD_FAILURE() << err;
    }
    std::string error;
    test::Probe probe = test::spawn_probe(flags, {}, &error);
    EXPECT_TRUE(probe) << error;
    if (probe) {
      std::string err = test::move_to(path, probe.pid());
      EXPECT_TRUE(err.empty()) << err;
    }
    return probe;
  }

  std::string hierarchy_, top_;
  test::CgroupDirs dirs_;  // declared before the probes of each test: removed after they die
};

TEST_F(ContainerE2e, LsAndPsNameTheContainerOfTheTestsProcesses) {
  const std::string docker_id = test::random_hex(64);
  const std::string podman_id = test::random_hex(64);
  test::Probe web = place({"docker", docker_id}, CLONE_NEWNET | CLONE_NEWUTS);
  test::Probe db = place({"machine.slice", "libpod-" + podman_id + ".scope"},
                         CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWNS);
  ASSERT_TRUE(web && db);

  // ls --container by id prefix: exactly the namespaces web's process represents.
  auto r = run_command({NSCTL_BINARY, "ls", "-J", "-l", "--container", docker_id.substr(0, 8), "-o",
                        "NS,TYPE,PID,CONTAINER"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json listed = json::parse(r.out)["namespaces"];
  std::set<std::uint64_t> got;
  for (const auto& ns : listed) {
    got.insert(ns["ns"].get<std::uint64_t>());
    EXPECT_EQ(ns["container"], "docker:" + docker_id.substr(0, 12));
    EXPECT_EQ(ns["pid"], web.pid());
  }
  EXPECT_EQ(got, (std::set<std::uint64_t>{test::ns_inode(web.pid(), "net"),
                                          test::ns_inode(web.pid(), "uts")}));

  // ps: both probes, with the types that differ from the test's own and their containers.
  r = run_command({NSCTL_BINARY, "ps", "-J", "--ref", std::to_string(::getpid())});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  bool saw_web = false, saw_db = false;
  const json processes = json::parse(r.out)["processes"];
  for (const auto& p : processes) {
    if (p["pid"] == web.pid()) {
      saw_web = true;
      EXPECT_EQ(p["container"], "docker:" + docker_id.substr(0, 12));
      EXPECT_EQ(p["namespaces"], (json{{"net", test::ns_inode(web.pid(), "net")},
                                       {"uts", test::ns_inode(web.pid(), "uts")}}));
    }
    if (p["pid"] == db.pid()) {
      saw_db = true;
      EXPECT_EQ(p["container"], "podman:" + podman_id.substr(0, 12));
      EXPECT_EQ(p["namespaces"], (json{{"mnt", test::ns_inode(db.pid(), "mnt")},
                                       {"net", test::ns_inode(db.pid(), "net")},
                                       {"ipc", test::ns_inode(db.pid(), "ipc")}}));
    }
  }
  EXPECT_TRUE(saw_web && saw_db) << r.out;

  // ps --container keeps one container's processes.
  r = run_command({NSCTL_BINARY, "ps", "-J", "--ref", std::to_string(::getpid()), "--container",
                   "podman:" + podman_id.substr(0, 6)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json only = json::parse(r.out)["processes"];
  ASSERT_EQ(only.size(), 1u) << r.out;
  EXPECT_EQ(only[0]["pid"], db.pid());
}

}  // namespace
}  // namespace nsctl
