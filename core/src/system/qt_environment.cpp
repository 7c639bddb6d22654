#include "qt_environment.h"

#include <QDir>
#include <QFileInfo>
#include <QLibraryInfo>
#include <QSettings>
#include <QStandardPaths>
#include <QtGlobal>

namespace intermap::system {

QtPlatforms probeQtPlatforms() {
    QtPlatforms qt;
    qt.qtVersion = qVersion();
    const QString folder = QLibraryInfo::path(QLibraryInfo::PluginsPath) + QStringLiteral("/platforms");
    qt.pluginFolder = folder.toStdString();
    // libqxcb.so -> "xcb": the name QT_QPA_PLATFORM and -platform take.
    for (const QString& file : QDir(folder).entryList({QStringLiteral("libq*.so")}, QDir::Files, QDir::Name))
        qt.plugins.push_back(file.mid(4, file.size() - 4 - 3).toStdString());
    qt.display = qEnvironmentVariable("DISPLAY").toStdString();
    qt.waylandDisplay = qEnvironmentVariable("WAYLAND_DISPLAY").toStdString();
    qt.requestedPlatform = qEnvironmentVariable("QT_QPA_PLATFORM").toStdString();
    return qt;
}

std::vector<FolderAccess> probeApplicationFolders() {
    const QString settingsFolder = QFileInfo(QSettings().fileName()).absolutePath();
    const std::vector<std::pair<const char*, QString>> folders{
        {"settings", settingsFolder},
        {"data (Trust runs)", QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation)},
        {"cache", QStandardPaths::writableLocation(QStandardPaths::CacheLocation)}};
    std::vector<FolderAccess> access;
    for (const auto& [purpose, path] : folders) {
        FolderAccess folder;
        folder.purpose = purpose;
        folder.path = path.toStdString();
        if (folder.path.empty())
            folder.reason = "Qt knows no such folder on this system (is HOME set?)";
        else
            folder.writable = isWritableFolder(folder.path, &folder.reason);
        access.push_back(folder);
    }
    return access;
}

} // namespace intermap::system
