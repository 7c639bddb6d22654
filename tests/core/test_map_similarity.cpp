// The sanity checks' map similarities (eval/map_similarity.h) against scipy's spearmanr and
// scikit-image's structural_similarity (tests/data/similarity/references.json, made by
// tests/tools/make_similarity_references.py): the shared fixtures' real maps of the study's
// methods, read in place, and small inline maps (non-square, many ties, constant).
#include "intermap/eval/map_similarity.h"
#include "intermap/util/errors.h"
#include "intermap/util/npy.h"

#include "shared_data.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest/QtTest>

#include <cmath>

using namespace intermap;

namespace {

QJsonArray referenceCases() {
    QFile file(QStringLiteral(INTERMAP_TEST_DATA_DIR "/similarity/references.json"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("cases")).toArray();
}

std::vector<float> inlineValues(const QJsonArray& values) {
    std::vector<float> out;
    for (const QJsonValue& value : values)
        out.push_back(float(value.toDouble()));
    return out;
}

} // namespace

class TestMapSimilarity : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void matchesScipyAndScikitImage_data() {
        QTest::addColumn<QJsonObject>("entry");
        const QJsonArray cases = referenceCases();
        QVERIFY2(cases.size() == 7, "tests/data/similarity/references.json is missing or incomplete");
        for (const QJsonValue& value : cases) {
            const QJsonObject entry = value.toObject();
            const QString name = entry.contains(QStringLiteral("name"))
                                     ? entry.value(QStringLiteral("name")).toString()
                                     : entry.value(QStringLiteral("a")).toString().section(QLatin1Char('/'), -1) + QStringLiteral(" vs ") +
                                           entry.value(QStringLiteral("b")).toString().section(QLatin1Char('/'), -1);
            QTest::newRow(qPrintable(name)) << entry;
        }
    }
    void matchesScipyAndScikitImage() {
        QFETCH(QJsonObject, entry);
        std::vector<float> a, b;
        int width = 0, height = 0;
        if (entry.contains(QStringLiteral("a_values"))) {
            width = entry.value(QStringLiteral("width")).toInt();
            height = entry.value(QStringLiteral("height")).toInt();
            a = inlineValues(entry.value(QStringLiteral("a_values")).toArray());
            b = inlineValues(entry.value(QStringLiteral("b_values")).toArray());
        } else {
            const QString pathA = entry.value(QStringLiteral("a")).toString(), pathB = entry.value(QStringLiteral("b")).toString();
            INTERMAP_REQUIRE_SHARED(pathA);
            width = height = 224;
            a = npy::readFloat32(test::sharedPath(pathA).toStdString(), {224, 224});
            b = npy::readFloat32(test::sharedPath(pathB).toStdString(), {224, 224});
        }
        const eval::MapSimilarity found = eval::compareMaps(eval::MapView(a, width, height), eval::MapView(b, width, height));
        const QJsonValue spearman = entry.value(QStringLiteral("spearman"));
        if (spearman.isNull())
            QVERIFY2(std::isnan(found.spearman), qPrintable(QString::number(found.spearman)));
        else
            QVERIFY2(std::abs(found.spearman - spearman.toDouble()) < 1e-9,
                     qPrintable(QStringLiteral("%1 vs scipy %2").arg(found.spearman, 0, 'g', 17).arg(spearman.toDouble(), 0, 'g', 17)));
        const double ssim = entry.value(QStringLiteral("ssim")).toDouble();
        QVERIFY2(std::abs(found.ssim - ssim) < 1e-9,
                 qPrintable(QStringLiteral("%1 vs scikit-image %2").arg(found.ssim, 0, 'g', 17).arg(ssim, 0, 'g', 17)));
        QCOMPARE(found.top10Iou, entry.value(QStringLiteral("top10_iou")).toDouble());
    }

    void identicalMapsAreFullySimilar() {
        std::vector<float> map(20 * 16);
        for (std::size_t i = 0; i < map.size(); ++i)
            map[i] = float(std::sin(double(i) * 0.37) * 3.0 + 1.0);
        const auto same = eval::compareMaps(eval::MapView(map, 20, 16), eval::MapView(map, 20, 16));
        QCOMPARE(same.spearman, 1.0);
        QVERIFY(std::abs(same.ssim - 1.0) < 1e-12);
        QCOMPARE(same.top10Iou, 1.0);
        // An increasing transform keeps the ranks and the top set.
        std::vector<float> scaled(map.size());
        for (std::size_t i = 0; i < map.size(); ++i)
            scaled[i] = map[i] * 2.0f + 5.0f;
        const auto transformed = eval::compareMaps(eval::MapView(map, 20, 16), eval::MapView(scaled, 20, 16));
        QVERIFY(std::abs(transformed.spearman - 1.0) < 1e-12);
        QCOMPARE(transformed.top10Iou, 1.0);
    }

    void badInputsAreRefused() {
        std::vector<float> small(6 * 6, 0.5f), wide(8 * 7, 0.5f), other(7 * 8, 0.5f);
        QVERIFY_THROWS_EXCEPTION(UsageError, eval::compareMaps(eval::MapView(small, 6, 6), eval::MapView(small, 6, 6)));
        QVERIFY_THROWS_EXCEPTION(UsageError, eval::compareMaps(eval::MapView(wide, 8, 7), eval::MapView(other, 7, 8)));
        std::vector<float> withNan(8 * 8, 0.5f);
        withNan[3] = std::nanf("");
        QVERIFY_THROWS_EXCEPTION(Error, eval::compareMaps(eval::MapView(withNan, 8, 8), eval::MapView(withNan, 8, 8)));
    }
};

QTEST_GUILESS_MAIN(TestMapSimilarity)
#include "test_map_similarity.moc"
