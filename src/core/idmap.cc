#include "core/idmap.h"

#include <charconv>
#include <limits>

namespace rootfsctl {
namespace {

std::expected<std::uint32_t, std::string> number(std::string_view text, std::string_view what) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() ||
      value > std::numeric_limits<std::uint32_t>::max() - 1) {
    return std::unexpected(std::string(what) + " '" + std::string(text) +
                           "' is not a number from 0 to 4294967294");
  }
  return static_cast<std::uint32_t>(value);
}

std::expected<IdExtent, std::string> extent(std::string_view text) {
  auto first = text.find(':');
  auto second = first == text.npos ? text.npos : text.find(':', first + 1);
  if (second == text.npos || text.find(':', second + 1) != text.npos) {
    return std::unexpected("'" + std::string(text) + "' is not inside:outside:count");
  }
  auto inside = number(text.substr(0, first), "inside id");
  auto outside = number(text.substr(first + 1, second - first - 1), "outside id");
  auto count = number(text.substr(second + 1), "count");
  if (!inside) return std::unexpected(inside.error());
  if (!outside) return std::unexpected(outside.error());
  if (!count) return std::unexpected(count.error());
  if (*count == 0) return std::unexpected("'" + std::string(text) + "' maps no id (count 0)");
  // The last id of either range must still be an id (4294967295 is not one).
  constexpr std::uint64_t kLimit = std::numeric_limits<std::uint32_t>::max();
  if (std::uint64_t{*inside} + *count > kLimit || std::uint64_t{*outside} + *count > kLimit) {
    return std::unexpected("'" + std::string(text) + "' runs past id 4294967294");
  }
  return IdExtent{*inside, *outside, *count};
}

bool overlap(std::uint32_t a, std::uint32_t b, std::uint32_t count_a, std::uint32_t count_b) {
  return std::uint64_t{a} < std::uint64_t{b} + count_b &&
         std::uint64_t{b} < std::uint64_t{a} + count_a;
}

// The kernel refuses a map whose ranges overlap on either side (user_namespaces(7)).
std::expected<std::vector<IdExtent>, std::string> extents(std::string_view text,
                                                          std::string_view what) {
  std::vector<IdExtent> out;
  for (;;) {
    auto comma = text.find(',');
    auto one = extent(text.substr(0, comma));
    if (!one) return std::unexpected(std::string(what) + ": " + one.error());
    for (const auto& earlier : out) {
      if (overlap(earlier.inside, one->inside, earlier.count, one->count) ||
          overlap(earlier.outside, one->outside, earlier.count, one->count)) {
        return std::unexpected(std::string(what) + ": " + std::string(text.substr(0, comma)) +
                               " overlaps an earlier extent");
      }
    }
    out.push_back(*one);
    if (out.size() > kMaxIdExtents) {
      return std::unexpected(std::string(what) + ": more than 340 extents");
    }
    if (comma == text.npos) return out;
    text.remove_prefix(comma + 1);
  }
}

}  // namespace

std::expected<Idmap, std::string> parse_idmap(std::string_view text) {
  Idmap map;
  if (text == "target") {
    map.from_target = true;
    return map;
  }
  if (!text.starts_with("uids=") && !text.starts_with("gids=")) {
    auto both = extents(text, "idmap");
    if (!both) return std::unexpected(both.error());
    map.uids = *both;
    map.gids = *both;
    return map;
  }
  for (;;) {
    auto semicolon = text.find(';');
    auto part = text.substr(0, semicolon);
    bool uids = part.starts_with("uids=");
    if (!uids && !part.starts_with("gids=")) {
      return std::unexpected("'" + std::string(part) + "' is neither uids=... nor gids=...");
    }
    auto& slot = uids ? map.uids : map.gids;
    if (!slot.empty()) {
      return std::unexpected(std::string(uids ? "uids" : "gids") + " is given twice");
    }
    auto parsed = extents(part.substr(5), uids ? "uids" : "gids");
    if (!parsed) return std::unexpected(parsed.error());
    slot = *parsed;
    if (semicolon == text.npos) break;
    text.remove_prefix(semicolon + 1);
  }
  // An id the map leaves out shows as the overflow id and cannot be written: say both.
  if (map.uids.empty() || map.gids.empty()) {
    return std::unexpected(std::string("idmap needs both uids= and gids= (missing ") +
                           (map.uids.empty() ? "uids" : "gids") + ")");
  }
  return map;
}

std::string idmap_text(const Idmap& map) {
  if (map.from_target) return "target";
  auto list = [](const std::vector<IdExtent>& extents) {
    std::string out;
    for (const auto& e : extents) {
      if (!out.empty()) out += ',';
      out += std::to_string(e.inside) + ':' + std::to_string(e.outside) + ':' +
             std::to_string(e.count);
    }
    return out;
  };
  return "uids=" + list(map.uids) + ";gids=" + list(map.gids);
}

std::string map_file_text(const std::vector<IdExtent>& extents) {
  std::string out;
  for (const auto& e : extents) {
    out += std::to_string(e.inside) + ' ' + std::to_string(e.outside) + ' ' +
           std::to_string(e.count) + '\n';
  }
  return out;
}

}  // namespace rootfsctl
