// Annotation formats (data/annotations.h): COCO RLE, compressed and uncompressed, against the
// numpy reference of tests/tools/make_annotation_references.py; polygons against PIL's
// ImageDraw (CheXlocalize's rasteriser); FILE.json#Label sources; malformed files refused with
// the file, image id and reason; DICOM masks; and an evaluation whose per_image.csv is byte for
// byte the same with the real CP-CHILD boxes as PNG files and as a CheXlocalize-style JSON.
#include "intermap/data/annotations.h"
#include "intermap/eval/evaluation.h"
#include "intermap/eval/evaluation_items.h"
#include "intermap/image/image_io.h"
#include "intermap/util/errors.h"

#include "shared_data.h"
#include "small_vit.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <fstream>
#include <functional>

namespace {

using namespace intermap;
using nlohmann::json;

const QString kReferences = QStringLiteral(INTERMAP_TEST_DATA_DIR "/annotations");

json readJson(const QString& path) {
    std::ifstream in(path.toStdString());
    return json::parse(in);
}

QByteArray readAll(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

void writeText(const QString& path, const std::string& text) {
    std::ofstream out(path.toStdString(), std::ios::binary);
    out << text;
}

// Rows of '0'/'1' as a CV_8UC1 0 / 255 mask.
cv::Mat maskOfRows(const json& rows) {
    const int height = static_cast<int>(rows.size());
    const int width = static_cast<int>(rows[0].get<std::string>().size());
    cv::Mat mask(height, width, CV_8UC1);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            mask.at<std::uint8_t>(y, x) = rows[y].get<std::string>()[x] == '1' ? 255 : 0;
    return mask;
}

int differingPixels(const cv::Mat& a, const cv::Mat& b) {
    cv::Mat difference;
    cv::compare(a, b, difference, cv::CMP_NE);
    return cv::countNonZero(difference);
}

} // namespace

class TestAnnotations : public QObject {
    Q_OBJECT

    QTemporaryDir m_work;

    // Reads `text` as the annotation file "bad.json" and its entry for image "img1", label "L".
    void readMalformed(const std::string& text) {
        const QString path = m_work.filePath(QStringLiteral("bad.json"));
        writeText(path, text);
        const auto listed = data::listAnnotatedImages(data::MaskSource::parse(path.toStdString() + "#L"));
        QCOMPARE(listed.size(), std::size_t(1));
        data::readAnnotationMask(listed.front().mask, "");
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_work.isValid()); }

    void rleMatchesTheNumpyReference_data() {
        QTest::addColumn<int>("index");
        const json cases = readJson(kReferences + QStringLiteral("/rle.json"));
        QVERIFY(cases.size() >= 7);
        for (std::size_t i = 0; i < cases.size(); ++i)
            QTest::newRow(cases[i].at("name").get<std::string>().c_str()) << static_cast<int>(i);
    }
    void rleMatchesTheNumpyReference() {
        QFETCH(int, index);
        const json reference = readJson(kReferences + QStringLiteral("/rle.json")).at(index);
        const auto counts = reference.at("counts").get<std::vector<std::uint64_t>>();
        const std::string string = reference.at("string").get<std::string>();
        const int height = reference.at("size")[0].get<int>(), width = reference.at("size")[1].get<int>();
        const cv::Mat expected = maskOfRows(reference.at("pixels"));

        QCOMPARE(data::coco::decodeCounts(string), counts);
        QCOMPARE(data::coco::encodeCounts(counts), string);
        QCOMPARE(data::coco::countsOfMask(expected), counts);
        QCOMPARE(differingPixels(data::coco::maskOfCounts(counts, height, width), expected), 0);

        // Both JSON forms through the reader: the same mask.
        const QString path = m_work.filePath(QStringLiteral("rle_%1.json").arg(index));
        const json file{{"compressed", {{"L", {{"size", {height, width}}, {"counts", string}}}}},
                        {"uncompressed", {{"L", {{"size", {height, width}}, {"counts", counts}}}}}};
        writeText(path, file.dump());
        const auto listed = data::listAnnotatedImages(data::MaskSource::parse(path.toStdString() + "#L"));
        QCOMPARE(listed.size(), std::size_t(2));
        for (const auto& annotated : listed) {
            const cv::Mat decoded = data::readAnnotationMask(annotated.mask, "");
            QCOMPARE(decoded.type(), CV_8UC1);
            QCOMPARE(differingPixels(decoded, expected), 0);
        }
    }

    // pycocotools' own string for CheXlocalize's all-empty 2320 x 2828 masks.
    void realCheXlocalizeEmptyString() {
        QCOMPARE(data::coco::decodeCounts("PVWX6"), std::vector<std::uint64_t>{2320ull * 2828ull});
        QCOMPARE(cv::countNonZero(data::coco::maskOfCounts({2320ull * 2828ull}, 2320, 2828)), 0);
    }

    // Boxes equal PIL's exactly; other polygons differ from PIL on boundary pixels only (a pixel
    // that differs has both an inside and an outside PIL pixel among its 8 neighbours).
    void polygonsAgainstPil_data() {
        QTest::addColumn<int>("index");
        const json cases = readJson(kReferences + QStringLiteral("/polygons.json"));
        for (std::size_t i = 0; i < cases.size(); ++i)
            QTest::newRow(cases[i].at("name").get<std::string>().c_str()) << static_cast<int>(i);
    }
    void polygonsAgainstPil() {
        QFETCH(int, index);
        const json reference = readJson(kReferences + QStringLiteral("/polygons.json")).at(index);
        const auto polygons = reference.at("polygons").get<std::vector<std::vector<double>>>();
        const int height = reference.at("size")[0].get<int>(), width = reference.at("size")[1].get<int>();
        const cv::Mat pil = maskOfRows(reference.at("pixels"));
        const cv::Mat ours = data::coco::maskOfPolygons(polygons, height, width);
        const std::string name = reference.at("name").get<std::string>();
        if (name.rfind("star", 0) != 0) {
            QCOMPARE(differingPixels(ours, pil), 0);
            return;
        }
        cv::Mat grown, shrunk;
        cv::dilate(pil, grown, cv::Mat::ones(3, 3, CV_8UC1));
        cv::erode(pil, shrunk, cv::Mat::ones(3, 3, CV_8UC1));
        int differing = 0;
        for (int y = 0; y < height; ++y)
            for (int x = 0; x < width; ++x)
                if (ours.at<std::uint8_t>(y, x) != pil.at<std::uint8_t>(y, x)) {
                    ++differing;
                    QVERIFY2(grown.at<std::uint8_t>(y, x) && !shrunk.at<std::uint8_t>(y, x),
                             qPrintable(QStringLiteral("pixel (%1, %2) differs away from the boundary").arg(x).arg(y)));
                }
        QVERIFY2(differing <= cv::countNonZero(pil) / 5, qPrintable(QString::number(differing)));
        qInfo("%s: %d of %d pixels differ from PIL's, all on the boundary", name.c_str(), differing, cv::countNonZero(pil));
    }

    // CheXlocalize's raw layout: [[x, y], ...] points and the image's "img_size".
    void pointListPolygonsWithImageSize() {
        const QString path = m_work.filePath(QStringLiteral("points.json"));
        writeText(path, R"({"img": {"Edema": [[[2, 2], [6, 2], [6, 5], [2, 5]]], "img_size": [8, 9]}})");
        const auto listed = data::listAnnotatedImages(data::MaskSource::parse(path.toStdString() + "#Edema"));
        QCOMPARE(listed.size(), std::size_t(1));
        const cv::Mat mask = data::readAnnotationMask(listed.front().mask, "");
        QCOMPARE(mask.size(), cv::Size(9, 8));
        QCOMPARE(cv::countNonZero(mask), 5 * 4); // (6 - 2 + 1) x (5 - 2 + 1): boundary included
        QCOMPARE(differingPixels(mask, data::coco::maskOfPolygons({{2, 2, 6, 2, 6, 5, 2, 5}}, 8, 9)), 0);
    }

    void maskSourceText() {
        const auto folder = data::MaskSource::parse("/data/masks");
        QVERIFY(!folder.isAnnotationFile());
        QCOMPARE(folder.text(), std::string("/data/masks"));
        const auto file = data::MaskSource::parse("/data/gt_segmentations_val.JSON#Enlarged Cardiomediastinum");
        QVERIFY(file.isAnnotationFile());
        QCOMPARE(file.path, std::string("/data/gt_segmentations_val.JSON"));
        QCOMPARE(file.label, std::string("Enlarged Cardiomediastinum"));
        QCOMPARE(data::MaskSource::parse(file.text()).text(), file.text());
        QCOMPARE(data::MaskSource::parse("a.json#x#y").label, std::string("x#y"));
        for (const char* bad : {"a.json", "/data/b.JSON", "a.json#", ".json#x"}) {
            try {
                data::MaskSource::parse(bad);
                QFAIL(bad);
            } catch (const UsageError& error) {
                QVERIFY2(QString::fromUtf8(error.what()).contains(QStringLiteral("#")), error.what());
            }
        }
    }

    void listingSkipsImagesWithoutTheLabel() {
        const QString path = m_work.filePath(QStringLiteral("labels.json"));
        writeText(path, R"({"b": {"Edema": {"size": [2, 2], "counts": [4]}}, "a": {"Edema": {"size": [2, 2], "counts": [0, 4]}},
                            "c": {"Cardiomegaly": {"size": [2, 2], "counts": [4]}}})");
        const auto listed = data::listAnnotatedImages(data::MaskSource::parse(path.toStdString() + "#Edema"));
        QCOMPARE(listed.size(), std::size_t(2));
        QCOMPARE(listed[0].stem, std::string("a"));
        QCOMPARE(listed[1].stem, std::string("b"));
        QCOMPARE(listed[0].mask.describe(), path.toStdString() + "#Edema, image 'a'");
        try {
            data::listAnnotatedImages(data::MaskSource::parse(path.toStdString() + "#Pneumothorax"));
            QFAIL("an unknown label must be refused");
        } catch (const UsageError& error) {
            const QString message = QString::fromUtf8(error.what());
            QVERIFY2(message.contains(path) && message.contains(QStringLiteral("Cardiomegaly, Edema")), error.what());
        }
        // Re-read from the file (the GUI's path): the same mask as from the listing.
        const data::MaskReference fromText = data::maskReferenceOf(path.toStdString() + "#Edema", "a");
        QCOMPARE(cv::countNonZero(data::readAnnotationMask(fromText, "")), 4);
        QVERIFY_THROWS_EXCEPTION(ImageError, data::readAnnotationMask(data::maskReferenceOf(path.toStdString() + "#Edema", "c"), ""));

        // The labels to choose from (the GUI's File > Open mask annotations), with their image counts.
        const auto labels = data::annotationLabels(path.toStdString());
        QCOMPARE(labels.size(), std::size_t(2));
        QCOMPARE(labels[0].label, std::string("Cardiomegaly"));
        QCOMPARE(labels[0].images, std::size_t(1));
        QCOMPARE(labels[1].label, std::string("Edema"));
        QCOMPARE(labels[1].images, std::size_t(2));
        QVERIFY_THROWS_EXCEPTION(UsageError, data::annotationLabels(m_work.filePath(QStringLiteral("none.json")).toStdString()));
    }

    // A mask folder listed compactly (data::listMaskFiles, what the report's strip keeps of 10^5
    // masks) as listAnnotatedImages lists it: the same order (file names: "a-.png" before "a.png"),
    // the same paths, and the same pair named when two masks share a stem: the first file whose
    // stem an earlier one has ("a-.png" after "a-.bmp"), though "a" sorts before "a-" by stem.
    void maskFolderListedCompactly() {
        const QString masks = m_work.filePath(QStringLiteral("compact-masks"));
        QVERIFY(QDir().mkpath(masks));
        for (const char* name : {"b.png", "a.png", "a-.png", "c.tif", "notes.txt"})
            writeText(masks + QLatin1Char('/') + QLatin1String(name), "x");
        const auto annotated = data::listAnnotatedImages(data::MaskSource::parse(masks.toStdString()));
        const auto files = data::listMaskFiles(masks.toStdString());
        QCOMPARE(files.size(), std::size_t(4));
        QCOMPARE(annotated.size(), files.size());
        for (std::size_t i = 0; i < files.size(); ++i) {
            QCOMPARE(files[i].stem, annotated[i].stem);
            QCOMPARE(masks.toStdString() + "/" + files[i].fileName, annotated[i].mask.path);
        }
        QCOMPARE(files[0].fileName, std::string("a-.png"));
        QCOMPARE(files[1].fileName, std::string("a.png"));

        for (const char* name : {"a-.bmp", "a.tif"})
            writeText(masks + QLatin1Char('/') + QLatin1String(name), "x");
        for (const auto& list : std::vector<std::function<void()>>{
                 [&] { data::listMaskFiles(masks.toStdString()); },
                 [&] { data::listAnnotatedImages(data::MaskSource::parse(masks.toStdString())); }}) {
            try {
                list();
                QFAIL("two masks of one stem must be refused");
            } catch (const UsageError& error) {
                const std::string expected = "masks '" + masks.toStdString() + "/a-.bmp' and '" + masks.toStdString() +
                                             "/a-.png' have the same stem 'a-'";
                QVERIFY2(std::string(error.what()).find(expected) != std::string::npos, error.what());
            }
        }
    }

    void malformedEntriesNameFileImageAndReason_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("reason");
        const auto add = [](const char* name, const char* text, const char* reason) {
            QTest::newRow(name) << QString::fromUtf8(text) << QString::fromUtf8(reason);
        };
        add("counts short", R"({"img1": {"L": {"size": [3, 4], "counts": [5, 6]}}})", "sum to 11, expected h * w = 12");
        add("counts over", R"({"img1": {"L": {"size": [3, 4], "counts": [5, 6, 7]}}})", "more than h * w = 12");
        add("counts overflow", R"({"img1": {"L": {"size": [3, 4], "counts": [18446744073709551615, 1]}}})", "more than h * w");
        add("huge size", R"({"img1": {"L": {"size": [100000, 100000], "counts": "0"}}})", "2^28");
        add("zero size", R"({"img1": {"L": {"size": [0, 4], "counts": []}}})", "not a positive size");
        add("size not a pair", R"({"img1": {"L": {"size": [3], "counts": [3]}}})", "[height, width]");
        add("no counts", R"({"img1": {"L": {"size": [3, 4]}}})", "needs \"size\" and \"counts\"");
        add("negative count", R"({"img1": {"L": {"size": [3, 4], "counts": [-1, 13]}}})", "expected an integer >= 0");
        add("fractional count", R"({"img1": {"L": {"size": [3, 4], "counts": [1.5, 10.5]}}})", "expected an integer >= 0");
        add("bad character", R"({"img1": {"L": {"size": [3, 4], "counts": "<~"}}})", "outside '0'..'o'");
        add("truncated string", R"({"img1": {"L": {"size": [3, 4], "counts": "P"}}})", "ends inside a value");
        add("over-long value", R"({"img1": {"L": {"size": [3, 4], "counts": "PPPPPPPP0"}}})", "longer than 7");
        add("negative string count", R"({"img1": {"L": {"size": [3, 4], "counts": "@"}}})", "negative count");
        add("counts wrong type", R"({"img1": {"L": {"size": [3, 4], "counts": {}}}})", "must be a string");
        add("annotation a string", R"({"img1": {"L": "mask.png"}})", "expected an RLE object");
        add("odd polygon", R"({"img1": {"L": [[1, 2, 3, 4, 5]], "img_size": [8, 8]}})", "odd number");
        add("two-point polygon", R"({"img1": {"L": [[1, 2, 3, 4]], "img_size": [8, 8]}})", "at least 3");
        add("far polygon", R"({"img1": {"L": [[1e300, 2, 3, 4, 5, 6]], "img_size": [8, 8]}})", "far outside");
        add("bad point", R"({"img1": {"L": [[[1, 2, 3], [3, 4], [5, 6]]], "img_size": [8, 8]}})", "expected a number or [x, y]");
        add("polygon without size", R"({"img1": {"L": [[1, 2, 3, 4, 5, 6]]}})", "need the annotated image");
        add("bad img_size", R"({"img1": {"L": [[1, 2, 3, 4, 5, 6]], "img_size": [-8, 8]}})", "img_size");
    }
    void malformedEntriesNameFileImageAndReason() {
        QFETCH(QString, text);
        QFETCH(QString, reason);
        try {
            readMalformed(text.toStdString());
            QFAIL("a malformed annotation must be refused");
        } catch (const ImageError& error) {
            const QString message = QString::fromUtf8(error.what());
            QVERIFY2(message.contains(QStringLiteral("bad.json")) && message.contains(QStringLiteral("image 'img1'")) &&
                         message.contains(reason),
                     error.what());
        }
    }

    void malformedFilesRefusedWhenListed_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("reason");
        QTest::newRow("not json") << QStringLiteral("{\"img1\": {") << QStringLiteral("not valid JSON");
        QTest::newRow("top-level list") << QStringLiteral("[1, 2]") << QStringLiteral("found a JSON array");
        QTest::newRow("image not object") << QStringLiteral("{\"img1\": 3}") << QStringLiteral("image 'img1' maps to a JSON number");
    }
    void malformedFilesRefusedWhenListed() {
        QFETCH(QString, text);
        QFETCH(QString, reason);
        const QString path = m_work.filePath(QStringLiteral("bad_file.json"));
        writeText(path, text.toStdString());
        try {
            data::listAnnotatedImages(data::MaskSource::parse(path.toStdString() + "#L"));
            QFAIL("a malformed annotation file must be refused");
        } catch (const UsageError& error) {
            const QString message = QString::fromUtf8(error.what());
            QVERIFY2(message.contains(path) && message.contains(reason), error.what());
        }
        QVERIFY_THROWS_EXCEPTION(UsageError,
                                 data::listAnnotatedImages(data::MaskSource::parse(m_work.filePath(QStringLiteral("none.json#L")).toStdString())));
    }

    // A MONOCHROME1 binary DICOM mask (pydicom): non-zero = inside, not inverted.
    void dicomMask() {
        const cv::Mat mask = image::readMaskGrey((kReferences + QStringLiteral("/mask_binary.dcm")).toStdString());
        const cv::Mat expected = maskOfRows(readJson(kReferences + QStringLiteral("/mask_binary.json")).at("pixels"));
        QCOMPARE(mask.type(), CV_8UC1);
        QCOMPARE(differingPixels(mask, expected), 0);
    }

    // The real CP-CHILD boxes (224 x 224, the study's frame) as PNG files and as a CheXlocalize-style
    // JSON (two compressed, two uncompressed; a fifth image with another label only): the same
    // evaluation, byte for byte. Then the boxes at the images' original 256 x 256 (nearest
    // neighbour), as PNG and as RLE: both follow the image's resize identically.
    void evaluationEqualWithPngAndJsonMasks() {
        INTERMAP_REQUIRE_SHARED(QStringLiteral("data/cp-child-a/masks"));
        const QString weights = m_work.filePath(QStringLiteral("weights"));
        QVERIFY(QDir().mkpath(weights));
        test::writeSmallVitCheckpoint(weights + QStringLiteral("/cpchild_sup.pth"), 1001);
        const QString allMasks = test::sharedPath(QStringLiteral("data/cp-child-a/masks"));
        const QStringList names = QDir(allMasks).entryList({QStringLiteral("*.png")}, QDir::Files, QDir::Name);
        QVERIFY(names.size() >= 5);

        for (const int size : {224, 256}) {
            const QString pngFolder = m_work.filePath(QStringLiteral("png%1").arg(size));
            QVERIFY(QDir().mkpath(pngFolder));
            json annotations = json::object();
            for (int i = 0; i < 4; ++i) {
                cv::Mat mask = image::readMaskGrey((allMasks + QLatin1Char('/') + names[i]).toStdString());
                QCOMPARE(mask.size(), cv::Size(224, 224));
                if (size != 224)
                    cv::resize(mask, mask, cv::Size(size, size), 0, 0, cv::INTER_NEAREST_EXACT);
                QVERIFY(cv::imwrite((pngFolder + QLatin1Char('/') + names[i]).toStdString(), mask));
                // The reader thresholds nothing: a grey box edge (> 0) is inside, as the evaluation's
                // default threshold 0 counts it.
                cv::Mat binary = mask > 0;
                const auto counts = data::coco::countsOfMask(binary);
                const json counted = i % 2 == 0 ? json(data::coco::encodeCounts(counts)) : json(counts);
                annotations[QFileInfo(names[i]).completeBaseName().toStdString()] = {
                    {"Polyp", {{"size", {size, size}}, {"counts", counted}}},
                    {"Other", {{"size", {size, size}}, {"counts", {size * size}}}}};
            }
            annotations[QFileInfo(names[4]).completeBaseName().toStdString()] = {
                {"Other", {{"size", {size, size}}, {"counts", {size * size}}}}};
            const QString jsonPath = m_work.filePath(QStringLiteral("cpchild%1.json").arg(size));
            writeText(jsonPath, annotations.dump());

            QByteArray perImage[2];
            for (int variant = 0; variant < 2; ++variant) {
                eval::EvaluationSettings settings;
                settings.weightsDir = weights.toStdString();
                const std::string masks = variant == 0 ? pngFolder.toStdString() : jsonPath.toStdString() + "#Polyp";
                settings.datasets = {{"cpchild", test::sharedPathStd(QStringLiteral("data/cp-child-a/test/polyp")), masks,
                                      image::PreprocessRecipe::Resize}};
                settings.inits = {"sup"};
                settings.methods = {explain::kAttentionMethod};
                settings.outDir = m_work.filePath(QStringLiteral("run%1_%2").arg(size).arg(variant)).toStdString();
                const auto run = eval::runEvaluation(settings, explain::ExplainerRegistry::withBuiltinMethods());
                QCOMPARE(run.maps.itemsComputed, std::int64_t(4));
                QCOMPARE(run.results.itemsScored, std::int64_t(4));
                QVERIFY(run.results.problems.empty());
                perImage[variant] = readAll(QString::fromStdString(settings.outDir) + QStringLiteral("/per_image.csv"));
                QCOMPARE(perImage[variant].count('\n'), 5); // header + 4 images
            }
            QVERIFY2(perImage[0] == perImage[1], qPrintable(QStringLiteral("per_image.csv differs at size %1").arg(size)));
        }
    }
};

QTEST_GUILESS_MAIN(TestAnnotations)
#include "test_annotations.moc"
