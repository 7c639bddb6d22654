#include "widgets/image_browser.h"

#include "intermap/util/image_files.h"

#include <QCheckBox>
#include <QCoreApplication>
#include <QComboBox>
#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QImageReader>
#include <QLabel>
#include <QListWidget>
#include <QPainter>
#include <QPointer>
#include <QThreadPool>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>

namespace intermap::ui {
namespace {

constexpr int kThumbnail = 64;
bool isImageFile(const QFileInfo& info) {
    return info.isFile() && util::isImageFileName(info.fileName().toStdString());
}

} // namespace

QVector<ImageEntry> listImageFolder(const QString& folder, QStringList* classNames) {
    const QDir root(folder);
    QVector<ImageEntry> entries;
    QDirIterator it(folder, QDir::Files | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QFileInfo info(it.next());
        if (!isImageFile(info))
            continue;
        ImageEntry entry;
        entry.path = info.absoluteFilePath();
        entry.relativePath = root.relativeFilePath(entry.path);
        const auto slash = entry.relativePath.indexOf(QLatin1Char('/'));
        entry.classLabel = slash > 0 ? entry.relativePath.left(slash) : QString();
        entries << entry;
    }
    std::sort(entries.begin(), entries.end(),
              [](const ImageEntry& a, const ImageEntry& b) { return a.relativePath < b.relativePath; });
    QStringList classes;
    for (const ImageEntry& entry : entries)
        if (!entry.classLabel.isEmpty() && !classes.contains(entry.classLabel))
            classes << entry.classLabel;
    classes.sort();
    for (ImageEntry& entry : entries)
        entry.classIndex = entry.classLabel.isEmpty() ? -1 : static_cast<int>(classes.indexOf(entry.classLabel));
    if (classNames)
        *classNames = classes;
    return entries;
}

int pairMasks(QVector<ImageEntry>& entries, const QString& maskFolder) {
    QHash<QString, QString> byStem;
    if (!maskFolder.isEmpty()) {
        QDirIterator it(maskFolder, QDir::Files | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QFileInfo info(it.next());
            if (isImageFile(info) && !byStem.contains(info.completeBaseName()))
                byStem.insert(info.completeBaseName(), info.absoluteFilePath());
        }
    }
    int paired = 0;
    for (ImageEntry& entry : entries) {
        entry.maskPath = byStem.value(QFileInfo(entry.path).completeBaseName());
        paired += entry.maskPath.isEmpty() ? 0 : 1;
    }
    return paired;
}

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
    m_list = new QListWidget(this);
    m_list->setObjectName(QStringLiteral("imageList"));
    m_list->setIconSize(QSize(kThumbnail, kThumbnail));
    m_list->setUniformItemSizes(true);
    m_summary = new QLabel(this);
    layout->addWidget(m_classFilter);
    layout->addWidget(m_correctnessFilter);
    layout->addWidget(m_maskFilter);
    layout->addWidget(m_list, 1);
    layout->addWidget(m_summary);
    connect(m_classFilter, &QComboBox::currentIndexChanged, this, [this] { rebuildList(); });
    connect(m_correctnessFilter, &QComboBox::currentIndexChanged, this, [this] { rebuildList(); });
    connect(m_maskFilter, &QCheckBox::toggled, this, [this] { rebuildList(); });
    connect(m_list, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row < 0)
            return;
        const int entryIndex = m_list->item(row)->data(Qt::UserRole).toInt();
        if (entryIndex == m_current)
            return;
        m_current = entryIndex;
        Q_EMIT currentChanged(entryIndex);
    });
}

bool ImageBrowser::openFolder(const QString& folder, QString* error) {
    if (!QFileInfo(folder).isDir()) {
        if (error)
            *error = tr("%1 is not a folder").arg(folder);
        return false;
    }
    QStringList classes;
    QVector<ImageEntry> entries = listImageFolder(folder, &classes);
    if (entries.isEmpty()) {
        if (error)
            *error = tr("%1 contains no images (%2)").arg(folder, QString::fromStdString(util::imageExtensionsText()));
        return false;
    }
    m_folder = QFileInfo(folder).absoluteFilePath();
    m_entries = entries;
    m_classNames = classes;
    pairMasks(m_entries, m_maskFolder);
    m_thumbnails.clear();
    m_current = -1;
    ++m_folderGeneration;
    {
        const QSignalBlocker blocker(m_classFilter);
        m_classFilter->clear();
        m_classFilter->addItem(tr("All classes"));
        m_classFilter->addItems(m_classNames);
    }
    rebuildList();
    loadThumbnails();
    return true;
}

void ImageBrowser::setMaskFolder(const QString& folder) {
    m_maskFolder = folder;
    pairMasks(m_entries, m_maskFolder);
    rebuildList();
}

const ImageEntry* ImageBrowser::current() const {
    return m_current >= 0 && m_current < m_entries.size() ? &m_entries[m_current] : nullptr;
}

ImageFilter ImageBrowser::filter() const {
    ImageFilter filter;
    if (m_classFilter->currentIndex() > 0)
        filter.classLabel = m_classFilter->currentText();
    filter.prediction = static_cast<ImageFilter::Prediction>(std::max(0, m_correctnessFilter->currentIndex()));
    filter.withMaskOnly = m_maskFilter->isChecked();
    return filter;
}

void ImageBrowser::rebuildList() {
    const QSignalBlocker blocker(m_list);
    m_list->clear();
    int currentRow = -1;
    const ImageFilter shown = filter();
    for (int i = 0; i < m_entries.size(); ++i) {
        if (!shown.accepts(m_entries[i]))
            continue;
        auto* item = new QListWidgetItem(m_list);
        item->setData(Qt::UserRole, i);
        if (i == m_current)
            currentRow = m_list->count() - 1;
        updateItem(i);
    }
    if (currentRow >= 0)
        m_list->setCurrentRow(currentRow);
    m_summary->setText(tr("%1 of %2 images").arg(m_list->count()).arg(m_entries.size()));
}

void ImageBrowser::updateItem(int entryIndex) {
    for (int row = 0; row < m_list->count(); ++row) {
        QListWidgetItem* item = m_list->item(row);
        if (item->data(Qt::UserRole).toInt() != entryIndex)
            continue;
        const ImageEntry& entry = m_entries[entryIndex];
        QString text = QFileInfo(entry.relativePath).fileName();
        QStringList details;
        if (!entry.classLabel.isEmpty())
            details << entry.classLabel;
        if (entry.predictedClass >= 0) {
            const QString predictedName = entry.predictedClass < m_classNames.size() ? m_classNames[entry.predictedClass]
                                                                                     : QString::number(entry.predictedClass);
            const bool known = entry.classIndex >= 0;
            details << (known ? (entry.predictedClass == entry.classIndex ? QStringLiteral("✓ ") : QStringLiteral("✗ "))
                              : QString()) + tr("pred. %1").arg(predictedName);
        }
        if (!entry.maskPath.isEmpty())
            details << tr("mask");
        item->setText(text + QLatin1Char('\n') + details.join(QStringLiteral(" · ")));
        item->setToolTip(entry.path + (entry.maskPath.isEmpty() ? QString() : QLatin1Char('\n') + tr("mask: ") + entry.maskPath));
        const QImage thumbnail = m_thumbnails.value(entryIndex);
        if (!thumbnail.isNull()) {
            item->setIcon(QIcon(QPixmap::fromImage(thumbnail)));
        } else if (item->icon().isNull()) {
            // A placeholder of the thumbnail's size: rows keep one height, so scrolling to an
            // item stays right when the thumbnails arrive.
            static const QIcon placeholder = [] {
                QPixmap pixmap(kThumbnail, kThumbnail);
                pixmap.fill(QColor(225, 225, 225));
                return QIcon(pixmap);
            }();
            item->setIcon(placeholder);
        }
        return;
    }
}

void ImageBrowser::loadThumbnails() {
    // Decoding runs on Qt's pool. The pool thread never touches the browser: it stops when the
    // stop flag is set (another folder, or the browser destroyed) and posts each thumbnail to the
    // application object, whose queued call then checks, on the GUI thread, that the browser
    // still exists and still shows this folder.
    if (m_thumbnailStop)
        m_thumbnailStop->store(true);
    m_thumbnailStop = std::make_shared<std::atomic<bool>>(false);
    const auto stop = m_thumbnailStop;
    const quint64 generation = m_folderGeneration;
    QStringList paths;
    for (const ImageEntry& entry : m_entries)
        paths << entry.path;
    QPointer<ImageBrowser> self(this);
    QThreadPool::globalInstance()->start([self, stop, paths, generation] {
        for (int i = 0; i < paths.size() && !stop->load(); ++i) {
            QImageReader reader(paths[i]);
            const QSize size = reader.size();
            if (size.isValid())
                reader.setScaledSize(size.scaled(kThumbnail, kThumbnail, Qt::KeepAspectRatio));
            const QImage thumbnail = reader.read(); // null for a file Qt cannot decode: no icon
            if (thumbnail.isNull())
                continue;
            QMetaObject::invokeMethod(
                QCoreApplication::instance(),
                [self, i, thumbnail, generation] {
                    if (!self || self->m_folderGeneration != generation)
                        return;
                    self->m_thumbnails.insert(i, thumbnail);
                    self->updateItem(i);
                },
                Qt::QueuedConnection);
        }
    });
}

ImageBrowser::~ImageBrowser() {
    if (m_thumbnailStop)
        m_thumbnailStop->store(true);
}

bool ImageBrowser::selectByName(const QString& name) {
    for (int i = 0; i < m_entries.size(); ++i) {
        const QFileInfo info(m_entries[i].relativePath);
        if (m_entries[i].relativePath == name || info.fileName() == name || info.completeBaseName() == name) {
            selectIndex(i);
            return true;
        }
    }
    return false;
}

void ImageBrowser::selectIndex(int entryIndex) {
    if (entryIndex < 0 || entryIndex >= m_entries.size())
        return;
    if (!filter().accepts(m_entries[entryIndex])) {
        // Show it even if a filter hides it: the user asked for this image.
        const QSignalBlocker a(m_classFilter), b(m_correctnessFilter), c(m_maskFilter);
        m_classFilter->setCurrentIndex(0);
        m_correctnessFilter->setCurrentIndex(0);
        m_maskFilter->setChecked(false);
        rebuildList();
    }
    for (int row = 0; row < m_list->count(); ++row)
        if (m_list->item(row)->data(Qt::UserRole).toInt() == entryIndex) {
            m_list->setCurrentRow(row); // emits currentChanged through currentRowChanged
            // Again once laid out: before the list is shown, scrolling has no geometry to use.
            QTimer::singleShot(0, m_list, [list = m_list] {
                if (list->currentItem())
                    list->scrollToItem(list->currentItem(), QAbstractItemView::PositionAtCenter);
            });
            return;
        }
}

void ImageBrowser::setPrediction(const QString& path, int predictedClass) {
    for (int i = 0; i < m_entries.size(); ++i)
        if (m_entries[i].path == path && m_entries[i].predictedClass != predictedClass) {
            m_entries[i].predictedClass = predictedClass;
            updateItem(i);
        }
}

void ImageBrowser::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    // A selection made before the window was shown could not scroll (no geometry yet).
    QTimer::singleShot(0, m_list, [list = m_list] {
        if (list->currentItem())
            list->scrollToItem(list->currentItem(), QAbstractItemView::PositionAtCenter);
    });
}

void ImageBrowser::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    if (m_list->currentItem())
        m_list->scrollToItem(m_list->currentItem(), QAbstractItemView::EnsureVisible);
}

void ImageBrowser::clearPredictions() {
    for (ImageEntry& entry : m_entries)
        entry.predictedClass = -1;
    rebuildList();
}

int ImageBrowser::visibleCount() const {
    return m_list->count();
}

void ImageBrowser::selectNext() {
    const int row = m_list->currentRow();
    if (row + 1 < m_list->count())
        m_list->setCurrentRow(row + 1);
}

void ImageBrowser::selectPrevious() {
    const int row = m_list->currentRow();
    if (row > 0)
        m_list->setCurrentRow(row - 1);
}

} // namespace intermap::ui
