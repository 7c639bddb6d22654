#pragma once
// The message of the intermap::UsageError a call throws, for tests of argument checking.
#include "intermap/util/errors.h"

#include <QString>

#include <functional>

namespace intermap::test {

// Empty when `call` throws no UsageError (any other exception passes through).
inline QString usageErrorOf(const std::function<void()>& call) {
    try {
        call();
    } catch (const UsageError& error) {
        return QString::fromUtf8(error.what());
    }
    return {};
}

} // namespace intermap::test
