#pragma once
// Opens image folders in the comparison's image browser for the main window: the folder listed
// (ImageBrowser), then remembered among the recent folders, its sibling "masks" folder paired,
// said in the status bar and its first image selected. Failures go to the window's error report
// (a status bar message, and a dialog unless the platform is offscreen).
#include <QObject>
#include <QString>

#include <functional>

class QStatusBar;

namespace intermap::ui {

class ImageBrowser;
class RecentFiles;

class ImageFolderOpener : public QObject {
    Q_OBJECT
public:
    using ErrorReport = std::function<void(const QString& title, const QString& message)>;
    // Everything given outlives the opener (the main window owns them all).
    ImageFolderOpener(ImageBrowser* browser, RecentFiles* recent, QStatusBar* statusBar, ErrorReport reportError,
                      QObject* parent);

    // Lists the folder on the GUI thread (a second at 10^5 images): for callers that select an
    // image right after (sessions, the command line, the Evaluate page, tests). Returns false when
    // it cannot be opened: `error` says why, or the error report when `error` is null.
    bool openNow(const QString& folder, QString* error);
    // The user's choice (File > Open images, recent folders): listed off the GUI thread
    // (ImageBrowser::listFolder), then opened as openNow does, its first image selected; a
    // failure goes to the error report.
    void openInBackground(const QString& folder);
    // The folder shown, absolute; empty before the first.
    QString folder() const { return m_folder; }

private:
    void folderShown(const QString& folder); // what follows a folder's listing, either way

    ImageBrowser* m_browser;
    RecentFiles* m_recent;
    QStatusBar* m_statusBar;
    ErrorReport m_reportError;
    QString m_folder;
};

} // namespace intermap::ui
