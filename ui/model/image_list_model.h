#pragma once
// The image browser's list as item models (MRtrix3's list_model_base pattern): ImageListModel
// holds the opened folder's entries with their thumbnails and predictions, ImageFilterProxy shows
// the ones the browser's filter accepts. The widget only draws them; both are tested without it.
#include "model/image_filter.h"

#include <QAbstractListModel>
#include <QHash>
#include <QImage>
#include <QSet>
#include <QSortFilterProxyModel>
#include <QVector>

#include <deque>

namespace intermap::ui {

// The browser's order, as file managers list names (Dolphin, Nautilus): runs of digits compare
// as numbers ("img_2" before "img_10"), letters without regard to case, and a folder's entries
// before those of a folder whose name only starts like it ('/' first). Names equal in that order
// (differing only in case or in leading zeros) are ordered by their code points, so the order is
// total and the same on every machine (no locale). The CLI's listings keep their own order
// (byte order of the file names): it decides the evaluation's outputs.
bool naturalPathLess(const QString& a, const QString& b);

// Lists image files under `folder` (util::isImageFile), in naturalPathLess order of their
// relative paths; the first path component is the class label when images lie in class
// sub-folders (ImageFolder; class indices follow the class names' plain sorted order, as
// torchvision's).
QVector<ImageEntry> listImageFolder(const QString& folder, QStringList* classNames);
// Pairs masks by file stem (searching `maskFolder` recursively), or with the image ids of an
// annotation file named FILE.json#Label (data/annotations.h; the entry's maskPath is that text);
// returns how many were paired.
int pairMasks(QVector<ImageEntry>& entries, const QString& maskFolder);

class ImageListModel : public QAbstractListModel {
    Q_OBJECT
public:
    static constexpr int kThumbnailSize = 64;
    // Thumbnails held at most (64x64 RGB32, 16 KB each: 32 MB), the most recently decoded: a
    // folder of 10^5 images would otherwise hold 1.6 GB of them.
    static constexpr int kThumbnailCacheSize = 2048;
    static constexpr int kEntryIndexRole = Qt::UserRole; // the row's index into entries()

    using QAbstractListModel::QAbstractListModel;

    // Another folder: thumbnails and predictions start empty.
    void setEntries(QVector<ImageEntry> entries, QStringList classNames);
    const QVector<ImageEntry>& entries() const { return m_entries; }
    const QStringList& classNames() const { return m_classNames; }
    // Pairs every entry with its mask in `maskFolder` (none when empty); returns how many paired.
    int setMaskFolder(const QString& maskFolder);
    // Keeps a row's thumbnail (thumbnailWanted asked for it), dropping the oldest beyond
    // kThumbnailCacheSize (asked for again when its row is drawn again).
    void setThumbnail(int row, const QImage& thumbnail);
    int thumbnailCount() const { return static_cast<int>(m_thumbnails.size()); }
    // The prediction of the image at `path`; -1 forgets it.
    void setPrediction(const QString& path, int predictedClass);
    void clearPredictions(); // another model: earlier predictions no longer apply

    int rowCount(const QModelIndex& parent = {}) const override;
    // Display: file name, then class · ✓/✗ pred. <class name> · mask; tooltip: paths;
    // decoration: the thumbnail, or a grey placeholder of its size (rows keep one height) and,
    // the first time, thumbnailWanted: a view asks only for the rows it draws, so thumbnails are
    // decoded for the rows shown, whatever the folder's size.
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

Q_SIGNALS:
    // The row's thumbnail is wanted and not decoded yet; said once per row (until it leaves the
    // cache). The browser decodes it off the GUI thread and calls setThumbnail.
    void thumbnailWanted(int row) const;

private:
    QString text(const ImageEntry& entry) const;

    QVector<ImageEntry> m_entries;
    QStringList m_classNames;
    QHash<int, QImage> m_thumbnails;
    std::deque<int> m_thumbnailOrder;       // the rows of m_thumbnails, oldest first
    mutable QSet<int> m_thumbnailsAskedFor; // by thumbnailWanted, decoded or not (a file that cannot be decoded is asked once)
};

// The entries an ImageFilter accepts, in the source's order. The filter is applied when it is set,
// not again when a prediction arrives: the image being explained must not vanish from the list
// (and move the selection on) because its prediction made the filter reject it.
class ImageFilterProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit ImageFilterProxy(QObject* parent = nullptr);
    void setFilter(const ImageFilter& filter);
    const ImageFilter& filter() const { return m_filter; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    ImageFilter m_filter;
};

} // namespace intermap::ui
