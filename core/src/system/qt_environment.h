#pragma once
// The Qt facts of the system report, asked of Qt Core alone: no QGuiApplication is created and
// no platform plugin is loaded (loading xcb without a display aborts the process).
#include "intermap/system/system_report.h"

#include <vector>

namespace intermap::system {

// The platform plugins by file name in QLibraryInfo's plugin folder, and the display variables.
QtPlatforms probeQtPlatforms();

// The folders the running application writes without being told (QStandardPaths, QSettings),
// each checked with isWritableFolder.
std::vector<FolderAccess> probeApplicationFolders();

} // namespace intermap::system
