#include "core/build_id.h"

#include <elf.h>
#include <link.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace rootfsctl {
namespace {

struct Search {
  std::uintptr_t address = 0;  // of code in the object wanted
  std::string id;
};

/// The build id in one PT_NOTE segment, or empty.
std::string note_build_id(const char* p, std::size_t size) {
  std::size_t at = 0;
  while (at + sizeof(ElfW(Nhdr)) <= size) {
    ElfW(Nhdr) header;
    std::memcpy(&header, p + at, sizeof header);
    const std::size_t name_at = at + sizeof header;
    const std::size_t desc_at = name_at + ((header.n_namesz + 3) & ~3u);
    const std::size_t next = desc_at + ((header.n_descsz + 3) & ~3u);
    if (next > size || next <= at) return {};
    if (header.n_type == NT_GNU_BUILD_ID && header.n_namesz == 4 &&
        std::memcmp(p + name_at, "GNU", 4) == 0) {
      return std::string(p + desc_at, header.n_descsz);
    }
    at = next;
  }
  return {};
}

bool contains(const dl_phdr_info* info, std::uintptr_t address) {
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const auto& ph = info->dlpi_phdr[i];
    const std::uintptr_t start = info->dlpi_addr + ph.p_vaddr;
    if (ph.p_type == PT_LOAD && address >= start && address - start < ph.p_memsz) return true;
  }
  return false;
}

int visit(dl_phdr_info* info, std::size_t, void* data) {
  auto* search = static_cast<Search*>(data);
  if (!contains(info, search->address)) return 0;
  for (int i = 0; i < info->dlpi_phnum && search->id.empty(); ++i) {
    const auto& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) continue;
    search->id =
        note_build_id(reinterpret_cast<const char*>(info->dlpi_addr + ph.p_vaddr), ph.p_memsz);
  }
  return 1;
}

std::string find_build_id() {
  // The object holding this very function: the binary when linked statically, the
  // shared library otherwise (its callers' builds do not change what it computes).
  Search search{reinterpret_cast<std::uintptr_t>(&find_build_id), {}};
  ::dl_iterate_phdr(visit, &search);
  return search.id;
}

}  // namespace

std::string_view build_id() {
  static const std::string id = find_build_id();
  return id;
}

}  // namespace rootfsctl
