#pragma once
// The image browser's list as item models (MRtrix3's list_model_base pattern): ImageListModel
// holds the opened folder's entries with their thumbnails and predictions, ImageFilterProxy shows
// the ones the browser's filter accepts. The widget only draws them; both are tested without it.
#include "model/image_filter.h"

#include <QAbstractListModel>
#include <QHash>
#include <QImage>
#include <QSortFilterProxyModel>
#include <QVector>

namespace intermap::ui {

// Lists image files under `folder` (util::isImageFile), sorted by relative path; the first
// path component is the class label when images lie in class sub-folders (ImageFolder).
QVector<ImageEntry> listImageFolder(const QString& folder, QStringList* classNames);
// Pairs masks by file stem (searching `maskFolder` recursively), or with the image ids of an
// annotation file named FILE.json#Label (data/annotations.h; the entry's maskPath is that text);
// returns how many were paired.
int pairMasks(QVector<ImageEntry>& entries, const QString& maskFolder);

class ImageListModel : public QAbstractListModel {
    Q_OBJECT
public:
    static constexpr int kThumbnailSize = 64;
    static constexpr int kEntryIndexRole = Qt::UserRole; // the row's index into entries()

    using QAbstractListModel::QAbstractListModel;

    // Another folder: thumbnails and predictions start empty.
    void setEntries(QVector<ImageEntry> entries, QStringList classNames);
    const QVector<ImageEntry>& entries() const { return m_entries; }
    const QStringList& classNames() const { return m_classNames; }
    // Pairs every entry with its mask in `maskFolder` (none when empty); returns how many paired.
    int setMaskFolder(const QString& maskFolder);
    void setThumbnail(int row, const QImage& thumbnail);
    // The prediction of the image at `path`; -1 forgets it.
    void setPrediction(const QString& path, int predictedClass);
    void clearPredictions(); // another model: earlier predictions no longer apply

    int rowCount(const QModelIndex& parent = {}) const override;
    // Display: file name, then class · ✓/✗ pred. <class name> · mask; tooltip: paths;
    // decoration: the thumbnail, or a grey placeholder of its size (rows keep one height).
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

private:
    QString text(const ImageEntry& entry) const;

    QVector<ImageEntry> m_entries;
    QStringList m_classNames;
    QHash<int, QImage> m_thumbnails;
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
