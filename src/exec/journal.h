// The rollback journal (docs/architecture.md §6): after each step succeeds, push its inverse; on
// failure run them in reverse, collecting undo errors rather than stopping; at the commit point
// drop them.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"

namespace rootfsctl::exec {

class Journal {
 public:
  using Undo = std::function<Result<void>()>;

  /// Records how to undo what was just done. `what` names the thing that would be left
  /// behind if the undo failed ("tmpfs mounted on /tmp").
  void push(std::string what, Undo undo) { entries_.push_back({std::move(what), std::move(undo)}); }

  /// Runs every undo, newest first, past failures. Returns what could not be undone,
  /// one line each ("tmpfs mounted on /tmp: umount: EBUSY (...)"); empty means clean.
  std::vector<std::string> roll_back() {
    std::vector<std::string> left;
    while (!entries_.empty()) {
      Entry entry = std::move(entries_.back());
      entries_.pop_back();
      if (auto done = entry.undo(); !done)
        left.push_back(entry.what + ": " + done.error().to_string());
    }
    return left;
  }

  /// The commit point: nothing recorded so far will be undone.
  void commit() { entries_.clear(); }
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string what;
    Undo undo;
  };
  std::vector<Entry> entries_;
};

}  // namespace rootfsctl::exec
