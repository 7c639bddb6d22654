#include "widgets/image_folder_opener.h"

#include "widgets/image_browser.h"
#include "widgets/recent_files.h"

#include <QFileInfo>
#include <QStatusBar>

namespace intermap::ui {
namespace {

// Masks next to the images (a sibling "masks" folder) are picked up automatically; "" when there is none.
QString siblingMaskFolder(const QString& imageFolder) {
    const QString masks = QFileInfo(imageFolder).absolutePath() + QStringLiteral("/masks");
    return QFileInfo(masks).isDir() ? masks : QString();
}

} // namespace

ImageFolderOpener::ImageFolderOpener(ImageBrowser* browser, RecentFiles* recent, QStatusBar* statusBar,
                                     ErrorReport reportError, QObject* parent)
    : QObject(parent), m_browser(browser), m_recent(recent), m_statusBar(statusBar), m_reportError(std::move(reportError)) {
    connect(m_browser, &ImageBrowser::folderListed, this, &ImageFolderOpener::listingLanded);
}

bool ImageFolderOpener::open(const QString& folder, QString* error, const QString& maskFolder) {
    if (!QFileInfo(folder).isDir()) {
        const QString message = ImageBrowser::notAFolderError(folder);
        if (error)
            *error = message;
        else
            m_reportError(tr("Cannot open the image folder"), message);
        return false;
    }
    m_pending = PendingOpen{folder, QString()}; // an earlier open's selection goes with its listing
    m_statusBar->showMessage(tr("Listing %1…").arg(folder));
    // The sibling "masks" folder (folderShown) is paired in the same listing, off the GUI thread.
    if (!maskFolder.isEmpty())
        startListing(maskFolder);
    else
        startListing(m_browser->maskFolder().isEmpty() ? siblingMaskFolder(folder) : m_browser->maskFolder());
    return true;
}

bool ImageFolderOpener::pairMasks(const QString& maskFolder) {
    if (!m_pending) {
        if (m_folder.isEmpty())
            return false;
        const ImageEntry* current = m_browser->current();
        m_pending = PendingOpen{m_folder, current ? current->relativePath : QString()};
        m_statusBar->showMessage(tr("Pairing %1 with the masks in %2…").arg(m_folder, maskFolder));
    }
    startListing(maskFolder); // supersedes a listing under way; the browser keeps only the latest's result
    return true;
}

void ImageFolderOpener::startListing(const QString& maskFolder) {
    m_browser->listFolder(m_pending->folder, maskFolder); // then folderListed
}

bool ImageFolderOpener::selectImage(const QString& name) {
    if (m_pending) {
        m_pending->image = name;
        return true;
    }
    return m_browser->selectByName(name);
}

void ImageFolderOpener::listingLanded(const QString& folder, const QString& error) {
    // The browser says only its latest listing's outcome, and the window lists through this opener
    // alone: this is the pending open's (a listing asked of the browser directly, as tests do,
    // carries no selection).
    const QString image = m_pending && m_pending->folder == folder ? m_pending->image : QString();
    m_pending.reset();
    // On failure opened() is said before the report: a scripted run ends on it (exit 2) rather than
    // behind the report's dialog, which waits for a click on a real display.
    if (!error.isEmpty()) {
        Q_EMIT opened(folder, error);
        m_statusBar->clearMessage();
        m_reportError(tr("Cannot open the image folder"), error);
        return;
    }
    folderShown(folder);
    if (!image.isEmpty() && m_browser->selectByName(image)) {
        Q_EMIT opened(folder, QString());
        return;
    }
    m_browser->selectIndex(0); // one selection, one map request: the named image, else the first
    if (image.isEmpty()) {
        Q_EMIT opened(folder, QString());
        return;
    }
    const QString message = tr("no image '%1' in %2").arg(image, folder);
    Q_EMIT opened(folder, message);
    m_reportError(tr("Image not found"), message);
}

void ImageFolderOpener::folderShown(const QString& folder) {
    m_recent->remember(RecentFiles::Kind::Images, folder);
    m_folder = QFileInfo(folder).absoluteFilePath();
    if (m_browser->maskFolder().isEmpty() && !siblingMaskFolder(folder).isEmpty())
        m_browser->setMaskFolder(siblingMaskFolder(folder));
    m_statusBar->showMessage(tr("%1 images in %2").arg(m_browser->entries().size()).arg(folder), 8000);
}

} // namespace intermap::ui
