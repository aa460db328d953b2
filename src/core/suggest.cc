#include "core/suggest.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace rootfsctl {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A third of the length tolerates one typo in short words and two or three in long ones,
// without suggesting 'dir' for 'foo'.
std::size_t max_distance(std::string_view word) { return word.size() <= 4 ? 1 : word.size() / 3; }

template <typename String>
std::optional<std::string_view> closest(std::string_view word, std::span<const String> candidates) {
  const std::string key = lower(word);
  std::optional<std::string_view> best;
  std::size_t best_distance = max_distance(word) + 1;
  for (const auto& candidate : candidates) {
    std::size_t d = edit_distance(key, lower(candidate));
    if (d < best_distance) {
      best_distance = d;
      best = std::string_view(candidate);
    }
  }
  return best;
}

std::string phrase(std::optional<std::string_view> match) {
  if (!match) return {};
  return "did you mean '" + std::string(*match) + "'?";
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rows of the dynamic-programming table suffice for the adjacent-swap rule.
  const std::size_t n = b.size();
  std::vector<std::size_t> before(n + 1), previous(n + 1), current(n + 1);
  for (std::size_t j = 0; j <= n; ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= n; ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[n];
}

std::optional<std::string_view> closest_match(std::string_view word,
                                              std::span<const std::string_view> candidates) {
  return closest(word, candidates);
}

std::optional<std::string_view> closest_match(std::string_view word,
                                              std::span<const std::string> candidates) {
  return closest(word, candidates);
}

std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates) {
  return phrase(closest_match(word, candidates));
}

std::string did_you_mean(std::string_view word, std::span<const std::string> candidates) {
  return phrase(closest_match(word, candidates));
}

}  // namespace rootfsctl
