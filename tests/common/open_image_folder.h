#pragma once
// The main window lists an image folder off the GUI thread (MainWindow::openImageFolder): for a
// test that looks at the folder right after opening it, the open and the wait for its listing.
#include "widgets/main_window.h"

#include <QSignalSpy>
#include <QtTest/QtTest>

namespace intermap::test {

// True once `folder` is shown in `window` with its first image selected, or `image` when given;
// false with `error` set when it cannot be (not a folder, no images, no such image), or when its
// listing has not landed within two minutes.
inline bool openImageFolderAndWait(ui::MainWindow& window, const QString& folder, QString* error,
                                   const QString& image = QString()) {
    QSignalSpy opened(&window, &ui::MainWindow::imageFolderOpened);
    if (!window.openImageFolder(folder, error))
        return false;
    if (!image.isEmpty())
        window.selectImage(image);
    if (!QTest::qWaitFor([&] { return !opened.isEmpty(); }, 120000)) {
        *error = QStringLiteral("%1: not listed within two minutes").arg(folder);
        return false;
    }
    *error = opened.last().at(1).toString();
    return error->isEmpty();
}

} // namespace intermap::test
