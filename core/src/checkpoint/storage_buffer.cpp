#include "intermap/model/checkpoint_format.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>

namespace intermap::checkpoint {
namespace {

// Transparent huge pages are 2 MiB on x86-64; a buffer of at least one is mapped on its own,
// aligned to that size, so that the kernel can back it with huge pages (madvise mode, Debian's
// default) and a storage costs one fault per 2 MiB instead of one per 4 KiB.
constexpr std::size_t kHugePage = std::size_t{2} << 20;

} // namespace

StorageBuffer::StorageBuffer(std::size_t size) : m_size(size) {
    if (size < kHugePage) {
        // Default-initialised: not zeroed, the caller writes every byte.
        m_data = size > 0 ? new std::uint8_t[size] : nullptr;
        return;
    }
    if (size > SIZE_MAX - kHugePage)
        throw std::bad_alloc();
    m_mappingSize = size + kHugePage;
    void* mapping = mmap(nullptr, m_mappingSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapping == MAP_FAILED)
        throw std::bad_alloc();
    m_mapping = mapping;
    const auto address = reinterpret_cast<std::uintptr_t>(mapping);
    m_data = reinterpret_cast<std::uint8_t*>((address + kHugePage - 1) & ~(kHugePage - 1));
#ifdef MADV_HUGEPAGE
    madvise(m_data, size, MADV_HUGEPAGE); // a hint: failure costs only speed
#endif
}

StorageBuffer::StorageBuffer(const std::uint8_t* first, const std::uint8_t* last)
    : StorageBuffer(static_cast<std::size_t>(last - first)) {
    if (m_size > 0)
        std::memcpy(m_data, first, m_size);
}

StorageBuffer::~StorageBuffer() {
    if (m_mapping)
        munmap(m_mapping, m_mappingSize);
    else
        delete[] m_data;
}

} // namespace intermap::checkpoint
