#pragma once
// Rows the panels' forms repeat: a named folder/file field with its "…" button, and a row of
// checkboxes for a list of choices. Header-only; widgets only.
#include "widgets/path_row.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QStringList>
#include <QVector>

namespace intermap::ui {

// Adds `label`: a line edit (object name `objectName` for tests and scripts, `placeholder` as its
// hint) with a browse button titled `caption`; returns the line edit.
inline QLineEdit* addPathRow(QFormLayout* form, QWidget* parent, const QString& label, const QString& objectName,
                             const QString& placeholder, PathKind kind, const QString& caption) {
    auto* edit = new QLineEdit(parent);
    edit->setObjectName(objectName);
    edit->setPlaceholderText(placeholder);
    form->addRow(label, makePathRow(parent, edit, kind, caption).layout);
    return edit;
}

// Adds `label`: one checkbox per choice (its text = the choice), in order; returns them.
inline QVector<QCheckBox*> addCheckBoxRow(QFormLayout* form, QWidget* parent, const QString& label,
                                          const QStringList& choices) {
    auto* row = new QHBoxLayout;
    QVector<QCheckBox*> boxes;
    for (const QString& choice : choices) {
        auto* box = new QCheckBox(choice, parent);
        row->addWidget(box);
        boxes << box;
    }
    form->addRow(label, row);
    return boxes;
}

} // namespace intermap::ui
