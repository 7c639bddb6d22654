#pragma once
// Tests find the project's shared material (fixtures, real data) through INTERMAP_SHARED,
// defaulting to <repo>/../shared. Outside CI a missing file skips the test; with CI=true it is
// a failure, so CI can never go green by silently skipping the real-data checks.
#include <QFileInfo>
#include <QString>
#include <QtTest/QtTest>

#include <cstdlib>
#include <string>

namespace intermap::test {

inline QString sharedRoot() {
    const char* fromEnvironment = std::getenv("INTERMAP_SHARED");
    if (fromEnvironment && *fromEnvironment)
        return QString::fromLocal8Bit(fromEnvironment);
    return QStringLiteral(INTERMAP_SOURCE_DIR "/../shared");
}

inline QString sharedPath(const QString& relative) { return sharedRoot() + QLatin1Char('/') + relative; }

inline std::string sharedPathStd(const QString& relative) { return sharedPath(relative).toStdString(); }

inline bool runningInCi() {
    const char* ci = std::getenv("CI");
    return ci && (std::string(ci) == "true" || std::string(ci) == "1");
}

} // namespace intermap::test

// Use inside a test function: skips (or fails in CI) when the shared file is absent.
#define INTERMAP_REQUIRE_SHARED(relative)                                                          \
    do {                                                                                           \
        const QString intermapSharedFile_ = ::intermap::test::sharedPath(relative);                 \
        if (!QFileInfo::exists(intermapSharedFile_)) {                                             \
            if (::intermap::test::runningInCi())                                                   \
                QFAIL(qPrintable(QStringLiteral("shared file missing in CI: ") + intermapSharedFile_)); \
            QSKIP(qPrintable(QStringLiteral("shared file missing: ") + intermapSharedFile_));       \
        }                                                                                          \
    } while (false)
