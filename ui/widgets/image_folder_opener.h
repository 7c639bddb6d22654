#pragma once
// Opens image folders in the comparison's image browser for the main window, never listing on the
// GUI thread (issue 23: a folder of 10^5 images takes about a second to walk, sort and pair with
// masks). The folder is listed on Qt's pool (ImageBrowser::listFolder), the previous one staying
// shown meanwhile; when that listing lands the folder is remembered among the recent folders, its
// sibling "masks" folder paired, said in the status bar, and an image selected: the one asked for
// while it listed (a pending selection: a session's, the command line's, the Evaluate page's),
// else the first. Failures go to the window's error report (a status bar message, and a dialog
// unless the platform is offscreen) and to opened().
#include <QObject>
#include <QString>

#include <functional>
#include <optional>

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

    // Starts listing `folder` and returns; opened() follows when the listing lands. A later open
    // supersedes this one: its listing's result and its pending selection are dropped, never
    // applied. Returns false at once when `folder` is not a folder (`error` says why, or the error
    // report when `error` is null); the folder shown and an open under way then stay as they are.
    // `maskFolder`: the masks to pair in the listing; by default the browser's, else a sibling
    // "masks" folder.
    bool open(const QString& folder, QString* error = nullptr, const QString& maskFolder = QString());
    bool isOpening() const { return m_pending.has_value(); }
    // Pairs `maskFolder`'s masks off the GUI thread (a mask folder of 10^5 files takes about a
    // second to walk): while a folder is being listed, its listing starts over with them (its
    // pending selection kept, the folder still shown left as it is); otherwise the folder shown
    // is listed again with them, its selected image kept, and opened() follows as for an open.
    // Returns false when no folder is shown or being listed.
    bool pairMasks(const QString& maskFolder);
    // While a folder is being listed, `name` (relative path, file name or stem) becomes the image
    // selected when it lands, replacing the first image or an earlier choice, and true is
    // returned: a name the folder lacks is reported then. Otherwise selects it in the folder
    // shown; false when that has no image of the name.
    bool selectImage(const QString& name);
    // The folder shown, absolute; empty before the first.
    QString folder() const { return m_folder; }

Q_SIGNALS:
    // An open's outcome, once its listing has landed. `error` is empty when `folder` is shown with
    // the image asked for (or the first) selected; else it says what went wrong, naming the folder
    // or the image: not a folder or no images (the previous folder still shown), or no image of
    // the name asked for (the folder shown, its first image selected). Not said for a superseded open.
    void opened(const QString& folder, const QString& error);

private:
    struct PendingOpen {
        QString folder;
        QString image; // empty: the first
    };
    void startListing(const QString& maskFolder);
    void listingLanded(const QString& folder, const QString& error);
    void folderShown(const QString& folder);

    ImageBrowser* m_browser;
    RecentFiles* m_recent;
    QStatusBar* m_statusBar;
    ErrorReport m_reportError;
    QString m_folder;
    std::optional<PendingOpen> m_pending; // the open whose listing runs
};

} // namespace intermap::ui
