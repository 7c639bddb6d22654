// Golden tests of the localisation metrics (intermap::eval) against an independent oracle:
// tests/tools/make_metric_references.py computes every metric in NumPy straight from
// REFERENCE.md's definitions (and metrics.h's, for the metrics beyond the study) on the study's
// 200 real boxes and a set of designed maps; its results are committed in tests/data/metrics/.
// This test rebuilds the same float32 maps bit for bit, reads the same masks with intermap's
// reader, and compares every metric for every (map family, mask) row.
//
// The map families are integer formulas of (x, y, image index i[, the mask]) turned into floats
// by exact operations only (integers below 2^24, divisions by powers of two), so both languages
// build identical maps. KEEP familyMap() IN STEP WITH family_map() IN THE PYTHON SCRIPT.
#include "intermap/eval/metrics.h"
#include "intermap/image/image_io.h"

#include "shared_data.h"

#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QStringList>
#include <QtTest/QtTest>

#include <opencv2/core.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <thread>
#include <vector>

using namespace intermap;
using namespace intermap::eval;

namespace {

constexpr int kSize = 224;
constexpr int kPixels = kSize * kSize;
constexpr double kRadius = 15.0;           // the oracle's pg_tol15 column
constexpr std::uint64_t kRandomSeed = 42;  // RANDOM_SEED in the script

// Tolerances.
// * IoUs are ratios of integer pixel counts, and the oracle writes them as exact fractions
//   "intersection/union". The library divides two integer-valued doubles, which IEEE rounds
//   correctly, so agreeing selections give the same double; 1e-12 only allows for a library that
//   computes the same ratio by another route. Two distinct IoUs with unions <= 50,176 pixels
//   differ by at least 1/50176^2 ~ 4e-10, so no wrong selection can hide below it.
// * The energy pointing game sums min-max normalised values. The oracle computes them in float64
//   from the map's exact values and writes 10 significant digits; the scoring map the library is
//   given holds the normalised values rounded to float32 (relative error <= 2^-24 each), and the
//   centre baseline is float32 in the library but float64 in the oracle. That bounds the
//   difference of the ratio by a few 1e-7; 1e-6 keeps a margin, and a missing or wrong
//   normalisation moves the value by far more (checked on the raw maps, whose ranges reach -5..65
//   and 0..50175).
constexpr double kIouTolerance = 1e-12;
constexpr double kEnergyTolerance = 1e-6;

QString dataDir() { return QStringLiteral(INTERMAP_TEST_DATA_DIR "/metrics"); }

// The oracle's CSVs: plain comma-separated fields (the script asserts no file name holds a comma),
// a header line naming the columns.
struct Table {
    QStringList header;
    std::vector<QStringList> rows;

    int column(const QString& name) const { return static_cast<int>(header.indexOf(name)); }
};

Table readCsv(const QString& path) {
    Table table;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return table;
    const QStringList lines = QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    if (lines.isEmpty())
        return table;
    table.header = lines.front().split(QLatin1Char(','));
    for (qsizetype i = 1; i < lines.size(); ++i)
        table.rows.push_back(lines[i].split(QLatin1Char(',')));
    return table;
}

// "a/b" -> a / b in double, "0" -> 0 (an empty mask).
double fraction(const QString& text) {
    const qsizetype slash = text.indexOf(QLatin1Char('/'));
    if (slash < 0)
        return text.toDouble();
    return static_cast<double>(text.left(slash).toLongLong()) / static_cast<double>(text.mid(slash + 1).toLongLong());
}

struct MaskRow {
    QString dataset;
    QString file;
    int threshold = 0;
    int imageIndex = 0;
    std::size_t count = 0;
    int x0 = -1, y0 = -1, x1 = -1, y1 = -1;
};

// The bounding box of the inside pixels (inclusive), or -1s for an empty mask.
struct Box {
    int x0 = -1, y0 = -1, x1 = -1, y1 = -1;
};

Box boundingBox(const Mask& mask) {
    Box box;
    for (int y = 0; y < mask.height; ++y)
        for (int x = 0; x < mask.width; ++x)
            if (mask.inside[static_cast<std::size_t>(y) * mask.width + x]) {
                if (box.x1 < 0) {
                    box = {x, y, x, y};
                } else {
                    box.x0 = std::min(box.x0, x);
                    box.x1 = std::max(box.x1, x);
                    box.y0 = std::min(box.y0, y);
                    box.y1 = std::max(box.y1, y);
                }
            }
    return box;
}

// --- the map families: the formulas of family_map() in make_metric_references.py ------------

std::uint32_t hash97Value(int x, int y, int i) {
    // Unsigned 32-bit products wrap modulo 2^32, as the script's & 0xFFFFFFFF does.
    const std::uint32_t h = (static_cast<std::uint32_t>(x) * 73856093u) ^ (static_cast<std::uint32_t>(y) * 19349663u)
                            ^ (static_cast<std::uint32_t>(i) * 83492791u);
    return h % 97u;
}

std::uint32_t hash12Value(int x, int y, int i) {
    const std::uint32_t h = (static_cast<std::uint32_t>(x) * 2654435761u)
                            ^ (static_cast<std::uint32_t>(y) * 2246822519u)
                            ^ (static_cast<std::uint32_t>(i) * 3266489917u);
    return h >> 20;
}

// Returns false for an unknown family.
bool familyMap(const QString& family, int i, const Mask& mask, std::vector<float>& m) {
    // Anchors of the mask-dependent families: the box and its integer centre; an empty mask uses
    // the 1-pixel box at (111, 111).
    Box box = boundingBox(mask);
    if (box.x1 < 0)
        box = {111, 111, 111, 111};
    const int x0 = box.x0, y0 = box.y0, x1 = box.x1, y1 = box.y1;
    const int cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;

    m.assign(kPixels, 0.0f);
    const auto at = [&m](int x, int y) -> float& { return m[static_cast<std::size_t>(y) * kSize + x]; };
    const auto fill = [&](auto formula) {
        for (int y = 0; y < kSize; ++y)
            for (int x = 0; x < kSize; ++x)
                at(x, y) = formula(x, y);
    };

    if (family == QLatin1String("constant_in")) {
        fill([](int, int) { return 0.5f; });
    } else if (family == QLatin1String("constant_out")) {
        fill([](int, int) { return -2.5f; });
    } else if (family == QLatin1String("ramp_columns")) {
        fill([i](int x, int) { return static_cast<float>((x + 7 * i) % 224) / 256.0f; });
    } else if (family == QLatin1String("block_levels")) {
        fill([i](int x, int y) { return static_cast<float>((x / 32 + 7 * (y / 32) + i) % 9) / 8.0f; });
    } else if (family == QLatin1String("signed_blocks")) {
        fill([i](int x, int y) { return static_cast<float>(((x / 16) * 3 + (y / 16) * 5 + i) % 11 - 5); });
    } else if (family == QLatin1String("xor_levels")) {
        fill([i](int x, int y) { return static_cast<float>(2 + ((x ^ y ^ (5 * i)) & 63)); });
    } else if (family == QLatin1String("diamond_peak")) {
        const int px = (37 * i + 11) % 224, py = (91 * i + 13) % 224;
        fill([px, py](int x, int y) {
            return static_cast<float>(std::max(0, 64 - std::abs(x - px) - std::abs(y - py))) / 64.0f;
        });
    } else if (family == QLatin1String("cone_mask_centre")) {
        fill([cx, cy](int x, int y) { return static_cast<float>(300 - std::abs(x - cx) - 2 * std::abs(y - cy)); });
    } else if (family == QLatin1String("peak_near_mask")) {
        const int d = 1 + i % 20;
        int px = 0, py = 0;
        if (x1 + d <= 223) {
            px = x1 + d;
            py = cy;
        } else if (x0 - d >= 0) {
            px = x0 - d;
            py = cy;
        } else if (y1 + d <= 223) {
            px = cx;
            py = y1 + d;
        } else if (y0 - d >= 0) {
            px = cx;
            py = y0 - d;
        }
        fill([](int x, int y) { return static_cast<float>((x + y) % 4) / 8.0f; });
        for (int p = 0; p < kPixels; ++p)
            if (mask.inside[static_cast<std::size_t>(p)])
                m[static_cast<std::size_t>(p)] = 0.75f;
        at(px, py) = 1.0f;
    } else if (family == QLatin1String("hash97")) {
        fill([i](int x, int y) { return static_cast<float>(hash97Value(x, y, i)) / 128.0f; });
    } else if (family == QLatin1String("tied_maxima")) {
        fill([](int x, int y) { return static_cast<float>((3 * x + 5 * y) % 7 - 3); });
        at(223 - cx, 223 - cy) = 4.0f;
        at(std::min(x1 + 1 + i % 24, 223), std::min(y1 + 1 + (7 * i) % 24, 223)) = 4.0f;
        if (i % 3 == 0)
            at(cx, cy) = 4.0f;
    } else if (family == QLatin1String("rank_distinct")) {
        fill([i](int x, int y) { return static_cast<float>(((x + y) * 224 + x + 1009 * i) % 100352); });
    } else if (family == QLatin1String("fine_ties")) {
        // 0.4375 + r / 2^25: integers below 2^24 divided by a power of two, exact in float32.
        fill([i](int x, int y) {
            return static_cast<float>(14680064 + static_cast<int>(hash12Value(x, y, i))) / 33554432.0f;
        });
        const int px = (13 * i) % 224, py = (29 * i + 7) % 224;
        at(px, py) = 0.875f;
        at(223 - px, 223 - py) = 0.0f;
    } else if (family == QLatin1String("centre_baseline")) {
        m = eval::centreBaseline();
    } else if (family == QLatin1String("random_baseline")) {
        m = eval::randomPatchBaseline(kRandomSeed, static_cast<std::uint64_t>(i));
    } else {
        return false;
    }
    return true;
}

} // namespace

class TestMetricsGolden : public QObject {
    Q_OBJECT

    Table masksTable_;
    Table metricsTable_;
    std::map<int, MaskRow> maskRows_;   // by mask id
    std::vector<double> ks_;            // from the rect_k<k> columns
    std::map<int, Mask> masks_;         // read lazily, by mask id
    bool masksLoaded_ = false;
    QString loadError_;

    // Reads the 200 annotation files once (through intermap's reader, as the evaluation does).
    bool loadMasks() {
        if (masksLoaded_)
            return loadError_.isEmpty();
        masksLoaded_ = true;
        QHash<QString, std::vector<std::uint8_t>> greyByFile;
        for (const auto& [id, row] : maskRows_) {
            const QString relative =
                QStringLiteral("data/annotations-224/") + row.dataset + QLatin1Char('/') + row.file;
            if (!greyByFile.contains(relative)) {
                try {
                    const cv::Mat grey = image::readMaskGrey(intermap::test::sharedPathStd(relative));
                    if (grey.rows != kSize || grey.cols != kSize || grey.type() != CV_8UC1 || !grey.isContinuous()) {
                        loadError_ = relative + QStringLiteral(": not a 224x224 grey mask");
                        return false;
                    }
                    greyByFile.insert(relative, std::vector<std::uint8_t>(grey.datastart, grey.dataend));
                } catch (const std::exception& error) {
                    loadError_ = QString::fromStdString(error.what());
                    return false;
                }
            }
            masks_[id] = maskFromGrey(greyByFile.value(relative), kSize, kSize, row.threshold);
        }
        return true;
    }

private Q_SLOTS:
    void initTestCase() {
        masksTable_ = readCsv(dataDir() + QStringLiteral("/masks.csv"));
        metricsTable_ = readCsv(dataDir() + QStringLiteral("/metrics.csv"));
        QVERIFY2(!masksTable_.rows.empty(), "tests/data/metrics/masks.csv missing or empty");
        QVERIFY2(!metricsTable_.rows.empty(), "tests/data/metrics/metrics.csv missing or empty");
        const QStringList maskColumns =
            QStringLiteral("mask,dataset,file,threshold,image_index,count,x0,y0,x1,y1").split(QLatin1Char(','));
        QCOMPARE(masksTable_.header, maskColumns);
        for (const QStringList& r : masksTable_.rows) {
            QCOMPARE(r.size(), maskColumns.size());
            MaskRow row;
            row.dataset = r[1];
            row.file = r[2];
            row.threshold = r[3].toInt();
            row.imageIndex = r[4].toInt();
            row.count = r[5].toULongLong();
            row.x0 = r[6].toInt();
            row.y0 = r[7].toInt();
            row.x1 = r[8].toInt();
            row.y1 = r[9].toInt();
            maskRows_[r[0].toInt()] = row;
        }
        for (const QString& name : metricsTable_.header)
            if (name.startsWith(QLatin1String("rect_k"))) {
                bool ok = false;
                ks_.push_back(name.mid(6).toDouble(&ok));
                QVERIFY2(ok, qPrintable(name));
                QVERIFY2(metricsTable_.column(QStringLiteral("set_k") + name.mid(6)) >= 0, qPrintable(name));
            }
        // The study's four k, and at least one that is not an integer.
        QVERIFY(ks_.size() >= 5);
        for (double k : {5.0, 10.0, 20.0, 40.0})
            QVERIFY(std::count(ks_.begin(), ks_.end(), k) == 1);
        QVERIFY(std::any_of(ks_.begin(), ks_.end(), [](double k) { return k != std::floor(k); }));
        for (const char* name : {"family", "mask", "pg", "pg_tol15", "energy"})
            QVERIFY2(metricsTable_.column(QLatin1String(name)) >= 0, name);
        // Every family of the script, in its order, and no other.
        QStringList families;
        const int familyColumn = metricsTable_.column(QStringLiteral("family"));
        for (const QStringList& r : metricsTable_.rows)
            if (!families.contains(r[familyColumn]))
                families << r[familyColumn];
        const QStringList expected = QStringLiteral("constant_in constant_out ramp_columns block_levels "
                                                    "signed_blocks xor_levels diamond_peak cone_mask_centre "
                                                    "peak_near_mask hash97 tied_maxima rank_distinct fine_ties "
                                                    "centre_baseline random_baseline")
                                         .split(QLatin1Char(' '));
        QCOMPARE(families, expected);
    }

    // First the masks themselves: intermap's reader + maskFromGrey against PIL's convert('L') and
    // `> threshold`, by inside count and bounding box, so a reader difference is reported as such.
    void masksMatchOracle() {
        INTERMAP_REQUIRE_SHARED(QStringLiteral("data/annotations-224"));
        QVERIFY2(loadMasks(), qPrintable(loadError_));
        QCOMPARE(maskRows_.size(), std::size_t(250)); // 200 boxes at threshold 0, 50 CP-CHILD at 127
        int empty = 0;
        for (const auto& [id, row] : maskRows_) {
            const Mask& mask = masks_.at(id);
            const Box box = boundingBox(mask);
            const QString what = row.dataset + QLatin1Char('/') + row.file + QStringLiteral(" > ")
                                 + QString::number(row.threshold);
            QVERIFY2(mask.count() == row.count,
                     qPrintable(what + QStringLiteral(": %1 inside pixels, oracle %2")
                                           .arg(mask.count())
                                           .arg(row.count)));
            QVERIFY2(box.x0 == row.x0 && box.y0 == row.y0 && box.x1 == row.x1 && box.y1 == row.y1,
                     qPrintable(what + QStringLiteral(": bounding box differs from the oracle's")));
            empty += mask.empty() ? 1 : 0;
        }
        QCOMPARE(empty, 2); // MURA's two empty masks
    }

    void golden_data() {
        QTest::addColumn<QString>("family");
        QStringList families;
        const int familyColumn = metricsTable_.column(QStringLiteral("family"));
        for (const QStringList& r : metricsTable_.rows)
            if (!families.contains(r[familyColumn]))
                families << r[familyColumn];
        for (const QString& family : families)
            QTest::newRow(qPrintable(family)) << family;
    }

    // Every row of one family: every metric, every k, against the oracle. The library calls run
    // on all cores (they are pure functions; a top-k IoU costs ~0.5 ms, 37,500 of them in all);
    // the comparisons and QTest macros stay on this thread.
    void golden() {
        QFETCH(QString, family);
        INTERMAP_REQUIRE_SHARED(QStringLiteral("data/annotations-224"));
        QVERIFY2(loadMasks(), qPrintable(loadError_));
        QElapsedTimer timer;
        timer.start();

        const int cFamily = metricsTable_.column(QStringLiteral("family"));
        const int cMask = metricsTable_.column(QStringLiteral("mask"));
        const int cPg = metricsTable_.column(QStringLiteral("pg"));
        const int cTol = metricsTable_.column(QStringLiteral("pg_tol15"));
        const int cEnergy = metricsTable_.column(QStringLiteral("energy"));
        std::vector<std::pair<int, int>> kColumns; // rect, set
        for (double k : ks_) {
            const QString label = QString::number(k);
            kColumns.emplace_back(metricsTable_.column(QStringLiteral("rect_k") + label),
                                  metricsTable_.column(QStringLiteral("set_k") + label));
            QVERIFY(kColumns.back().first >= 0 && kColumns.back().second >= 0);
        }

        std::vector<const QStringList*> rows;
        for (const QStringList& r : metricsTable_.rows)
            if (r[cFamily] == family) {
                QCOMPARE(r.size(), metricsTable_.header.size());
                QVERIFY2(maskRows_.count(r[cMask].toInt()) == 1,
                         qPrintable(QStringLiteral("unknown mask id ") + r[cMask]));
                rows.push_back(&r);
            }
        QVERIFY2(rows.size() == maskRows_.size(),
                 qPrintable(QStringLiteral("%1 rows for %2, expected one per mask").arg(rows.size()).arg(family)));

        // What the library says, row by row.
        struct Result {
            QString error; // an unknown family or an exception
            bool pg = false, tol = false;
            double energyScored = 0, energyRaw = 0;
            std::vector<double> rect, set;
        };
        std::vector<Result> results(rows.size());
        std::atomic<std::size_t> next{0};
        const auto work = [&]() {
            std::vector<float> raw;
            for (std::size_t j = next++; j < rows.size(); j = next++) {
                Result& out = results[j];
                const int id = (*rows[j])[cMask].toInt();
                const Mask& mask = masks_.at(id);
                try {
                    if (!familyMap(family, maskRows_.at(id).imageIndex, mask, raw)
                        || raw.size() != std::size_t(kPixels)) {
                        out.error = QStringLiteral("unknown family");
                        continue;
                    }
                    const std::vector<float> scored = scoringMap(MapView(raw, kSize, kSize), family.toStdString());
                    const MapView map(scored, kSize, kSize);
                    out.pg = pointingGameHit(map, mask);
                    out.tol = pointingGameWithTolerance(map, mask, kRadius);
                    // The energy pointing game normalises itself: the raw map and its scoring form agree.
                    out.energyScored = energyPointingGame(map, mask);
                    out.energyRaw = energyPointingGame(MapView(raw, kSize, kSize), mask);
                    for (double k : ks_) {
                        out.rect.push_back(iouTopKRectangle(map, mask, k));
                        out.set.push_back(iouTopKSet(map, mask, k));
                    }
                } catch (const std::exception& error) {
                    out.error = QString::fromStdString(error.what());
                }
            }
        };
        {
            const unsigned threads = std::max(1u, std::min(8u, std::thread::hardware_concurrency()));
            std::vector<std::thread> pool;
            for (unsigned t = 1; t < threads; ++t)
                pool.emplace_back(work);
            work();
            for (std::thread& thread : pool)
                thread.join();
        }

        // Against the oracle.
        int comparisons = 0, failures = 0;
        QStringList messages;
        for (std::size_t j = 0; j < rows.size(); ++j) {
            const QStringList& r = *rows[j];
            const Result& got = results[j];
            const MaskRow& maskRow = maskRows_.at(r[cMask].toInt());
            const QString where = family + QStringLiteral(" | ") + maskRow.dataset + QLatin1Char('/') + maskRow.file
                                  + QStringLiteral(" > ") + QString::number(maskRow.threshold) + QStringLiteral(" (i=")
                                  + QString::number(maskRow.imageIndex) + QStringLiteral(") | ");
            QVERIFY2(got.error.isEmpty(), qPrintable(where + got.error));
            const auto check = [&](bool ok, const QString& metric, double value, double expected) {
                ++comparisons;
                if (ok)
                    return;
                ++failures;
                if (messages.size() < 25)
                    messages << where + metric
                                    + QStringLiteral(": library %1, oracle %2")
                                          .arg(value, 0, 'g', 17)
                                          .arg(expected, 0, 'g', 17);
            };
            const bool pg = r[cPg].toInt() != 0;
            check(got.pg == pg, QStringLiteral("pointingGameHit"), got.pg, pg);
            const bool tol = r[cTol].toInt() != 0;
            check(got.tol == tol, QStringLiteral("pointingGameWithTolerance(15)"), got.tol, tol);
            const double energy = r[cEnergy].toDouble();
            check(std::abs(got.energyScored - energy) <= kEnergyTolerance,
                  QStringLiteral("energyPointingGame(scoring map)"), got.energyScored, energy);
            check(std::abs(got.energyRaw - energy) <= kEnergyTolerance, QStringLiteral("energyPointingGame(raw map)"),
                  got.energyRaw, energy);
            for (std::size_t i = 0; i < ks_.size(); ++i) {
                const QString& rectText = r[kColumns[i].first];
                const QString& setText = r[kColumns[i].second];
                check(std::abs(got.rect[i] - fraction(rectText)) <= kIouTolerance,
                      QStringLiteral("iouTopKRectangle(k=%1) [oracle %2]").arg(ks_[i]).arg(rectText), got.rect[i],
                      fraction(rectText));
                check(std::abs(got.set[i] - fraction(setText)) <= kIouTolerance,
                      QStringLiteral("iouTopKSet(k=%1) [oracle %2]").arg(ks_[i]).arg(setText), got.set[i],
                      fraction(setText));
            }
        }
        for (const QString& message : messages)
            qWarning().noquote() << message;
        qInfo().noquote() << QStringLiteral("%1: %2 rows, %3 comparisons, %4 failed, %5 ms")
                                 .arg(family)
                                 .arg(rows.size())
                                 .arg(comparisons)
                                 .arg(failures)
                                 .arg(timer.elapsed());
        QVERIFY2(failures == 0, qPrintable(QStringLiteral("%1 of %2 comparisons differ from the oracle for %3")
                                               .arg(failures)
                                               .arg(comparisons)
                                               .arg(family)));
    }
};

QTEST_GUILESS_MAIN(TestMetricsGolden)
#include "test_metrics_golden.moc"
