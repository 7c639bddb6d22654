#pragma once
// The image list: a folder of images (flat, or one sub-folder per class, sorted by relative
// path), optionally paired by file stem with a mask folder; thumbnails decoded off the GUI
// thread; prediction and correctness shown once computed; filters; next/previous.
#include "model/image_filter.h"

#include <QHash>
#include <QImage>
#include <QString>
#include <QStringList>
#include <QVector>
#include <QWidget>

#include <atomic>
#include <memory>

class QCheckBox;
class QComboBox;
class QListWidget;
class QLabel;

namespace intermap::ui {

// Lists image files under `folder` (util::isImageFileName) as the browser does; shared
// with the scripted start and the tests. Sorted by relative path.
QVector<ImageEntry> listImageFolder(const QString& folder, QStringList* classNames);
// Pairs masks by file stem (searching `maskFolder` recursively); returns how many were paired.
int pairMasks(QVector<ImageEntry>& entries, const QString& maskFolder);

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
    const QVector<ImageEntry>& entries() const { return m_entries; }
    QStringList classNames() const { return m_classNames; }
    int currentIndex() const { return m_current; }
    const ImageEntry* current() const;
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
    void rebuildList();
    void loadThumbnails();
    void updateItem(int entryIndex);
    ImageFilter filter() const; // as the pickers are set

    QString m_folder;
    QString m_maskFolder;
    QVector<ImageEntry> m_entries;
    QStringList m_classNames;
    QHash<int, QImage> m_thumbnails;
    int m_current = -1;
    quint64 m_folderGeneration = 0;
    std::shared_ptr<std::atomic<bool>> m_thumbnailStop; // shared with the decoding task
    QComboBox* m_classFilter;
    QComboBox* m_correctnessFilter;
    QCheckBox* m_maskFilter;
    QListWidget* m_list;
    QLabel* m_summary;
};

} // namespace intermap::ui
