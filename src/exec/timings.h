// Wall-clock time per phase of a pipeline, for `--timings`: where a run's milliseconds go,
// measured by the run itself (one clock read a phase).
#pragma once

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rootfsctl::exec {

class Timings {
 public:
  using Clock = std::chrono::steady_clock;

  Timings() : last_(Clock::now()) {}

  /// Ends the current phase as `name`: the time since the previous mark (or construction).
  void mark(std::string_view name) {
    const auto now = Clock::now();
    phases_.emplace_back(std::string(name),
                         std::chrono::duration<double, std::milli>(now - last_).count());
    last_ = now;
  }

  /// Ends the current phase as two: `first`, then `second`, which took `second_ms` of it
  /// (timed inside the phase, wherever it fell in it; `first` is the rest).
  void mark_split(std::string_view first, std::string_view second, double second_ms) {
    const auto now = Clock::now();
    const double total = std::chrono::duration<double, std::milli>(now - last_).count();
    const double part = std::clamp(second_ms, 0.0, total);
    phases_.emplace_back(std::string(first), total - part);
    phases_.emplace_back(std::string(second), part);
    last_ = now;
  }

  /// Appends `other`'s phases after this one's, and continues from where it stopped.
  void append(const Timings& other) {
    phases_.insert(phases_.end(), other.phases_.begin(), other.phases_.end());
    last_ = other.last_;
  }

  const std::vector<std::pair<std::string, double>>& phases() const { return phases_; }

  double total_ms() const {
    double total = 0;
    for (const auto& phase : phases_) total += phase.second;
    return total;
  }

 private:
  Clock::time_point last_;
  std::vector<std::pair<std::string, double>> phases_;
};

}  // namespace rootfsctl::exec
