#pragma once
// core's study vocabulary (method names and descriptions, init titles, image globs, target words)
// as the Qt strings widgets and item models show; each function only converts, so the words stay
// defined once in core/include/intermap.
#include "intermap/eval/study.h"
#include "intermap/explain/explain_options.h"
#include "intermap/util/image_files.h"

#include <QString>
#include <QStringList>

#include <string>
#include <vector>

namespace intermap::ui {

inline QStringList toQStringList(const std::vector<std::string>& words) {
    QStringList list;
    for (const auto& word : words)
        list << QString::fromStdString(word);
    return list;
}

// Every built-in method, in the comparison view's order.
inline QStringList builtinMethods() {
    return toQStringList(explain::builtinMethodNames());
}

inline QString methodTooltip(const QString& method) {
    return QString::fromStdString(explain::methodDescription(method.toStdString()));
}

// "*.png *.jpg ..." for file dialogs and QDir name filters.
inline QStringList imageNameFilters() {
    return QString::fromStdString(util::imageFileGlobs()).split(QLatin1Char(' '));
}

inline QString targetText(const std::optional<std::int64_t>& target) {
    return QString::fromStdString(explain::targetName(target));
}

} // namespace intermap::ui
