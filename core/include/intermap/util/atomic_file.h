#pragma once
// Atomic file replacement: write to a temporary file in the same directory, flush it to disk,
// then rename over the destination. A reader never sees a half-written file and a crash or a
// cancelled job leaves either the old file or the new one.
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
