// Image decoding and the study's pre-processing recipes, against Pillow 9.4 + torchvision 0.14
// results stored in tests/data/pillow (made by tests/tools/make_pillow_references.py).
#include "intermap/image/image_io.h"
#include "intermap/image/preprocess.h"
#include "intermap/util/errors.h"

#include "shared_data.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <opencv2/imgcodecs.hpp>
#include <torch/torch.h>

#include <cmath>
#include <random>

using namespace intermap;

namespace {

const QString kPillowDir = QStringLiteral(INTERMAP_TEST_DATA_DIR "/pillow");

std::string pillowFile(const QString& relative) { return (kPillowDir + QLatin1Char('/') + relative).toStdString(); }

QJsonObject readManifest() {
    QFile file(kPillowDir + QStringLiteral("/manifest.json"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

struct Difference {
    int maxDiff = 0;
    int differingValues = 0;
    cv::Point worst;
};

Difference compareImages(const cv::Mat& actual, const cv::Mat& expected) {
    cv::Mat diff;
    cv::absdiff(actual, expected, diff);
    Difference result;
    const cv::Mat flat = diff.reshape(1);
    double maxValue = 0;
    cv::Point maxLocation;
    cv::minMaxLoc(flat, nullptr, &maxValue, nullptr, &maxLocation);
    result.maxDiff = int(maxValue);
    result.differingValues = cv::countNonZero(flat);
    result.worst = cv::Point(maxLocation.x / actual.channels(), maxLocation.y);
    return result;
}

bool sameImage(const cv::Mat& a, const cv::Mat& b) {
    return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0.0;
}

void writeBytes(const QString& path, const QByteArray& bytes) {
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    QCOMPARE(file.write(bytes), qint64(bytes.size()));
}

QByteArray readBytes(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

template <typename Function>
void expectImageError(Function&& function, const std::string& path, const std::string& reasonPart) {
    try {
        function();
        QFAIL(qPrintable(QString::fromStdString("no error for " + path)));
    } catch (const ImageError& error) {
        QCOMPARE(error.path(), path);
        const std::string message = error.what();
        QVERIFY2(message.rfind(path + ": ", 0) == 0, error.what());
        QVERIFY2(message.find(reasonPart) != std::string::npos, error.what());
    }
}

} // namespace

class TestImagePreprocess : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void manifestIsComplete() {
        const QJsonArray cases = readManifest().value(QStringLiteral("cases")).toArray();
        QVERIFY2(cases.size() >= 69, "tests/data/pillow/manifest.json is missing or incomplete");
        QSet<QString> recipes;
        for (const auto& entry : cases)
            recipes.insert(entry.toObject().value(QStringLiteral("recipe")).toString());
        QCOMPARE(recipes, (QSet<QString>{QStringLiteral("resize"), QStringLiteral("center-crop"),
                                         QStringLiteral("decode"), QStringLiteral("grey")}));
    }

    void matchesPillow_data() {
        QTest::addColumn<QString>("root");
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("recipe");
        QTest::addColumn<QString>("expected");
        QTest::addColumn<int>("tolerance");
        for (const auto& entry : readManifest().value(QStringLiteral("cases")).toArray()) {
            const QJsonObject item = entry.toObject();
            const QString input = item.value(QStringLiteral("input")).toString();
            const QString recipe = item.value(QStringLiteral("recipe")).toString();
            QTest::addRow("%s %s", qPrintable(input.section(QLatin1Char('/'), -1)), qPrintable(recipe))
                << item.value(QStringLiteral("root")).toString() << input << recipe
                << item.value(QStringLiteral("expected")).toString() << item.value(QStringLiteral("tolerance")).toInt();
        }
    }

    // Every pixel of every case within the manifest's tolerance: 0 (exact) for lossless inputs,
    // 1 grey level for JPEG inputs (libjpeg builds may differ by that much from Pillow's).
    void matchesPillow() {
        QFETCH(QString, root);
        QFETCH(QString, input);
        QFETCH(QString, recipe);
        QFETCH(QString, expected);
        QFETCH(int, tolerance);

        std::string inputPath;
        if (root == QLatin1String("shared")) {
            INTERMAP_REQUIRE_SHARED(input);
            inputPath = test::sharedPathStd(input);
        } else {
            inputPath = (QStringLiteral(INTERMAP_TEST_DATA_DIR "/") + input).toStdString();
        }

        cv::Mat actual;
        cv::Mat reference;
        if (recipe == QLatin1String("grey")) {
            actual = image::readMaskGrey(inputPath);
            reference = image::readMaskGrey(pillowFile(expected));
        } else {
            const cv::Mat rgb = image::readImageRgb8(inputPath);
            if (recipe == QLatin1String("decode"))
                actual = rgb;
            else
                actual = image::preprocessRgb8(rgb, image::parsePreprocessRecipe(recipe.toStdString()));
            reference = image::readImageRgb8(pillowFile(expected));
        }
        QCOMPARE(actual.type(), reference.type());
        QCOMPARE(actual.cols, reference.cols);
        QCOMPARE(actual.rows, reference.rows);

        const Difference difference = compareImages(actual, reference);
        const QString summary = QStringLiteral("%1 [%2]: max difference %3, %4 of %5 values differ (worst at x=%6 y=%7)")
                                    .arg(input, recipe)
                                    .arg(difference.maxDiff)
                                    .arg(difference.differingValues)
                                    .arg(actual.total() * actual.channels())
                                    .arg(difference.worst.x)
                                    .arg(difference.worst.y);
        qInfo("%s", qPrintable(summary));
        QVERIFY2(difference.maxDiff <= tolerance,
                 qPrintable(summary + QStringLiteral(" > tolerance %1").arg(tolerance)));
    }

    // Every 16-bit value 0..65535 occurs once in the gradient (v = 256 y + x); each must become
    // round(v * 255 / 65535) — scaled, not clipped as PIL's convert('RGB') would.
    void sixteenBitIsScaledNotClipped() {
        const std::string path = pillowFile(QStringLiteral("inputs/grey16_gradient.png"));
        const cv::Mat raw = cv::imread(path, cv::IMREAD_UNCHANGED);
        QCOMPARE(raw.type(), CV_16UC1); // the input really is 16-bit
        const cv::Mat rgb = image::readImageRgb8(path);
        QCOMPARE(rgb.type(), CV_8UC3);
        QCOMPARE(rgb.size(), cv::Size(256, 256));
        int mismatches = 0;
        for (int y = 0; y < 256; ++y) {
            for (int x = 0; x < 256; ++x) {
                const int v = 256 * y + x;
                const auto expected = static_cast<std::uint8_t>(std::lround(v * 255.0 / 65535.0));
                const cv::Vec3b pixel = rgb.at<cv::Vec3b>(y, x);
                mismatches += pixel[0] != expected || pixel[1] != expected || pixel[2] != expected;
            }
        }
        QCOMPARE(mismatches, 0);
        QCOMPARE(int(rgb.at<cv::Vec3b>(0, 128)[0]), 0);   // 128 * 255 / 65535 = 0.498
        QCOMPARE(int(rgb.at<cv::Vec3b>(0, 129)[0]), 1);   // 0.502, where clipping would give 129
        QCOMPARE(int(rgb.at<cv::Vec3b>(255, 255)[0]), 255);

        // Masks follow PIL: 16-bit grey is clipped, so a value of 1 stays inside (> 0).
        const cv::Mat mask = image::readMaskGrey(path);
        QCOMPARE(mask.type(), CV_8UC1);
        QCOMPARE(int(mask.at<std::uint8_t>(0, 1)), 1);
        QCOMPARE(int(mask.at<std::uint8_t>(0, 255)), 255);
        QCOMPARE(int(mask.at<std::uint8_t>(1, 0)), 255);
    }

    // Window/level on a 16-bit grey PNG, as on DICOM (a 12-bit X-ray stored in 16 bits is nearly
    // black as stored): the linear VOI function for C,W; min-max over the image's range; the file's
    // own rule stays "as stored", reported as the window 32768/65536. Colour and 8-bit ignore it.
    void sixteenBitGreyTakesAWindow() {
        const std::string path = pillowFile(QStringLiteral("inputs/grey16_gradient.png"));
        image::ImageReadOptions options;
        options.window = image::parseWindowChoice("2048,4096");
        const image::DescribedImage windowed = image::readImageDescribed(path, options);
        QVERIFY(windowed.voiWindow.has_value());
        QCOMPARE(windowed.voiWindow->center, 2048.0);
        QCOMPARE(windowed.voiWindow->width, 4096.0);
        QVERIFY(!windowed.dicom.has_value());
        int mismatches = 0;
        for (int y = 0; y < 256; ++y)
            for (int x = 0; x < 256; ++x) {
                const double v = 256 * y + x;
                // DICOM PS3.3 C.11.2.1.2.1 with c = 2048, w = 4096, written out here.
                const double linear = v <= 2047.5 - 2047.5 ? 0 : v > 2047.5 + 2047.5 ? 255 : ((v - 2047.5) / 4095 + 0.5) * 255;
                const auto expected = static_cast<std::uint8_t>(std::lround(linear));
                mismatches += windowed.rgb.at<cv::Vec3b>(y, x)[0] != expected || windowed.rgb.at<cv::Vec3b>(y, x)[2] != expected;
            }
        QCOMPARE(mismatches, 0);
        QCOMPARE(int(windowed.rgb.at<cv::Vec3b>(8, 0)[0]), 128);  // v = 2048, mid-grey (as stored: 8)
        QCOMPARE(int(windowed.rgb.at<cv::Vec3b>(16, 0)[0]), 255); // v = 4096, past the window
        QVERIFY(sameImage(windowed.rgb, image::readImageRgb8(path, options))); // the model reads what is shown

        const image::DescribedImage stored = image::readImageDescribed(path);
        QVERIFY(sameImage(stored.rgb, image::readImageRgb8(path))); // the default is unchanged
        QVERIFY(stored.voiWindow.has_value());
        QCOMPARE(stored.voiWindow->center, 32768.0);
        QCOMPARE(stored.voiWindow->width, 65536.0);

        options.window = image::parseWindowChoice("minmax");
        const image::DescribedImage minMax = image::readImageDescribed(path, options);
        QCOMPARE(minMax.voiWindow->width, 65536.0); // the gradient spans 0..65535: as stored
        QVERIFY(sameImage(minMax.rgb, stored.rgb));

        // 8-bit grey: no window to set, and --window changes nothing.
        const std::string eight = pillowFile(QStringLiteral("inputs/grey8.png"));
        options.window = image::parseWindowChoice("10,20");
        QVERIFY(!image::readImageDescribed(eight, options).voiWindow.has_value());
        QVERIFY(sameImage(image::readImageRgb8(eight, options), image::readImageRgb8(eight)));
    }

    void greyscaleIsReplicated() {
        const std::string path = pillowFile(QStringLiteral("inputs/grey8.png"));
        const cv::Mat grey = cv::imread(path, cv::IMREAD_UNCHANGED);
        QCOMPARE(grey.type(), CV_8UC1);
        const cv::Mat rgb = image::readImageRgb8(path);
        std::vector<cv::Mat> channels;
        cv::split(rgb, channels);
        QCOMPARE(channels.size(), std::size_t(3));
        for (const auto& channel : channels)
            QCOMPARE(cv::norm(channel, grey, cv::NORM_INF), 0.0);
        QCOMPARE(cv::norm(image::readMaskGrey(path), grey, cv::NORM_INF), 0.0);
    }

    // Colour under fully transparent pixels must survive: PIL's convert('RGB') drops alpha.
    void alphaIsDroppedNotBlended() {
        const std::string path = pillowFile(QStringLiteral("inputs/rgba.png"));
        const cv::Mat bgra = cv::imread(path, cv::IMREAD_UNCHANGED);
        QCOMPARE(bgra.type(), CV_8UC4);
        const cv::Mat rgb = image::readImageRgb8(path);
        int transparentWithColour = 0;
        for (int y = 0; y < bgra.rows; ++y) {
            for (int x = 0; x < bgra.cols; ++x) {
                const cv::Vec4b source = bgra.at<cv::Vec4b>(y, x);
                const cv::Vec3b decoded = rgb.at<cv::Vec3b>(y, x);
                QVERIFY(decoded[0] == source[2] && decoded[1] == source[1] && decoded[2] == source[0]);
                transparentWithColour += source[3] == 0 && (source[0] | source[1] | source[2]) != 0;
            }
        }
        QVERIFY(transparentWithColour > 100);
    }

    // PIL's Image.open does not apply EXIF orientation, so neither do we; OpenCV's default
    // imread would rotate this 160x120 image (orientation 6) to 120x160.
    void exifOrientationIsIgnored() {
        const std::string path = pillowFile(QStringLiteral("inputs/exif_orientation6.jpg"));
        QCOMPARE(cv::imread(path, cv::IMREAD_COLOR).size(), cv::Size(120, 160));
        const cv::Mat rgb = image::readImageRgb8(path);
        QCOMPARE(rgb.size(), cv::Size(160, 120));
        const cv::Mat pillow = image::readImageRgb8(pillowFile(QStringLiteral("expected/exif_orientation6_jpg.decode.png")));
        QVERIFY(compareImages(rgb, pillow).maxDiff <= 1);
    }

    void unreadableFiles_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("reason");
        const QByteArray png = readBytes(QString::fromStdString(pillowFile(QStringLiteral("inputs/odd_301x257.png"))));
        const QByteArray jpeg = readBytes(QString::fromStdString(pillowFile(QStringLiteral("inputs/exif_orientation6.jpg"))));
        const QByteArray bmp = readBytes(QString::fromStdString(pillowFile(QStringLiteral("inputs/rgb.bmp"))));
        const QByteArray tiff = readBytes(QString::fromStdString(pillowFile(QStringLiteral("inputs/rgb.tif"))));
        QVERIFY(!png.isEmpty() && !jpeg.isEmpty() && !bmp.isEmpty() && !tiff.isEmpty());
        QByteArray random(4096, '\0');
        std::mt19937 generator(7);
        for (auto& byte : random)
            byte = char(generator() & 0xFF);
        QByteArray badCrc = png;
        badCrc[png.size() / 2] = char(badCrc[png.size() / 2] ^ 0x55); // inside IDAT: CRC mismatch

        QTest::newRow("truncated PNG") << "cut.png" << png.left(png.size() / 2) << "cannot decode image";
        // Stricter than PIL, which accepts a PNG missing only its IEND chunk: libpng (through
        // OpenCV) cannot tell it from a truncated file.
        QTest::newRow("PNG cut before IEND") << "noend.png" << png.left(png.size() - 12) << "cannot decode image";
        QTest::newRow("PNG bad CRC") << "crc.png" << badCrc << "cannot decode image";
        QTest::newRow("truncated JPEG") << "cut.jpg" << jpeg.left(jpeg.size() / 2) << "truncated";
        QTest::newRow("JPEG without EOI") << "noeoi.jpg" << jpeg.left(jpeg.size() - 2) << "truncated";
        QTest::newRow("truncated BMP") << "cut.bmp" << bmp.left(bmp.size() / 2) << "cannot decode image";
        QTest::newRow("truncated TIFF") << "cut.tif" << tiff.left(tiff.size() / 2) << "cannot decode image";
        QTest::newRow("random bytes") << "random.png" << random << "not a PNG, JPEG, BMP, TIFF or DICOM";
        QTest::newRow("PNG signature, garbage") << "sig.png" << (png.left(8) + random) << "cannot decode image";
        QTest::newRow("empty file") << "empty.jpg" << QByteArray() << "empty";
    }

    void unreadableFiles() {
        QFETCH(QString, name);
        QFETCH(QByteArray, bytes);
        QFETCH(QString, reason);
        QTemporaryDir directory;
        QVERIFY(directory.isValid());
        const QString path = directory.filePath(name);
        writeBytes(path, bytes);
        const std::string pathStd = path.toStdString();
        expectImageError([&] { image::readImageRgb8(pathStd); }, pathStd, reason.toStdString());
        expectImageError([&] { image::readMaskGrey(pathStd); }, pathStd, reason.toStdString());
        expectImageError([&] { image::loadPreprocessed(pathStd, image::PreprocessRecipe::Resize); }, pathStd,
                         reason.toStdString());
    }

    // Random damage (byte flips, cuts) to JPEG and PNG data ends in an image or an ImageError,
    // never in another exception or a crash (the JPEG marker walk reads untrusted lengths).
    void randomDamageEndsInImageError() {
        std::mt19937 generator(99);
        for (const QString& name : {QStringLiteral("inputs/exif_orientation6.jpg"), QStringLiteral("inputs/small_100x150.png")}) {
            const QByteArray original = readBytes(QString::fromStdString(pillowFile(name)));
            QVERIFY(!original.isEmpty());
            int refused = 0;
            for (int round = 0; round < 150; ++round) {
                QByteArray damaged = original;
                const int edits = 1 + int(generator() % 3);
                for (int e = 0; e < edits; ++e) {
                    const int at = int(generator() % std::uint32_t(damaged.size()));
                    if (generator() % 4 == 0)
                        damaged.truncate(std::max(at, 4));
                    else
                        damaged[at] = char(generator() & 0xFF);
                }
                try {
                    const cv::Mat rgb = image::decodeImageRgb8(std::string_view(damaged.constData(), std::size_t(damaged.size())),
                                                               "damaged");
                    QCOMPARE(rgb.type(), CV_8UC3);
                } catch (const ImageError& error) {
                    QCOMPARE(error.path(), std::string("damaged"));
                    ++refused;
                }
            }
            QVERIFY(refused > 10);
        }
    }

    void missingFileOrDirectory() {
        QTemporaryDir directory;
        const std::string missing = directory.filePath(QStringLiteral("absent.png")).toStdString();
        expectImageError([&] { image::readImageRgb8(missing); }, missing, "file does not exist");
        const std::string folder = directory.path().toStdString();
        expectImageError([&] { image::readImageRgb8(folder); }, folder, "is a directory");
    }

    void centerCropGeometry_data() {
        QTest::addColumn<int>("width");
        QTest::addColumn<int>("height");
        QTest::addColumn<QList<int>>("expected"); // padLeft, padTop, padRight, padBottom, cropX, cropY
        QTest::newRow("256x256") << 256 << 256 << QList<int>{0, 0, 0, 0, 16, 16};
        QTest::newRow("224x224") << 224 << 224 << QList<int>{0, 0, 0, 0, 0, 0};
        QTest::newRow("margin 1 -> 0") << 225 << 224 << QList<int>{0, 0, 0, 0, 0, 0};
        QTest::newRow("margin 3 -> 2") << 227 << 224 << QList<int>{0, 0, 0, 0, 2, 0};
        QTest::newRow("margin 5 -> 2") << 229 << 224 << QList<int>{0, 0, 0, 0, 2, 0};
        QTest::newRow("301x257") << 301 << 257 << QList<int>{0, 0, 0, 0, 38, 16};
        QTest::newRow("100x150 padded") << 100 << 150 << QList<int>{62, 37, 62, 37, 0, 0};
        QTest::newRow("223 wide: odd padding") << 223 << 300 << QList<int>{0, 0, 1, 0, 0, 38};
        QTest::newRow("180x301") << 180 << 301 << QList<int>{22, 0, 22, 0, 0, 38};
        QTest::newRow("1x1") << 1 << 1 << QList<int>{111, 111, 112, 112, 0, 0};
    }

    void centerCropGeometry() {
        QFETCH(int, width);
        QFETCH(int, height);
        QFETCH(QList<int>, expected);
        const auto g = image::centerCropGeometry(cv::Size(width, height), 224);
        QCOMPARE((QList<int>{g.padLeft, g.padTop, g.padRight, g.padBottom, g.cropX, g.cropY}), expected);
        QCOMPARE(g.size, 224);

        // The geometry works on any Mat type, e.g. a mask, with zero padding.
        const cv::Mat mask(height, width, CV_8UC1, cv::Scalar(200));
        const cv::Mat cropped = image::applyCropGeometry(mask, g);
        QCOMPARE(cropped.size(), cv::Size(224, 224));
        const int inside = std::min(width, 224) * std::min(height, 224);
        QCOMPARE(cv::countNonZero(cropped), inside);
    }

    void resizeSameSizeIsACopy() {
        cv::Mat rgb(224, 224, CV_8UC3);
        cv::randu(rgb, 0, 256);
        const cv::Mat out = image::preprocessRgb8(rgb, image::PreprocessRecipe::Resize);
        QCOMPARE(cv::norm(out, rgb, cv::NORM_INF), 0.0);
        QVERIFY(out.data != rgb.data);
        const cv::Mat cropped = image::preprocessRgb8(rgb, image::PreprocessRecipe::CenterCrop);
        QCOMPARE(cv::norm(cropped, rgb, cv::NORM_INF), 0.0);
        QVERIFY(cropped.data != rgb.data);
    }

    // A constant image stays constant at any scale (the weights of each output sum to one in
    // fixed point, up to rounding that must not show).
    void resizeKeepsConstantImages() {
        for (const cv::Size input : {cv::Size(1, 1), cv::Size(3, 500), cv::Size(1348, 1070), cv::Size(100, 150)}) {
            for (const int value : {0, 1, 128, 254, 255}) {
                const cv::Mat flat(input, CV_8UC3, cv::Scalar::all(value));
                const cv::Mat out = image::preprocessRgb8(flat, image::PreprocessRecipe::Resize);
                QCOMPARE(out.size(), cv::Size(224, 224));
                double low = 0, high = 0;
                cv::minMaxLoc(out.reshape(1), &low, &high);
                QVERIFY2(low == value && high == value,
                         qPrintable(QStringLiteral("%1x%2 of %3 gave %4..%5")
                                        .arg(input.width).arg(input.height).arg(value).arg(low).arg(high)));
            }
        }
    }

    void recipeNames() {
        for (const auto recipe : {image::PreprocessRecipe::Resize, image::PreprocessRecipe::CenterCrop})
            QVERIFY(image::parsePreprocessRecipe(image::toString(recipe)) == recipe);
        QCOMPARE(std::string(image::toString(image::PreprocessRecipe::CenterCrop)), std::string("center-crop"));
        QVERIFY_THROWS_EXCEPTION(UsageError, image::parsePreprocessRecipe("centre-crop"));
    }

    void rejectsWrongMatTypes() {
        const cv::Mat grey(10, 10, CV_8UC1, cv::Scalar(1));
        QVERIFY_THROWS_EXCEPTION(Error, image::preprocessRgb8(grey, image::PreprocessRecipe::Resize));
        QVERIFY_THROWS_EXCEPTION(Error, image::toNormalizedTensor(grey));
        QVERIFY_THROWS_EXCEPTION(Error, image::toNormalizedTensor(cv::Mat()));
    }

    // ToTensor() + Normalize(): ((v / 255) - mean) / std, every step in float32.
    void normalisedTensorValues() {
        cv::Mat rgb(2, 3, CV_8UC3, cv::Scalar(0, 0, 0));
        rgb.at<cv::Vec3b>(1, 2) = cv::Vec3b(255, 128, 7);
        const torch::Tensor tensor = image::toNormalizedTensor(rgb);
        QCOMPARE(tensor.dtype(), torch::kFloat32);
        QCOMPARE(tensor.sizes().vec(), (std::vector<std::int64_t>{1, 3, 2, 3}));
        const std::array<int, 3> values{255, 128, 7};
        // ImageNet's statistics as torchvision's Normalize receives them: the default.
        const std::array<float, 3> mean{0.485f, 0.456f, 0.406f}, std{0.229f, 0.224f, 0.225f};
        for (int c = 0; c < 3; ++c) {
            const float unit = float(values[c]) / 255.0f;
            const float expected = (unit - mean[c]) / std[c];
            QVERIFY(tensor[0][c][1][2].item<float>() == expected);
            const float zero = (0.0f - mean[c]) / std[c];
            QVERIFY(tensor[0][c][0][0].item<float>() == zero);
        }
        // A model's own statistics (google/vit's 0.5, 0.5): 255 -> 1, 0 -> -1; toRgb8 inverts them.
        model::Normalisation half;
        half.mean = {0.5, 0.5, 0.5};
        half.std = {0.5, 0.5, 0.5};
        const torch::Tensor own = image::toNormalizedTensor(rgb, half);
        QCOMPARE(own[0][0][1][2].item<float>(), 1.0f);
        QCOMPARE(own[0][0][0][0].item<float>(), -1.0f);
        const cv::Mat back = image::toRgb8(own, half);
        QVERIFY(back.at<cv::Vec3b>(1, 2) == cv::Vec3b(255, 128, 7));
        QVERIFY(std::abs(tensor[0][0][1][2].item<float>() - 2.2489083f) < 1e-6f); // (1 - 0.485) / 0.229
    }

    // Bit-identical to the torchvision sequence run by LibTorch itself on a random image.
    void normalisedTensorMatchesTorchOps() {
        cv::Mat rgb(37, 53, CV_8UC3);
        cv::randu(rgb, 0, 256);
        const torch::Tensor ours = image::toNormalizedTensor(rgb);
        const torch::Tensor hwc = torch::from_blob(rgb.data, {37, 53, 3}, torch::kUInt8);
        const torch::Tensor mean = torch::tensor({0.485, 0.456, 0.406}, torch::kFloat32).view({3, 1, 1});
        const torch::Tensor stdDev = torch::tensor({0.229, 0.224, 0.225}, torch::kFloat32).view({3, 1, 1});
        const torch::Tensor reference =
            hwc.permute({2, 0, 1}).contiguous().to(torch::kFloat32).div(255).sub(mean).div(stdDev).unsqueeze(0);
        QVERIFY(torch::equal(ours, reference));
    }

    void tensorDoesNotAliasTheMat() {
        cv::Mat rgb(8, 8, CV_8UC3, cv::Scalar(10, 20, 30));
        const torch::Tensor tensor = image::toNormalizedTensor(rgb);
        const torch::Tensor before = tensor.clone();
        const auto* tensorBytes = static_cast<const std::uint8_t*>(tensor.data_ptr());
        const auto tensorEnd = tensorBytes + tensor.numel() * tensor.element_size();
        QVERIFY(tensorEnd <= rgb.datastart || tensorBytes >= rgb.dataend);
        rgb.setTo(cv::Scalar(200, 200, 200));
        rgb.release();
        QVERIFY(torch::equal(tensor, before));
    }

    void toRgb8InvertsNormalisation() {
        cv::Mat rgb(31, 17, CV_8UC3);
        cv::randu(rgb, 0, 256);
        rgb.at<cv::Vec3b>(0, 0) = cv::Vec3b(0, 255, 0);
        const cv::Mat back = image::toRgb8(image::toNormalizedTensor(rgb));
        QCOMPARE(back.type(), CV_8UC3);
        QCOMPARE(cv::norm(back, rgb, cv::NORM_INF), 0.0);
        // [3,H,W] is accepted too, and out-of-range values are clipped.
        const cv::Mat saturated = image::toRgb8(torch::full({3, 2, 2}, 100.0f));
        QCOMPARE(int(saturated.at<cv::Vec3b>(1, 1)[0]), 255);
    }

    // The convenience path is the composition of the documented steps.
    void loadPreprocessedComposes() {
        const std::string path = pillowFile(QStringLiteral("inputs/odd_301x257.png"));
        for (const auto recipe : {image::PreprocessRecipe::Resize, image::PreprocessRecipe::CenterCrop}) {
            const torch::Tensor loaded = image::loadPreprocessed(path, recipe);
            QCOMPARE(loaded.sizes().vec(), (std::vector<std::int64_t>{1, 3, 224, 224}));
            const torch::Tensor manual =
                image::toNormalizedTensor(image::preprocessRgb8(image::readImageRgb8(path), recipe));
            QVERIFY(torch::equal(loaded, manual));
        }
    }
};

QTEST_GUILESS_MAIN(TestImagePreprocess)
#include "test_image_preprocess.moc"
