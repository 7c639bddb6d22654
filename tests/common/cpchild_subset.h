#pragma once
// The first `count` of CP-CHILD's annotated test polyps (names like "1 (10).jpg") and their box
// masks, copied into two folders of a test's, for runs that need a small real grid.
#include "shared_data.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QString>

namespace intermap::test {

// "" or what went wrong.
inline QString copyCpChildPolyps(int count, const QString& images, const QString& masks) {
    if (!QDir().mkpath(images) || !QDir().mkpath(masks))
        return QStringLiteral("cannot create ") + images + QStringLiteral(" or ") + masks;
    const QDir sharedMasks(sharedPath(QStringLiteral("data/cp-child-a/masks")));
    const QDir sharedImages(sharedPath(QStringLiteral("data/cp-child-a/test/polyp")));
    const QStringList maskNames = sharedMasks.entryList(QDir::Files, QDir::Name).mid(0, count);
    if (maskNames.size() != count)
        return QStringLiteral("%1 has %2 masks, fewer than %3").arg(sharedMasks.path()).arg(maskNames.size()).arg(count);
    for (const QString& mask : maskNames) {
        const QString stem = QFileInfo(mask).completeBaseName();
        const QStringList image = sharedImages.entryList({stem + QStringLiteral(".*")}, QDir::Files);
        if (image.size() != 1)
            return QStringLiteral("no single image of stem '%1' in %2").arg(stem, sharedImages.path());
        if (!QFile::copy(sharedMasks.filePath(mask), masks + QLatin1Char('/') + mask) ||
            !QFile::copy(sharedImages.filePath(image.first()), images + QLatin1Char('/') + image.first()))
            return QStringLiteral("cannot copy ") + stem;
    }
    return {};
}

} // namespace intermap::test
