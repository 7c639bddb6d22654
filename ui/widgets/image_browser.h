#pragma once
// The image list: a folder of images (flat, or one sub-folder per class, sorted by relative
// path), optionally paired by file stem with a mask folder; thumbnails decoded off the GUI
// thread for the rows shown; prediction and correctness shown once computed; filters; next/previous. A view over
// ImageListModel through ImageFilterProxy (ui/model/image_list_model.h), where the list lives.
#include "model/image_list_model.h"

#include <QString>
#include <QStringList>
#include <QVector>
#include <QWidget>

#include <memory>

class QCheckBox;
class QComboBox;
class QListView;
class QLabel;

namespace intermap::ui {

class ImageBrowser : public QWidget {
    Q_OBJECT
public:
    explicit ImageBrowser(QWidget* parent = nullptr);
    ~ImageBrowser() override; // stops the thumbnail decoding

    // Lists `folder` on Qt's pool and shows it when done, then folderListed. A folder of 10^5
    // images takes about a second to walk, sort (natural order) and pair with masks, which the GUI
    // thread must not wait for; meanwhile the previous folder stays shown and usable and the
    // summary says "Listing <folder>…". A later call supersedes a listing still running: its
    // result is dropped, never shown. `maskFolder`: the masks to pair with, the browser's mask
    // folder once the listing lands (unless setMaskFolder chose another meanwhile). There is no
    // listing on the GUI thread: a caller that selects an image in the folder waits for
    // folderListed (ImageFolderOpener's pending selection).
    void listFolder(const QString& folder, const QString& maskFolder);
    // What folderListed says for a path that is not a folder (said at once, by listFolder itself).
    static QString notAFolderError(const QString& folder);
    bool isListing() const { return m_listingRunning; }
    void setMaskFolder(const QString& folder);
    QString folder() const { return m_folder; }
    QString maskFolder() const { return m_maskFolder; }
    const QVector<ImageEntry>& entries() const { return m_images->entries(); }
    QStringList classNames() const { return m_images->classNames(); }
    int currentIndex() const { return m_current; }
    const ImageEntry* current() const;
    // The images selected in the list (Ctrl+click, Shift+click), in the folder's order, among those
    // the filter shows; the current image when no other is selected. For runs over several
    // images (the Trust page).
    QStringList selectedPaths() const;
    // Selects by relative path, file name or stem; false when nothing matches.
    bool selectByName(const QString& name);
    void selectIndex(int entryIndex);
    void setPrediction(const QString& path, int predictedClass);
    void clearPredictions(); // another model: earlier predictions no longer apply
    int visibleCount() const;

public Q_SLOTS:
    void selectNext();
    void selectPrevious();

Q_SIGNALS:
    void currentChanged(int entryIndex);
    // listFolder's outcome: `error` empty when `folder` is shown, else why not (not a folder, no
    // images), the previous folder still shown. Not said for superseded listings.
    void folderListed(const QString& folder, const QString& error);

protected:
    void showEvent(QShowEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    // What a listing makes, on whichever thread: the entries paired with `maskFolder`'s masks.
    struct Listing {
        QVector<ImageEntry> entries;
        QStringList classes;
        QString maskFolder;
    };
    static Listing listOnce(const QString& folder, const QString& maskFolder);
    QString noImagesError(const QString& folder) const;
    void showListing(const QString& folder, Listing listing);
    void showSummary();
    void applyFilter();
    // Thumbnails are decoded for the rows the list draws (ImageListModel::thumbnailWanted), on
    // Qt's pool, the latest asked first (the rows on screen now).
    void startThumbnails(const QVector<ImageEntry>& folderEntries);
    void decodeThumbnail(int row);
    void selectRow(int row); // a row of the shown (filtered) list
    void scrollToCurrentLater();
    ImageFilter filter() const; // as the pickers are set

    QString m_folder;
    QString m_maskFolder;
    ImageListModel* m_images;
    ImageFilterProxy* m_shown;
    int m_current = -1;
    quint64 m_folderGeneration = 0;
    quint64 m_listing = 0; // the latest listing asked for: only its result is shown
    bool m_listingRunning = false;
    struct ThumbnailQueue;
    std::shared_ptr<ThumbnailQueue> m_thumbnailQueue; // this folder's, shared with the decoding task
    QComboBox* m_classFilter;
    QComboBox* m_correctnessFilter;
    QCheckBox* m_maskFilter;
    QListView* m_list;
    QLabel* m_summary;
};

} // namespace intermap::ui
