#pragma once
// Reading an evaluation's output folder back, for the tests that compare two runs' outputs byte
// for byte (a sharded or scheduled run against an unsharded one).
#include <QByteArray>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <map>

namespace intermap::test {

inline QByteArray readAll(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// Every regular file under `root`, hidden ones too (relative path -> bytes).
inline std::map<QString, QByteArray> filesUnder(const QString& root) {
    std::map<QString, QByteArray> files;
    QDirIterator it(root, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        files[QDir(root).relativeFilePath(path)] = readAll(path);
    }
    return files;
}

// results.json without "run" (counts and timings that legitimately differ between runs).
inline QJsonObject resultsWithoutRun(const QString& directory) {
    QJsonObject results = QJsonDocument::fromJson(readAll(directory + QStringLiteral("/results.json"))).object();
    results.remove(QStringLiteral("run"));
    return results;
}

// The outputs two runs of the grid on the data set "cpchild" with equal results share byte for byte.
inline const QStringList kCpchildResultFiles{QStringLiteral("pg_cpchild.csv"),       QStringLiteral("iou5_mean_cpchild.csv"),
                                             QStringLiteral("iou10_mean_cpchild.csv"), QStringLiteral("iou20_mean_cpchild.csv"),
                                             QStringLiteral("iou40_mean_cpchild.csv"), QStringLiteral("per_image.csv"),
                                             QStringLiteral("predictions.csv"),        QStringLiteral("baselines.csv")};

// The first of the cpchild result files (kCpchildResultFiles) that differs between the two
// folders, as "<name> differs"; "" when they agree byte for byte.
inline QString resultFilesDifference(const QString& directory, const QString& reference) {
    for (const QString& name : kCpchildResultFiles)
        if (readAll(directory + QLatin1Char('/') + name) != readAll(reference + QLatin1Char('/') + name))
            return name + QStringLiteral(" differs");
    return {};
}

// The first way in which the outputs in `directory` differ from those in `reference` (the
// cpchild tables, results.json without "run", every map and item record), or "" when they agree.
inline QString differenceFromReference(const QString& directory, const QString& reference) {
    if (const QString files = resultFilesDifference(directory, reference); !files.isEmpty())
        return files;
    if (resultsWithoutRun(directory) != resultsWithoutRun(reference))
        return QStringLiteral("results.json (without \"run\") differs");
    const auto maps = filesUnder(directory + QStringLiteral("/maps"));
    const auto referenceMaps = filesUnder(reference + QStringLiteral("/maps"));
    for (const auto& [path, bytes] : referenceMaps) {
        const auto found = maps.find(path);
        if (found == maps.end())
            return QStringLiteral("maps/") + path + QStringLiteral(" missing");
        if (found->second != bytes)
            return QStringLiteral("maps/") + path + QStringLiteral(" differs");
    }
    if (maps.size() != referenceMaps.size())
        return QStringLiteral("maps/ holds %1 files, the reference %2").arg(maps.size()).arg(referenceMaps.size());
    return {};
}

} // namespace intermap::test
