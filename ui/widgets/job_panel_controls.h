#pragma once
// What the long-job panels (training, evaluation) repeat around their form: the status line,
// Start/Cancel wired to the panel's start()/cancel(), and the words of an export's outcome.
// Header-only; widgets only.
#include <QLabel>
#include <QObject>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QString>
#include <QVBoxLayout>

namespace intermap::ui {

// Lays `panel` out as the job pages are: `form` on the left, scrolled vertically and never narrower
// than it needs, `results` on the right taking the spare width.
inline void layOutFormAndResults(QWidget* panel, QWidget* form, QWidget* results) {
    auto* splitter = new QSplitter(Qt::Horizontal, panel);
    auto* formScroll = new QScrollArea(splitter);
    formScroll->setWidgetResizable(true);
    formScroll->setWidget(form);
    formScroll->setMinimumWidth(form->sizeHint().width() + 24);
    formScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    splitter->addWidget(formScroll);
    splitter->addWidget(results);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({420, 1000});
    auto* layout = new QVBoxLayout(panel);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(splitter);
}

// The panel's status line: rich text, wrapped, selectable (a path or an error can be copied).
inline QLabel* makeStatusLabel(const QString& text, const QString& objectName, QWidget* parent) {
    auto* status = new QLabel(text, parent);
    status->setObjectName(objectName);
    status->setWordWrap(true);
    status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return status;
}

// Start runs panel->start(QString* error) and shows a refusal in `status`; Cancel runs panel->cancel().
template <typename Panel>
void connectStartAndCancel(Panel* panel, QPushButton* start, QPushButton* cancel, QLabel* status) {
    QObject::connect(start, &QPushButton::clicked, panel, [panel, status] {
        QString error;
        if (panel->start(&error) < 0)
            status->setText(QObject::tr("<b>Cannot start:</b> %1").arg(error.toHtmlEscaped()));
    });
    QObject::connect(cancel, &QPushButton::clicked, panel, [panel] { panel->cancel(); });
}

// "Exported PATH" or "Export failed: ERROR", for the status line.
inline QString exportOutcome(bool written, const QString& path, const QString& error) {
    return written ? QObject::tr("Exported %1").arg(path.toHtmlEscaped())
                   : QObject::tr("<b>Export failed</b>: %1").arg(error.toHtmlEscaped());
}

} // namespace intermap::ui
