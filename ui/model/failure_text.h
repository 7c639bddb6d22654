#pragma once
// The text the desktop application shows for a failure caught as std::exception: the CLI's line
// (util::userMessage: no LibTorch backtrace, "out of memory" for an allocation failure), so a
// job, worker or dialog never shows a C++ backtrace. Every GUI catch that shows a message uses it.
#include "intermap/util/user_message.h"

#include <QString>

#include <exception>

namespace intermap::ui {

inline QString failureText(const std::exception& failure) {
    return QString::fromStdString(util::userMessage(failure));
}

} // namespace intermap::ui
