// The data-set layer: layouts, splits, class lists, masks, fingerprints, the sample loaders and
// the threaded batch loader. Synthetic layouts are written to temporary folders; the real-data
// checks read ../shared/data (skipped when absent, failed in CI).
#include "intermap/data/batch_loader.h"
#include "intermap/data/dataset.h"
#include "intermap/image/image_io.h"
#include "intermap/image/preprocess.h"
#include "intermap/util/errors.h"
#include "intermap/util/seeded_random.h"

#include "shared_data.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <thread>

using namespace intermap;
using data::Sample;

namespace {

std::string str(const QString& text) { return text.toStdString(); }

// Writes an 8-bit image; `rgb` is RGB (CV_8UC3) or grey (CV_8UC1).
void writeImage(const QString& path, const cv::Mat& image) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    cv::Mat toWrite = image;
    if (image.channels() == 3)
        cv::cvtColor(image, toWrite, cv::COLOR_RGB2BGR);
    if (!cv::imwrite(str(path), toWrite))
        QFAIL(qPrintable(QStringLiteral("cannot write ") + path));
}

// A small image whose content depends on `value` (so files differ).
cv::Mat plainImage(int width, int height, int value) {
    cv::Mat image(height, width, CV_8UC3);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            image.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(value), static_cast<uchar>((x * 5 + value) & 255),
                                                  static_cast<uchar>((y * 3 + 7 * value) & 255));
    return image;
}

// Writes `count` images named img<NN>.png into ROOT/relativeFolder.
void writeImages(const QString& root, const QString& relativeFolder, int count, int salt = 0, int size = 24) {
    for (int i = 0; i < count; ++i)
        writeImage(QStringLiteral("%1/%2/img%3.png").arg(root, relativeFolder).arg(i, 2, 10, QLatin1Char('0')),
                   plainImage(size + i % 5, size, i + salt));
}

void writeText(const QString& path, const QByteArray& text) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    QCOMPARE(file.write(text), qint64(text.size()));
}

std::set<std::string> relativePaths(const std::vector<Sample>& samples) {
    std::set<std::string> paths;
    for (const auto& sample : samples)
        paths.insert(sample.relativePath);
    return paths;
}

std::map<std::int64_t, int> labelCounts(const std::vector<Sample>& samples) {
    std::map<std::int64_t, int> counts;
    for (const auto& sample : samples)
        ++counts[sample.label];
    return counts;
}

// Count of samples whose relative path starts with `prefix`.
int countUnder(const std::vector<Sample>& samples, const std::string& prefix) {
    return int(std::count_if(samples.begin(), samples.end(),
                             [&](const Sample& s) { return s.relativePath.rfind(prefix, 0) == 0; }));
}

bool anyWarningContains(const data::DatasetSplits& splits, const std::string& part) {
    return std::any_of(splits.warnings.begin(), splits.warnings.end(),
                       [&](const std::string& w) { return w.find(part) != std::string::npos; });
}

QString warningsText(const std::vector<std::string>& warnings) {
    QString text;
    for (const auto& w : warnings)
        text += QString::fromStdString(w) + QLatin1Char('\n');
    return text;
}

data::DatasetSplits scan(const QString& root, const std::string& classes = {}, std::uint64_t seed = 0) {
    data::DatasetOptions options;
    options.root = str(root);
    options.classes = classes;
    options.seed = seed;
    return data::scanDataset(options);
}

template <typename Function>
QString usageErrorOf(Function&& function) {
    try {
        function();
    } catch (const UsageError& error) {
        return QString::fromStdString(error.what());
    }
    return {};
}

// An image that encodes its own coordinates: R = x, G = y, B = 77.
cv::Mat coordinateImage(int width, int height) {
    cv::Mat image(height, width, CV_8UC3);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            image.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(x), static_cast<uchar>(y), 77);
    return image;
}

// A mask whose neighbouring pixels all differ, so that sampling the wrong source pixel shows.
cv::Mat patternMask(int width, int height) {
    cv::Mat mask(height, width, CV_8UC1);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            mask.at<uchar>(y, x) = static_cast<uchar>((x * 31 + y * 17 + 1) & 255);
    return mask;
}

// A mask with two regions (255 and 100) on 0.
cv::Mat regionMask(int width, int height) {
    cv::Mat mask(height, width, CV_8UC1, cv::Scalar(0));
    mask(cv::Rect(70, 50, 120, 100)).setTo(255);
    mask(cv::Rect(20, 150, 30, 25)).setTo(100);
    return mask;
}

bool sameBatch(const data::Batch& a, const data::Batch& b) {
    return a.indices == b.indices && torch::equal(a.images, b.images) && torch::equal(a.labels, b.labels);
}

std::vector<data::Batch> drain(data::BatchLoader& loader) {
    std::vector<data::Batch> batches;
    while (auto batch = loader.next())
        batches.push_back(std::move(*batch));
    return batches;
}

} // namespace

class TestDataset : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // ------------------------------------------------------------------ class lists

    void parseClassListValid() {
        const auto specs = data::parseClassList(" normal , lesion = benign + malignant ");
        QCOMPARE(specs.size(), std::size_t(2));
        QCOMPARE(specs[0].name, std::string("normal"));
        QCOMPARE(specs[0].folders, std::vector<std::string>{"normal"});
        QCOMPARE(specs[1].name, std::string("lesion"));
        QCOMPARE(specs[1].folders, (std::vector<std::string>{"benign", "malignant"}));
        QVERIFY(data::parseClassList("").empty());
        QVERIFY(data::parseClassList("  ").empty());
    }

    void parseClassListMalformed_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("reason");
        QTest::newRow("empty item") << "a,,b" << "item 2 is empty";
        QTest::newRow("trailing comma") << "a,b," << "item 3 is empty";
        QTest::newRow("no name") << "a,=b+c" << "no class name";
        QTest::newRow("empty folder") << "a,x=b+" << "empty folder name";
        QTest::newRow("two equals") << "a,x=b=c" << "more than one '='";
        QTest::newRow("class twice") << "a,b,a" << "class 'a' is named twice";
        QTest::newRow("folder twice") << "a,x=a+b" << "folder 'a' is used twice";
        QTest::newRow("one class") << "lesion=benign+malignant" << "at least two classes";
    }

    void parseClassListMalformed() {
        QFETCH(QString, text);
        QFETCH(QString, reason);
        const QString message = usageErrorOf([&] { data::parseClassList(str(text)); });
        QVERIFY2(message.contains(text) && message.contains(reason), qPrintable(message));
    }

    // ------------------------------------------------------------------ layout A

    void foldersLayoutCarvesValidation() {
        QTemporaryDir dir;
        writeImages(dir.path(), "train/a", 13);
        writeImages(dir.path(), "train/b", 40, 100);
        writeImages(dir.path(), "test/a", 5);
        writeImages(dir.path(), "test/b", 6, 100);
        writeText(dir.path() + "/train/a/notes.txt", "not an image");
        writeText(dir.path() + "/train/a/.DS_Store", "hidden");

        const auto splits = scan(dir.path(), {}, 7);
        QCOMPARE(splits.layout, std::string("folders"));
        QCOMPARE(splits.classNames, (std::vector<std::string>{"a", "b"}));
        QVERIFY(splits.valCarvedFromTrain);
        QVERIFY(!splits.splitsGenerated);
        // round(13 * 0.15) = round(1.95) = 2 and round(40 * 0.15) = 6 per folder.
        QCOMPARE(labelCounts(splits.val), (std::map<std::int64_t, int>{{0, 2}, {1, 6}}));
        QCOMPARE(labelCounts(splits.train), (std::map<std::int64_t, int>{{0, 11}, {1, 34}}));
        QCOMPARE(labelCounts(splits.test), (std::map<std::int64_t, int>{{0, 5}, {1, 6}}));
        QCOMPARE(countUnder(splits.val, "train/"), 8); // carved from train
        QCOMPARE(countUnder(splits.train, "train/a/"), 11);
        for (const auto& sample : splits.train)
            QCOMPARE(sample.label, sample.relativePath.rfind("train/a/", 0) == 0 ? std::int64_t(0) : std::int64_t(1));
        // Disjoint, complete, sorted, absolute paths.
        auto all = relativePaths(splits.train);
        for (const auto& p : relativePaths(splits.val))
            QVERIFY(all.insert(p).second);
        QCOMPARE(int(all.size()), 53);
        QVERIFY(std::is_sorted(splits.train.begin(), splits.train.end(),
                               [](const Sample& x, const Sample& y) { return x.relativePath < y.relativePath; }));
        QVERIFY(QFileInfo(QString::fromStdString(splits.train.front().imagePath)).isAbsolute());
        QVERIFY(QFileInfo::exists(QString::fromStdString(splits.train.front().imagePath)));
        QVERIFY2(anyWarningContains(splits, "notes.txt"), qPrintable(warningsText(splits.warnings)));
        QVERIFY(!anyWarningContains(splits, ".DS_Store"));

        // Deterministic for a seed, different for another one.
        QCOMPARE(relativePaths(scan(dir.path(), {}, 7).val), relativePaths(splits.val));
        QVERIFY(relativePaths(scan(dir.path(), {}, 8).val) != relativePaths(splits.val));
    }

    void foldersLayoutWithValidation() {
        QTemporaryDir dir;
        writeImages(dir.path(), "train/x", 6);
        writeImages(dir.path(), "train/y", 7);
        writeImages(dir.path(), "val/x", 2);
        writeImages(dir.path(), "val/y", 3);
        writeImages(dir.path(), "test/x", 4);
        writeImages(dir.path(), "test/y", 1);
        const auto splits = scan(dir.path());
        QVERIFY(!splits.valCarvedFromTrain);
        QCOMPARE(splits.train.size(), std::size_t(13));
        QCOMPARE(splits.val.size(), std::size_t(5));
        QCOMPARE(splits.test.size(), std::size_t(5));
        QCOMPARE(countUnder(splits.val, "val/y/"), 3);
        QCOMPARE(labelCounts(splits.test), (std::map<std::int64_t, int>{{0, 4}, {1, 1}}));
        QVERIFY2(splits.warnings.empty(), qPrintable(warningsText(splits.warnings)));
    }

    void foldersLayoutMasksPairWithTestOnly() {
        QTemporaryDir dir;
        writeImages(dir.path(), "train/polyp", 4);
        writeImages(dir.path(), "train/normal", 4, 50);
        writeImages(dir.path(), "test/polyp", 3);
        writeImage(dir.path() + "/test/normal/other.png", plainImage(10, 10, 1));
        const cv::Mat mask(10, 10, CV_8UC1, cv::Scalar(255));
        writeImage(dir.path() + "/masks/img00.png", mask); // test/polyp/img00 (train has img00 too)
        writeImage(dir.path() + "/masks/img02.png", mask);
        writeImage(dir.path() + "/masks/img03.png", mask); // only in train/: unmatched
        const auto splits = scan(dir.path(), "normal,polyp");
        QCOMPARE(splits.classNames, (std::vector<std::string>{"normal", "polyp"}));
        std::set<std::string> paired;
        for (const auto& sample : splits.test)
            if (!sample.maskPath.empty()) {
                paired.insert(sample.relativePath);
                QVERIFY(QString::fromStdString(sample.maskPath).endsWith(
                    QString::fromStdString(sample.relativePath.substr(sample.relativePath.rfind('/')))));
            }
        QCOMPARE(paired, (std::set<std::string>{"test/polyp/img00.png", "test/polyp/img02.png"}));
        for (const auto* list : {&splits.train, &splits.val})
            for (const auto& sample : *list)
                QVERIFY2(sample.maskPath.empty(), sample.relativePath.c_str());
        QVERIFY2(anyWarningContains(splits, "masks/img03.png"), qPrintable(warningsText(splits.warnings)));
    }

    // ------------------------------------------------------------------ layout B

    void splitFileLayout_data() {
        QTest::addColumn<QString>("imageFolder");
        QTest::newRow("ROOT/images/<class>") << "images/";
        QTest::newRow("ROOT/<class>") << "";
    }

    void splitFileLayout() {
        QFETCH(QString, imageFolder);
        QTemporaryDir dir;
        const QString root = dir.path();
        writeImages(root, imageFolder + "benign", 6);
        writeImages(root, imageFolder + "malignant", 4, 30);
        writeImages(root, imageFolder + "normal", 5, 60);
        // masks/<class>/<stem>.png: benign img00 (train), malignant img03 (test), normal img04 (val);
        // one that pairs with nothing.
        const cv::Mat mask(24, 24, CV_8UC1, cv::Scalar(1));
        writeImage(root + "/masks/benign/img00.png", mask);
        writeImage(root + "/masks/malignant/img03.png", mask);
        writeImage(root + "/masks/normal/img04.png", mask);
        writeImage(root + "/masks/normal/ghost.png", mask);
        QByteArray csv = "class,image,split\n";
        auto add = [&](const char* cls, int i, const char* split) {
            csv += QByteArray(cls) + ",img" + QByteArray::number(i).rightJustified(2, '0') + ".png," + split + "\n";
        };
        for (int i = 0; i < 6; ++i)
            add("benign", i, i < 4 ? "train" : (i == 4 ? "val" : "test"));
        for (int i = 0; i < 4; ++i)
            add("malignant", i, i < 2 ? "train" : (i == 2 ? "val" : "test"));
        for (int i = 0; i < 4; ++i) // normal img04 is added below; nothing lists img05... none exists
            add("normal", i, i < 3 ? "train" : "test");
        add("normal", 4, "VAL");
        csv += "normal,missing.png,train\n";   // unreadable: no such file
        csv += "benign,img00.png,holdout\n";   // unreadable: unknown split
        csv += "tumour,img00.png,train\n";     // unreadable: no such class folder
        csv += "benign,img00.png,test\n";      // listed twice
        writeText(root + "/splits.csv", csv);

        const auto splits = scan(root, "normal,lesion=benign+malignant");
        QCOMPARE(splits.layout, std::string("split-file"));
        QCOMPARE(splits.classNames, (std::vector<std::string>{"normal", "lesion"}));
        QVERIFY(!splits.valCarvedFromTrain);
        QCOMPARE(labelCounts(splits.train), (std::map<std::int64_t, int>{{0, 3}, {1, 6}}));
        QCOMPARE(labelCounts(splits.val), (std::map<std::int64_t, int>{{0, 1}, {1, 2}}));
        QCOMPARE(labelCounts(splits.test), (std::map<std::int64_t, int>{{0, 1}, {1, 2}}));
        QCOMPARE(countUnder(splits.train, str(imageFolder) + "malignant/"), 2);

        std::map<std::string, std::string> masks;
        for (const auto* list : {&splits.train, &splits.val, &splits.test})
            for (const auto& sample : *list)
                if (!sample.maskPath.empty())
                    masks[sample.relativePath] = sample.maskPath.substr(sample.maskPath.find("/masks/"));
        QCOMPARE(masks, (std::map<std::string, std::string>{
                            {str(imageFolder) + "benign/img00.png", "/masks/benign/img00.png"},
                            {str(imageFolder) + "malignant/img03.png", "/masks/malignant/img03.png"},
                            {str(imageFolder) + "normal/img04.png", "/masks/normal/img04.png"}}));

        const QString warnings = warningsText(splits.warnings);
        QVERIFY2(warnings.contains("4 unreadable entries of " + root + "/splits.csv"), qPrintable(warnings));
        QVERIFY2(warnings.contains("splits.csv line 17: " + imageFolder + "normal/missing.png does not exist"),
                 qPrintable(warnings));
        QVERIFY2(warnings.contains("line 18: split 'holdout' is not train, val or test"), qPrintable(warnings));
        QVERIFY2(warnings.contains("line 19: class folder 'tumour' does not exist"), qPrintable(warnings));
        QVERIFY2(warnings.contains("line 20: benign/img00.png is listed again"), qPrintable(warnings));
        QVERIFY2(warnings.contains("masks/normal/ghost.png"), qPrintable(warnings));
        QVERIFY2(!warnings.contains("not in the class list"), qPrintable(warnings)); // every folder is used

        // A header without the needed columns is a usage error naming the file.
        writeText(root + "/splits.csv", "folder,file,split\nbenign,img00.png,train\n");
        const QString message = usageErrorOf([&] { scan(root); });
        QVERIFY2(message.contains(root + "/splits.csv") && message.contains("class, image and split"),
                 qPrintable(message));
    }

    void splitFileWithoutValCarves() {
        QTemporaryDir dir;
        writeImages(dir.path(), "images/a", 10);
        writeImages(dir.path(), "images/b", 10, 40);
        QByteArray csv = "image,split,class\r\n"; // columns in another order, CRLF
        for (int i = 0; i < 10; ++i)
            for (const char* cls : {"a", "b"})
                csv += "img" + QByteArray::number(i).rightJustified(2, '0') + ".png," + (i < 8 ? "train" : "test") +
                       "," + cls + "\r\n";
        writeText(dir.path() + "/splits.csv", csv);
        const auto splits = scan(dir.path());
        QCOMPARE(splits.layout, std::string("split-file"));
        QVERIFY(splits.valCarvedFromTrain);
        QCOMPARE(labelCounts(splits.val), (std::map<std::int64_t, int>{{0, 1}, {1, 1}})); // round(8*0.15)=1
        QCOMPARE(labelCounts(splits.train), (std::map<std::int64_t, int>{{0, 7}, {1, 7}}));
        QCOMPARE(splits.test.size(), std::size_t(4));
        QVERIFY2(splits.warnings.empty(), qPrintable(warningsText(splits.warnings)));
    }

    // ------------------------------------------------------------------ no split

    void noSplitGenerates701515() {
        QTemporaryDir dir;
        writeImages(dir.path(), "a", 40);
        writeImages(dir.path(), "b", 20, 40);
        writeImages(dir.path(), "c", 7, 80);
        const auto splits = scan(dir.path(), {}, 3);
        QCOMPARE(splits.layout, std::string("folders"));
        QVERIFY(splits.splitsGenerated);
        QCOMPARE(splits.classNames, (std::vector<std::string>{"a", "b", "c"}));
        // Per folder: test = val = round(0.15 n) (at least 1), train = the rest.
        QCOMPARE(labelCounts(splits.test), (std::map<std::int64_t, int>{{0, 6}, {1, 3}, {2, 1}}));
        QCOMPARE(labelCounts(splits.val), (std::map<std::int64_t, int>{{0, 6}, {1, 3}, {2, 1}}));
        QCOMPARE(labelCounts(splits.train), (std::map<std::int64_t, int>{{0, 28}, {1, 14}, {2, 5}}));
        auto all = relativePaths(splits.train);
        for (const auto* list : {&splits.val, &splits.test})
            for (const auto& p : relativePaths(*list))
                QVERIFY(all.insert(p).second);
        QCOMPARE(int(all.size()), 67);

        const auto again = scan(dir.path(), {}, 3);
        QCOMPARE(relativePaths(again.test), relativePaths(splits.test));
        QCOMPARE(relativePaths(again.val), relativePaths(splits.val));
        const auto other = scan(dir.path(), {}, 4);
        QVERIFY(relativePaths(other.test) != relativePaths(splits.test));
        QVERIFY(relativePaths(other.val) != relativePaths(splits.val));
    }

    // Regression guard for portability: the seeded shuffle is this project's own algorithm on
    // std::mt19937_64, whose output the C++ standard fixes, so these values hold everywhere.
    void seededShuffleIsPortable() {
        std::mt19937_64 standard; // default seed 5489: the 10000th value is fixed by [rand.predef]
        standard.discard(9999);
        QCOMPARE(standard(), std::uint64_t(9981545732273789042ULL));
        QCOMPARE(data::epochOrder(10, true, 42, 0), kOrder42);
        QCOMPARE(data::epochOrder(4, false, 42, 0), (std::vector<std::size_t>{0, 1, 2, 3}));
        QVERIFY(data::epochOrder(10, true, 42, 1) != kOrder42);
        std::mt19937_64 rng(1);
        for (int i = 0; i < 1000; ++i) {
            QVERIFY(util::uniformBelow(rng, 7) < 7);
            const double u = util::uniformUnit(rng);
            QVERIFY(u >= 0.0 && u < 1.0);
        }
    }

    // ------------------------------------------------------------------ class lists on disk

    void classMergingAndOrder() {
        QTemporaryDir dir;
        writeImages(dir.path(), "train/benign", 3);
        writeImages(dir.path(), "train/malignant", 2, 10);
        writeImages(dir.path(), "train/normal", 4, 20);
        writeImages(dir.path(), "train/other", 2, 30);
        writeImages(dir.path(), "val/benign", 1);
        writeImages(dir.path(), "val/normal", 1);
        writeImages(dir.path(), "test/malignant", 1);
        writeImages(dir.path(), "test/normal", 1);
        const auto splits = scan(dir.path(), "normal,lesion=benign+malignant");
        QCOMPARE(splits.classNames, (std::vector<std::string>{"normal", "lesion"}));
        for (const auto* list : {&splits.train, &splits.val, &splits.test})
            for (const auto& sample : *list) {
                QVERIFY(sample.relativePath.find("/other/") == std::string::npos);
                const bool normal = sample.relativePath.find("/normal/") != std::string::npos;
                QCOMPARE(sample.label, normal ? std::int64_t(0) : std::int64_t(1)); // the last is positive
            }
        QCOMPARE(labelCounts(splits.train), (std::map<std::int64_t, int>{{0, 4}, {1, 5}}));
        const auto ignored = std::count_if(splits.warnings.begin(), splits.warnings.end(), [](const std::string& w) {
            return w.find("not in the class list are ignored: other") != std::string::npos;
        });
        QCOMPARE(int(ignored), 1); // warned once

        const QString message = usageErrorOf([&] { scan(dir.path(), "normal,lesion=benign+tumour"); });
        QVERIFY2(message.contains("'tumour'") && message.contains(dir.path()), qPrintable(message));
        // Default: the sorted folder names.
        QCOMPARE(scan(dir.path()).classNames, (std::vector<std::string>{"benign", "malignant", "normal", "other"}));
    }

    void usageErrors() {
        QTemporaryDir dir;
        const QString missing = dir.path() + "/nothing-here";
        QVERIFY(usageErrorOf([&] { scan(missing); }).contains(missing));
        writeImages(dir.path(), "train/only", 2);
        const QString oneClass = usageErrorOf([&] { scan(dir.path()); });
        QVERIFY2(oneClass.contains("at least two"), qPrintable(oneClass));
    }

    // ------------------------------------------------------------------ fingerprint

    void fingerprint() {
        QTemporaryDir dir;
        const QString root = dir.path() + "/set";
        writeImages(root, "train/a", 3);
        writeImages(root, "train/b", 3, 9);
        writeImages(root, "test/a", 2);
        writeImages(root, "test/b", 2, 9);
        const auto splits = scan(root);
        const std::string fingerprint = data::dataFingerprint(splits);

        // The documented definition, computed independently with Qt's SHA-256.
        QStringList lines;
        for (const auto* list : {&splits.train, &splits.val, &splits.test})
            for (const auto& sample : *list)
                lines << QString::fromStdString(sample.relativePath) + "\t" +
                             QString::number(QFileInfo(QString::fromStdString(sample.imagePath)).size()) + "\n";
        std::sort(lines.begin(), lines.end(),
                  [](const QString& a, const QString& b) { return a.toUtf8() < b.toUtf8(); });
        const QByteArray expected = QCryptographicHash::hash(lines.join(QString()).toUtf8(), QCryptographicHash::Sha256).toHex();
        QCOMPARE(QByteArray::fromStdString(fingerprint), expected);
        // An input longer than one SHA-256 block with a length near the padding boundary.
        QVERIFY(lines.join(QString()).size() > 128);

        // Moved elsewhere: the same data, the same fingerprint.
        const QString moved = dir.path() + "/elsewhere/set-moved";
        QVERIFY(QDir().mkpath(dir.path() + "/elsewhere"));
        QVERIFY(QDir().rename(root, moved));
        QCOMPARE(data::dataFingerprint(scan(moved)), fingerprint);

        // A file whose size changes: another fingerprint.
        writeImage(moved + "/test/b/img01.png", plainImage(40, 40, 3));
        QVERIFY(data::dataFingerprint(scan(moved)) != fingerprint);
    }

    // ------------------------------------------------------------------ geometry

    void randomResizedCropBoxStaysInside() {
        std::mt19937_64 rng(5);
        for (const cv::Size size : {cv::Size(256, 256), cv::Size(305, 256), cv::Size(120, 300)}) {
            for (int i = 0; i < 500; ++i) {
                const cv::Rect box = data::randomResizedCropBox(size, 0.08, 1.0, rng);
                QVERIFY(box.x >= 0 && box.y >= 0 && box.br().x <= size.width && box.br().y <= size.height);
                QVERIFY(box.width > 0 && box.height > 0);
            }
        }
        // No try can fit a 1000x10 image: torchvision's fallback is the central crop of
        // aspect 4/3: h = 10, w = round(10 * 4/3) = 13, at ((1000 - 13) // 2, 0).
        QCOMPARE(data::randomResizedCropBox(cv::Size(1000, 10), 0.8, 1.0, rng), cv::Rect(493, 0, 13, 10));
        QCOMPARE(data::randomResizedCropBox(cv::Size(10, 1000), 0.8, 1.0, rng), cv::Rect(0, 493, 10, 13));
    }

    // Every mask pixel after the training transforms equals the source mask at the coordinate
    // the image pixel came from (read back from R = x, G = y). The image is resampled with
    // nearest neighbour here, so it takes exactly the mask's samples: any difference in crop
    // box, scale, rounding or flip between image and mask shows up. A neighbour-distinct mask
    // pattern turns any off-by-one into a failure; a half-size mask checks the
    // field-of-view stretching (floor(u / 2) == floor(floor(u) / 2), so still exact).
    void masksFollowTrainingTransformsExactly_data() {
        QTest::addColumn<int>("width");
        QTest::addColumn<int>("height");
        QTest::addColumn<int>("maskDivisor");
        QTest::newRow("256x256") << 256 << 256 << 1;
        QTest::newRow("256x180") << 256 << 180 << 1;
        QTest::newRow("256x256, half-size mask") << 256 << 256 << 2;
    }

    void masksFollowTrainingTransformsExactly() {
        QFETCH(int, width);
        QFETCH(int, height);
        QFETCH(int, maskDivisor);
        QTemporaryDir dir;
        const cv::Mat mask = patternMask(width / maskDivisor, height / maskDivisor);
        writeImage(dir.path() + "/image.png", coordinateImage(width, height));
        writeImage(dir.path() + "/mask.png", mask);
        Sample sample{str(dir.path() + "/image.png"), "image.png", 1, str(dir.path() + "/mask.png")};
        data::AugmentOptions augment;
        augment.minScale = 0.3;
        augment.imageInterpolation = data::ImageInterpolation::Nearest;
        int flipped = 0;
        int cropped = 0;
        for (std::uint64_t seed = 0; seed < 24; ++seed) {
            std::mt19937_64 rng(seed);
            const data::LoadedSample loaded = data::loadForTraining(sample, augment, rng);
            QCOMPARE(loaded.label, std::int64_t(1));
            QCOMPARE(loaded.image.sizes().vec(), (std::vector<std::int64_t>{3, 224, 224}));
            QCOMPARE(loaded.mask.type(), CV_8UC1);
            QCOMPARE(loaded.mask.size(), cv::Size(224, 224));
            const cv::Mat rgb = image::toRgb8(loaded.image);
            for (int y = 0; y < 224; ++y)
                for (int x = 0; x < 224; ++x) {
                    const cv::Vec3b source = rgb.at<cv::Vec3b>(y, x);
                    QCOMPARE(int(source[2]), 77);
                    const uchar expected = mask.at<uchar>(source[1] / maskDivisor, source[0] / maskDivisor);
                    if (loaded.mask.at<uchar>(y, x) != expected)
                        QFAIL(qPrintable(QStringLiteral("seed %1: mask (%2,%3) = %4, source (%5,%6) has %7")
                                             .arg(seed).arg(x).arg(y).arg(loaded.mask.at<uchar>(y, x))
                                             .arg(source[0]).arg(source[1]).arg(expected)));
                }
            flipped += rgb.at<cv::Vec3b>(0, 0)[0] > rgb.at<cv::Vec3b>(0, 223)[0];
            cropped += std::abs(int(rgb.at<cv::Vec3b>(0, 223)[0]) - int(rgb.at<cv::Vec3b>(0, 0)[0])) < width - 10;
        }
        QVERIFY2(flipped > 3 && flipped < 21, qPrintable(QString::number(flipped))); // p = 0.5
        QVERIFY2(cropped > 12, qPrintable(QString::number(cropped)));
    }

    // The same check on the real training path (Pillow's antialiased bilinear resize of the
    // crop). A bilinear pixel averages source coordinates over the filter support, at most
    // max(1, crop / 224) <= 1.2 px on each side for these crops, centred on the pixel centre the
    // mask samples; with the 8-bit rounding the read-back coordinate is within 2 px of the mask's
    // source pixel. So the mask must agree wherever the source mask is constant within 3 px of
    // the read-back coordinate (most of the image with a region mask).
    void masksFollowBilinearTrainingImage() {
        QTemporaryDir dir;
        const cv::Mat mask = regionMask(256, 256);
        writeImage(dir.path() + "/image.png", coordinateImage(256, 256));
        writeImage(dir.path() + "/mask.png", mask);
        Sample sample{str(dir.path() + "/image.png"), "image.png", 0, str(dir.path() + "/mask.png")};
        data::AugmentOptions augment; // the defaults: scale [0.8, 1], flip, Pillow bilinear
        data::AugmentOptions nearest = augment;
        nearest.imageInterpolation = data::ImageInterpolation::Nearest;
        constexpr int kMargin = 3;
        for (std::uint64_t seed = 0; seed < 12; ++seed) {
            std::mt19937_64 rng(seed);
            const data::LoadedSample loaded = data::loadForTraining(sample, augment, rng);
            std::mt19937_64 sameRng(seed);
            const data::LoadedSample reference = data::loadForTraining(sample, nearest, sameRng);
            QVERIFY(cv::norm(loaded.mask, reference.mask, cv::NORM_INF) == 0); // same draws, same geometry
            const cv::Mat rgb = image::toRgb8(loaded.image);
            int checked = 0;
            for (int y = 0; y < 224; ++y)
                for (int x = 0; x < 224; ++x) {
                    const int sx = rgb.at<cv::Vec3b>(y, x)[0];
                    const int sy = rgb.at<cv::Vec3b>(y, x)[1];
                    const cv::Rect around = cv::Rect(sx - kMargin, sy - kMargin, 2 * kMargin + 1, 2 * kMargin + 1) &
                                            cv::Rect(0, 0, 256, 256);
                    double low = 0, high = 0;
                    cv::minMaxLoc(mask(around), &low, &high);
                    if (low != high)
                        continue;
                    ++checked;
                    if (loaded.mask.at<uchar>(y, x) != uchar(low))
                        QFAIL(qPrintable(QStringLiteral("seed %1: mask (%2,%3) = %4, around source (%5,%6) %7")
                                             .arg(seed).arg(x).arg(y).arg(loaded.mask.at<uchar>(y, x))
                                             .arg(sx).arg(sy).arg(low)));
                }
            QVERIFY2(checked > 224 * 224 * 8 / 10, qPrintable(QString::number(checked)));
        }
    }

    void evaluationMaskFollowsRecipe() {
        QTemporaryDir dir;
        // Resize: a mask of the image's size is sampled at the bilinear filter's centres; a
        // 224x224 mask (CP-CHILD's boxes) is taken as is.
        const cv::Mat mask256 = patternMask(256, 256);
        const cv::Mat mask224 = patternMask(224, 224);
        writeImage(dir.path() + "/image.png", coordinateImage(256, 256));
        writeImage(dir.path() + "/m256.png", mask256);
        writeImage(dir.path() + "/m224.png", mask224);
        Sample sample{str(dir.path() + "/image.png"), "image.png", 0, str(dir.path() + "/m256.png")};
        auto loaded = data::loadForEvaluation(sample, image::PreprocessRecipe::Resize);
        QVERIFY(torch::equal(loaded.image, image::loadPreprocessed(sample.imagePath, image::PreprocessRecipe::Resize).squeeze(0)));
        for (int y = 0; y < 224; ++y)
            for (int x = 0; x < 224; ++x)
                QCOMPARE(loaded.mask.at<uchar>(y, x), mask256.at<uchar>((2 * y + 1) * 256 / 448, (2 * x + 1) * 256 / 448));
        sample.maskPath = str(dir.path() + "/m224.png");
        loaded = data::loadForEvaluation(sample, image::PreprocessRecipe::Resize);
        QCOMPARE(cv::norm(loaded.mask, mask224, cv::NORM_INF), 0.0);

        // Center crop, larger and smaller than 224 (padding): the mask gets the image's crop.
        for (const cv::Size size : {cv::Size(301, 260), cv::Size(200, 230)}) {
            const cv::Mat mask = patternMask(size.width, size.height);
            writeImage(dir.path() + "/crop.png", plainImage(size.width, size.height, 3));
            writeImage(dir.path() + "/crop-mask.png", mask);
            Sample cropSample{str(dir.path() + "/crop.png"), "crop.png", 0, str(dir.path() + "/crop-mask.png")};
            const auto cropped = data::loadForEvaluation(cropSample, image::PreprocessRecipe::CenterCrop);
            const cv::Mat expected = image::applyCropGeometry(mask, image::centerCropGeometry(size));
            QCOMPARE(cv::norm(cropped.mask, expected, cv::NORM_INF), 0.0);
        }
        // No mask: an empty Mat.
        sample.maskPath.clear();
        QVERIFY(data::loadForEvaluation(sample, image::PreprocessRecipe::Resize).mask.empty());
    }

    // Another model input frame (size and statistics): image and mask follow it, in the loaders too.
    void modelInputFrameSetsSizeAndStatistics() {
        QTemporaryDir dir;
        writeImage(dir.path() + "/image.png", coordinateImage(256, 256));
        const cv::Mat mask = patternMask(256, 256);
        writeImage(dir.path() + "/mask.png", mask);
        const Sample sample{str(dir.path() + "/image.png"), "image.png", 1, str(dir.path() + "/mask.png")};
        data::ModelInputFrame frame;
        frame.size = 48;
        frame.normalisation.mean = {0.5, 0.5, 0.5};
        frame.normalisation.std = {0.5, 0.5, 0.5};
        for (const auto recipe : {image::PreprocessRecipe::Resize, image::PreprocessRecipe::CenterCrop}) {
            const auto loaded = data::loadForEvaluation(sample, recipe, {}, frame);
            const torch::Tensor expected = image::loadPreprocessed(sample.imagePath, recipe, 48, frame.normalisation).squeeze(0);
            QCOMPARE(loaded.image.sizes().vec(), (std::vector<std::int64_t>{3, 48, 48}));
            QVERIFY(torch::equal(loaded.image, expected));
            QVERIFY(!torch::equal(loaded.image, image::loadPreprocessed(sample.imagePath, recipe, 48).squeeze(0)));
            QCOMPARE(loaded.mask.size(), cv::Size(48, 48));
        }
        std::mt19937_64 rng(3);
        const auto augmented = data::loadForTraining(sample, data::AugmentOptions{}, rng, {}, frame);
        QCOMPARE(augmented.image.sizes().vec(), (std::vector<std::int64_t>{3, 48, 48}));
        QCOMPARE(augmented.mask.size(), cv::Size(48, 48));
        // Values in [-1, 1]: normalised with 0.5/0.5, not ImageNet's (which reaches 2.64).
        QVERIFY(augmented.image.min().item<double>() >= -1.0 && augmented.image.max().item<double>() <= 1.0);

        data::LoaderOptions options;
        options.batchSize = 2;
        options.workers = 1;
        options.input = frame;
        data::BatchLoader loader({sample, sample}, options);
        const auto batch = loader.next();
        QVERIFY(batch.has_value());
        QVERIFY(torch::equal(batch->images[0], data::loadForEvaluation(sample, image::PreprocessRecipe::Resize, {}, frame).image));
        options.input.size = 0;
        QVERIFY_THROWS_EXCEPTION(UsageError, data::BatchLoader({sample}, options));
    }

    // ------------------------------------------------------------------ batch loader

    void loaderIsDeterministic() {
        QTemporaryDir dir;
        std::vector<Sample> samples;
        for (int i = 0; i < 23; ++i) {
            const QString path = dir.path() + QStringLiteral("/img%1.png").arg(i);
            writeImage(path, plainImage(40 + 7 * i, 30 + 5 * (i % 4), i));
            samples.push_back({str(path), str(QFileInfo(path).fileName()), i % 2, {}});
        }
        auto run = [&](int workers, std::int64_t epoch, int batchSize, bool shuffle = true) {
            data::LoaderOptions options;
            options.batchSize = batchSize;
            options.shuffle = shuffle;
            options.augment = true;
            options.seed = 11;
            options.epoch = epoch;
            options.workers = workers;
            data::BatchLoader loader(samples, options);
            const auto batches = drain(loader);
            [&] { QVERIFY2(loader.warnings().empty(), qPrintable(warningsText(loader.warnings()))); }();
            [&] { QCOMPARE(std::int64_t(batches.size()), loader.batchCount()); }();
            return batches;
        };
        const auto one = run(1, 0, 4);
        const auto three = run(3, 0, 4);
        const auto inline0 = run(0, 0, 4);
        QCOMPARE(one.size(), std::size_t(6));
        QCOMPARE(one.back().indices.size(), std::size_t(3));
        std::set<std::size_t> seen;
        for (std::size_t b = 0; b < one.size(); ++b) {
            QVERIFY(sameBatch(one[b], three[b]));
            QVERIFY(sameBatch(one[b], inline0[b]));
            QCOMPARE(one[b].images.sizes().vec(), (std::vector<std::int64_t>{std::int64_t(one[b].indices.size()), 3, 224, 224}));
            QCOMPARE(one[b].labels.scalar_type(), torch::kInt64);
            for (std::size_t k = 0; k < one[b].indices.size(); ++k) {
                QVERIFY(seen.insert(one[b].indices[k]).second);
                QCOMPARE(one[b].labels[std::int64_t(k)].item<std::int64_t>(), samples[one[b].indices[k]].label);
            }
        }
        QCOMPARE(seen.size(), samples.size());

        // A sample's augmentation depends on (seed, epoch, index) only, not on the batch size
        // or its position in the epoch's order.
        std::map<std::size_t, torch::Tensor> byIndex;
        for (const auto& batch : one)
            for (std::size_t k = 0; k < batch.indices.size(); ++k)
                byIndex[batch.indices[k]] = batch.images[std::int64_t(k)];
        for (const auto& batches : {run(2, 0, 5), run(2, 0, 4, /*shuffle=*/false)})
            for (const auto& batch : batches)
                for (std::size_t k = 0; k < batch.indices.size(); ++k)
                    QVERIFY(torch::equal(byIndex.at(batch.indices[k]), batch.images[std::int64_t(k)]));

        // Another epoch: another order (and other crops).
        const auto nextEpoch = run(3, 1, 4);
        QVERIFY(nextEpoch.front().indices != one.front().indices || nextEpoch[1].indices != one[1].indices);

        // Without shuffle and augmentation: the identity order and the evaluation recipe.
        data::LoaderOptions plain;
        plain.batchSize = 10;
        data::BatchLoader loader(samples, plain);
        const auto batch = loader.next();
        QVERIFY(batch.has_value());
        QCOMPARE(batch->indices, (std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
        QVERIFY(torch::equal(batch->images[3], data::loadForEvaluation(samples[3], image::PreprocessRecipe::Resize).image));
    }

    void loaderSkipsCorruptImages() {
        QTemporaryDir dir;
        std::vector<Sample> samples;
        for (int i = 0; i < 9; ++i) {
            const QString path = dir.path() + QStringLiteral("/img%1.png").arg(i);
            writeImage(path, plainImage(32, 32, i));
            samples.push_back({str(path), str(QFileInfo(path).fileName()), 0, {}});
        }
        // Truncate img4.png to half its bytes.
        const QString corrupt = dir.path() + "/img4.png";
        QFile file(corrupt);
        QVERIFY(file.open(QIODevice::ReadWrite));
        QVERIFY(file.resize(file.size() / 2));
        file.close();

        data::LoaderOptions options;
        options.batchSize = 3;
        options.workers = 2;
        options.augment = true;
        data::BatchLoader loader(samples, options);
        const auto batches = drain(loader);
        QCOMPARE(batches.size(), std::size_t(3));
        QCOMPARE(batches[1].indices, (std::vector<std::size_t>{3, 5})); // the batch is smaller
        QCOMPARE(batches[1].images.size(0), std::int64_t(2));
        const auto warnings = loader.warnings();
        QCOMPARE(warnings.size(), std::size_t(1));
        QVERIFY2(QString::fromStdString(warnings[0]).contains(corrupt + ": "), warnings[0].c_str());

        // The single-sample loaders throw the ImageError naming the file.
        try {
            data::loadForEvaluation(samples[4], image::PreprocessRecipe::Resize);
            QFAIL("no error for a truncated PNG");
        } catch (const ImageError& error) {
            QCOMPARE(error.path(), str(corrupt));
        }
        // A batch where every image is unreadable is not returned.
        std::vector<Sample> allBad(3, samples[4]);
        allBad.push_back(samples[0]);
        data::BatchLoader badLoader(allBad, options);
        const auto remaining = drain(badLoader);
        QCOMPARE(remaining.size(), std::size_t(1));
        QCOMPARE(remaining[0].indices, std::vector<std::size_t>{3});
        QCOMPARE(badLoader.warnings().size(), std::size_t(3));
    }

    void loaderStopsPromptly() {
        QTemporaryDir dir;
        std::vector<Sample> samples;
        const QString path = dir.path() + "/big.png";
        writeImage(path, plainImage(900, 700, 5));
        for (int i = 0; i < 400; ++i)
            samples.push_back({str(path), "big.png", 0, {}});
        data::LoaderOptions options;
        options.batchSize = 8;
        options.workers = 3;
        options.prefetchBatches = 2;
        options.augment = true;

        QElapsedTimer timer;
        timer.start();
        auto* loader = new data::BatchLoader(samples, options);
        QVERIFY(loader->next().has_value());
        const qint64 firstBatchMs = timer.elapsed();
        // Destroy on another thread so that a deadlock fails the test instead of hanging it.
        auto finished = std::make_shared<std::atomic<bool>>(false);
        timer.restart();
        std::thread([loader, finished] {
            delete loader;
            *finished = true;
        }).detach();
        while (!*finished && timer.elapsed() < 20000)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        QVERIFY2(*finished, "BatchLoader's destructor did not return within 20 s");
        qInfo("first batch %lld ms; destructor %lld ms", firstBatchMs, timer.elapsed());
        // The workers stop between images: far less than the remaining ~49 batches.
        QVERIFY2(timer.elapsed() < std::max<qint64>(2000, firstBatchMs), qPrintable(QString::number(timer.elapsed())));

        // Destroyed before any next(), and after the end.
        { data::BatchLoader unused(samples, options); }
        {
            data::LoaderOptions small = options;
            small.augment = false;
            data::BatchLoader loader2(std::vector<Sample>(samples.begin(), samples.begin() + 3), small);
            QVERIFY(loader2.next().has_value());
            QVERIFY(!loader2.next().has_value());
            QVERIFY(!loader2.next().has_value());
        }
        // Empty sample list: no batch.
        data::BatchLoader empty({}, options);
        QCOMPARE(empty.batchCount(), std::int64_t(0));
        QVERIFY(!empty.next().has_value());
    }

    // ------------------------------------------------------------------ real data

    void realCpChildA() {
        INTERMAP_REQUIRE_SHARED("data/cp-child-a/train");
        QElapsedTimer timer;
        timer.start();
        const auto splits = scan(test::sharedPath("data/cp-child-a"));
        qInfo("cp-child-a scanned in %lld ms", timer.elapsed());
        QCOMPARE(splits.layout, std::string("folders"));
        QCOMPARE(splits.classNames, (std::vector<std::string>{"non-polyp", "polyp"}));
        QVERIFY(splits.valCarvedFromTrain);
        QCOMPARE(labelCounts(splits.train), (std::map<std::int64_t, int>{{0, 680}, {1, 680}}));
        QCOMPARE(labelCounts(splits.val), (std::map<std::int64_t, int>{{0, 120}, {1, 120}}));
        QCOMPARE(labelCounts(splits.test), (std::map<std::int64_t, int>{{0, 200}, {1, 200}}));
        int masks = 0;
        for (const auto& sample : splits.test)
            if (!sample.maskPath.empty()) {
                ++masks;
                QCOMPARE(sample.label, std::int64_t(1));
                QVERIFY(sample.relativePath.rfind("test/polyp/", 0) == 0);
            }
        QCOMPARE(masks, 50);
        for (const auto* list : {&splits.train, &splits.val})
            for (const auto& sample : *list)
                QVERIFY(sample.maskPath.empty());
        QVERIFY2(splits.warnings.empty(), qPrintable(warningsText(splits.warnings)));
        const std::string fingerprint = data::dataFingerprint(splits);
        QCOMPARE(fingerprint.size(), std::size_t(64));
        QCOMPARE(data::dataFingerprint(scan(test::sharedPath("data/cp-child-a"), {}, 99)), fingerprint);

        // A paired test image: the 224x224 box mask is used unchanged by the 'resize' recipe.
        const auto paired = std::find_if(splits.test.begin(), splits.test.end(),
                                         [](const Sample& s) { return !s.maskPath.empty(); });
        const auto loaded = data::loadForEvaluation(*paired, image::PreprocessRecipe::Resize);
        QCOMPARE(cv::norm(loaded.mask, image::readMaskGrey(paired->maskPath), cv::NORM_INF), 0.0);
        QVERIFY(cv::countNonZero(loaded.mask) > 0);
    }

    void realBusi() {
        INTERMAP_REQUIRE_SHARED("data/busi/splits.csv");
        const auto splits = scan(test::sharedPath("data/busi"), "normal,lesion=benign+malignant");
        QCOMPARE(splits.layout, std::string("split-file"));
        QCOMPARE(splits.classNames, (std::vector<std::string>{"normal", "lesion"}));
        QVERIFY(!splits.valCarvedFromTrain && !splits.splitsGenerated);
        // splits.csv: benign 305/66/66, malignant 147/31/32, normal 93/20/20 (train/val/test).
        QCOMPARE(labelCounts(splits.train), (std::map<std::int64_t, int>{{0, 93}, {1, 305 + 147}}));
        QCOMPARE(labelCounts(splits.val), (std::map<std::int64_t, int>{{0, 20}, {1, 66 + 31}}));
        QCOMPARE(labelCounts(splits.test), (std::map<std::int64_t, int>{{0, 20}, {1, 66 + 32}}));
        for (const auto* list : {&splits.train, &splits.val, &splits.test})
            for (const auto& sample : *list) {
                QVERIFY2(!sample.maskPath.empty(), sample.relativePath.c_str());
                const auto folder = sample.relativePath.substr(0, sample.relativePath.rfind('/'));
                QVERIFY(sample.maskPath.find("/masks/" + folder.substr(folder.find('/') + 1) + "/") != std::string::npos);
            }
        QVERIFY2(splits.warnings.empty(), qPrintable(warningsText(splits.warnings)));

        // A lesion image with its mask through both loaders (305x256 image, mask the same size).
        const auto lesion = std::find_if(splits.test.begin(), splits.test.end(), [](const Sample& s) {
            return s.relativePath.find("malignant/") != std::string::npos;
        });
        const auto evaluated = data::loadForEvaluation(*lesion, image::PreprocessRecipe::Resize);
        QCOMPARE(evaluated.mask.size(), cv::Size(224, 224));
        QVERIFY(cv::countNonZero(evaluated.mask) > 0);
        std::mt19937_64 rng(1);
        const auto trained = data::loadForTraining(*lesion, data::AugmentOptions{}, rng);
        QCOMPARE(trained.image.sizes().vec(), (std::vector<std::int64_t>{3, 224, 224}));
        QCOMPARE(trained.mask.size(), cv::Size(224, 224));
    }

private:
    // epochOrder(10, shuffle, seed 42, epoch 0), recorded from this implementation.
    const std::vector<std::size_t> kOrder42{1, 6, 2, 5, 8, 3, 4, 0, 9, 7};
};

QTEST_GUILESS_MAIN(TestDataset)
#include "test_dataset.moc"
