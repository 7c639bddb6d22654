#include "model/image_list_model.h"

#include "intermap/data/annotations.h"
#include "intermap/util/errors.h"
#include "intermap/util/image_files.h"

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>

#include <algorithm>

namespace intermap::ui {
namespace {

bool isImageFile(const QFileInfo& info) {
    return info.isFile() && util::isImageFile(info.filePath().toStdString());
}

// FILE.json#Label, or a folder (also for text that parse refuses, such as a bare FILE.json).
data::MaskSource annotationSource(const QString& maskFolder) {
    try {
        return data::MaskSource::parse(maskFolder.toStdString());
    } catch (const Error&) {
        return {maskFolder.toStdString(), {}};
    }
}

bool isAsciiDigit(QChar c) {
    return c >= QLatin1Char('0') && c <= QLatin1Char('9');
}

// naturalPathLess's order without its tie-break: < 0, 0 or > 0.
int naturalCompare(const QString& a, const QString& b) {
    qsizetype i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (isAsciiDigit(a[i]) && isAsciiDigit(b[j])) {
            // Two numbers: without their leading zeros, the longer is larger, else digit by digit
            // (no overflow however long the run).
            qsizetype aEnd = i, bEnd = j;
            while (aEnd < a.size() && isAsciiDigit(a[aEnd]))
                ++aEnd;
            while (bEnd < b.size() && isAsciiDigit(b[bEnd]))
                ++bEnd;
            while (i + 1 < aEnd && a[i] == QLatin1Char('0'))
                ++i;
            while (j + 1 < bEnd && b[j] == QLatin1Char('0'))
                ++j;
            if (aEnd - i != bEnd - j)
                return aEnd - i < bEnd - j ? -1 : 1;
            for (; i < aEnd; ++i, ++j)
                if (a[i] != b[j])
                    return a[i] < b[j] ? -1 : 1;
            continue;
        }
        if (a[i] != b[j]) {
            if (a[i] == QLatin1Char('/') || b[j] == QLatin1Char('/'))
                return a[i] == QLatin1Char('/') ? -1 : 1;
            const char16_t x = a[i].toCaseFolded().unicode(), y = b[j].toCaseFolded().unicode();
            if (x != y)
                return x < y ? -1 : 1;
        }
        ++i;
        ++j;
    }
    const bool aEnded = i >= a.size(), bEnded = j >= b.size();
    return aEnded == bEnded ? 0 : aEnded ? -1 : 1;
}

} // namespace

bool naturalPathLess(const QString& a, const QString& b) {
    const int order = naturalCompare(a, b);
    return order != 0 ? order < 0 : a < b;
}

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
              [](const ImageEntry& a, const ImageEntry& b) { return naturalPathLess(a.relativePath, b.relativePath); });
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
    if (entries.isEmpty())
        return 0; // nothing to pair: the mask folder is not walked (it may hold 10^5 files)
    QHash<QString, QString> byStem;
    const data::MaskSource source = annotationSource(maskFolder);
    if (source.isAnnotationFile()) {
        try {
            for (const auto& annotated : data::listAnnotatedImages(source))
                byStem.insert(QString::fromStdString(annotated.stem), maskFolder);
        } catch (const Error&) {
            // An unreadable annotation file pairs nothing; reading a mask reports the reason.
        }
    } else if (!maskFolder.isEmpty()) {
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

void ImageListModel::setEntries(QVector<ImageEntry> entries, QStringList classNames) {
    beginResetModel();
    m_entries = std::move(entries);
    m_classNames = std::move(classNames);
    m_thumbnails.clear();
    m_thumbnailOrder.clear();
    m_thumbnailsAskedFor.clear();
    endResetModel();
}

int ImageListModel::setMaskFolder(const QString& maskFolder) {
    const int paired = pairMasks(m_entries, maskFolder);
    if (!m_entries.isEmpty())
        Q_EMIT dataChanged(index(0), index(static_cast<int>(m_entries.size()) - 1));
    return paired;
}

void ImageListModel::setThumbnail(int row, const QImage& thumbnail) {
    if (row < 0 || row >= m_entries.size())
        return;
    if (!m_thumbnails.contains(row))
        m_thumbnailOrder.push_back(row);
    m_thumbnails.insert(row, thumbnail);
    while (m_thumbnailOrder.size() > static_cast<std::size_t>(kThumbnailCacheSize)) {
        m_thumbnails.remove(m_thumbnailOrder.front());
        m_thumbnailsAskedFor.remove(m_thumbnailOrder.front());
        m_thumbnailOrder.pop_front();
    }
    Q_EMIT dataChanged(index(row), index(row), {Qt::DecorationRole});
}

void ImageListModel::setPrediction(const QString& path, int predictedClass) {
    for (int row = 0; row < m_entries.size(); ++row)
        if (m_entries[row].path == path && m_entries[row].predictedClass != predictedClass) {
            m_entries[row].predictedClass = predictedClass;
            Q_EMIT dataChanged(index(row), index(row));
        }
}

void ImageListModel::clearPredictions() {
    for (ImageEntry& entry : m_entries)
        entry.predictedClass = -1;
    if (!m_entries.isEmpty())
        Q_EMIT dataChanged(index(0), index(static_cast<int>(m_entries.size()) - 1));
}

int ImageListModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_entries.size());
}

QString ImageListModel::text(const ImageEntry& entry) const {
    QStringList details;
    if (!entry.classLabel.isEmpty())
        details << entry.classLabel;
    if (entry.predictedClass >= 0) {
        const QString predictedName = entry.predictedClass < m_classNames.size() ? m_classNames[entry.predictedClass]
                                                                                 : QString::number(entry.predictedClass);
        const QString mark = entry.classIndex < 0 ? QString()
                             : entry.predictedClass == entry.classIndex ? QStringLiteral("✓ ")
                                                                         : QStringLiteral("✗ ");
        details << mark + tr("pred. %1").arg(predictedName);
    }
    if (!entry.maskPath.isEmpty())
        details << tr("mask");
    return QFileInfo(entry.relativePath).fileName() + QLatin1Char('\n') + details.join(QStringLiteral(" · "));
}

QVariant ImageListModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= m_entries.size())
        return {};
    const ImageEntry& entry = m_entries[index.row()];
    switch (role) {
    case Qt::DisplayRole: return text(entry);
    case Qt::ToolTipRole:
        return entry.path + (entry.maskPath.isEmpty() ? QString() : QLatin1Char('\n') + tr("mask: ") + entry.maskPath);
    case Qt::DecorationRole: {
        const auto thumbnail = m_thumbnails.constFind(index.row());
        if (thumbnail != m_thumbnails.constEnd())
            return *thumbnail;
        if (!m_thumbnailsAskedFor.contains(index.row())) {
            m_thumbnailsAskedFor.insert(index.row());
            Q_EMIT thumbnailWanted(index.row());
        }
        static const QImage placeholder = [] {
            QImage image(kThumbnailSize, kThumbnailSize, QImage::Format_RGB32);
            image.fill(QColor(225, 225, 225));
            return image;
        }();
        return placeholder;
    }
    case kEntryIndexRole: return index.row();
    default: return {};
    }
}

ImageFilterProxy::ImageFilterProxy(QObject* parent) : QSortFilterProxyModel(parent) {
    setDynamicSortFilter(false);
}

void ImageFilterProxy::setFilter(const ImageFilter& filter) {
    m_filter = filter;
    invalidateFilter();
}

bool ImageFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex&) const {
    const auto* list = qobject_cast<const ImageListModel*>(sourceModel());
    return list && sourceRow < list->entries().size() && m_filter.accepts(list->entries()[sourceRow]);
}

} // namespace intermap::ui
