#pragma once
// The Chefer precision picker of the comparison and evaluation pages: its items, default and
// tooltip come from explain/precision.h, the one definition the CLI uses too.
#include "intermap/explain/precision.h"

#include <QComboBox>
#include <QString>

namespace intermap::ui {

inline QComboBox* makePrecisionCombo(QWidget* parent) {
    auto* combo = new QComboBox(parent);
    combo->addItem(QObject::tr("float64 (exact)"), QString::fromLatin1(explain::precisionName(explain::Precision::Float64)));
    combo->addItem(QObject::tr("float32 (the study's)"), QString::fromLatin1(explain::precisionName(explain::Precision::Float32)));
    combo->setToolTip(QString::fromLatin1(explain::precisionHelp()));
    combo->setCurrentIndex(combo->findData(QString::fromLatin1(explain::precisionName(explain::kDefaultCheferPrecision))));
    return combo;
}

inline explain::Precision comboPrecision(const QComboBox* combo) {
    return explain::parsePrecision(combo->currentData().toString().toStdString()).value_or(explain::kDefaultCheferPrecision);
}

inline void setComboPrecision(QComboBox* combo, explain::Precision precision) {
    combo->setCurrentIndex(combo->findData(QString::fromLatin1(explain::precisionName(precision))));
}

// A saved session's or form's value ("float32"/"float64"); the default when absent or unknown.
inline explain::Precision precisionFromText(const QString& text) {
    return explain::parsePrecision(text.toStdString()).value_or(explain::kDefaultCheferPrecision);
}

} // namespace intermap::ui
