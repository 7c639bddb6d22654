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

    // False (and `error` says why) when the folder has no images.
    bool openFolder(const QString& folder, QString* error);
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

protected:
    void showEvent(QShowEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
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
    struct ThumbnailQueue;
    std::shared_ptr<ThumbnailQueue> m_thumbnailQueue; // this folder's, shared with the decoding task
    QComboBox* m_classFilter;
    QComboBox* m_correctnessFilter;
    QCheckBox* m_maskFilter;
    QListView* m_list;
    QLabel* m_summary;
};

} // namespace intermap::ui
