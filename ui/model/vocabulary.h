#pragma once
// core's vocabulary (method names and descriptions, metric titles, the study's inits, method
// choices and baselines, image globs, target words) as the Qt strings the widgets, item models and
// charts show; each function only converts, so the words stay defined once in
// core/include/intermap.
#include "intermap/eval/metric_columns.h"
#include "intermap/eval/study.h"
#include "intermap/explain/explain_options.h"
#include "intermap/util/image_files.h"

#include <QObject>
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

inline QString metricTitle(const QString& column) {
    return QString::fromStdString(eval::columns::title(column.toStdString()));
}

// The row title of a baseline ("centre baseline") in tables, curves and exports.
inline QString baselineTitle(const QString& baseline) {
    return QObject::tr("%1 baseline").arg(baseline);
}

inline QStringList baselines() {
    return toQStringList(eval::study::baselines());
}

inline QStringList studyInits() {
    return toQStringList(eval::study::inits());
}

inline QString initTitle(const QString& init) {
    return QString::fromStdString(eval::study::initTitle(init.toStdString()));
}

inline QStringList evaluationMethodChoices() {
    return toQStringList(eval::study::evaluationMethodChoices());
}

} // namespace intermap::ui
