// Capability names and numbers, as capabilities(7) spells them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nsctl {

// "CAP_NET_RAW", also "net_raw" and "NET_RAW" (any case) -> 13; nullopt for an unknown name.
std::optional<int> capability_from_name(std::string_view name);
// 13 -> "CAP_NET_RAW"; a number past the table -> "CAP_41".
std::string capability_name(int cap);
// The highest capability the running kernel knows (/proc/sys/kernel/cap_last_cap, read once);
// 40 when it cannot be read.
int last_capability();

}  // namespace nsctl
