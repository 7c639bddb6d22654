#pragma once
// Atomic, durable file replacement: write to a new temporary file in the same directory (created
// with O_EXCL|O_NOFOLLOW, so nothing placed at its name is written through), fsync it, close it
// (both checked), rename it over the destination and fsync the directory. A reader never sees a
// half-written file; a crash, a full disk or a cancelled job leaves either the old file or the
// new one. A replaced file keeps its permission bits.
#include <cstddef>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>

namespace intermap {

// Calls `write` with a stream on a temporary file next to `path`, then renames it to `path`.
// Throws intermap::Error naming `path` if anything fails; the temporary file is removed.
void writeFileAtomically(const std::string& path, const std::function<void(std::ostream&)>& write);

// Convenience for a byte buffer that is already in memory.
void writeFileAtomically(const std::string& path, std::string_view bytes);

} // namespace intermap
