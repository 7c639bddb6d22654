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
    connect(m_browser, &ImageBrowser::folderListed, this, [this](const QString& folder, const QString& error) {
        if (!error.isEmpty()) {
            m_statusBar->clearMessage();
            m_reportError(tr("Cannot open the image folder"), error);
            return;
        }
        folderShown(folder);
    });
}

bool ImageFolderOpener::openNow(const QString& folder, QString* error) {
    QString message;
    if (!m_browser->openFolder(folder, &message)) {
        if (error)
            *error = message;
        else
            m_reportError(tr("Cannot open the image folder"), message);
        return false;
    }
    folderShown(folder);
    return true;
}

void ImageFolderOpener::openInBackground(const QString& folder) {
    m_statusBar->showMessage(tr("Listing %1…").arg(folder));
    // The sibling "masks" folder (folderShown) is paired in the same listing, off the GUI thread.
    const QString masks = m_browser->maskFolder().isEmpty() ? siblingMaskFolder(folder) : m_browser->maskFolder();
    m_browser->listFolder(folder, masks); // then folderListed
}

void ImageFolderOpener::folderShown(const QString& folder) {
    m_recent->remember(RecentFiles::Kind::Images, folder);
    m_folder = QFileInfo(folder).absoluteFilePath();
    if (m_browser->maskFolder().isEmpty() && !siblingMaskFolder(folder).isEmpty())
        m_browser->setMaskFolder(siblingMaskFolder(folder));
    m_statusBar->showMessage(tr("%1 images in %2").arg(m_browser->entries().size()).arg(folder), 8000);
    m_browser->selectIndex(0);
}

} // namespace intermap::ui
