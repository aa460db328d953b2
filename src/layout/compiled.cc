#include "layout/compiled.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace rootfsctl::layout {
namespace {

// Fixed-width little-endian-as-the-host integers and length-prefixed strings: the entry
// is read back by the same build on the same machine.
class Writer {
 public:
  template <typename T>
  requires std::is_integral_v<T> || std::is_enum_v<T>
  void put(T value) { out_.append(reinterpret_cast<const char*>(&value), sizeof value); }
  void put(const std::string& s) {
    put(static_cast<std::uint32_t>(s.size()));
    out_ += s;
  }
  template <typename T>
  void put(const std::optional<T>& value) {
    put(static_cast<std::uint8_t>(value.has_value()));
    if (value) put(*value);
  }
  template <typename T>
  void put(const std::vector<T>& items) {
    put(static_cast<std::uint32_t>(items.size()));
    for (const auto& item : items) put(item);
  }
  void put(const std::map<std::string, std::string>& items) {
    put(static_cast<std::uint32_t>(items.size()));
    for (const auto& [key, value] : items) {
      put(key);
      put(value);
    }
  }
  void put(const Origin& origin) {
    put(origin.file);
    put(origin.line);
    put(origin.column);
    put(origin.reason);
  }
  void put(const Entry& e);
  void put(const Root& root);
  void put(const Removal& removal) {
    put(removal.target);
    put(removal.origin);
  }
  void put(const ProfileInputs::File& file) {
    put(file.name);
    put(file.dev);
    put(file.ino);
    put(file.digest);
  }
  void put(const ProfileInputs::Lookup& lookup) {
    put(lookup.ref);
    put(lookup.from);
    put(lookup.found);
  }
  void put(const Layout& layout);

  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

void Writer::put(const Entry& e) {
  put(e.kind);
  put(e.target);
  put(e.origin);
  put(e.from);
  put(e.recursive);
  put(e.optional);
  put(e.from_target);
  put(e.all);
  put(e.idmap);
  put(e.readonly);
  put(e.options);
  put(e.size);
  put(e.mode);
  put(e.uid);
  put(e.gid);
  put(e.nr_inodes);
  put(e.ptmxmode);
  put(e.to);
  put(e.content);
  put(e.before);
  put(e.after);
  put(e.create);
}

void Writer::put(const Root& root) {
  put(root.kind);
  put(root.size);
  put(root.mode);
  put(root.from);
  put(root.readonly);
  put(root.origin);
}

void Writer::put(const Layout& layout) {
  put(layout.version);
  put(layout.source);
  put(layout.name);
  put(layout.description);
  put(layout.extends);
  put(layout.vars);
  put(layout.namespaces);
  put(layout.hostname);
  put(layout.keep_propagation);
  put(layout.sysctls);
  put(layout.root);
  put(layout.mounts);
  put(layout.removals);
}

/// The Writer's inverse. Every get returns false once the bytes run out or hold a value
/// no Writer wrote (a bool that is neither 0 nor 1, an enum out of range).
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  template <typename T>
  requires std::is_integral_v<T>
  bool get(T& value) {
    if (in_.size() < sizeof value) return false;
    std::memcpy(&value, in_.data(), sizeof value);
    in_.remove_prefix(sizeof value);
    return true;
  }
  bool get(bool& value) {
    std::uint8_t byte = 0;
    if (!get(byte) || byte > 1) return false;
    value = byte == 1;
    return true;
  }
  template <typename T>
  requires std::is_enum_v<T>
  bool get(T& value, T last) {
    std::underlying_type_t<T> raw{};
    if (!get(raw) || raw < 0 || raw > static_cast<std::underlying_type_t<T>>(last)) return false;
    value = static_cast<T>(raw);
    return true;
  }
  bool get(std::string& s) {
    std::uint32_t size = 0;
    if (!get(size) || in_.size() < size) return false;
    s.assign(in_.data(), size);
    in_.remove_prefix(size);
    return true;
  }
  template <typename T>
  bool get(std::optional<T>& value) {
    bool present = false;
    if (!get(present)) return false;
    if (!present) {
      value.reset();
      return true;
    }
    value.emplace();
    return get(*value);
  }
  template <typename T>
  bool get(std::vector<T>& items) {
    std::uint32_t count = 0;
    // Every item takes at least one byte: a count beyond what is left is corrupt, and
    // must not become a huge allocation.
    if (!get(count) || count > in_.size()) return false;
    items.resize(count);
    for (auto& item : items) {
      if (!get(item)) return false;
    }
    return true;
  }
  bool get(std::map<std::string, std::string>& items) {
    std::uint32_t count = 0;
    if (!get(count) || count > in_.size()) return false;
    for (std::uint32_t i = 0; i < count; ++i) {
      std::string key;
      std::string value;
      if (!get(key) || !get(value)) return false;
      items.emplace(std::move(key), std::move(value));
    }
    return true;
  }
  bool get(Origin& o) { return get(o.file) && get(o.line) && get(o.column) && get(o.reason); }
  bool get(Entry& e);
  bool get(Root& root) {
    return get(root.kind, RootKind::kBind) && get(root.size) && get(root.mode) && get(root.from) &&
           get(root.readonly) && get(root.origin);
  }
  bool get(Removal& r) { return get(r.target) && get(r.origin); }
  bool get(ProfileInputs::File& f) {
    return get(f.name) && get(f.dev) && get(f.ino) && get(f.digest);
  }
  bool get(ProfileInputs::Lookup& l) { return get(l.ref) && get(l.from) && get(l.found); }
  bool get(Layout& layout);

  bool at_end() const { return in_.empty(); }

 private:
  std::string_view in_;
};

bool Reader::get(Entry& e) {
  return get(e.kind, EntryKind::kUnmount) && get(e.target) && get(e.origin) && get(e.from) &&
         get(e.recursive) && get(e.optional) && get(e.from_target) && get(e.all) && get(e.idmap) &&
         get(e.readonly) && get(e.options) && get(e.size) && get(e.mode) && get(e.uid) &&
         get(e.gid) && get(e.nr_inodes) && get(e.ptmxmode) && get(e.to) && get(e.content) &&
         get(e.before) && get(e.after) && get(e.create);
}

bool Reader::get(Layout& layout) {
  return get(layout.version) && get(layout.source) && get(layout.name) && get(layout.description) &&
         get(layout.extends) && get(layout.vars) && get(layout.namespaces) &&
         get(layout.hostname) && get(layout.keep_propagation) && get(layout.sysctls) &&
         get(layout.root) && get(layout.mounts) && get(layout.removals);
}

constexpr std::string_view kMagic = "rootfsctl compiled layout\n";

}  // namespace

bool CompiledLayout::operator==(const CompiledLayout& other) const {
  auto same_file = [](const ProfileInputs::File& a, const ProfileInputs::File& b) {
    return a.name == b.name && a.dev == b.dev && a.ino == b.ino && a.digest == b.digest;
  };
  auto same_lookup = [](const ProfileInputs::Lookup& a, const ProfileInputs::Lookup& b) {
    return a.ref == b.ref && a.from == b.from && a.found == b.found;
  };
  return layout == other.layout &&
         std::equal(inputs.files.begin(), inputs.files.end(), other.inputs.files.begin(),
                    other.inputs.files.end(), same_file) &&
         std::equal(inputs.lookups.begin(), inputs.lookups.end(), other.inputs.lookups.begin(),
                    other.inputs.lookups.end(), same_lookup);
}

std::string encode_compiled(const CompiledLayout& compiled) {
  Writer writer;
  writer.put(compiled.inputs.files);
  writer.put(compiled.inputs.lookups);
  writer.put(compiled.layout);
  return std::string(kMagic) + writer.take();
}

std::optional<CompiledLayout> decode_compiled(std::string_view bytes) {
  if (!bytes.starts_with(kMagic)) return std::nullopt;
  bytes.remove_prefix(kMagic.size());
  Reader reader(bytes);
  CompiledLayout compiled;
  if (!reader.get(compiled.inputs.files) || !reader.get(compiled.inputs.lookups) ||
      !reader.get(compiled.layout) || !reader.at_end()) {
    return std::nullopt;
  }
  return compiled;
}

}  // namespace rootfsctl::layout
