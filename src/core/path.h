// Normalised absolute paths, as the layout format requires them (docs/layouts.md): they start
// with '/', have no empty, '.' or '..' components and no trailing '/', except "/" itself.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rootfsctl::path {

/// Why `p` is not a normalised absolute path, or nullopt when it is. The message names
/// the problem and the normalised spelling when there is one.
std::optional<std::string> check_normalized(std::string_view p);

/// True when `p` equals `dir` or lies beneath it ("/usr/lib" is under "/usr", "/usrx" is
/// not). Both must be normalised.
bool is_under(std::string_view p, std::string_view dir);
/// True when `p` lies strictly beneath `dir`.
bool is_strictly_under(std::string_view p, std::string_view dir);

/// Lexical normalisation to an absolute path: "//dev/" -> "/dev", "dev" -> "/dev",
/// "/a/../b" -> "/b" ("..", ".", empty and trailing components resolved; ".." stops at
/// "/", as a runtime resolves it inside a rootfs). No symlink is looked at.
std::string lexically_normal(std::string_view p);
/// "/a/b" -> "/a", "/a" -> "/", "/" -> "/".
std::string_view parent(std::string_view p);
/// "/a/b" -> "b", "/" -> "".
std::string_view basename(std::string_view p);
/// Joins a normalised absolute path and a relative one: ("/a", "b/c") -> "/a/b/c".
std::string join(std::string_view base, std::string_view rel);
/// The proper ancestors of `p`, outermost first, excluding "/" and `p`: "/a/b/c" ->
/// {"/a", "/a/b"}.
std::vector<std::string_view> ancestors(std::string_view p);
/// Number of components: "/" -> 0, "/a/b" -> 2.
int depth(std::string_view p);

}  // namespace rootfsctl::path
