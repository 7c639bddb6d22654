// The synthetic phantom data set (intermap::data): determinism, what the lesion masks say, the
// confounder's frequencies, that a lesion is visible, the data set writer's layout, and speed.
// With INTERMAP_PHANTOM_SHEET=/path.png set, also writes a contact sheet to look at.
#include "intermap/data/phantom.h"
#include "intermap/image/image_io.h"
#include "intermap/util/errors.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <cstdio>

using namespace intermap;
using namespace intermap::data;

namespace {

constexpr int kSize = 224;

bool identical(const cv::Mat& a, const cv::Mat& b) {
    return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0.0;
}

// FNV-1a over the pixels: pins the generator's output (a change of look must update it on
// purpose, and a platform that computes different pixels shows up here).
std::uint64_t fnv1a(const cv::Mat& image, std::uint64_t hash = 0xcbf29ce484222325ull) {
    const cv::Mat continuous = image.isContinuous() ? image : image.clone();
    const auto* bytes = continuous.ptr<std::uint8_t>();
    const std::size_t n = continuous.total() * continuous.elemSize();
    for (std::size_t i = 0; i < n; ++i) {
        hash ^= bytes[i];
        hash *= 0x100000001b3ull;
    }
    return hash;
}

cv::Point2d centroid(const cv::Mat& mask) {
    const cv::Moments m = cv::moments(mask, true);
    return {m.m10 / m.m00, m.m01 / m.m00};
}

// Mean RGB inside the mask and in a ring 3..9 px outside it (inside the image).
std::pair<cv::Scalar, cv::Scalar> insideAndRing(const PhantomImage& image) {
    cv::Mat near, far;
    const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_ELLIPSE, {7, 7});
    cv::dilate(image.mask, near, kernel);
    cv::dilate(image.mask, far, cv::getStructuringElement(cv::MORPH_ELLIPSE, {19, 19}));
    const cv::Mat ring = far & ~near;
    return {cv::mean(image.rgb, image.mask), cv::mean(image.rgb, ring)};
}

double colourDistance(const cv::Scalar& a, const cv::Scalar& b) {
    const double dr = a[0] - b[0];
    const double dg = a[1] - b[1];
    const double db = a[2] - b[2];
    return std::sqrt(dr * dr + dg * dg + db * db);
}

PhantomOptions styleOptions(PhantomStyle style) {
    PhantomOptions options;
    options.style = style;
    return options;
}

QJsonObject readJson(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

QStringList pngsIn(const QString& folder) {
    return QDir(folder).entryList({QStringLiteral("*.png")}, QDir::Files, QDir::Name);
}

} // namespace

Q_DECLARE_METATYPE(intermap::data::PhantomStyle)

class TestPhantom : public QObject {
    Q_OBJECT

private:
    static void addStyles() {
        QTest::addColumn<PhantomStyle>("style");
        QTest::newRow("endoscopy") << PhantomStyle::Endoscopy;
        QTest::newRow("ultrasound") << PhantomStyle::Ultrasound;
    }

private Q_SLOTS:
    void determinism_data() { addStyles(); }
    void determinism() {
        QFETCH(PhantomStyle, style);
        const PhantomOptions options = styleOptions(style);
        for (bool positive : {true, false}) {
            const PhantomImage a = generatePhantom(7, 3, positive, options);
            const PhantomImage b = generatePhantom(7, 3, positive, options);
            QCOMPARE(a.rgb.type(), CV_8UC3);
            QCOMPARE(a.rgb.rows, kSize);
            QCOMPARE(a.rgb.cols, kSize);
            QCOMPARE(a.mask.type(), CV_8UC1);
            QCOMPARE(a.mask.size(), a.rgb.size());
            QCOMPARE(a.positive, positive);
            QVERIFY(identical(a.rgb, b.rgb));
            QVERIFY(identical(a.mask, b.mask));
            // Another seed or another index is another image (most pixels differ).
            for (const PhantomImage& other : {generatePhantom(8, 3, positive, options), generatePhantom(7, 4, positive, options)}) {
                cv::Mat diff;
                cv::absdiff(a.rgb, other.rgb, diff);
                cv::Mat grey;
                cv::cvtColor(diff, grey, cv::COLOR_RGB2GRAY);
                QVERIFY2(cv::countNonZero(grey) > kSize * kSize / 2, "another seed/index gave a near-identical image");
            }
        }
    }

    // Pins the exact pixels of two images per style: the promise that a seed names one data
    // set on every platform and in every version (update deliberately when the look changes).
    void goldenHash_data() {
        QTest::addColumn<PhantomStyle>("style");
        QTest::addColumn<quint64>("expected");
        QTest::newRow("endoscopy") << PhantomStyle::Endoscopy << quint64(0xa7e86abefc843b32ull);
        QTest::newRow("ultrasound") << PhantomStyle::Ultrasound << quint64(0xc6522565d3cb9734ull);
    }
    void goldenHash() {
        QFETCH(PhantomStyle, style);
        QFETCH(quint64, expected);
        PhantomOptions options = styleOptions(style);
        options.confounder = true;
        const PhantomImage positive = generatePhantom(2024, 5, true, options);
        const PhantomImage negative = generatePhantom(2024, 6, false, options);
        const std::uint64_t hash = fnv1a(negative.rgb, fnv1a(positive.mask, fnv1a(positive.rgb)));
        std::printf("golden hash (%s): 0x%016llx\n", phantomStyleName(style).c_str(), static_cast<unsigned long long>(hash));
        QCOMPARE(static_cast<quint64>(hash), expected);
    }

    // A positive and a negative of the same (seed, index) differ only around the lesion.
    void sharedBackground_data() { addStyles(); }
    void sharedBackground() {
        QFETCH(PhantomStyle, style);
        const PhantomOptions options = styleOptions(style);
        for (int index = 0; index < 10; ++index) {
            const PhantomImage positive = generatePhantom(11, index, true, options);
            const PhantomImage negative = generatePhantom(11, index, false, options);
            cv::Mat diff;
            cv::absdiff(positive.rgb, negative.rgb, diff);
            cv::Mat changed;
            cv::cvtColor(diff, changed, cv::COLOR_RGB2GRAY);
            cv::Mat band;
            cv::dilate(positive.mask, band, cv::getStructuringElement(cv::MORPH_RECT, {5, 5}));
            QCOMPARE(cv::countNonZero(changed & ~band), 0);
            QVERIFY(cv::countNonZero(changed & positive.mask) > cv::countNonZero(positive.mask) / 2);
        }
    }

    // The mask's edge is the visible edge: against the same index's negative (same background),
    // the mask's own boundary pixels change a lot, the ring just outside changes less but not
    // nothing (the blend is 0.5 on the boundary curve: a mask grown by the blend band would see
    // no change outside, a shrunk one as much outside as on its edge), and nothing changes 2 px
    // or more outside.
    void maskMatchesVisibleEdge_data() { addStyles(); }
    void maskMatchesVisibleEdge() {
        QFETCH(PhantomStyle, style);
        const PhantomOptions options = styleOptions(style);
        const cv::Mat cross = cv::getStructuringElement(cv::MORPH_CROSS, {3, 3});
        double insideEdge = 0.0;
        double outsideRing = 0.0;
        for (int index = 0; index < 20; ++index) {
            const PhantomImage positive = generatePhantom(17, index, true, options);
            const PhantomImage negative = generatePhantom(17, index, false, options);
            cv::Mat diff;
            cv::absdiff(positive.rgb, negative.rgb, diff);
            cv::Mat grey;
            cv::cvtColor(diff, grey, cv::COLOR_RGB2GRAY);
            cv::Mat eroded, dilated, dilated2;
            cv::erode(positive.mask, eroded, cross, {-1, -1}, 1, cv::BORDER_CONSTANT, 255);
            cv::dilate(positive.mask, dilated, cross);
            cv::dilate(positive.mask, dilated2, cv::getStructuringElement(cv::MORPH_RECT, {5, 5}));
            const cv::Mat edge = positive.mask & ~eroded;
            const cv::Mat ring = dilated & ~positive.mask;
            insideEdge += cv::mean(grey, edge)[0];
            outsideRing += cv::mean(grey, ring)[0];
            QCOMPARE(cv::countNonZero(grey & ~dilated2), 0);
        }
        std::printf("%s: mean change on the mask's edge %.1f, in the ring outside %.1f\n",
                    phantomStyleName(style).c_str(), insideEdge / 20, outsideRing / 20);
        QVERIFY(outsideRing < 0.35 * insideEdge);
        QVERIFY(outsideRing > 0.08 * insideEdge);
    }

    void positiveMasks_data() { addStyles(); }
    void positiveMasks() {
        QFETCH(PhantomStyle, style);
        const PhantomOptions options = styleOptions(style);
        constexpr int kCount = 200;
        int quadrant[4] = {0, 0, 0, 0};
        int offCentre = 0;
        double minArea = 1e9;
        double maxArea = 0.0;
        for (int index = 0; index < kCount; ++index) {
            const PhantomImage image = generatePhantom(1, index, true, options);
            const int area = cv::countNonZero(image.mask);
            // Only 0 and 255.
            QCOMPARE(cv::countNonZero(image.mask == 255), area);
            // Radius 18..50 px, aspect >= 0.68, harmonics perturb by <= 28.5 %, >= ~73 % inside.
            QVERIFY2(area >= 0.73 * 3.14159 * 18 * 18 * 0.68 * 0.715 * 0.715, qPrintable(QString::number(area)));
            QVERIFY2(area <= 3.14159 * 50 * 50 * 1.285 * 1.285, qPrintable(QString::number(area)));
            minArea = std::min(minArea, static_cast<double>(area));
            maxArea = std::max(maxArea, static_cast<double>(area));
            // One connected blob.
            cv::Mat labels;
            QCOMPARE(cv::connectedComponents(image.mask, labels, 8), 2);
            const cv::Point2d c = centroid(image.mask);
            quadrant[(c.x >= kSize / 2.0 ? 1 : 0) + (c.y >= kSize / 2.0 ? 2 : 0)] += 1;
            if (std::hypot(c.x - 112.0, c.y - 112.0) > 50.0)
                ++offCentre;
        }
        std::printf("lesion area %.0f..%.0f px; centroids per quadrant %d %d %d %d; %d of %d more than 50 px off "
                    "centre\n", minArea, maxArea, quadrant[0], quadrant[1], quadrant[2], quadrant[3], offCentre, kCount);
        for (int q : quadrant)
            QVERIFY(q >= kCount / 8);
        QVERIFY(offCentre >= kCount / 3);
    }

    void negativesHaveNoLesion_data() { addStyles(); }
    void negativesHaveNoLesion() {
        QFETCH(PhantomStyle, style);
        const PhantomOptions options = styleOptions(style);
        for (int index = 0; index < 50; ++index) {
            const PhantomImage image = generatePhantom(3, index, false, options);
            QVERIFY(!image.positive);
            QCOMPARE(cv::countNonZero(image.mask), 0);
            QVERIFY(!image.confounderDrawn);
        }
        for (int index = 0; index < 50; ++index)
            QVERIFY(!generatePhantom(3, index, true, options).confounderDrawn);
    }

    void confounder() {
        PhantomOptions options;
        options.confounder = true;
        constexpr int kCount = 200;
        int inPositives = 0;
        int inNegatives = 0;
        for (int index = 0; index < kCount; ++index) {
            const PhantomImage positive = generatePhantom(5, index, true, options);
            const PhantomImage negative = generatePhantom(5, index, false, options);
            inPositives += positive.confounderDrawn ? 1 : 0;
            inNegatives += negative.confounderDrawn ? 1 : 0;
            if (index < 30) {
                // The mark changes a small corner patch only, and never adds to the mask.
                PhantomOptions plain = options;
                plain.confounder = false;
                const PhantomImage without = generatePhantom(5, index, true, plain);
                cv::Mat diff;
                cv::cvtColor(cv::abs(positive.rgb - without.rgb) + cv::abs(without.rgb - positive.rgb), diff,
                             cv::COLOR_RGB2GRAY);
                const int changed = cv::countNonZero(diff);
                if (positive.confounderDrawn) {
                    QVERIFY(changed > 40 && changed <= 28 * 9);
                    const cv::Rect box = cv::boundingRect(diff);
                    const bool corner = (box.x < 20 || box.x + box.width > kSize - 20) && (box.y < 20 || box.y + box.height > kSize - 20);
                    QVERIFY2(corner, "the mark is not in a corner");
                    QCOMPARE(cv::countNonZero(positive.mask & diff), 0);
                } else {
                    QCOMPARE(changed, 0);
                }
                QCOMPARE(cv::countNonZero(positive.mask & ~without.mask), 0);
            }
        }
        std::printf("confounder drawn in %d/%d positives, %d/%d negatives\n", inPositives, kCount, inNegatives, kCount);
        // Binomial, n = 200: 3 standard deviations are 0.064 (fixed seeds: the counts never change).
        QVERIFY(std::abs(inPositives / double(kCount) - 0.9) < 0.065);
        QVERIFY(std::abs(inNegatives / double(kCount) - 0.1) < 0.065);

        options.confounderInPositives = 0.0;
        options.confounderInNegatives = 1.0;
        QVERIFY(!generatePhantom(5, 0, true, options).confounderDrawn);
        QVERIFY(generatePhantom(5, 0, false, options).confounderDrawn);
    }

    // The lesion differs from its surroundings by a clear colour margin (0..255 RGB distance of
    // the means) in nearly every image, not on average only. (The mean colour is a crude
    // measure: a glossy red dome beside the dark lumen can match its ring's mean and still be
    // plain to see, by its outline, gloss and lack of vessels.)
    void lesionIsVisible_data() { addStyles(); }
    void lesionIsVisible() {
        QFETCH(PhantomStyle, style);
        const PhantomOptions options = styleOptions(style);
        constexpr int kCount = 200;
        double minimum = 1e9;
        int weakest = -1;
        double sum = 0.0;
        int clear = 0;
        for (int index = 0; index < kCount; ++index) {
            const PhantomImage image = generatePhantom(9, index, true, options);
            const auto [inside, ring] = insideAndRing(image);
            const double d = colourDistance(inside, ring);
            if (d < minimum) {
                minimum = d;
                weakest = index;
            }
            sum += d;
            clear += d >= 25.0 ? 1 : 0;
        }
        std::printf("%s: lesion-ring colour distance min %.1f (seed 9, index %d), mean %.1f, >= 25 in %d/%d "
                    "(0..255 RGB)\n", phantomStyleName(style).c_str(), minimum, weakest, sum / kCount, clear, kCount);
        QVERIFY2(minimum >= 20.0, qPrintable(QString::number(minimum)));
        QVERIFY2(clear >= kCount * 95 / 100, qPrintable(QString::number(clear)));
        QVERIFY2(sum / kCount >= 40.0, qPrintable(QString::number(sum / kCount)));
    }

    void rejectsBadOptions() {
        PhantomOptions options;
        options.lesionRadiusMin = 60;
        options.lesionRadiusMax = 50;
        QVERIFY_THROWS_EXCEPTION(UsageError, generatePhantom(0, 0, true, options));
        options = {};
        options.confounderInPositives = 1.5;
        QVERIFY_THROWS_EXCEPTION(UsageError, generatePhantom(0, 0, true, options));
        options = {};
        options.positiveFraction = -0.1;
        QVERIFY_THROWS_EXCEPTION(UsageError, generatePhantom(0, 0, true, options));
        QCOMPARE(parsePhantomStyle("ultrasound"), PhantomStyle::Ultrasound);
        QVERIFY_THROWS_EXCEPTION(UsageError, parsePhantomStyle("mri"));
    }

    void writesDataset() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString root = dir.filePath(QStringLiteral("phantom"));
        PhantomOptions options;
        options.seed = 42;
        options.trainCount = 12;
        options.valCount = 4;
        options.testCount = 9;
        options.confounder = true;
        std::int64_t calls = 0;
        const PhantomSummary summary = writePhantomDataset(root.toStdString(), options,
            [&](const intermap::ProgressStep& step) {
                ++calls;
                return step.done <= step.total && !step.message.empty() && step.kind == intermap::UnitKind::Computed;
            });
        QCOMPARE(calls, std::int64_t(25));
        QCOMPARE(summary.train, 12);
        QCOMPARE(summary.val, 4);
        QCOMPARE(summary.test, 9);
        QCOMPARE(summary.testPositives, 5); // round(9 * 0.5) = round(4.5) = 5 (halves round up)

        QCOMPARE(pngsIn(root + "/train/positive").size(), 6);
        QCOMPARE(pngsIn(root + "/train/negative").size(), 6);
        QCOMPARE(pngsIn(root + "/val/positive").size(), 2);
        QCOMPARE(pngsIn(root + "/val/negative").size(), 2);
        QCOMPARE(pngsIn(root + "/test/positive").size(), 5);
        QCOMPARE(pngsIn(root + "/test/negative").size(), 4);
        // Labels sort: "negative" before "positive".
        const QStringList classes = QDir(root + "/train").entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
        QCOMPARE(classes, (QStringList{"negative", "positive"}));
        // Masks pair with the test positives by stem, and hold what the generator drew.
        QCOMPARE(pngsIn(root + "/masks"), pngsIn(root + "/test/positive"));
        const QJsonObject manifest = readJson(root + "/phantom.json");
        QCOMPARE(manifest.value("complete").toBool(), true);
        QCOMPARE(manifest.value("options").toObject().value("seed").toInteger(), 42);
        QCOMPARE(manifest.value("counts").toObject().value("test_positives").toInt(), 5);
        const QJsonArray tests = manifest.value("test_images").toArray();
        QCOMPARE(tests.size(), 9);
        // Every index is used once: the names across splits are distinct.
        QSet<QString> stems;
        for (const QString split : {"train", "val", "test"})
            for (const QString cls : {"negative", "positive"})
                for (const QString& name : pngsIn(root + "/" + split + "/" + cls))
                    stems.insert(name);
        QCOMPARE(stems.size(), 25);
        for (const QJsonValue& value : tests) {
            const QJsonObject entry = value.toObject();
            const QString file = entry.value("file").toString();
            const bool positive = entry.value("label").toInt() == 1;
            QCOMPARE(file.startsWith("test/positive/"), positive);
            const std::int64_t index = QFileInfo(file).completeBaseName().mid(8).toLongLong();
            const PhantomImage expected = generatePhantom(42, index, positive, options);
            QCOMPARE(entry.value("confounder").toBool(), expected.confounderDrawn);
            QVERIFY(identical(image::readImageRgb8((root + "/" + file).toStdString()), expected.rgb));
            if (positive) {
                QCOMPARE(entry.value("mask").toString(), "masks/" + QFileInfo(file).fileName());
                const cv::Mat mask = image::readMaskGrey((root + "/" + entry.value("mask").toString()).toStdString());
                QVERIFY(identical(mask, expected.mask));
                QCOMPARE(entry.value("mask_pixels").toInt(), cv::countNonZero(expected.mask));
            } else {
                QVERIFY(!entry.contains("mask"));
            }
        }
        // No temporary files are left behind.
        QDirIterator it(root, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
        while (it.hasNext())
            QVERIFY2(!it.next().contains(".tmp-"), qPrintable(it.filePath()));

        // A smaller re-run into the same folder leaves no stale images.
        options.trainCount = 4;
        options.testCount = 2;
        writePhantomDataset(root.toStdString(), options);
        QCOMPARE(pngsIn(root + "/train/positive").size() + pngsIn(root + "/train/negative").size(), 4);
        QCOMPARE(pngsIn(root + "/test/positive").size() + pngsIn(root + "/test/negative").size(), 2);
        QCOMPARE(pngsIn(root + "/masks"), pngsIn(root + "/test/positive"));
    }

    void refusesForeignFolder() {
        QTemporaryDir dir;
        QFile other(dir.filePath("notes.txt"));
        QVERIFY(other.open(QIODevice::WriteOnly));
        other.write("mine");
        other.close();
        PhantomOptions options;
        options.trainCount = 2;
        options.valCount = 0;
        options.testCount = 0;
        QVERIFY_THROWS_EXCEPTION(UsageError, writePhantomDataset(dir.path().toStdString(), options));
        QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot), QStringList{"notes.txt"});
    }

    void cancels() {
        QTemporaryDir dir;
        PhantomOptions options;
        options.trainCount = 10;
        options.valCount = 0;
        options.testCount = 0;
        const std::string root = dir.filePath("set").toStdString();
        QVERIFY_THROWS_EXCEPTION(Cancelled, writePhantomDataset(root, options,
            [](const intermap::ProgressStep& step) { return step.done < 3; }));
        const QString qroot = QString::fromStdString(root);
        QCOMPARE(pngsIn(qroot + "/train/positive").size() + pngsIn(qroot + "/train/negative").size(), 3);
        QCOMPARE(readJson(qroot + "/phantom.json").value("complete").toBool(), false);
        // A re-run into the interrupted folder is accepted and completes it.
        QCOMPARE(writePhantomDataset(root, options).train, 10);
        QCOMPARE(readJson(qroot + "/phantom.json").value("complete").toBool(), true);
    }

    void speed_data() { addStyles(); }
    void speed() {
        QFETCH(PhantomStyle, style);
        const PhantomOptions options = styleOptions(style);
        QElapsedTimer timer;
        timer.start();
        constexpr int kCount = 40;
        for (int index = 0; index < kCount; ++index)
            generatePhantom(13, index, index % 2 == 0, options);
        std::printf("%s: %.1f ms per image (generation only, one thread)\n", phantomStyleName(style).c_str(),
                    static_cast<double>(timer.nsecsElapsed()) / 1e6 / kCount);
    }

    // Writes a contact sheet (top: endoscopy, bottom: ultrasound; positives with the mask outline
    // in green, then negatives, then confounded images) when INTERMAP_PHANTOM_SHEET names a file.
    void contactSheet() {
        const QByteArray path = qgetenv("INTERMAP_PHANTOM_SHEET");
        if (path.isEmpty())
            QSKIP("set INTERMAP_PHANTOM_SHEET=/path/sheet.png to write a contact sheet");
        constexpr int kColumns = 6;
        constexpr int kRows = 6;
        cv::Mat sheet(kRows * (kSize + 4), kColumns * (kSize + 4), CV_8UC3, cv::Scalar(255, 255, 255));
        for (int r = 0; r < kRows; ++r)
            for (int c = 0; c < kColumns; ++c) {
                PhantomOptions options = styleOptions(r < 4 ? PhantomStyle::Endoscopy : PhantomStyle::Ultrasound);
                const int index = r * kColumns + c;
                const bool positive = (r % 4) < 2 || (r >= 4 && r == 4);
                options.confounder = (r == 2 || r == 3) && c >= 3;
                const PhantomImage image = generatePhantom(100, index, positive || (r == 2 && c >= 3), options);
                cv::Mat bgr;
                cv::cvtColor(image.rgb, bgr, cv::COLOR_RGB2BGR);
                if (image.positive && (r == 0 || r == 4)) {
                    std::vector<std::vector<cv::Point>> contours;
                    cv::findContours(image.mask, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
                    cv::drawContours(bgr, contours, -1, cv::Scalar(0, 255, 0), 1);
                }
                bgr.copyTo(sheet(cv::Rect(c * (kSize + 4) + 2, r * (kSize + 4) + 2, kSize, kSize)));
            }
        QVERIFY(cv::imwrite(path.toStdString(), sheet));
    }
};

QTEST_GUILESS_MAIN(TestPhantom)
#include "test_phantom.moc"
