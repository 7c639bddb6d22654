#pragma once
// What the application remembers between runs (QSettings, the user's configuration): the last
// folder or file of each kind a dialog opened, the File ▸ Recent list, and the window's layout.
// The only class of the window that reads or writes QSettings.
#include <QByteArray>
#include <QObject>
#include <QString>
#include <QVector>

namespace intermap::ui {

class RecentFiles : public QObject {
    Q_OBJECT
public:
    // Images, masks, checkpoints and weights folders go on the Recent list; the session and the
    // export file are remembered only as their dialogs' starting point.
    enum class Kind { Images, Masks, Checkpoint, Weights, Session, Export };
    struct Entry {
        Kind kind;
        QString path;
    };
    static constexpr int kListLength = 10;

    using QObject::QObject;

    QString last(Kind kind) const;
    void remember(Kind kind, const QString& path);
    QVector<Entry> list() const; // most recent first
    static QString kindName(Kind kind); // the settings key and the menu's label

    // The window's geometry and dock state (QMainWindow::saveGeometry/saveState); empty when
    // none was saved yet.
    QByteArray windowGeometry() const;
    QByteArray windowState() const;
    void rememberWindow(const QByteArray& geometry, const QByteArray& state);

Q_SIGNALS:
    void listChanged();
};

} // namespace intermap::ui
