// The entry point of each command. argv[0] is the command's own name ("ls", or "lsns" when
// invoked through a link); errors come back as a Failure for main.cpp to print.
#pragma once

#include "cli.hpp"

namespace nsctl::cli {

Outcome run_ls(const Invocation& inv, int argc, char** argv);
Outcome run_ps(const Invocation& inv, int argc, char** argv);
Outcome run_unshare(const Invocation& inv, int argc, char** argv);
Outcome run_enter(const Invocation& inv, int argc, char** argv);
Outcome run_run(const Invocation& inv, int argc, char** argv);

}  // namespace nsctl::cli
