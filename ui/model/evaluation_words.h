#pragma once
// core's evaluation vocabulary (metric titles, the study's inits, method choices and baselines)
// as the Qt strings the evaluation panel, its item models and charts show. Each function only
// converts: the words stay defined once, in core/include/intermap/eval. Torch-free.
#include "intermap/eval/metric_columns.h"
#include "intermap/eval/study.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <string>
#include <vector>

// A nested namespace: ui/model/vocabulary.h (another part of the GUI) may define converters of
// the same shape in intermap::ui.
namespace intermap::ui::words {

inline QStringList fromStd(const std::vector<std::string>& words) {
    QStringList list;
    for (const auto& word : words)
        list << QString::fromStdString(word);
    return list;
}

inline QString metricTitle(const QString& column) {
    return QString::fromStdString(eval::columns::title(column.toStdString()));
}

// The row title of a baseline ("centre baseline") in tables, curves and exports.
inline QString baselineTitle(const QString& baseline) {
    return QObject::tr("%1 baseline").arg(baseline);
}

inline QStringList baselines() {
    return fromStd(eval::study::baselines());
}

inline QStringList studyInits() {
    return fromStd(eval::study::inits());
}

inline QString initTitle(const QString& init) {
    return QString::fromStdString(eval::study::initTitle(init.toStdString()));
}

inline QStringList evaluationMethodChoices() {
    return fromStd(eval::study::evaluationMethodChoices());
}

} // namespace intermap::ui::words
