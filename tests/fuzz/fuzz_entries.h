// The fuzz entry points, written once and used twice: by the libFuzzer targets
// (tests/fuzz/*_fuzz.cc, clang, ROOTFSCTL_FUZZ) and by the unit tests that replay every
// input kept in tests/data/fuzz-regressions/<target>/ (g++, the normal build and the ASan
// build). Each takes the fuzzer's bytes, runs them through the code under test, checks the
// properties that must hold for any input, and says what happened.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mountinfo/mountinfo.h"

namespace rootfsctl::fuzz {

/// What one input did. A crash, a hang or a sanitizer report is found by the caller's
/// process dying; everything else that must not happen is a violation.
struct Outcome {
  bool accepted = false;                // the input loaded (and, for plan, planned)
  std::string error;                    // Error::render() when it was refused
  std::vector<std::string> violations;  // properties that did not hold; empty when all did
};

/// layout: load_layout(data); a refusal is a manifest error located in the input; an
/// accepted layout written with write_layout loads back equal (origins aside).
Outcome layout_input(std::string_view data);

/// mountinfo: parse_mountinfo(data) agrees with a plain reference parser on whether the
/// text is accepted, the failing line, and every field of every entry; the queries
/// (by_id, covering, ancestors, children, beneath, propagation) terminate and answer
/// consistently; the table renders as text, as a tree with every entry exactly once, and
/// as JSON that parses back.
Outcome mountinfo_input(std::string_view data);

/// plan: load_layout(data), make_plan, then validate offline against plan_table() and
/// again with a synthetic probe of the target's files and a user namespace; planning and
/// validation are deterministic, op indices run 1..n, and the plan renders as text, a tree
/// and JSON that parses back.
Outcome plan_input(std::string_view data);

/// The fixed mount table the plan target validates against
/// (tests/data/mountinfo/hostile.txt: spaces, tabs, newlines and stacked mounts).
const mountinfo::MountTable& plan_table();

/// Every file in tests/data/fuzz-regressions/<target>/, sorted by name, with its bytes.
std::vector<std::pair<std::filesystem::path, std::string>> regression_inputs(
    std::string_view target);

/// For the fuzz targets: prints the violations and aborts when there are any, so
/// libFuzzer keeps the input as a crash.
void abort_on_violation(const Outcome& outcome, std::string_view data);

}  // namespace rootfsctl::fuzz
