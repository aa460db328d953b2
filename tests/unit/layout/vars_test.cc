#include "layout/vars.h"

#include <gtest/gtest.h>

namespace rootfsctl::layout {
namespace {

const VarMap kVars{{"usr", "/usr"}, {"app", "demo"}, {"empty", ""}, {"ref", "${usr}"}};

std::string expanded(std::string_view text) {
  auto result = expand_vars(text, kVars);
  return result ? *result : "ERROR: " + result.error().message + " (" + result.error().hint + ")";
}

TEST(ExpandVarsTest, ReplacesReferences) {
  EXPECT_EQ(expanded("${usr}"), "/usr");
  EXPECT_EQ(expanded("${usr}/lib/${app}"), "/usr/lib/demo");
  EXPECT_EQ(expanded("x${empty}y"), "xy");
  EXPECT_EQ(expanded("no references"), "no references");
  EXPECT_EQ(expanded(""), "");
}

TEST(ExpandVarsTest, DoubleDollarIsALiteralDollar) {
  EXPECT_EQ(expanded("$$"), "$");
  EXPECT_EQ(expanded("$${usr}"), "${usr}");
  EXPECT_EQ(expanded("costs $$5"), "costs $5");
  EXPECT_EQ(expanded("$$$${usr}"), "$${usr}");
  EXPECT_EQ(expanded("$$${usr}"), "$/usr");
}

TEST(ExpandVarsTest, OtherDollarsAreKept) {
  EXPECT_EQ(expanded("$HOME"), "$HOME");
  EXPECT_EQ(expanded("a$"), "a$");
  EXPECT_EQ(expanded("$"), "$");
}

TEST(ExpandVarsTest, ValuesAreNotExpandedAgain) { EXPECT_EQ(expanded("${ref}"), "${usr}"); }

TEST(ExpandVarsTest, UndefinedVariableSuggestsAndSaysWhereToDefineIt) {
  EXPECT_EQ(expanded("${usrr}/lib"),
            "ERROR: undefined variable 'usrr' (define it under vars: or pass --set NAME=VALUE; "
            "did you mean 'usr'?)");
  EXPECT_EQ(expanded("${nothing_like_it}"),
            "ERROR: undefined variable 'nothing_like_it' (define it under vars: or pass --set "
            "NAME=VALUE)");
}

TEST(ExpandVarsTest, MalformedReferences) {
  const std::string hint =
      " (write ${NAME} with a name of letters, digits and '_', or $$ for a literal '$')";
  EXPECT_EQ(expanded("${usr"), "ERROR: malformed variable reference '${usr'" + hint);
  EXPECT_EQ(expanded("${}"), "ERROR: malformed variable reference '${}'" + hint);
  EXPECT_EQ(expanded("${1x}"), "ERROR: malformed variable reference '${1x}'" + hint);
  EXPECT_EQ(expanded("${a b}"), "ERROR: malformed variable reference '${a b}'" + hint);
  EXPECT_EQ(expanded("${" + std::string(100, 'x')),
            "ERROR: malformed variable reference '${" + std::string(38, 'x') + "...'" + hint);
}

TEST(IsVarNameTest, LettersDigitsUnderscore) {
  EXPECT_TRUE(is_var_name("usr"));
  EXPECT_TRUE(is_var_name("_x1"));
  EXPECT_TRUE(is_var_name("ROOT_FS"));
  EXPECT_FALSE(is_var_name(""));
  EXPECT_FALSE(is_var_name("1x"));
  EXPECT_FALSE(is_var_name("a-b"));
  EXPECT_FALSE(is_var_name("a.b"));
  EXPECT_TRUE(is_var_name(std::string(kMaxVarName, 'a')));
  EXPECT_FALSE(is_var_name(std::string(kMaxVarName + 1, 'a')));
}

TEST(HasVarReferenceTest, LooksForDollarBrace) {
  EXPECT_TRUE(has_var_reference("${x}"));
  EXPECT_TRUE(has_var_reference("/a/${x"));
  EXPECT_FALSE(has_var_reference("$x"));
}

}  // namespace
}  // namespace rootfsctl::layout
