#pragma once
// A path field of the forms: a line edit and a "…" button that opens a folder or file dialog
// starting at the field's current path.
#include <QString>

class QHBoxLayout;
class QLineEdit;
class QPushButton;
class QWidget;

namespace intermap::ui {

enum class PathKind { Folder, File };

struct PathRow {
    QHBoxLayout* layout;
    QPushButton* browse;
};

// `filter` is the file dialog's name filter (PathKind::File only).
PathRow makePathRow(QWidget* parent, QLineEdit* edit, PathKind kind, const QString& caption,
                    const QString& filter = QString());

} // namespace intermap::ui
