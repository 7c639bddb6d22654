#include "widgets/path_row.h"

#include <QFileDialog>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>

namespace intermap::ui {

PathRow makePathRow(QWidget* parent, QLineEdit* edit, PathKind kind, const QString& caption, const QString& filter) {
    auto* browse = new QPushButton(QObject::tr("…"), parent);
    browse->setToolTip(caption);
    QObject::connect(browse, &QPushButton::clicked, edit, [parent, edit, kind, caption, filter] {
        const QString chosen = kind == PathKind::Folder ? QFileDialog::getExistingDirectory(parent, caption, edit->text())
                                                        : QFileDialog::getOpenFileName(parent, caption, edit->text(), filter);
        if (!chosen.isEmpty())
            edit->setText(chosen);
    });
    auto* layout = new QHBoxLayout;
    layout->addWidget(edit, 1);
    layout->addWidget(browse);
    return {layout, browse};
}

} // namespace intermap::ui
