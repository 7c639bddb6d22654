#include "widgets/image_browser.h"

#include "intermap/image/image_io.h"
#include "render/mat_image.h"
#include "intermap/util/image_files.h"

#include <QCheckBox>
#include <QCoreApplication>
#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QImageReader>
#include <QItemSelectionModel>
#include <QLabel>
#include <QListView>
#include <QPointer>
#include <QThreadPool>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <mutex>
#include <vector>

namespace intermap::ui {

// The rows whose thumbnails are wanted, for one folder: filled on the GUI thread, emptied by one
// decoding task at a time on Qt's pool.
struct ImageBrowser::ThumbnailQueue {
    std::mutex mutex;
    QStringList paths;     // the folder's entries (set once, before any task starts)
    std::vector<int> rows; // the latest asked last: decoded first
    bool decoding = false; // a task is running
    bool stop = false;     // another folder, or the browser destroyed
};

namespace {

// A list-sized thumbnail; null when neither Qt nor core's reader (DICOM, with the file's own
// window) can decode the file.
QImage readThumbnail(const QString& path) {
    QImageReader reader(path);
    const QSize size = reader.size();
    if (size.isValid())
        reader.setScaledSize(size.scaled(ImageListModel::kThumbnailSize, ImageListModel::kThumbnailSize, Qt::KeepAspectRatio));
    QImage thumbnail = reader.read();
    if (!thumbnail.isNull())
        return thumbnail;
    try {
        return render::rgbMatToImage(image::readImageRgb8(path.toStdString()))
            .scaled(ImageListModel::kThumbnailSize, ImageListModel::kThumbnailSize, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    } catch (const std::exception&) {
        return {};
    }
}

} // namespace

ImageBrowser::ImageBrowser(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    m_classFilter = new QComboBox(this);
    m_classFilter->setToolTip(tr("Show one class only"));
    m_correctnessFilter = new QComboBox(this);
    m_correctnessFilter->addItems(ImageFilter::predictionTitles());
    m_correctnessFilter->setToolTip(tr("Filter by the current model's prediction"));
    m_maskFilter = new QCheckBox(tr("With mask only"), this);
    m_maskFilter->setToolTip(tr("Show only images that have an annotation mask"));
    m_images = new ImageListModel(this);
    connect(m_images, &ImageListModel::thumbnailWanted, this, &ImageBrowser::decodeThumbnail);
    m_shown = new ImageFilterProxy(this);
    m_shown->setSourceModel(m_images);
    m_list = new QListView(this);
    m_list->setObjectName(QStringLiteral("imageList"));
    m_list->setModel(m_shown);
    m_list->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_list->setIconSize(QSize(ImageListModel::kThumbnailSize, ImageListModel::kThumbnailSize));
    m_list->setUniformItemSizes(true);
    // Several images can be picked for a run over a set (Trust page); the current one stays the one shown.
    m_list->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_summary = new QLabel(this);
    layout->addWidget(m_classFilter);
    layout->addWidget(m_correctnessFilter);
    layout->addWidget(m_maskFilter);
    layout->addWidget(m_list, 1);
    layout->addWidget(m_summary);
    connect(m_classFilter, &QComboBox::currentIndexChanged, this, [this] { applyFilter(); });
    connect(m_correctnessFilter, &QComboBox::currentIndexChanged, this, [this] { applyFilter(); });
    connect(m_maskFilter, &QCheckBox::toggled, this, [this] { applyFilter(); });
    connect(m_list->selectionModel(), &QItemSelectionModel::currentChanged, this, [this](const QModelIndex& current) {
        if (!current.isValid())
            return;
        const int entryIndex = current.data(ImageListModel::kEntryIndexRole).toInt();
        if (entryIndex == m_current)
            return;
        m_current = entryIndex;
        Q_EMIT currentChanged(entryIndex);
    });
}

ImageBrowser::Listing ImageBrowser::listOnce(const QString& folder, const QString& maskFolder) {
    Listing listing;
    listing.entries = listImageFolder(folder, &listing.classes);
    listing.maskFolder = maskFolder;
    pairMasks(listing.entries, maskFolder);
    return listing;
}

QString ImageBrowser::notAFolderError(const QString& folder) {
    return tr("%1 is not a folder").arg(folder);
}

QString ImageBrowser::noImagesError(const QString& folder) const {
    return tr("%1 contains no images (%2)").arg(folder, QString::fromStdString(util::imageExtensionsText()));
}

void ImageBrowser::listFolder(const QString& folder, const QString& maskFolder) {
    if (!QFileInfo(folder).isDir()) {
        Q_EMIT folderListed(folder, notAFolderError(folder));
        return;
    }
    const quint64 listing = ++m_listing;
    m_listingRunning = true;
    // The folder's name only: a long path would widen the dock to fit the label.
    m_summary->setText(tr("Listing %1…").arg(QFileInfo(folder).fileName()));
    m_summary->setToolTip(QDir::toNativeSeparators(QFileInfo(folder).absoluteFilePath()));
    auto* watcher = new QFutureWatcher<Listing>(this);
    connect(watcher, &QFutureWatcher<Listing>::finished, this, [this, watcher, listing, folder, maskFolderBefore = m_maskFolder] {
        watcher->deleteLater();
        if (listing != m_listing)
            return; // another folder was asked for meanwhile
        m_listingRunning = false;
        Listing result = watcher->result();
        if (result.entries.isEmpty()) {
            showSummary();
            Q_EMIT folderListed(folder, noImagesError(folder));
            return;
        }
        if (m_maskFolder == maskFolderBefore)
            m_maskFolder = result.maskFolder;
        showListing(folder, std::move(result));
        Q_EMIT folderListed(folder, QString());
    });
    // Only values cross: the task never touches the browser, which may be gone when it ends.
    watcher->setFuture(QtConcurrent::run(&ImageBrowser::listOnce, folder, maskFolder));
}

void ImageBrowser::showListing(const QString& folder, Listing listing) {
    m_folder = QFileInfo(folder).absoluteFilePath();
    if (listing.maskFolder != m_maskFolder) // another mask folder was chosen while it listed
        pairMasks(listing.entries, m_maskFolder);
    m_current = -1;
    ++m_folderGeneration;
    startThumbnails(listing.entries); // before the list shows the entries and asks for their thumbnails
    {
        const QSignalBlocker blocker(m_classFilter);
        m_classFilter->clear();
        m_classFilter->addItem(tr("All classes"));
        m_classFilter->addItems(listing.classes);
    }
    {
        // A new list, no image chosen yet: the view's reset is not the user's choice.
        const QSignalBlocker blocker(m_list->selectionModel());
        m_images->setEntries(std::move(listing.entries), std::move(listing.classes));
    }
    applyFilter();
}

void ImageBrowser::setMaskFolder(const QString& folder) {
    m_maskFolder = folder;
    m_images->setMaskFolder(m_maskFolder);
    applyFilter();
}

const ImageEntry* ImageBrowser::current() const {
    return m_current >= 0 && m_current < entries().size() ? &entries()[m_current] : nullptr;
}

ImageFilter ImageBrowser::filter() const {
    ImageFilter filter;
    if (m_classFilter->currentIndex() > 0)
        filter.classLabel = m_classFilter->currentText();
    filter.prediction = static_cast<ImageFilter::Prediction>(std::max(0, m_correctnessFilter->currentIndex()));
    filter.withMaskOnly = m_maskFilter->isChecked();
    return filter;
}

void ImageBrowser::applyFilter() {
    {
        // Filtering keeps the chosen image chosen when it stays in the list; the view's
        // momentary loss of it is not the user's choice.
        const QSignalBlocker blocker(m_list->selectionModel());
        m_shown->setFilter(filter());
        const QModelIndex current = m_shown->mapFromSource(m_images->index(m_current));
        if (current.isValid())
            m_list->setCurrentIndex(current);
        else
            m_list->selectionModel()->clear();
    }
    showSummary();
}

void ImageBrowser::showSummary() {
    if (m_listingRunning)
        return; // "Listing …" stays until the listing lands
    m_summary->setToolTip(QString());
    m_summary->setText(tr("%1 of %2 images").arg(m_shown->rowCount()).arg(entries().size()));
}

void ImageBrowser::startThumbnails(const QVector<ImageEntry>& folderEntries) {
    // The pool task never touches the browser: it stops when its queue is stopped (another folder,
    // or the browser destroyed) and posts each thumbnail to the application object, whose queued
    // call then checks, on the GUI thread, that the browser still exists and shows this folder.
    if (m_thumbnailQueue) {
        const std::lock_guard<std::mutex> lock(m_thumbnailQueue->mutex);
        m_thumbnailQueue->stop = true;
    }
    m_thumbnailQueue = std::make_shared<ThumbnailQueue>();
    for (const ImageEntry& entry : folderEntries)
        m_thumbnailQueue->paths << entry.path;
}

void ImageBrowser::decodeThumbnail(int row) {
    const auto queue = m_thumbnailQueue;
    if (!queue || row < 0 || row >= queue->paths.size())
        return;
    {
        const std::lock_guard<std::mutex> lock(queue->mutex);
        queue->rows.push_back(row);
        if (queue->decoding)
            return;
        queue->decoding = true;
    }
    const quint64 generation = m_folderGeneration;
    QPointer<ImageBrowser> self(this);
    QThreadPool::globalInstance()->start([self, queue, generation] {
        for (;;) {
            int next = 0;
            {
                const std::lock_guard<std::mutex> lock(queue->mutex);
                if (queue->stop || queue->rows.empty()) {
                    queue->decoding = false;
                    return;
                }
                next = queue->rows.back();
                queue->rows.pop_back();
            }
            const QImage thumbnail = readThumbnail(queue->paths[next]);
            if (thumbnail.isNull())
                continue; // a file neither reader can decode gets no icon
            QMetaObject::invokeMethod(
                QCoreApplication::instance(),
                [self, next, thumbnail, generation] {
                    if (!self || self->m_folderGeneration != generation)
                        return;
                    self->m_images->setThumbnail(next, thumbnail);
                },
                Qt::QueuedConnection);
        }
    });
}

ImageBrowser::~ImageBrowser() {
    if (m_thumbnailQueue) {
        const std::lock_guard<std::mutex> lock(m_thumbnailQueue->mutex);
        m_thumbnailQueue->stop = true;
    }
}

QStringList ImageBrowser::selectedPaths() const {
    QVector<int> chosen;
    for (const QModelIndex& index : m_list->selectionModel()->selectedIndexes())
        chosen << index.data(ImageListModel::kEntryIndexRole).toInt();
    std::sort(chosen.begin(), chosen.end());
    QStringList paths;
    for (int entryIndex : chosen)
        if (entryIndex >= 0 && entryIndex < entries().size())
            paths << entries()[entryIndex].path;
    if (paths.isEmpty() && current())
        paths << current()->path;
    return paths;
}

bool ImageBrowser::selectByName(const QString& name) {
    for (int i = 0; i < entries().size(); ++i) {
        const QFileInfo info(entries()[i].relativePath);
        if (entries()[i].relativePath == name || info.fileName() == name || info.completeBaseName() == name) {
            selectIndex(i);
            return true;
        }
    }
    return false;
}

void ImageBrowser::selectIndex(int entryIndex) {
    if (entryIndex < 0 || entryIndex >= entries().size())
        return;
    if (!filter().accepts(entries()[entryIndex])) {
        // Show it even if a filter hides it: the user asked for this image.
        const QSignalBlocker a(m_classFilter), b(m_correctnessFilter), c(m_maskFilter);
        m_classFilter->setCurrentIndex(0);
        m_correctnessFilter->setCurrentIndex(0);
        m_maskFilter->setChecked(false);
        applyFilter();
    }
    selectRow(m_shown->mapFromSource(m_images->index(entryIndex)).row());
    // Again once laid out: before the list is shown, scrolling has no geometry to use.
    scrollToCurrentLater();
}

void ImageBrowser::selectRow(int row) {
    if (row >= 0 && row < m_shown->rowCount())
        m_list->setCurrentIndex(m_shown->index(row, 0)); // emits currentChanged through the selection model
}

void ImageBrowser::scrollToCurrentLater() {
    QTimer::singleShot(0, m_list, [list = m_list] {
        if (list->currentIndex().isValid())
            list->scrollTo(list->currentIndex(), QAbstractItemView::PositionAtCenter);
    });
}

void ImageBrowser::setPrediction(const QString& path, int predictedClass) {
    m_images->setPrediction(path, predictedClass);
}

void ImageBrowser::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    // A selection made before the window was shown could not scroll (no geometry yet).
    scrollToCurrentLater();
}

void ImageBrowser::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    if (m_list->currentIndex().isValid())
        m_list->scrollTo(m_list->currentIndex(), QAbstractItemView::EnsureVisible);
}

void ImageBrowser::clearPredictions() {
    m_images->clearPredictions();
    applyFilter();
}

int ImageBrowser::visibleCount() const {
    return m_shown->rowCount();
}

void ImageBrowser::selectNext() {
    selectRow(m_list->currentIndex().row() + 1);
}

void ImageBrowser::selectPrevious() {
    const int row = m_list->currentIndex().row();
    if (row > 0)
        selectRow(row - 1);
}

} // namespace intermap::ui
