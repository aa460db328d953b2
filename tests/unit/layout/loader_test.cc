#include "layout/loader.h"

#include <gtest/gtest.h>

#include <string>

#include "layout_test_support.h"

namespace rootfsctl::layout {
namespace {

using testing::load;
using testing::outcome;

TEST(LoaderTest, ReportsUnknownKeyAtTheKeyWithSuggestion) {
  auto result = load("version: 1\nmounts:\n  - bind: /usr\n    redonly: true\n");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().stage, Stage::kManifest);
  EXPECT_EQ(result.error().message, "unknown key 'redonly'");
  EXPECT_EQ(result.error().hint, "did you mean 'readonly'?");
  EXPECT_EQ(result.error().to_string(),
            "layout.yaml:4:5: unknown key 'redonly' (did you mean 'readonly'?)");
  EXPECT_EQ(result.error().render(),
            "layout.yaml:4:5: unknown key 'redonly' (did you mean 'readonly'?)\n"
            "      redonly: true\n"
            "      ^");
}

TEST(LoaderTest, PropagationIsRslaveOrKeep) {
  auto keep = load("version: 1\npropagation: keep\nmounts:\n  - tmpfs: /tmp\n");
  ASSERT_TRUE(keep) << keep.error().to_string();
  EXPECT_TRUE(keep->keep_propagation);
  auto rslave = load("version: 1\npropagation: rslave\n");
  ASSERT_TRUE(rslave) << rslave.error().to_string();
  EXPECT_FALSE(rslave->keep_propagation);
  auto typo = load("version: 1\npropagation: kep\n");
  ASSERT_FALSE(typo);
  EXPECT_EQ(typo.error().to_string(),
            "layout.yaml:2:14: unknown propagation 'kep' (did you mean 'keep'?)");
}

TEST(LoaderTest, LoadsAFullLayout) {
  auto result = load(R"(version: 1
name: sandbox
description: Host ${usr} read-only
extends: [base]
vars: { usr: /usr }
namespaces: [mount, pid]
hostname: box
sysctls: { net.ipv4.ping_group_range: "0 2147483647", kernel.msgmax: 8192 }
root:
  tmpfs: { size: 64M, mode: "0755" }
  readonly: true
mounts:
  - bind: /usr
    from: ${usr}
    readonly: true
  - tmpfs: /tmp
    size: 64M
    mode: "1777"
    options: [nosuid, nodev]
)");
  ASSERT_TRUE(result) << outcome(result);
  const Layout& layout = *result;
  EXPECT_EQ(layout.version, 1);
  EXPECT_EQ(layout.source, "layout.yaml");
  EXPECT_EQ(layout.name, "sandbox");
  EXPECT_EQ(layout.description, "Host /usr read-only");
  EXPECT_EQ(layout.extends, (std::vector<std::string>{"base"}));
  EXPECT_EQ(layout.vars, (std::map<std::string, std::string>{{"usr", "/usr"}}));
  EXPECT_EQ(layout.namespaces, (std::vector<std::string>{"mount", "pid"}));
  EXPECT_EQ(layout.hostname, "box");
  EXPECT_EQ(layout.sysctls,
            (std::map<std::string, std::string>{{"kernel.msgmax", "8192"},
                                                {"net.ipv4.ping_group_range", "0 2147483647"}}));
  ASSERT_TRUE(layout.root);
  EXPECT_EQ(layout.root->kind, RootKind::kTmpfs);
  EXPECT_EQ(layout.root->size, "64M");
  EXPECT_EQ(layout.root->mode, 0755u);
  EXPECT_TRUE(layout.root->readonly);
  EXPECT_EQ(layout.root->origin, (Origin{"layout.yaml", 9, 1, {}}));
  ASSERT_EQ(layout.mounts.size(), 2u);

  Entry bind;
  bind.kind = EntryKind::kBind;
  bind.target = "/usr";
  bind.origin = Origin{"layout.yaml", 13, 5, {}};
  bind.from = "/usr";
  bind.readonly = true;
  EXPECT_EQ(layout.mounts[0], bind);

  Entry tmpfs;
  tmpfs.kind = EntryKind::kTmpfs;
  tmpfs.target = "/tmp";
  tmpfs.origin = Origin{"layout.yaml", 16, 5, {}};
  tmpfs.recursive = false;
  tmpfs.size = "64M";
  tmpfs.mode = 01777u;
  tmpfs.options = {"nosuid", "nodev"};
  EXPECT_EQ(layout.mounts[1], tmpfs);
}

TEST(LoaderTest, Defaults) {
  auto result = load(
      "version: 1\nmounts:\n  - bind: /usr\n  - device: /dev/null\n  - bind: /opt\n"
      "    from: /srv/opt\n    recursive: false\n  - proc: /proc\n");
  ASSERT_TRUE(result) << outcome(result);
  const auto& mounts = result->mounts;
  EXPECT_EQ(mounts[0].from, "/usr");  // bind: from defaults to the target
  EXPECT_TRUE(mounts[0].recursive);   // bind: recursive by default
  EXPECT_FALSE(mounts[0].optional);
  EXPECT_EQ(mounts[0].readonly, std::nullopt);  // unset, not false
  EXPECT_EQ(mounts[1].from, "/dev/null");       // device: the same
  EXPECT_EQ(mounts[2].from, "/srv/opt");
  EXPECT_FALSE(mounts[2].recursive);
  EXPECT_EQ(mounts[3].from, "");
  EXPECT_FALSE(result->root);
  EXPECT_TRUE(result->name.empty());
}

TEST(LoaderTest, EveryKindAndItsFields) {
  auto result = load(R"(version: 1
mounts:
  - symlink: /bin
    to: usr/bin
  - dir: /run/app
    mode: "700"
  - file: /etc/hostname
    content: "box\n"
    mode: "0644"
  - overlay: /opt
    before: [/srv/patches]
    after: [/srv/base, /srv/more]
    create: /srv/upper
  - remount: /usr
    readonly: true
    options: [nodev]
  - device: /dev/console
    from: /dev/tty
    optional: true
  - sysfs: /sys
  - devpts: /dev/pts
  - mqueue: /dev/mqueue
)");
  ASSERT_TRUE(result) << outcome(result);
  const auto& m = result->mounts;
  ASSERT_EQ(m.size(), 9u);
  EXPECT_EQ(m[0].kind, EntryKind::kSymlink);
  EXPECT_EQ(m[0].to, "usr/bin");
  EXPECT_EQ(m[1].mode, 0700u);
  EXPECT_EQ(m[2].content, "box\n");
  EXPECT_EQ(m[2].mode, 0644u);
  EXPECT_EQ(m[3].kind, EntryKind::kOverlay);
  EXPECT_EQ(m[3].before, (std::vector<std::string>{"/srv/patches"}));
  EXPECT_EQ(m[3].after, (std::vector<std::string>{"/srv/base", "/srv/more"}));
  EXPECT_EQ(m[3].create, "/srv/upper");
  EXPECT_EQ(m[4].kind, EntryKind::kRemount);
  EXPECT_EQ(m[4].readonly, true);
  EXPECT_EQ(m[4].options, (std::vector<std::string>{"nodev"}));
  EXPECT_EQ(m[5].from, "/dev/tty");
  EXPECT_TRUE(m[5].optional);
  EXPECT_EQ(m[6].kind, EntryKind::kSysfs);
  EXPECT_EQ(m[7].kind, EntryKind::kDevpts);
  EXPECT_EQ(m[8].kind, EntryKind::kMqueue);
}

TEST(LoaderTest, OriginsAreTheKindKeys) {
  auto result = load(
      "# comment\nversion: 1\n\nroot:\n  bind: /srv/rootfs\nmounts:\n  - readonly: true\n"
      "    bind: /usr\n  - {proc: /proc}\n");
  ASSERT_TRUE(result) << outcome(result);
  EXPECT_EQ(result->root->origin, (Origin{"layout.yaml", 4, 1, {}}));
  EXPECT_EQ(result->root->kind, RootKind::kBind);
  EXPECT_EQ(result->root->from, "/srv/rootfs");
  EXPECT_EQ(result->mounts[0].origin, (Origin{"layout.yaml", 8, 5, {}}));
  EXPECT_EQ(result->mounts[1].origin, (Origin{"layout.yaml", 9, 6, {}}));
  EXPECT_EQ(result->mounts[1].origin.to_string(), "layout.yaml:9");
}

TEST(LoaderTest, RootTmpfsMayBeEmpty) {
  auto result = load("version: 1\nroot:\n  tmpfs:\n");
  ASSERT_TRUE(result) << outcome(result);
  EXPECT_EQ(result->root->kind, RootKind::kTmpfs);
  EXPECT_EQ(result->root->size, std::nullopt);
  EXPECT_FALSE(result->root->readonly);
}

TEST(LoaderTest, IntegerSizeIsBytes) {
  auto result = load("version: 1\nmounts:\n  - tmpfs: /tmp\n    size: 1048576\n");
  ASSERT_TRUE(result) << outcome(result);
  EXPECT_EQ(result->mounts[0].size, "1048576");
}

// ---- Variables ---------------------------------------------------------------------------

constexpr std::string_view kWithVars =
    "version: 1\nvars:\n  usr: /usr\n  port: 8080\nmounts:\n  - bind: /usr\n    from: ${usr}\n"
    "  - file: /etc/port\n    content: \"${port} costs $$5\"\n";

TEST(VariablesTest, LayoutVarsAreSubstituted) {
  auto result = load(kWithVars);
  ASSERT_TRUE(result) << outcome(result);
  EXPECT_EQ(result->mounts[0].from, "/usr");
  EXPECT_EQ(result->mounts[1].content, "8080 costs $5");
  EXPECT_EQ(result->vars, (std::map<std::string, std::string>{{"port", "8080"}, {"usr", "/usr"}}));
}

TEST(VariablesTest, SetBeatsTheLayout) {
  LoadOptions options;
  options.set_vars = {{"usr", "/opt/usr"}};
  auto result = load(kWithVars, options);
  ASSERT_TRUE(result) << outcome(result);
  EXPECT_EQ(result->mounts[0].from, "/opt/usr");
  EXPECT_EQ(result->vars.at("usr"), "/opt/usr");
}

// Issue 18: `--set workspce=...` was ignored and the default used.
TEST(VariablesTest, AnUnknownSetNameIsRefused) {
  LoadOptions options;
  options.set_vars = {{"usr", "/opt/usr"}, {"us", "/x"}};
  auto result = load(kWithVars, options);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().stage, Stage::kUsage);
  EXPECT_EQ(result.error().to_string(),
            "--set us: the layout has no variable 'us' (did you mean 'usr'?)");
  options.set_vars = {{"zzzzzz", "/x"}};
  EXPECT_EQ(outcome(load(kWithVars, options)),
            "--set zzzzzz: the layout has no variable 'zzzzzz' (its variables: port, usr)");
  options.set_vars = {{"x", "/x"}};
  EXPECT_EQ(outcome(load("version: 1\n", options)),
            "--set x: the layout has no variable 'x' (it declares and uses none)");
}

TEST(VariablesTest, ASetNameOnlyAReferenceUsesIsKnown) {
  LoadOptions options;
  options.set_vars = {{"rootfs", "/srv/image"}};
  // `$${rootfs}` is no reference; `${rootfs}` is, declared or not.
  EXPECT_EQ(outcome(load("version: 1\ndescription: \"$${rootfs}\"\n", options)),
            "--set rootfs: the layout has no variable 'rootfs' (it declares and uses none)");
  EXPECT_TRUE(load("version: 1\nroot:\n  bind: ${rootfs}\n", options));
}

TEST(VariablesTest, SetCanDefineWhatTheLayoutUses) {
  LoadOptions options;
  options.set_vars = {{"rootfs", "/srv/image"}};
  auto result = load("version: 1\nroot:\n  bind: ${rootfs}\n", options);
  ASSERT_TRUE(result) << outcome(result);
  EXPECT_EQ(result->root->from, "/srv/image");
}

TEST(VariablesTest, VarsMayComeAfterTheirUse) {
  auto result = load("version: 1\ndescription: on ${host}\nvars: {host: box}\n");
  ASSERT_TRUE(result) << outcome(result);
  EXPECT_EQ(result->description, "on box");
}

TEST(VariablesTest, KeysAreNotSubstituted) {
  auto result = load("version: 1\nvars: {x: y}\nsysctls: {\"${x}\": 1}\n");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message, "invalid sysctl name '${x}'");
}

TEST(VariablesTest, UndefinedVariableAtTheScalar) {
  EXPECT_EQ(outcome(load("version: 1\nvars: {usr: /usr}\nmounts:\n  - bind: ${usrr}/lib\n")),
            "layout.yaml:4:11: undefined variable 'usrr' (define it under vars: or pass --set "
            "NAME=VALUE; did you mean 'usr'?)");
  EXPECT_EQ(outcome(load("version: 1\nmounts:\n  - bind: ${nothing}\n")),
            "layout.yaml:3:11: undefined variable 'nothing' (define it under vars: or pass --set "
            "NAME=VALUE)");
}

TEST(VariablesTest, SetNamesCountForSuggestions) {
  LoadOptions options;
  options.set_vars = {{"rootfs", "/x"}};
  // The layout's typo and the --set name are close: the --set is what is named.
  EXPECT_EQ(outcome(load("version: 1\nroot: {bind: \"${rootf}\"}\n", options)),
            "--set rootfs: the layout has no variable 'rootfs' (did you mean 'rootf'?)");
}

TEST(VariablesTest, PathsAreCheckedAfterSubstitutionButReportedAtTheScalar) {
  LoadOptions options;
  options.set_vars = {{"usr", "/opt/../usr"}};
  EXPECT_EQ(outcome(load(kWithVars, options)),
            "layout.yaml:7:11: path '/opt/../usr' contains '..' (write '/usr') (expanded from "
            "'${usr}')");
  options.set_vars = {{"usr", "usr"}};
  EXPECT_EQ(outcome(load(kWithVars, options)),
            "layout.yaml:7:11: path 'usr' is not absolute (write '/usr') (expanded from "
            "'${usr}')");
}

TEST(VariablesTest, ModeAndSizeFromVariables) {
  auto result = load(
      "version: 1\nvars: {m: \"0750\", s: 16M}\nmounts:\n  - tmpfs: /t\n    mode: ${m}\n"
      "    size: ${s}\n");
  ASSERT_TRUE(result) << outcome(result);
  EXPECT_EQ(result->mounts[0].mode, 0750u);
  EXPECT_EQ(result->mounts[0].size, "16M");
  LoadOptions options;
  options.set_vars = {{"s", "lots"}};
  EXPECT_EQ(outcome(load("version: 1\nmounts:\n  - tmpfs: /t\n    size: ${s}\n", options)),
            "layout.yaml:4:11: invalid size 'lots' (write a byte count like 1048576, a number "
            "with k, m or g like 64M, or a percentage of memory like 50%; expanded from '${s}')");
}

TEST(VariablesTest, InvalidSetName) {
  LoadOptions options;
  options.set_vars = {{"a-b", "x"}};
  auto result = load("version: 1\n", options);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().stage, Stage::kUsage);
  EXPECT_EQ(result.error().to_string(),
            "invalid variable name 'a-b' in --set (names are letters, digits and '_', and do "
            "not start with a digit)");
}

TEST(VariablesTest, InvalidVarsEntries) {
  EXPECT_EQ(outcome(load("version: 1\nvars:\n  1x: a\n")),
            "layout.yaml:3:3: invalid variable name '1x' (names are letters, digits and '_', do "
            "not start with a digit, and have at most 64 characters)");
  EXPECT_EQ(outcome(load("version: 1\nvars:\n  x: [a]\n")),
            "layout.yaml:3:6: variable 'x' must be a string or a number, not a list");
  EXPECT_EQ(outcome(load("version: 1\nvars: [a]\n")),
            "layout.yaml:2:7: 'vars' must be a mapping of names to values, not a list");
}

// ---- Messages for each kind of mistake -----------------------------------------------------

struct MistakeCase {
  const char* name;
  const char* text;
  const char* expected;
};

class MistakeTest : public ::testing::TestWithParam<MistakeCase> {};

TEST_P(MistakeTest, ReportsExactly) {
  EXPECT_EQ(outcome(load(GetParam().text)), GetParam().expected);
}

const MistakeCase kMistakes[] = {
    {"NotAMapping", "version: 1\nmounts:\n  - /usr\n",
     "layout.yaml:3:5: a mounts entry must be a mapping, not the string '/usr' (start each "
     "entry with its kind, like '- bind: /usr')"},
    {"NoKind", "version: 1\nmounts:\n  - from: /x\n",
     "layout.yaml:3:5: entry has no kind key (give it one of: bind, tmpfs, proc, sysfs, devpts, "
     "mqueue, cgroup, device, symlink, dir, file, overlay, remount, mask, "
     "readonly-path, unmount)"},
    {"UnknownKeyWithoutSuggestion", "version: 1\nmounts:\n  - proc: /proc\n    color: red\n",
     "layout.yaml:4:5: unknown key 'color' (keys of a proc entry: readonly, options)"},
    {"KindAfterField", "version: 1\nmounts:\n  - size: 1M\n    bind: /x\n",
     "layout.yaml:3:5: key 'size' does not apply to a bind entry ('size' applies to: tmpfs)"},
    {"SecondKind", "version: 1\nmounts:\n  - {proc: /proc, sysfs: /sys}\n",
     "layout.yaml:3:19: entry has two kind keys, 'proc' and 'sysfs' (an entry has exactly one "
     "kind; split it into two entries)"},
    {"KindWithoutPath", "version: 1\nmounts:\n  - proc:\n",
     "layout.yaml:3:5: 'proc' must be an absolute path, not empty"},
    {"BoolAsString", "version: 1\nmounts:\n  - bind: /x\n    recursive: \"false\"\n",
     "layout.yaml:4:16: 'recursive' must be true or false, not the string 'false'"},
    {"ModeUnquoted", "version: 1\nmounts:\n  - dir: /d\n    mode: 0755\n",
     "layout.yaml:4:11: 'mode' must be a quoted string, not the number 0755 (write mode: "
     "\"0755\"; unquoted, YAML reads 0755 as a number)"},
    {"ModeTooLong", "version: 1\nmounts:\n  - dir: /d\n    mode: \"07555\"\n",
     "layout.yaml:4:11: invalid mode '07555' (write 3 or 4 octal digits in quotes, like \"0755\" "
     "or \"1777\")"},
    {"ModeList", "version: 1\nmounts:\n  - dir: /d\n    mode: [1]\n",
     "layout.yaml:4:11: 'mode' must be an octal string like \"0755\", not a list"},
    {"NegativeSize", "version: 1\nmounts:\n  - tmpfs: /t\n    size: -1\n",
     "layout.yaml:4:11: invalid size -1 (write a byte count like 1048576, a number with k, m or "
     "g like 64M, or a percentage of memory like 50%)"},
    {"OptionsNotAList", "version: 1\nmounts:\n  - tmpfs: /t\n    options: nosuid\n",
     "layout.yaml:4:14: 'options' must be a list of mount options, like [nosuid, nodev], not the "
     "string 'nosuid'"},
    {"OptionFarOff", "version: 1\nmounts:\n  - tmpfs: /t\n    options: [size=1M]\n",
     "layout.yaml:4:15: unknown mount option 'size=1M' (known options: ro, rw, nosuid, suid, "
     "nodev, dev, noexec, exec, noatime, relatime, strictatime, nodiratime, diratime, "
     "nosymfollow, symfollow, sync, async, dirsync)"},
    {"OptionNotAString", "version: 1\nmounts:\n  - tmpfs: /t\n    options: [1]\n",
     "layout.yaml:4:15: a mount option must be a name like nosuid, not the number 1"},
    {"EmptyLinkText", "version: 1\nmounts:\n  - symlink: /bin\n    to: \"\"\n",
     "layout.yaml:4:9: 'to' must not be empty (write the link's target, like 'to: usr/bin')"},
    {"ContentBool", "version: 1\nmounts:\n  - file: /f\n    content: true\n",
     "layout.yaml:4:14: 'content' must be a string, not true (quote it: \"true\")"},
    {"BeforeNotAList", "version: 1\nmounts:\n  - overlay: /o\n    before: /a\n",
     "layout.yaml:4:13: 'before' must be a list of absolute paths, not the string '/a'"},
    {"BeforeItem", "version: 1\nmounts:\n  - overlay: /o\n    after: [/a, b]\n",
     "layout.yaml:4:17: path 'b' is not absolute (write '/b')"},
    {"BeforeItemType", "version: 1\nmounts:\n  - overlay: /o\n    after: [[/a]]\n",
     "layout.yaml:4:13: each item of 'after' must be an absolute path, not a list"},
    {"VersionString", "version: \"1\"\n",
     "layout.yaml:1:10: 'version' must be the number 1, not the string '1'"},
    {"VersionFirst", "mounts: [{bogus: 1}]\nversion: 3\n",
     "layout.yaml:2:10: unsupported layout version 3 (this rootfsctl reads version 1)"},
    {"VersionMisspelt", "name: x\nverison: 1\n",
     "layout.yaml:2:1: unknown key 'verison' (did you mean 'version'?)"},
    {"TopLevelScalar", "just a string\n",
     "layout.yaml:1:1: layout must be a mapping of keys, not the string 'just a string' (a "
     "layout is a mapping that starts with 'version: 1')"},
    {"TopLevelNull", "---\n~\n",
     "layout.yaml:2:1: layout is empty (a layout is a mapping that starts with 'version: 1')"},
    {"UnknownTopLevelFar", "version: 1\nfrobnicate: 1\n",
     "layout.yaml:2:1: unknown key 'frobnicate' (keys of a layout: version, name, description, "
     "extends, vars, namespaces, hostname, propagation, sysctls, root, mounts)"},
    {"NameNotString", "version: 1\nname: [a]\n",
     "layout.yaml:2:7: 'name' must be a string, not a list"},
    {"ExtendsString", "version: 1\nextends: base\n",
     "layout.yaml:2:10: 'extends' must be a list of profiles, like [base], not the string "
     "'base'"},
    {"ExtendsEmptyName", "version: 1\nextends: [\"\"]\n",
     "layout.yaml:2:11: a profile name must not be empty (write a profile's name or a "
     "relative path, like base)"},
    {"NamespaceTwice", "version: 1\nnamespaces: [pid, pid]\n",
     "layout.yaml:2:19: namespace 'pid' is listed twice"},
    {"NamespaceFarOff", "version: 1\nnamespaces: [network]\n",
     "layout.yaml:2:14: unknown namespace 'network' (namespaces: mount, pid, user, uts, ipc, "
     "net, cgroup, time)"},
    {"HostnameTooLong",
     "version: 1\nhostname: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
     "layout.yaml:2:11: invalid hostname "
     "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' (a hostname has 1 to 64 "
     "characters)"},
    {"SysctlValue", "version: 1\nsysctls: {kernel.x: [1]}\n",
     "layout.yaml:2:21: sysctl 'kernel.x' must be a string or a number, not a list"},
    {"SysctlName", "version: 1\nsysctls: {\"bad name\": 1}\n",
     "layout.yaml:2:11: invalid sysctl name 'bad name' (write it as in /proc/sys, with dots: "
     "net.ipv4.ping_group_range)"},
    {"RootNeither", "version: 1\nroot:\n  readonly: true\n",
     "layout.yaml:2:1: root needs 'tmpfs' or 'bind' (root: { tmpfs: { size: 64M } } makes a "
     "fresh root; root: { bind: /srv/rootfs } uses an image directory)"},
    {"RootUnknownKey", "version: 1\nroot:\n  tmpfs: {}\n  redonly: true\n",
     "layout.yaml:4:3: unknown key 'redonly' (did you mean 'readonly'?)"},
    {"RootTmpfsKey", "version: 1\nroot:\n  tmpfs: {sise: 1M}\n",
     "layout.yaml:3:11: unknown key 'sise' (did you mean 'size'?)"},
    {"RootTmpfsMode", "version: 1\nroot:\n  tmpfs: {mode: 755}\n",
     "layout.yaml:3:17: 'mode' must be a quoted string, not the number 755 (write mode: \"755\"; "
     "unquoted, YAML reads 755 as a number)"},
    {"RootNotMapping", "version: 1\nroot: /srv/rootfs\n",
     "layout.yaml:2:7: 'root' must be a mapping like { tmpfs: { size: 64M } } or { bind: "
     "/srv/rootfs }, not the string '/srv/rootfs'"},
    {"RootBindRelative", "version: 1\nroot: {bind: srv}\n",
     "layout.yaml:2:14: path 'srv' is not absolute (write '/srv')"},
    {"MalformedReference", "version: 1\nname: ${oops\n",
     "layout.yaml:2:7: malformed variable reference '${oops' (write ${NAME} with a name of "
     "letters, digits and '_', or $$ for a literal '$')"},
    {"FirstErrorInDocumentOrder", "version: 1\nmounts:\n  - bind: usr\n  - tmpf: /tmp\n",
     "layout.yaml:3:11: path 'usr' is not absolute (write '/usr')"},
};

INSTANTIATE_TEST_SUITE_P(Loader, MistakeTest, ::testing::ValuesIn(kMistakes),
                         [](const auto& test) { return std::string(test.param.name); });

}  // namespace
}  // namespace rootfsctl::layout
