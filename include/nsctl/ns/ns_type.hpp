// The table of the 8 namespace types: name, /proc/PID/ns entry, CLONE_NEW* flag.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace nsctl {

// Ordered as lsns orders its columns' "TYPE" sort: this is also the order in which nsctl
// visits /proc/PID/ns entries.
enum class NsType : std::uint8_t { mnt, net, time, cgroup, pid, user, uts, ipc };

inline constexpr std::size_t kNsTypeCount = 8;

struct NsTypeInfo {
  NsType type;
  std::string_view name;          // "net": also the /proc/PID/ns entry and lsns's TYPE value
  int clone_flag;                 // CLONE_NEWNET
  std::string_view for_children;  // "pid_for_children" or empty
};

// Index i of the table holds NsType(i).
const std::array<NsTypeInfo, kNsTypeCount>& ns_types();
inline const NsTypeInfo& info(NsType t) { return ns_types()[static_cast<std::size_t>(t)]; }
inline std::string_view name(NsType t) { return info(t).name; }
inline std::size_t index(NsType t) { return static_cast<std::size_t>(t); }

// "net" -> NsType::net; nullopt for an unknown name.
std::optional<NsType> ns_type_from_name(std::string_view name);
// CLONE_NEWNET -> NsType::net; nullopt unless exactly one known flag is given.
std::optional<NsType> ns_type_from_clone_flag(int flag);

// A set of types, as a bit mask indexed by NsType.
class NsTypeSet {
 public:
  constexpr NsTypeSet() = default;
  static constexpr NsTypeSet all() { return NsTypeSet((1u << kNsTypeCount) - 1); }
  constexpr bool contains(NsType t) const { return bits_ & (1u << index_of(t)); }
  constexpr void insert(NsType t) { bits_ |= 1u << index_of(t); }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr std::uint32_t bits() const { return bits_; }
  constexpr bool operator==(const NsTypeSet&) const = default;
  // The CLONE_NEW* flags of the types in the set.
  int clone_flags() const;

 private:
  constexpr explicit NsTypeSet(std::uint32_t bits) : bits_(bits) {}
  static constexpr std::uint32_t index_of(NsType t) { return static_cast<std::uint32_t>(t); }
  std::uint32_t bits_ = 0;
};

}  // namespace nsctl
