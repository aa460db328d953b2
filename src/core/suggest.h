// "Did you mean" suggestions for misspelt names: layout keys, mount options, namespaces,
// variables, subcommands. Small and pure so the loader and the CLI share one rule.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace rootfsctl {

/// Optimal-string-alignment distance between `a` and `b`: insertions, deletions,
/// substitutions and swaps of two adjacent characters each cost 1 ("nosiud" -> "nosuid"
/// is 1). Case-sensitive.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word` (compared case-insensitively), or nullopt when none is
/// close enough to be a plausible typo: at most 1 edit for words of up to 4 characters, at
/// most a third of the word's length otherwise. Ties go to the earlier candidate, so the
/// result is deterministic.
std::optional<std::string_view> closest_match(std::string_view word,
                                              std::span<const std::string_view> candidates);
std::optional<std::string_view> closest_match(std::string_view word,
                                              std::span<const std::string> candidates);

/// "did you mean 'readonly'?" for the closest candidate, or "" when none is close.
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates);
std::string did_you_mean(std::string_view word, std::span<const std::string> candidates);

}  // namespace rootfsctl
