#pragma once
// What `intermap FILE...` opens: the files a file manager or the desktop entry's %F hands over.
// A session (.intermap), an image or DICOM file (its folder is opened and it is selected), or a
// folder (opened as the image folder). Anything else is a problem to report, never a reason not
// to start.
#include <QString>
#include <QStringList>

namespace intermap::ui {

class MainWindow;

struct LaunchFile {
    enum class Kind { Session, ImageFolder, Image, Unusable };
    Kind kind = Kind::Unusable;
    QString path;    // absolute
    QString folder;  // Image: the folder opened; ImageFolder: the path itself
    QString problem; // Unusable: what is wrong, naming the file
};

// Decides from the file system alone (an image without an image extension is taken when it starts
// like a DICOM file).
LaunchFile classifyLaunchFile(const QString& path);

// Opens each file in order in `window` (the last one decides what is shown; several images of one
// folder open it once and the last is selected). Returns one message per file that could not be
// opened; the window is usable whatever happened. Folders are listed off the GUI thread, the image
// to select waiting for its folder (MainWindow::openImageFolder): what only the listing can tell
// (no images, the image not in the folder) the window reports when it lands, and only for the
// folder shown last, which supersedes the listings of the folders before it. Files that name
// several folders (or sessions) get one message naming the folder shown and those superseded.
QStringList openLaunchFiles(MainWindow& window, const QStringList& paths);

} // namespace intermap::ui
