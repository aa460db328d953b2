#include "exec/intent_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "exec/executor.h"
#include "exec/recover.h"
#include "fake_syscalls.h"
#include "plan/planner.h"
#include "test_support.h"

namespace rootfsctl::exec {
namespace {

using rootfsctl::testing::FakeSyscalls;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

plan::Op bind_op() {
  plan::Op op;
  op.index = 7;
  op.kind = plan::OpKind::kBind;
  op.scope = plan::Scope::kNewRoot;
  op.target = "/usr";
  op.source = "/usr";
  op.flags.recursive = true;
  op.role = plan::Role::kEntry;
  op.entry_kind = layout::EntryKind::kBind;
  return op;
}

LogHeader header() {
  LogHeader h;
  h.boot_id = "b00t";
  h.mnt_ns_id = 4026532999;
  h.pid = 42;
  h.start_time = 1234;
  h.layout = "sandbox.yaml";
  h.ops_total = 12;
  h.writer = 99;
  return h;
}

// --- the format ------------------------------------------------------------------------

TEST(IntentLogFormat, HeaderIntentAndDoneRoundTrip) {
  Facts before;
  before.mount_id = 100;
  Facts made;
  made.mount_id = 130;
  std::string text = header_line(header()) + intent_line(bind_op(), before) + done_line(7, made);
  auto log = parse_intent_log(text);
  ASSERT_TRUE(log) << log.error().to_string();
  EXPECT_EQ(log->header, header());
  ASSERT_EQ(log->ops.size(), 1u);
  EXPECT_EQ(log->ops[0].op.kind, plan::OpKind::kBind);
  EXPECT_EQ(log->ops[0].op.scope, plan::Scope::kNewRoot);
  EXPECT_EQ(log->ops[0].op.target, "/usr");
  EXPECT_TRUE(log->ops[0].op.flags.recursive);
  EXPECT_EQ(log->ops[0].op.flags, plan::OpFlags{.recursive = true});
  EXPECT_EQ(log->ops[0].before, before);
  ASSERT_TRUE(log->ops[0].done);
  EXPECT_EQ(*log->ops[0].done, made);
  EXPECT_FALSE(log->torn_tail);
}

TEST(IntentLogFormat, EveryRoleAndTheEntryItComesFromRoundTrip) {
  for (int i = 0; i <= static_cast<int>(plan::Role::kOldRoot); ++i) {
    plan::Op op = bind_op();
    op.role = static_cast<plan::Role>(i);
    op.entry_kind = layout::EntryKind::kReadonlyPath;
    op.entry_index = i;
    op.flags = *plan::flags_from_names(std::vector<std::string>{"ro", "nosuid", "rslave"});
    auto log = parse_intent_log(header_line(header()) + intent_line(op, Facts{}));
    ASSERT_TRUE(log) << log.error().to_string();
    ASSERT_EQ(log->ops.size(), 1u);
    EXPECT_EQ(log->ops[0].op.role, op.role) << plan::role_name(op.role);
    EXPECT_EQ(log->ops[0].op.entry_name(), op.entry_name());
    EXPECT_EQ(log->ops[0].op.entry_index, i);
    EXPECT_EQ(log->ops[0].op.flags, op.flags);
  }
}

TEST(IntentLogFormat, EachLineIsOneRecordWithItsHash) {
  std::string line = header_line(header());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
  EXPECT_THAT(line, ::testing::StartsWith("{\"record\":\"header\",\"version\":1,"));
}

TEST(IntentLogFormat, ContentOfAnyBytesSurvives) {
  plan::Op op;
  op.index = 3;
  op.kind = plan::OpKind::kWrite;
  op.target = "/etc/motd";
  Facts before;
  before.exists = true;
  before.dev = 2049;
  before.ino = 77;
  before.content = std::string("\xff\x00\n\"bin\"", 8);
  auto log = parse_intent_log(header_line(header()) + intent_line(op, before));
  ASSERT_TRUE(log) << log.error().to_string();
  EXPECT_EQ(log->ops[0].before, before);
  EXPECT_FALSE(log->ops[0].done);
}

TEST(IntentLogFormat, PathsThatAreNotUtf8SurviveInTheirHexCompanions) {
  plan::Op op = bind_op();
  op.target = "/mnt/caf\xe9";
  op.source = std::string("/src/\xff\x00z", 7);
  LogHeader h = header();
  h.layout = "/layouts/\xc3(.yaml";
  const std::string intent = intent_line(op, Facts{});
  EXPECT_THAT(intent, HasSubstr("\"target_hex\":\"2f6d6e742f636166e9\""));
  EXPECT_EQ(std::count(intent.begin(), intent.end(), '\n'), 1);
  auto log = parse_intent_log(header_line(h) + intent);
  ASSERT_TRUE(log) << log.error().to_string();
  EXPECT_EQ(log->header.layout, h.layout);
  ASSERT_EQ(log->ops.size(), 1u);
  EXPECT_EQ(log->ops[0].op.target, op.target);
  EXPECT_EQ(log->ops[0].op.source, op.source);
}

TEST(IntentLogFormat, ALastLineCutShortIsIgnored) {
  std::string intent = intent_line(bind_op(), {});
  std::string text = header_line(header()) + intent.substr(0, intent.size() / 2);
  auto log = parse_intent_log(text);
  ASSERT_TRUE(log) << log.error().to_string();
  EXPECT_TRUE(log->torn_tail);
  EXPECT_TRUE(log->ops.empty());
}

TEST(IntentLogFormat, ADamagedLineBeforeTheLastIsRefused) {
  std::string intent = intent_line(bind_op(), {});
  intent[intent.find("/usr")] = 'X';  // the hash no longer matches
  auto log = parse_intent_log(header_line(header()) + intent + done_line(7, {}));
  ASSERT_FALSE(log);
  EXPECT_EQ(log.error().message, "line 2 is damaged");
  EXPECT_EQ(log.error().code, "intent-log-damaged");
}

TEST(IntentLogFormat, RecordsOutOfOrderAreRefused) {
  auto no_header = parse_intent_log(intent_line(bind_op(), {}));
  ASSERT_FALSE(no_header);
  EXPECT_THAT(no_header.error().message, HasSubstr("a record before the header"));
  auto stray_done = parse_intent_log(header_line(header()) + done_line(3, {}));
  ASSERT_FALSE(stray_done);
  EXPECT_THAT(stray_done.error().message, HasSubstr("a done record without its intent"));
  auto empty = parse_intent_log("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message, "no header");
}

// --- recovery decisions ----------------------------------------------------------------

OpRecord mount_record(std::optional<std::uint64_t> made) {
  OpRecord record{bind_op(), {}, std::nullopt};
  record.before.mount_id = 100;
  if (made) {
    Facts done;
    done.mount_id = *made;
    record.done = done;
  }
  return record;
}

TEST(RecoveryDecisions, AMountIsDetachedOnlyWhileItIsTheOneTheOpMade) {
  EXPECT_EQ(mount_verdict(mount_record(130), 130), MountVerdict::kDetach);
  EXPECT_EQ(mount_verdict(mount_record(130), 100), MountVerdict::kNothing);   // gone already
  EXPECT_EQ(mount_verdict(mount_record(130), 140), MountVerdict::kReplaced);  // someone else's
}

TEST(RecoveryDecisions, WithoutADoneRecordANewMountIsTheInterruptedOps) {
  EXPECT_EQ(mount_verdict(mount_record(std::nullopt), 100), MountVerdict::kNothing);
  EXPECT_EQ(mount_verdict(mount_record(std::nullopt), 131), MountVerdict::kDetach);
  OpRecord unknown{bind_op(), {}, std::nullopt};  // the mount before was not observed
  EXPECT_EQ(mount_verdict(unknown, 131), MountVerdict::kNothing);
}

TEST(RecoveryDecisions, ANameIsRemovedOnlyWhileItIsTheInodeTheOpMade) {
  plan::Op op;
  op.kind = plan::OpKind::kMkdir;
  op.target = "/tmp/d";
  OpRecord made{op, {}, Facts{}};
  made.done->exists = true;
  made.done->dev = 8;
  made.done->ino = 21;
  EXPECT_EQ(name_verdict(made, std::pair<std::uint64_t, std::uint64_t>{8, 21}, true),
            NameVerdict::kRemove);
  EXPECT_EQ(name_verdict(made, std::pair<std::uint64_t, std::uint64_t>{8, 22}, true),
            NameVerdict::kReplaced);
  EXPECT_EQ(name_verdict(made, std::nullopt, true), NameVerdict::kNothing);
  // It was there before the apply: never removed.
  OpRecord existed{op, {}, std::nullopt};
  existed.before.exists = true;
  EXPECT_EQ(name_verdict(existed, std::pair<std::uint64_t, std::uint64_t>{8, 21}, true),
            NameVerdict::kNothing);
  // Interrupted before its done record: the right kind of object where there was none.
  OpRecord interrupted{op, {}, std::nullopt};
  EXPECT_EQ(name_verdict(interrupted, std::pair<std::uint64_t, std::uint64_t>{8, 30}, true),
            NameVerdict::kRemove);
  EXPECT_EQ(name_verdict(interrupted, std::pair<std::uint64_t, std::uint64_t>{8, 30}, false),
            NameVerdict::kReplaced);
}

// --- the executor writes an intent before each op and a done record after ---------------

class RecordingSink final : public IntentSink {
 public:
  Result<void> before(const plan::Op& op, const Facts&) override {
    lines.push_back("intent " + std::to_string(op.index));
    if (fail_before == op.index) return std::unexpected(make_error(Stage::kCreate, "full", ENOSPC));
    return {};
  }
  Result<void> after(const plan::Op& op, const Facts&) override {
    lines.push_back("done " + std::to_string(op.index));
    return {};
  }
  std::vector<std::string> lines;
  int fail_before = 0;
};

constexpr const char* kHotAdd = R"(version: 1
mounts:
  - tmpfs: /mnt
)";

TEST(IntentLogExecutor, EveryOpIsAnnouncedBeforeItRunsAndConfirmedAfter) {
  FakeSyscalls fake;
  fake.read_answer("thread-self/mountinfo", "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n");
  auto plan = plan::make_plan(rootfsctl::testing::load(kHotAdd));
  RecordingSink sink;
  ExecOptions options;
  options.intents = &sink;
  auto outcome = execute_plan(fake, plan, ExecContext{}, options);
  ASSERT_EQ(plan.ops.size(), 3u);
  EXPECT_THAT(sink.lines,
              ElementsAre("intent 1", "done 1", "intent 2", "done 2", "intent 3", "done 3"));
}

TEST(IntentLogExecutor, AnIntentThatCannotBePersistedStopsTheApplyBeforeItsOp) {
  FakeSyscalls fake;
  fake.read_answer("thread-self/mountinfo", "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n");
  auto plan = plan::make_plan(rootfsctl::testing::load(kHotAdd));
  RecordingSink sink;
  sink.fail_before = 3;
  ExecOptions options;
  options.intents = &sink;
  auto outcome = execute_plan(fake, plan, ExecContext{}, options);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.failed_op, 3);
  EXPECT_TRUE(fake.calls_matching("fsopen").empty());  // op 3 never ran
  EXPECT_TRUE(outcome.rollback_clean);
  EXPECT_TRUE(fake.changes().empty());
}

TEST(IntentLogExecutor, FailAtParsesTheKillModes) {
  auto kill = parse_fail_at("4:kill");
  ASSERT_TRUE(kill);
  EXPECT_EQ(kill->op_index, 4);
  EXPECT_EQ(kill->mode, FailAt::Mode::kKill);
  auto after = parse_fail_at("4:kill-after");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->mode, FailAt::Mode::kKillAfter);
  auto plain = parse_fail_at("4:EPERM");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->mode, FailAt::Mode::kErrno);
}

// --- recovery through the seam ---------------------------------------------------------

TEST(Recovery, UndoesNewestFirstAndLeavesWhatWasThereBefore) {
  plan::Op mkdir;
  mkdir.index = 1;
  mkdir.kind = plan::OpKind::kMkdir;
  mkdir.target = "/mnt";
  plan::Op mount;
  mount.index = 2;
  mount.kind = plan::OpKind::kMount;
  mount.target = "/mnt";
  mount.fstype = "tmpfs";
  ParsedLog log;
  log.header = header();
  OpRecord made_dir{mkdir, {}, Facts{}};
  made_dir.done->exists = true;
  OpRecord made_mount{mount, {}, std::nullopt};  // killed after the op, before its done
  made_mount.before.mount_id = 1;
  log.ops = {made_dir, made_mount};
  FakeSyscalls fake;
  fake.id_answer("/", 1);
  fake.id_answer("mnt", 57);  // a new mount is there now
  auto outcome = recover_from_log(fake, log, RecoveryContext{});
  EXPECT_TRUE(outcome.left.empty()) << outcome.left.front();
  EXPECT_EQ(outcome.ops_done, 2);
  auto umount = fake.calls_matching("umount_fd");
  auto rmdir = fake.calls_matching("unlinkat");
  ASSERT_EQ(umount.size(), 1u);
  ASSERT_EQ(rmdir.size(), 1u);
  EXPECT_THAT(rmdir[0], HasSubstr("\"mnt\", dir"));
  // The mount went first.
  auto calls = fake.calls();
  auto at = [&](const std::string& line) { return std::find(calls.begin(), calls.end(), line); };
  EXPECT_LT(at(umount[0]), at(rmdir[0]));
}

TEST(Recovery, AReplacedObjectIsLeftAndReported) {
  plan::Op mkdir;
  mkdir.index = 1;
  mkdir.kind = plan::OpKind::kMkdir;
  mkdir.target = "/mnt";
  ParsedLog log;
  log.header = header();
  OpRecord made{mkdir, {}, Facts{}};
  made.done->exists = true;
  made.done->ino = 5;
  log.ops = {made};
  FakeSyscalls fake;
  fake.stat_answer("mnt", S_IFDIR | 0755, 0, 6);  // another inode now
  auto outcome = recover_from_log(fake, log, RecoveryContext{});
  ASSERT_EQ(outcome.left.size(), 1u);
  EXPECT_THAT(outcome.left[0], HasSubstr("op 1 mkdir /mnt: "));
  EXPECT_THAT(outcome.left[0], HasSubstr("was replaced since rootfsctl made it"));
  EXPECT_TRUE(fake.calls_matching("unlinkat").empty());
}

// --- the state directory ---------------------------------------------------------------

class StateDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/rootfsctl-state-test-XXXXXX";
    ASSERT_NE(::mkdtemp(name), nullptr);
    path_ = name;
  }
  void TearDown() override { std::filesystem::remove_all(path_); }
  std::string path_;
};

TEST_F(StateDir, ALogIsCreatedOnceFoundAsBusyWhileHeldAndLeftoverAfter) {
  auto dir = open_state_dir(path_);
  ASSERT_TRUE(dir) << dir.error().to_string();
  {
    auto log = IntentLog::create(dir->get(), header());
    ASSERT_TRUE(log) << log.error().to_string();
    EXPECT_FALSE(log->has_intents());
    ASSERT_TRUE(log->append(intent_line(bind_op(), {})));
    EXPECT_TRUE(log->has_intents());
    auto again = IntentLog::create(dir->get(), header());
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, "interrupted-apply");
    EXPECT_EQ(find_log(dir->get(), header().mnt_ns_id).value(), LogState::kBusy);
  }  // closed without remove(): as if rootfsctl had been killed
  std::string text;
  EXPECT_EQ(find_log(dir->get(), header().mnt_ns_id, nullptr, &text).value(), LogState::kLeftover);
  auto parsed = parse_intent_log(text);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->ops.size(), 1u);
  ASSERT_TRUE(remove_log(dir->get(), header().mnt_ns_id));
  EXPECT_EQ(find_log(dir->get(), header().mnt_ns_id).value(), LogState::kNone);
}

TEST_F(StateDir, ADirectoryOthersMayWriteIsRefused) {
  ASSERT_EQ(::chmod(path_.c_str(), 0755), 0);
  auto dir = open_state_dir(path_);
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().code, "state-dir-unsafe");
  EXPECT_THAT(dir.error().message, HasSubstr("mode 0755"));
}

TEST_F(StateDir, ASymlinkIsRefused) {
  const std::string link = path_ + "/link";
  ASSERT_EQ(::mkdir((path_ + "/real").c_str(), 0700), 0);
  ASSERT_EQ(::symlink("real", link.c_str()), 0);
  EXPECT_FALSE(open_state_dir(link));
}

TEST(StateDirPath, TheEnvironmentOverridesTheDefault) {
  ::setenv("ROOTFSCTL_STATE_DIR", "/tmp/elsewhere", 1);
  EXPECT_EQ(state_dir_path(), "/tmp/elsewhere");
  ::unsetenv("ROOTFSCTL_STATE_DIR");
  if (::geteuid() == 0) {
    EXPECT_EQ(state_dir_path(), "/run/rootfsctl");
  }
  EXPECT_EQ(log_name(4026532999), "mntns-4026532999.log");
}

}  // namespace
}  // namespace rootfsctl::exec
