// valijson reads the loader's own document (document.h) through this adapter, the way it
// reads any JSON library's values through theirs: the schema check needs no copy of the
// layout in another form. Types are strict, as the loader typed the scalars: a quoted
// "true" is a string, a plain 0755 is an integer. Internal to src/layout; only
// schema_check.cc includes it (it pulls in valijson).
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <utility>
#include <valijson/internal/adapter.hpp>
#include <valijson/internal/basic_adapter.hpp>
#include <valijson/internal/frozen_value.hpp>

#include "layout/document.h"

namespace valijson::adapters {

class LayoutNodeAdapter;
using LayoutNodeMember = std::pair<std::string, LayoutNodeAdapter>;
template <typename Value, Value (*at)(const rootfsctl::layout::Node&, std::size_t)>
class LayoutNodeIterator;
inline LayoutNodeAdapter item_at(const rootfsctl::layout::Node& node, std::size_t index);
inline LayoutNodeMember member_at(const rootfsctl::layout::Node& node, std::size_t index);
using LayoutNodeArrayIterator = LayoutNodeIterator<LayoutNodeAdapter, &item_at>;
using LayoutNodeMemberIterator = LayoutNodeIterator<LayoutNodeMember, &member_at>;

// What a default-constructed array, object or value wraps.
inline rootfsctl::layout::Node empty_node(rootfsctl::layout::NodeType type) {
  rootfsctl::layout::Node node;
  node.type = type;
  return node;
}

// A list node's items.
class LayoutNodeArray {
 public:
  using const_iterator = LayoutNodeArrayIterator;
  using iterator = LayoutNodeArrayIterator;

  LayoutNodeArray() : node_(&empty()) {}
  explicit LayoutNodeArray(const rootfsctl::layout::Node& node) : node_(&node) {}

  LayoutNodeArrayIterator begin() const;
  LayoutNodeArrayIterator end() const;
  std::size_t size() const { return node_->items.size(); }

 private:
  static const rootfsctl::layout::Node& empty() {
    static const rootfsctl::layout::Node node = empty_node(rootfsctl::layout::NodeType::kList);
    return node;
  }
  const rootfsctl::layout::Node* node_;
};

// A mapping node's members, in document order.
class LayoutNodeObject {
 public:
  using const_iterator = LayoutNodeMemberIterator;
  using iterator = LayoutNodeMemberIterator;

  LayoutNodeObject() : node_(&empty()) {}
  explicit LayoutNodeObject(const rootfsctl::layout::Node& node) : node_(&node) {}

  LayoutNodeMemberIterator begin() const;
  LayoutNodeMemberIterator end() const;
  LayoutNodeMemberIterator find(const std::string& name) const;
  std::size_t size() const { return node_->items.size(); }

 private:
  static const rootfsctl::layout::Node& empty() {
    static const rootfsctl::layout::Node node = empty_node(rootfsctl::layout::NodeType::kMap);
    return node;
  }
  const rootfsctl::layout::Node* node_;
};

// A node kept for `enum` and `const` comparisons.
class LayoutNodeFrozenValue : public FrozenValue {
 public:
  explicit LayoutNodeFrozenValue(rootfsctl::layout::Node node) : node_(std::move(node)) {}
  FrozenValue* clone() const override { return new LayoutNodeFrozenValue(node_); }
  bool equalTo(const Adapter& other, bool strict) const override;

 private:
  rootfsctl::layout::Node node_;
};

// What BasicAdapter asks of a value.
class LayoutNodeValue {
 public:
  using Node = rootfsctl::layout::Node;

  LayoutNodeValue() : node_(&empty()) {}
  explicit LayoutNodeValue(const Node& node) : node_(&node) {}

  FrozenValue* freeze() const { return new LayoutNodeFrozenValue(*node_); }

  opt::optional<LayoutNodeArray> getArrayOptional() const {
    if (!isArray()) return {};
    return opt::make_optional(LayoutNodeArray(*node_));
  }
  bool getArraySize(std::size_t& result) const {
    if (!isArray()) return false;
    result = node_->items.size();
    return true;
  }
  bool getBool(bool& result) const {
    if (!isBool()) return false;
    result = node_->boolean;
    return true;
  }
  static bool getDouble(double&) { return false; }
  bool getInteger(std::int64_t& result) const {
    if (!isInteger()) return false;
    result = node_->integer;
    return true;
  }
  opt::optional<LayoutNodeObject> getObjectOptional() const {
    if (!isObject()) return {};
    return opt::make_optional(LayoutNodeObject(*node_));
  }
  bool getObjectSize(std::size_t& result) const {
    if (!isObject()) return false;
    result = node_->items.size();
    return true;
  }
  bool getString(std::string& result) const {
    if (!isString()) return false;
    result = node_->text;
    return true;
  }
  static bool hasStrictTypes() { return true; }
  bool isArray() const { return node_->is_list(); }
  bool isBool() const { return node_->is_bool(); }
  static bool isDouble() { return false; }
  bool isInteger() const { return node_->is_integer(); }
  bool isNull() const { return node_->is_null(); }
  bool isNumber() const { return node_->is_integer(); }
  bool isObject() const { return node_->is_map(); }
  bool isString() const { return node_->is_string(); }

 private:
  static const Node& empty() {
    static const Node node = empty_node(rootfsctl::layout::NodeType::kMap);
    return node;
  }
  const Node* node_;
};

class LayoutNodeAdapter : public BasicAdapter<LayoutNodeAdapter, LayoutNodeArray, LayoutNodeMember,
                                              LayoutNodeObject, LayoutNodeValue> {
 public:
  LayoutNodeAdapter() = default;
  explicit LayoutNodeAdapter(const rootfsctl::layout::Node& node)
      : BasicAdapter(LayoutNodeValue{node}) {}
};

// A list's items or a mapping's members by index; `at` says what one of them is.
template <typename Value, Value (*at)(const rootfsctl::layout::Node&, std::size_t)>
class LayoutNodeIterator {
 public:
  using iterator_category = std::bidirectional_iterator_tag;
  using value_type = Value;
  using difference_type = Value;
  using pointer = Value*;
  using reference = Value&;

  LayoutNodeIterator(const rootfsctl::layout::Node* node, std::size_t index)
      : node_(node), index_(index) {}

  Value operator*() const { return at(*node_, index_); }
  DerefProxy<Value> operator->() const { return DerefProxy<Value>(**this); }
  bool operator==(const LayoutNodeIterator& other) const { return index_ == other.index_; }
  bool operator!=(const LayoutNodeIterator& other) const { return index_ != other.index_; }
  const LayoutNodeIterator& operator++() {
    ++index_;
    return *this;
  }
  LayoutNodeIterator operator++(int) {
    LayoutNodeIterator before = *this;
    ++index_;
    return before;
  }
  const LayoutNodeIterator& operator--() {
    --index_;
    return *this;
  }
  void advance(std::ptrdiff_t n) {
    index_ = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(index_) + n);
  }

 private:
  const rootfsctl::layout::Node* node_;
  std::size_t index_;
};

inline LayoutNodeAdapter item_at(const rootfsctl::layout::Node& node, std::size_t index) {
  return LayoutNodeAdapter(node.items[index]);
}
inline LayoutNodeMember member_at(const rootfsctl::layout::Node& node, std::size_t index) {
  return {node.keys[index], LayoutNodeAdapter(node.items[index])};
}

template <>
struct AdapterTraits<LayoutNodeAdapter> {
  using DocumentType = rootfsctl::layout::Node;
  static std::string adapterName() { return "LayoutNodeAdapter"; }
};

inline bool LayoutNodeFrozenValue::equalTo(const Adapter& other, bool strict) const {
  return LayoutNodeAdapter(node_).equalTo(other, strict);
}

inline LayoutNodeArrayIterator LayoutNodeArray::begin() const { return {node_, 0}; }
inline LayoutNodeArrayIterator LayoutNodeArray::end() const { return {node_, node_->items.size()}; }
inline LayoutNodeMemberIterator LayoutNodeObject::begin() const { return {node_, 0}; }
inline LayoutNodeMemberIterator LayoutNodeObject::end() const {
  return {node_, node_->items.size()};
}
inline LayoutNodeMemberIterator LayoutNodeObject::find(const std::string& name) const {
  const rootfsctl::layout::Node* value = node_->find(name);
  if (value == nullptr) return end();
  return {node_, static_cast<std::size_t>(value - node_->items.data())};
}

}  // namespace valijson::adapters
