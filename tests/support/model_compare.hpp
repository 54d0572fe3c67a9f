// Compares two scan models field by field: what a parallel scan must reproduce of a scan in one
// thread.
#pragma once

#include <string>

#include "nsctl/inspect/scan.hpp"

namespace nsctl::test {

// The first difference between `a` and `b` ("" if none): processes, namespaces (with their
// processes as pids) and the stats that do not depend on the scanning process itself (the
// scanner's own threads and fds are counted in threads_scanned and fds_scanned).
std::string model_difference(const Model& a, const Model& b);

}  // namespace nsctl::test
