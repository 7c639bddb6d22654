#include "widgets/launch_files.h"

#include "widgets/main_window.h"

#include "intermap/util/image_files.h"

#include <QCoreApplication>
#include <QFileInfo>

namespace intermap::ui {
namespace {

QString tr(const char* text) {
    return QCoreApplication::translate("intermap::ui::LaunchFiles", text);
}

} // namespace

LaunchFile classifyLaunchFile(const QString& path) {
    LaunchFile file;
    const QFileInfo info(path);
    file.path = info.absoluteFilePath();
    if (!info.exists()) {
        file.problem = tr("%1: no such file or folder").arg(path);
        return file;
    }
    if (info.isDir()) {
        file.kind = LaunchFile::Kind::ImageFolder;
        file.folder = file.path;
        return file;
    }
    if (info.suffix().compare(QStringLiteral("intermap"), Qt::CaseInsensitive) == 0) {
        file.kind = LaunchFile::Kind::Session;
        return file;
    }
    if (util::isImageFile(file.path.toStdString())) {
        file.kind = LaunchFile::Kind::Image;
        file.folder = info.absolutePath();
        return file;
    }
    file.problem = tr("%1: not a session (.intermap), an image (%2) or a DICOM file, nor a folder")
                       .arg(path, QString::fromStdString(util::imageExtensionsText()));
    return file;
}

QStringList openLaunchFiles(MainWindow& window, const QStringList& paths) {
    QStringList problems;
    QString openedFolder;
    QStringList shownInTurn; // the folders and sessions opened, each once: the window shows the last
    const auto opened = [&shownInTurn](const QString& path) {
        shownInTurn.removeAll(path);
        shownInTurn << path;
    };
    for (const QString& path : paths) {
        const LaunchFile file = classifyLaunchFile(path);
        QString error;
        switch (file.kind) {
        case LaunchFile::Kind::Unusable:
            problems << file.problem;
            break;
        case LaunchFile::Kind::Session:
            if (window.loadSession(file.path, &error))
                opened(file.path);
            else
                problems << error;
            openedFolder.clear();
            break;
        case LaunchFile::Kind::ImageFolder:
            if (window.openImageFolder(file.folder, &error)) {
                openedFolder = file.folder;
                opened(file.folder);
            } else
                problems << error;
            break;
        case LaunchFile::Kind::Image:
            if (file.folder != openedFolder) {
                if (!window.openImageFolder(file.folder, &error)) {
                    problems << error;
                    break;
                }
                openedFolder = file.folder;
            }
            opened(file.folder);
            // Its folder, opened just now, is still listing: the image is selected when that lands,
            // and the window reports it then if the listing lacks it.
            window.selectImage(QFileInfo(file.path).fileName());
            break;
        }
    }
    // Said rather than left to be noticed: an earlier folder is neither listed nor checked (one
    // without images would otherwise pass unreported).
    if (shownInTurn.size() > 1) {
        const QString shown = shownInTurn.takeLast();
        problems << tr("one image folder is shown at a time: %1 (given last); not shown: %2")
                        .arg(shown, shownInTurn.join(QStringLiteral(", ")));
    }
    return problems;
}

} // namespace intermap::ui
