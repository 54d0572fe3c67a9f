// The entry point of each command; argv[0] is the command's own name.
#pragma once

namespace nsctl::cli {

int cmd_ls(int argc, char** argv);
int cmd_lsns(int argc, char** argv);  // as util-linux lsns
int cmd_ps(int argc, char** argv);

}  // namespace nsctl::cli
