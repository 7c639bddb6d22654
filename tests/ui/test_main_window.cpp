// The desktop application driven through its real widgets on the offscreen platform: open data
// and a checkpoint, choose methods, select an image; the panels must show exactly the overlay of
// the core's maps; zoom is linked; figures export as valid PNG/SVG/PDF; the GUI thread keeps
// running while a ViT-B/16 map is computed on the worker.
#include "shared_data.h"

#include "render/figure.h"
#include "dicom_test_data.h"
#include "gui_heartbeat.h"
#include "open_image_folder.h"
#include "widgets/comparison_view.h"
#include "widgets/controls_dock.h"
#include "widgets/image_browser.h"
#include "widgets/main_window.h"
#include "widgets/model_zoo.h"

#include "intermap/explain/explainer.h"
#include "intermap/image/preprocess.h"
#include "intermap/model/state_dict.h"
#include "intermap/model/vit.h"
#include "intermap/util/npy.h"

#include "intermap/compute/threading.h"

#include <torch/torch.h>

#include <QApplication>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>
#include <QWheelEvent>
#include <QXmlStreamReader>
#include <QtTest/QtTest>

#include <cmath>

using namespace intermap;

namespace {

const QString kImagesDir = QStringLiteral("data/cp-child-a/test");
const QString kCheckpoint = QStringLiteral("fixtures/vit-tiny-ref/model.pth");
const QString kImageStem = QStringLiteral("1 (10)"); // a polyp with a mask

// The core's maps for one image, computed here directly (not through the GUI).
std::map<std::string, std::vector<float>> coreMaps(const QString& imagePath, const QStringList& methods) {
    const auto model = model::loadVit(test::sharedPathStd(kCheckpoint));
    const auto input = image::loadPreprocessed(imagePath.toStdString(), image::PreprocessRecipe::Resize);
    std::vector<std::string> names;
    for (const QString& method : methods)
        names.push_back(method.toStdString());
    const auto explained = explain::explainImage(model, input, names, {}, explain::ExplainerRegistry::withBuiltinMethods());
    std::map<std::string, std::vector<float>> maps;
    for (const auto& explanation : explained.maps) {
        const auto map = explanation.map.contiguous();
        maps[explanation.method] = std::vector<float>(map.data_ptr<float>(), map.data_ptr<float>() + map.numel());
    }
    return maps;
}

bool waitForPanels(ui::MainWindow& window, int timeoutMs) {
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs) {
        if (window.controller()->everyPanelShown())
            return true;
        QTest::qWait(20);
    }
    return window.controller()->everyPanelShown();
}

} // namespace

class TestMainWindow : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        // As the application's main does, once for the process.
        compute::applyThreadPolicy(compute::threadPolicyFromEnvironment());
        QSettings().clear();
    }

    void panelsShowTheCoreMapsOverlaid() {
        INTERMAP_REQUIRE_SHARED(kImagesDir);
        INTERMAP_REQUIRE_SHARED(kCheckpoint);
        ui::MainWindow window;
        window.resize(1400, 800);
        window.show();
        const QStringList methods{QStringLiteral("attention"), QStringLiteral("gradcam"), QStringLiteral("chefer")};
        window.setMethods(methods);
        QString error;
        QVERIFY2(window.openCheckpoint(test::sharedPath(kCheckpoint), &error), qPrintable(error));
        QVERIFY2(test::openImageFolderAndWait(window, test::sharedPath(kImagesDir), &error), qPrintable(error));
        QVERIFY(window.imageBrowser()->entries().size() >= 50);
        QCOMPARE(window.imageBrowser()->classNames(), (QStringList{QStringLiteral("non-polyp"), QStringLiteral("polyp")}));
        QVERIFY(window.selectImage(kImageStem));
        const ui::ImageEntry* entry = window.imageBrowser()->current();
        QVERIFY(entry);
        QVERIFY2(!entry->maskPath.isEmpty(), "the sibling masks folder is paired automatically");
        QVERIFY2(waitForPanels(window, 120000), "maps did not appear");

        ui::ComparisonView* view = window.comparisonView();
        QCOMPARE(view->panelCount(), 4);
        QCOMPARE(view->panel(0)->title(), QStringLiteral("Original"));
        // Mask scores are shown per map panel.
        QVERIFY2(view->panel(1)->caption().contains(QStringLiteral("IoU@10")), qPrintable(view->panel(1)->caption()));
        // The browser learnt the prediction.
        QVERIFY(window.imageBrowser()->current()->predictedClass >= 0);

        // Compare what is on screen with an overlay composed here from the core's maps: magnify
        // to exactly 2 screen px per image px (no smoothing) and sample every screen pixel's
        // centre. The outline is switched off so that only the blend is compared.
        ui::PanelDisplay display = window.display();
        QCOMPARE(display.colourMap, QStringLiteral("jet"));
        display.showOutline = false;
        view->setDisplay(display);
        const auto expectedMaps = coreMaps(entry->path, methods);
        const QImage image = window.controller()->currentImage();
        QCOMPARE(image.size(), QSize(224, 224));
        for (int p = 1; p < view->panelCount(); ++p) {
            ui::MapPanel* panel = view->panel(p);
            const auto& expected = expectedMaps.at(methods[p - 1].toStdString());
            // Same map values as the core (the worker runs the same code on the same input).
            QCOMPARE(panel->map().size(), expected.size());
            double largest = 0.0;
            for (std::size_t i = 0; i < expected.size(); ++i)
                largest = std::max(largest, double(std::abs(panel->map()[i] - expected[i])));
            QVERIFY2(largest <= 1e-6, qPrintable(QStringLiteral("%1: map differs by %2").arg(methods[p - 1]).arg(largest)));

            const QSizeF viewport = panel->viewport().size();
            view::ViewState state = view::ViewState::fitted(QSizeF(224, 224));
            const double fit = view::ViewState::fitScale(QSizeF(224, 224), viewport);
            state.zoomAt(QPointF(viewport.width() / 2, viewport.height() / 2), 2.0 / fit, QSizeF(224, 224), viewport);
            view->link()->setState(state);
            const QImage grabbed = panel->grab().toImage().convertToFormat(QImage::Format_RGB32);
            const QRect area = panel->viewport();
            int compared = 0;
            int worst = 0;
            for (int y = area.top(); y <= area.bottom(); ++y)
                for (int x = area.left(); x <= area.right(); ++x) {
                    const QPointF at = state.toImage(QPointF(x + 0.5, y - area.top() + 0.5), QSizeF(224, 224), viewport);
                    const int ix = int(std::floor(at.x())), iy = int(std::floor(at.y()));
                    if (ix < 0 || iy < 0 || ix >= 224 || iy >= 224)
                        continue;
                    // Skip screen pixels on an image-pixel border (sub-pixel placement).
                    if (std::abs(at.x() - ix - 0.5) > 0.3 || std::abs(at.y() - iy - 0.5) > 0.3)
                        continue;
                    const float v = std::clamp(expected[static_cast<std::size_t>(iy * 224 + ix)], 0.f, 1.f);
                    const QColor colour = render::colourMapColour(QStringLiteral("jet"), v);
                    const QRgb under = image.pixel(ix, iy);
                    auto mix = [&](int a, int b) { return int(std::lround((1 - display.opacity) * a + display.opacity * b)); };
                    const QRgb got = grabbed.pixel(x, y);
                    worst = std::max({worst, std::abs(qRed(got) - mix(qRed(under), colour.red())),
                                      std::abs(qGreen(got) - mix(qGreen(under), colour.green())),
                                      std::abs(qBlue(got) - mix(qBlue(under), colour.blue()))});
                    ++compared;
                }
            QVERIFY2(compared > 20000, qPrintable(QStringLiteral("only %1 pixels compared").arg(compared)));
            QVERIFY2(worst <= 1, qPrintable(QStringLiteral("%1: %2 grey levels off").arg(methods[p - 1]).arg(worst)));
        }
    }

    // Browsing before a model is chosen: the original panel shows the selected image, pre-processed
    // as the settings say; each method panel asks for a model (it used to say so on the original
    // too, which stayed empty).
    void theOriginalIsShownBeforeAModel() {
        INTERMAP_REQUIRE_SHARED(kImagesDir);
        ui::MainWindow window;
        window.resize(1200, 700);
        window.show();
        QString error;
        QVERIFY2(test::openImageFolderAndWait(window, test::sharedPath(kImagesDir), &error), qPrintable(error));
        QVERIFY(window.selectImage(kImageStem));
        ui::ComparisonView* view = window.comparisonView();
        QTRY_VERIFY_WITH_TIMEOUT(!view->panel(0)->isPending() && !view->panel(0)->composed().isNull(), 60000);
        QCOMPARE(window.controller()->currentImage().size(), QSize(224, 224));
        QVERIFY(view->panelCount() > 1);
        for (int p = 1; p < view->panelCount(); ++p) {
            QCOMPARE(view->panel(p)->pendingMessage(), QStringLiteral("Open a model"));
            QVERIFY(!view->panel(p)->hasMap());
        }
    }

    void zoomIsLinkedAndExportsAreValid() {
        INTERMAP_REQUIRE_SHARED(kImagesDir);
        INTERMAP_REQUIRE_SHARED(kCheckpoint);
        ui::MainWindow window;
        window.resize(1400, 800);
        window.show();
        window.setMethods({QStringLiteral("attention"), QStringLiteral("rollout")});
        QString error;
        QVERIFY(window.openCheckpoint(test::sharedPath(kCheckpoint), &error));
        QVERIFY(test::openImageFolderAndWait(window, test::sharedPath(kImagesDir), &error));
        QVERIFY(window.selectImage(kImageStem));
        QVERIFY(waitForPanels(window, 120000));
        ui::ComparisonView* view = window.comparisonView();
        QCOMPARE(view->panelCount(), 3);

        // A wheel turn on one panel zooms every panel about the same image point.
        ui::MapPanel* first = view->panel(1);
        ui::MapPanel* second = view->panel(2);
        const QRectF secondBefore = second->imageRect();
        const QPointF cursor = first->imageRect().center() + QPointF(20, 10);
        QWheelEvent wheel(cursor, first->mapToGlobal(cursor), QPoint(), QPoint(0, 240), Qt::NoButton, Qt::NoModifier,
                          Qt::NoScrollPhase, false);
        QApplication::sendEvent(first, &wheel);
        QVERIFY(std::abs(view->link()->state().zoom() - 1.5625) < 1e-12); // two 1.25x steps
        QVERIFY(second->imageRect().width() > secondBefore.width() * 1.5);
        const QSizeF image(224, 224);
        const auto relative = [&](ui::MapPanel* panel) {
            const QRectF r = panel->imageRect();
            return QPointF((panel->width() / 2.0 - r.left()) / r.width(), (panel->viewport().center().y() - r.top()) / r.height());
        };
        QVERIFY(std::abs(relative(first).x() - relative(second).x()) < 0.01);
        QVERIFY(std::abs(relative(first).y() - relative(second).y()) < 0.01);
        // The cursor read-out lists every map.
        QMouseEvent move(QEvent::MouseMove, cursor, first->mapToGlobal(cursor), Qt::NoButton, Qt::NoButton, Qt::NoModifier);
        QApplication::sendEvent(first, &move);
        QVERIFY2(view->readoutText().contains(QStringLiteral("attention")) && view->readoutText().contains(QStringLiteral("rollout")),
                 qPrintable(view->readoutText()));

        QTemporaryDir folder;
        QVERIFY(folder.isValid());
        const QString png = folder.filePath(QStringLiteral("figure.png"));
        QVERIFY2(window.exportFigure(png, 192, &error), qPrintable(error));
        QImage figure(png);
        QVERIFY(!figure.isNull());
        QVERIFY2(figure.width() > 2 * 3 * 200, "3 cells of 200 logical px at 2x");
        QVERIFY(std::abs(figure.dotsPerMeterX() * 0.0254 - 192.0) < 1.0);

        const QString svg = folder.filePath(QStringLiteral("figure.svg"));
        QVERIFY2(window.exportFigure(svg, 96, &error), qPrintable(error));
        QFile svgFile(svg);
        QVERIFY(svgFile.open(QIODevice::ReadOnly));
        QXmlStreamReader xml(&svgFile);
        bool sawSvg = false, sawText = false, sawImage = false;
        while (!xml.atEnd()) {
            if (xml.readNext() == QXmlStreamReader::StartElement) {
                sawSvg = sawSvg || xml.name() == QLatin1String("svg");
                sawImage = sawImage || xml.name() == QLatin1String("image");
                sawText = sawText || xml.name() == QLatin1String("text");
            }
        }
        QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
        QVERIFY(sawSvg && sawImage && sawText);

        const QString pdf = folder.filePath(QStringLiteral("figure.pdf"));
        QVERIFY2(window.exportFigure(pdf, 96, &error), qPrintable(error));
        QFile pdfFile(pdf);
        QVERIFY(pdfFile.open(QIODevice::ReadOnly));
        const QByteArray bytes = pdfFile.readAll();
        QVERIFY(bytes.startsWith("%PDF-"));
        QVERIFY(bytes.trimmed().endsWith("%%EOF"));
        QVERIFY(bytes.size() > 10000);

        QVERIFY(!window.exportFigure(folder.filePath(QStringLiteral("figure.bmp")), 96, &error));
        QVERIFY(error.contains(QStringLiteral(".png")));

        const QStringList written = window.exportMaps(folder.path(), &error);
        QCOMPARE(written.size(), 2);
        const auto values = npy::readFloat32(written.first().toStdString(), {224, 224});
        QCOMPARE(values, view->panel(1)->map());
    }

    // Another input size (View: Input size, or intermap --image-size N): every panel runs there —
    // a patch-14, 56 px checkpoint with registers at 112 px, its positions resampled — and shows
    // the core's maps at that size; the exported maps are 112 x 112; the model's description
    // says its positions were resampled.
    void anotherInputSizeRunsEveryPanelThere() {
        INTERMAP_REQUIRE_SHARED(kImagesDir);
        const QString checkpoint = QStringLiteral(INTERMAP_TEST_DATA_DIR "/families/prefix/timm_reg_p14.pth");
        ui::MainWindow window;
        window.resize(1200, 700);
        window.show();
        const QStringList methods{QStringLiteral("rollout"), QStringLiteral("gradcam")};
        window.setMethods(methods);
        QSignalSpy described(window.controller(), &ui::ComparisonController::modelDescribed);
        QString error;
        QVERIFY2(window.openCheckpoint(checkpoint, &error), qPrintable(error));
        QVERIFY2(test::openImageFolderAndWait(window, test::sharedPath(kImagesDir), &error), qPrintable(error));
        window.setInputSize(112);
        QCOMPARE(window.controller()->settings().inputSize, 112);
        QVERIFY(window.selectImage(kImageStem));
        QVERIFY2(waitForPanels(window, 60000), "maps did not appear");
        QCOMPARE(window.controller()->currentImage().size(), QSize(112, 112));

        const auto model = model::loadVit(checkpoint.toStdString(), model::ModelOpenOptions{std::nullopt, 112});
        const auto input = image::loadPreprocessed(window.imageBrowser()->current()->path.toStdString(),
                                                   image::PreprocessRecipe::Resize, 112, model.normalisation);
        const auto explained = explain::explainImage(model, input, {"rollout", "gradcam"}, {},
                                                     explain::ExplainerRegistry::withBuiltinMethods());
        ui::ComparisonView* view = window.comparisonView();
        for (int p = 1; p < view->panelCount(); ++p) {
            const auto expected = explained.maps[static_cast<std::size_t>(p - 1)].map.contiguous();
            QCOMPARE(static_cast<std::int64_t>(view->panel(p)->map().size()), expected.numel());
            QCOMPARE(expected.numel(), std::int64_t(112 * 112));
            double largest = 0.0;
            for (std::int64_t i = 0; i < expected.numel(); ++i)
                largest = std::max(largest, double(std::abs(view->panel(p)->map()[static_cast<std::size_t>(i)] -
                                                            expected.data_ptr<float>()[i])));
            QVERIFY2(largest <= 1e-6, qPrintable(QStringLiteral("%1: map differs by %2").arg(methods[p - 1]).arg(largest)));
        }
        QTemporaryDir folder;
        const QStringList written = window.exportMaps(folder.path(), &error);
        QCOMPARE(written.size(), 2);
        QCOMPARE(npy::readFloat32(written.first().toStdString(), {112, 112}), view->panel(1)->map());

        // The description follows the size: the last one names the resampling to 112 px.
        QTRY_VERIFY_WITH_TIMEOUT(!described.isEmpty() &&
                                     described.last().at(0).value<ui::ModelDescription>().notes.join(QLatin1Char(' ')).contains(QStringLiteral("(112 px)")),
                                 30000);
    }

    // DICOM in the browser: the info panel, window/level by right-drag changes the display only
    // (the maps stay those of the file's window), the switch makes the model read it too, and a
    // multi-frame file offers its frames.
    void dicomWindowLevelChangesTheDisplayOnly() {
        INTERMAP_REQUIRE_SHARED(kCheckpoint);
        const QString ct = test::pydicomTestFiles() + QStringLiteral("/CT_small.dcm");
        QVERIFY2(QFile::exists(ct), "python3-pydicom's test files are missing (packaging/debian-deps.txt)");
        QTemporaryDir folder;
        QVERIFY(QFile::copy(ct, folder.filePath(QStringLiteral("CT_small.dcm"))));
        QVERIFY(QFile::copy(test::kDicomDataDir + QStringLiteral("/synthetic_mono1_rle.dcm"),
                            folder.filePath(QStringLiteral("mono1.dcm"))));
        ui::MainWindow window;
        window.resize(1400, 800);
        window.show();
        window.setMethods({QStringLiteral("attention")});
        QString error;
        QVERIFY2(window.openCheckpoint(test::sharedPath(kCheckpoint), &error), qPrintable(error));
        QVERIFY2(test::openImageFolderAndWait(window, folder.path(), &error), qPrintable(error));
        QCOMPARE(window.imageBrowser()->entries().size(), 2);
        QVERIFY(window.selectImage(QStringLiteral("CT_small")));
        QVERIFY2(waitForPanels(window, 120000), "maps did not appear");
        ui::ImageWindowBox* box = window.controlsDock()->imageBox();
        const QString info = box->findChild<QLabel*>(QStringLiteral("imageInfo"))->text();
        QVERIFY2(info.contains(QStringLiteral("Modality: CT")) && info.contains(QStringLiteral("Frames: 1")), qPrintable(info));
        QVERIFY(!box->findChild<QSpinBox*>(QStringLiteral("frame"))->isEnabled());
        const QImage before = window.controller()->currentImage();
        const std::vector<float> mapBefore = window.comparisonView()->panel(1)->map();

        // Right-drag on the original: wider (less contrast) and a higher level.
        ui::MapPanel* original = window.comparisonView()->panel(0);
        const QPoint start = original->imageRect().center().toPoint();
        QTest::mousePress(original, Qt::RightButton, {}, start);
        QMouseEvent move(QEvent::MouseMove, QPointF(start + QPoint(120, 60)), original->mapToGlobal(QPointF(start + QPoint(120, 60))),
                         Qt::NoButton, Qt::RightButton, Qt::NoModifier);
        QApplication::sendEvent(original, &move);
        QTest::mouseRelease(original, Qt::RightButton, {}, start + QPoint(120, 60));
        const view::ImageReading dragged = box->reading();
        QVERIFY(dragged.displayWindow.kind == image::WindowChoice::Kind::Explicit);
        QVERIFY(!dragged.modelUsesDisplayWindow);
        QVERIFY2(waitForPanels(window, 120000), "the re-windowed image did not appear");
        QVERIFY2(window.controller()->currentImage() != before, "the display did not change");
        QCOMPARE(window.comparisonView()->panel(1)->map(), mapBefore); // the model's input did not change

        // The model reads the shown window: other maps.
        view::ImageReading modelToo = dragged;
        modelToo.modelUsesDisplayWindow = true;
        window.setImageReading(modelToo);
        QVERIFY2(waitForPanels(window, 120000), "maps with the window did not appear");
        QVERIFY(window.comparisonView()->panel(1)->map() != mapBefore);

        // A two-frame MONOCHROME1 file: the frame box offers both; frame 2 is another image.
        QVERIFY(window.selectImage(QStringLiteral("mono1")));
        QVERIFY2(waitForPanels(window, 120000), "the MONOCHROME1 maps did not appear");
        auto* frame = box->findChild<QSpinBox*>(QStringLiteral("frame"));
        QVERIFY(frame->isEnabled());
        QCOMPARE(frame->maximum(), 2);
        QCOMPARE(box->reading().frame, 1); // a new image starts at its first frame, its own window
        const QImage first = window.controller()->currentImage();
        frame->setValue(2);
        QVERIFY2(waitForPanels(window, 120000), "frame 2 did not appear");
        QVERIFY(window.controller()->currentImage() != first);

        // This file carries patient attributes, all with "SECRET" in them: no export, no
        // session and not the info panel shows any.
        QTemporaryDir exports;
        for (const char* name : {"figure.png", "figure.svg", "figure.pdf"})
            QVERIFY2(window.exportFigure(exports.filePath(QLatin1String(name)), 96, &error), qPrintable(error));
        QVERIFY(QDir().mkpath(exports.filePath(QStringLiteral("maps"))));
        QVERIFY2(!window.exportMaps(exports.filePath(QStringLiteral("maps")), &error).isEmpty(), qPrintable(error));
        QVERIFY2(window.saveSession(exports.filePath(QStringLiteral("session.intermap")), &error), qPrintable(error));
        int files = 0;
        for (QDirIterator it(exports.path(), QDir::Files, QDirIterator::Subdirectories); it.hasNext(); ++files) {
            QFile file(it.next());
            QVERIFY(file.open(QIODevice::ReadOnly));
            const QByteArray bytes = file.readAll();
            for (const char* secret : {"SECRET", "DOE^JANE", "19610203"})
                QVERIFY2(!bytes.contains(secret), qPrintable(file.fileName() + QStringLiteral(" contains ") + QLatin1String(secret)));
        }
        QVERIFY(files >= 5);
        const QString shownInfo = box->findChild<QLabel*>(QStringLiteral("imageInfo"))->text();
        QVERIFY2(!shownInfo.contains(QStringLiteral("SECRET")) && shownInfo.contains(QStringLiteral("MONOCHROME1")), qPrintable(shownInfo));
    }

    void badInputIsReportedNotFatal() {
        QTemporaryDir folder;
        QFile bad(folder.filePath(QStringLiteral("broken.pth")));
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("this is not a checkpoint");
        bad.close();
        ui::MainWindow window;
        QSignalSpy failed(window.controller(), &ui::ComparisonController::modelFailed);
        QString error;
        QVERIFY(window.openCheckpoint(bad.fileName(), &error)); // read on the worker
        QVERIFY(failed.wait(30000));
        QVERIFY2(failed.first().at(1).toString().contains(QStringLiteral("broken.pth")) ||
                     failed.first().at(0).toString().contains(QStringLiteral("broken.pth")),
                 qPrintable(failed.first().at(1).toString()));
        QVERIFY(!test::openImageFolderAndWait(window, folder.path(), &error));
        QVERIFY2(error.contains(QStringLiteral("no images")), qPrintable(error));
        QVERIFY(!window.openCheckpoint(folder.filePath(QStringLiteral("missing.pth")), &error));
        QVERIFY(!window.openWeightsFolder(folder.path(), &error));
    }

    void weightsFolderIsShownAsTheStudysMatrix() {
        INTERMAP_REQUIRE_SHARED(kCheckpoint);
        QTemporaryDir folder;
        // Two inits of one data set; the others are missing.
        QVERIFY(QFile::copy(test::sharedPath(kCheckpoint), folder.filePath(QStringLiteral("cpchild_dino.pth"))));
        QVERIFY(QFile::copy(test::sharedPath(kCheckpoint), folder.filePath(QStringLiteral("cpchild_scratch.pth"))));
        const ui::WeightsFolder weights = ui::scanWeightsFolder(folder.path());
        QCOMPARE(weights.datasets, QStringList{QStringLiteral("cpchild")});
        QCOMPARE(weights.inits.mid(0, 4), (QStringList{QStringLiteral("scratch"), QStringLiteral("sup"), QStringLiteral("dino"), QStringLiteral("mae")}));
        QVERIFY(weights.path(QStringLiteral("cpchild"), QStringLiteral("sup")).isEmpty());
        ui::MainWindow window;
        QString error;
        QVERIFY2(window.openWeightsFolder(folder.path(), &error), qPrintable(error));
        QStringList names;
        QCOMPARE(window.modelZoo()->currentDatasetCheckpoints(&names).size(), 2);
        QCOMPARE(names, (QStringList{ui::initTitle(QStringLiteral("scratch")), ui::initTitle(QStringLiteral("dino"))}));

        // One method across the inits: the original + one panel per available init.
        INTERMAP_REQUIRE_SHARED(kImagesDir);
        window.resize(1200, 600);
        window.show();
        window.setAcrossInits(true, QStringLiteral("attention"));
        QVERIFY(test::openImageFolderAndWait(window, test::sharedPath(kImagesDir), &error));
        QVERIFY(window.selectImage(kImageStem));
        QVERIFY(waitForPanels(window, 120000));
        ui::ComparisonView* view = window.comparisonView();
        QCOMPARE(view->panelCount(), 3);
        QVERIFY2(view->panel(1)->title().startsWith(names[0]), qPrintable(view->panel(1)->title()));
        QVERIFY2(view->panel(2)->title().startsWith(names[1]), qPrintable(view->panel(2)->title()));
        // The same weights under two names give the same map; each panel says its prediction.
        QCOMPARE(view->panel(1)->map(), view->panel(2)->map());
        QVERIFY2(view->panel(1)->caption().contains(QStringLiteral("pred.")), qPrintable(view->panel(1)->caption()));
    }

    void guiThreadKeepsRunningDuringAViTBComputation() {
        INTERMAP_REQUIRE_SHARED(kImagesDir);
        // A ViT-B/16 (the study's architecture) with random weights: Chefer's LRP on it takes
        // seconds on a CPU.
        QTemporaryDir folder;
        const QString checkpoint = folder.filePath(QStringLiteral("vit-b.pth"));
        {
            model::VitConfig config;
            config.embedDim = 768;
            config.depth = 12;
            config.numHeads = 12;
            config.mlpHiddenDim = 3072;
            config.numClasses = 2;
            torch::manual_seed(1);
            model::VisionTransformer vit(config);
            std::vector<std::pair<std::string, torch::Tensor>> entries;
            for (const auto& parameter : vit->named_parameters())
                entries.emplace_back(parameter.key(), parameter.value().detach());
            model::saveStateDict(checkpoint.toStdString(), entries);
        }
        ui::MainWindow window;
        window.resize(1200, 700);
        window.show();
        window.setMethods({QStringLiteral("chefer")});
        QString error;
        QVERIFY(window.openCheckpoint(checkpoint, &error));
        QSignalSpy timing(window.controller(), &ui::ComparisonController::timing);

        test::GuiHeartbeat heartbeat;
        QVERIFY(test::openImageFolderAndWait(window, test::sharedPath(kImagesDir), &error));
        QVERIFY(window.selectImage(kImageStem));
        QVERIFY2(waitForPanels(window, 180000), "the ViT-B map did not appear");
        heartbeat.stop();
        QVERIFY(!timing.isEmpty());
        const double seconds = timing.last().at(0).toDouble();
        const qint64 largestGap = heartbeat.largestGapMs();
        qInfo("ViT-B/16 Chefer map on the worker: %.2f s; %d heartbeats, largest gap %lld ms", seconds, heartbeat.ticks(), largestGap);
        QVERIFY2(seconds >= 1.0, qPrintable(QStringLiteral("the computation took only %1 s").arg(seconds)));
        QVERIFY2(largestGap < test::kLongestAcceptedGuiPauseMs,
                 qPrintable(QStringLiteral("GUI thread stopped for %1 ms of a %2 s computation").arg(largestGap).arg(seconds)));
    }
};

int main(int argc, char** argv) {
    QApplication application(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("intermap-tests"));
    TestMainWindow test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_main_window.moc"
