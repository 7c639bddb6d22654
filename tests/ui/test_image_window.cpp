// Window/level maths of the image panel (ui/view/image_window.h): a right-drag's effect, the
// presets a file offers, what of the reading changes a map, and the info lines (no patient data:
// the metadata type has none to show).
#include "view/image_window.h"

#include <QtTest/QtTest>

using namespace intermap;

class TestImageWindow : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void dragWidensRightAndRaisesTheLevelDown() {
        const image::DicomWindow start{40, 400, "file"};
        const image::WindowChoice none = view::draggedWindow(start, {0, 0});
        QCOMPARE(none.center, 40.0);
        QCOMPARE(none.width, 400.0);
        const image::WindowChoice moved = view::draggedWindow(start, {256, -128});
        QVERIFY(moved.kind == image::WindowChoice::Kind::Explicit);
        QCOMPARE(moved.width, 800.0);  // 256 px x 400/256
        QCOMPARE(moved.center, -160.0); // -128 px x 400/256
        QCOMPARE(view::draggedWindow(start, {-10000, 0}).width, 1.0); // never below 1
        QCOMPARE(view::draggedWindow({0.5, 1, ""}, {256, 0}).width, 2.0); // at least 1/256 per px
    }

    void presetsAreTheFilesWindowsBetweenItsDefaultAndMinMax() {
        image::DicomMetadata metadata;
        metadata.windows = {{40, 400, "SOFT TISSUE"}, {-600, 1500, ""}, {7, 0, "unusable"}};
        const auto presets = view::windowPresets(metadata);
        QCOMPARE(presets.size(), std::size_t(4));
        QVERIFY(presets.front().choice.kind == image::WindowChoice::Kind::FromFile);
        QCOMPARE(presets[1].name, QStringLiteral("File: 40 / 400 (SOFT TISSUE)"));
        QCOMPARE(presets[2].choice.center, -600.0);
        QVERIFY(presets.back().choice.kind == image::WindowChoice::Kind::MinMax);
    }

    void onlyTheModelsWindowIsPartOfTheMapKey() {
        view::ImageReading reading;
        const QString fileWindow = reading.modelKey();
        reading.displayWindow = {image::WindowChoice::Kind::Explicit, 40, 400};
        QCOMPARE(reading.modelKey(), fileWindow); // display only
        reading.modelUsesDisplayWindow = true;
        QVERIFY(reading.modelKey() != fileWindow);
        QCOMPARE(reading.modelInput().window.center, 40.0);
        view::ImageReading frameTwo;
        frameTwo.frame = 2;
        QVERIFY(frameTwo.modelKey() != fileWindow);
    }

    void infoLinesSayWhatTheFileIs() {
        image::DicomMetadata metadata;
        metadata.modality = "CT";
        metadata.rows = 128;
        metadata.columns = 128;
        metadata.rowSpacingMm = 0.66;
        metadata.columnSpacingMm = 0.66;
        metadata.bitsAllocated = 16;
        metadata.bitsStored = 16;
        metadata.signedSamples = true;
        metadata.photometricInterpretation = "MONOCHROME2";
        metadata.transferSyntaxName = "Explicit VR Little Endian";
        metadata.rescaleIntercept = -1024;
        const QString text = view::imageInfoLines(metadata, QStringLiteral("min-max -1024..1918")).join(QLatin1Char('\n'));
        for (const char* expected : {"Modality: CT", "Size: 128 x 128 px", "Pixel spacing: 0.66 x 0.66 mm", "16 stored of 16 allocated, signed",
                                     "Photometric: MONOCHROME2", "Transfer syntax: Explicit VR Little Endian", "Rescale: x 1 + -1024",
                                     "Windows in the file: none", "Frames: 1", "Shown with: min-max -1024..1918"})
            QVERIFY2(text.contains(QLatin1String(expected)), qPrintable(text));
    }
};

QTEST_GUILESS_MAIN(TestImageWindow)
#include "test_image_window.moc"
