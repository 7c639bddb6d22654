#pragma once
// The line a user sees for a failure caught as std::exception. LibTorch's c10::Error::what()
// appends a C++ backtrace ("Exception raised from ... (most recent call first): frame #0 ..."),
// and messages that quoted it carry it along; an allocation failure says only "std::bad_alloc".
// Standard library only, so that any layer can phrase its messages with it.
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>

namespace intermap::util {

// `text` up to LibTorch's backtrace, if it has one.
inline std::string withoutBacktrace(std::string_view text) {
    const auto backtrace = text.find("\nException raised from ");
    std::string kept(text.substr(0, backtrace));
    while (!kept.empty() && (kept.back() == '\n' || kept.back() == ' '))
        kept.pop_back();
    return kept;
}

inline std::string userMessage(const std::exception& failure) {
    if (dynamic_cast<const std::bad_alloc*>(&failure))
        return "out of memory: an allocation failed (" + std::string(failure.what()) +
               "); try a smaller input, fewer images at once or fewer threads";
    return withoutBacktrace(failure.what());
}

} // namespace intermap::util
