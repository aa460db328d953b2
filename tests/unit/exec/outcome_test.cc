// Outcome JSON: docs/commands.md's shape, exact round trips, valid UTF-8 whatever the bytes,
// and the exit codes.
#include "exec/outcome.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

namespace rootfsctl::exec {
namespace {

ApplyOutcome failed_outcome() {
  ApplyOutcome o;
  o.ops_total = 37;
  o.ops_done = 6;
  o.error = make_error(Stage::kMount, "move_mount fd 7 -> fd 5", EPERM);
  o.error->context = {"op 7/37 bind /usr"};
  o.failed_op = 7;
  o.failed_target = "/usr";
  o.rolled_back = true;
  o.rollback_clean = false;
  o.left = {"tmpfs on /tmp: umount2: EBUSY"};
  o.elapsed_ms = 3.25;
  o.syscalls = 41;
  o.syscall_ms = 1.5;
  o.verify_ms = 0.25;
  return o;
}

TEST(OutcomeJson, FailureHasTheContractFieldsFirst) {
  EXPECT_EQ(
      outcome_to_json(failed_outcome()),
      R"({"error":{"stage":"mount","errno":"EPERM","op_index":7,"target":"/usr",)"
      R"j("message":"op 7/37 bind /usr: move_mount fd 7 -> fd 5: EPERM (Operation not permitted)",)j"
      R"("errno_value":1,"detail":"move_mount fd 7 -> fd 5",)"
      R"("hint":")" +
          std::string(errno_advice(Stage::kMount, EPERM)) +
          R"(",)"
          R"("context":["op 7/37 bind /usr"]},)"
          R"("rollback":{"clean":false,"left":["tmpfs on /tmp: umount2: EBUSY"],"ran":true},)"
          R"("ops_total":37,"ops_done":6,"committed":false,"verify_mismatches":[],)"
          R"("elapsed_ms":3.25,"syscalls":41,"syscall_ms":1.5,"verify_ms":0.25})");
}

TEST(OutcomeJson, SuccessShape) {
  ApplyOutcome o;
  o.ops_total = 37;
  o.ops_done = 37;
  o.committed = true;
  o.elapsed_ms = 7.5;
  o.syscalls = 210;
  o.syscall_ms = 4.25;
  o.verify_ms = 0.75;
  EXPECT_EQ(outcome_to_json(o),
            R"({"applied":{"ops":37,"elapsed_ms":7.5,"syscalls":210,"syscall_ms":4.25,)"
            R"("verify_ms":0.75,"verified":true,)"
            R"("ops_total":37,"committed":true}})");
}

TEST(OutcomeJson, ErrorWithoutErrnoOrOpIsNull) {
  ApplyOutcome o;
  o.error = make_error(Stage::kInternal, "the new root is not mounted yet");
  const std::string json = outcome_to_json(o);
  EXPECT_NE(json.find(R"("errno":null,"op_index":null,"target":"")"), std::string::npos) << json;
}

void expect_round_trip(const ApplyOutcome& o) {
  const std::string json = outcome_to_json(o);
  auto back = outcome_from_json(json);
  ASSERT_TRUE(back) << back.error().to_string() << "\n" << json;
  EXPECT_EQ(*back, o) << json;
}

TEST(OutcomeJson, RoundTripsAFailure) { expect_round_trip(failed_outcome()); }

TEST(OutcomeJson, RoundTripsASuccess) {
  ApplyOutcome o;
  o.ops_total = 3;
  o.ops_done = 3;
  o.elapsed_ms = 0.1 + 0.2;  // not representable exactly in decimal: all 17 digits needed
  o.syscalls = 9;
  o.verify_ms = 0.1 + 0.7;
  expect_round_trip(o);
  expect_round_trip(ApplyOutcome{});
}

TEST(OutcomeJson, RoundTripsEveryErrorField) {
  ApplyOutcome o = failed_outcome();
  o.error->where = {"layout.yaml", 4, 5};
  o.error->excerpt = "  - bind: /usr";
  o.error->hint = "e tmpfs: Bad value for 'size'";
  o.error->context.push_back("apply sandbox");
  o.verify_mismatches = {"/tmp: expected nosuid"};
  o.committed = true;
  expect_round_trip(o);
}

TEST(OutcomeJson, RoundTripsAnErrnoWithoutAName) {
  ApplyOutcome o = failed_outcome();
  o.error->errno_value = 4095;
  const std::string json = outcome_to_json(o);
  EXPECT_NE(json.find(R"("errno":"E4095")"), std::string::npos) << json;
  expect_round_trip(o);
}

TEST(OutcomeJson, RoundTripsOddSuccesses) {
  ApplyOutcome o;
  o.verify_mismatches = {"/usr: expected ro"};
  o.rolled_back = true;
  o.failed_op = 3;
  o.failed_target = "/x";
  expect_round_trip(o);
}

TEST(OutcomeJson, BytesThatAreNotUtf8AreKeptInHex) {
  ApplyOutcome o = failed_outcome();
  o.failed_target = "/mnt/caf\xe9";
  o.left = {"ok", "/mnt/\xff\xfe"};
  o.error->message = "mkdirat caf\xe9 in fd 3";
  o.error->context = {"op 1/1 mkdir /mnt/caf\xe9"};
  const std::string json = outcome_to_json(o);
  // U+FFFD (EF BF BD) stands in for each bad byte; the exact bytes are in the _hex fields.
  EXPECT_NE(json.find("\"target\":\"/mnt/caf\xEF\xBF\xBD\",\"target_hex\":\"2f6d6e742f636166e9\""),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("left_hex":["6f6b","2f6d6e742ffffe"])"), std::string::npos) << json;
  for (char bad : {'\xe9', '\xff', '\xfe'}) EXPECT_EQ(json.find(bad), std::string::npos) << json;
  expect_round_trip(o);
}

TEST(OutcomeJson, ReadsTheContractShapeAlone) {
  // What another tool might write: docs/commands.md's fields and nothing else.
  auto o = outcome_from_json(
      R"({"error": {"stage": "pivot_root", "errno": "EINVAL", "op_index": 35,)"
      R"( "target": "/", "message": "pivot_root . ."}, "rollback": {"clean": true, "left": []}})");
  ASSERT_TRUE(o) << o.error().to_string();
  ASSERT_TRUE(o->error);
  EXPECT_EQ(o->error->stage, Stage::kPivotRoot);
  EXPECT_EQ(o->error->errno_value, EINVAL);
  EXPECT_EQ(o->error->message, "pivot_root . .");
  EXPECT_EQ(o->failed_op, 35);
  EXPECT_EQ(o->failed_target, "/");
  EXPECT_TRUE(o->rollback_clean);
  EXPECT_EQ(outcome_exit_code(*o), 3);
}

TEST(OutcomeJson, RefusesWhatIsNotAnOutcome) {
  for (const char* text :
       {"", "[]", "{}", "{\"error\": 3}", "not json", R"({"error": {"stage": "warp"}})",
        R"({"error": {"stage": "mount", "errno": "EWHAT"}})", R"({"applied": {"ops": "many"}})",
        R"({"error": {"stage": "mount", "target_hex": "abc"}})"}) {
    auto o = outcome_from_json(text);
    EXPECT_FALSE(o) << text;
    if (!o) {
      EXPECT_EQ(o.error().stage, Stage::kParse) << text;
    }
  }
}

TEST(OutcomeExitCode, ZeroThreeFourOrFive) {
  ApplyOutcome ok;
  EXPECT_EQ(outcome_exit_code(ok), 0);

  ApplyOutcome clean = failed_outcome();
  clean.rollback_clean = true;
  clean.left.clear();
  EXPECT_EQ(outcome_exit_code(clean), 3);

  ApplyOutcome nothing_ran;  // failed entering the target, before op 1: nothing attempted
  nothing_ran.error = make_error(Stage::kSetns, "setns", EPERM);
  EXPECT_EQ(outcome_exit_code(nothing_ran), 5);

  ApplyOutcome first_op = nothing_ran;  // op 1 itself failed: rolled back (nothing to undo)
  first_op.failed_op = 1;
  EXPECT_EQ(outcome_exit_code(first_op), 3);

  EXPECT_EQ(outcome_exit_code(failed_outcome()), 4);

  ApplyOutcome after_commit = clean;
  after_commit.committed = true;
  EXPECT_EQ(outcome_exit_code(after_commit), 4);
}

}  // namespace
}  // namespace rootfsctl::exec
