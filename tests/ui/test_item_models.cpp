// The GUI's item models and filters without widgets: the jobs table, the weights matrix of the
// model zoo, the image browser's list (natural order, 10^5 entries, thumbnails asked for per
// row and bounded) and filters.
#include "model/image_filter.h"
#include "model/image_list_model.h"
#include "model/jobs_table_model.h"
#include "model/weights_matrix_model.h"

#include "intermap/eval/study.h"

#include <QDir>
#include <QFile>
#include <QElapsedTimer>
#include <QImage>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest/QtTest>

using namespace intermap::ui;

class TestItemModels : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void jobsTableShowsEachJobOnceInQueueOrder() {
        JobsTableModel model;
        QCOMPARE(model.columnCount(), int(JobsTableModel::ColumnCount));
        QCOMPARE(model.headerData(JobsTableModel::TitleColumn, Qt::Horizontal).toString(), QStringLiteral("Job"));
        JobInfo training{1, QStringLiteral("train 64x2x1 on set"), JobState::Running, 25, 100, QStringLiteral("epoch 1/4"), 90, 30000};
        JobInfo evaluation{2, QStringLiteral("evaluate"), JobState::Queued, 0, 0, QString(), -1, 0};
        model.update(training);
        model.update(evaluation);
        QCOMPARE(model.rowCount(), 2);
        auto text = [&](int row, int column) { return model.data(model.index(row, column)).toString(); };
        QCOMPARE(text(0, JobsTableModel::TitleColumn), training.title);
        QCOMPARE(text(0, JobsTableModel::StateColumn), jobStateName(JobState::Running));
        QCOMPARE(text(0, JobsTableModel::ProgressColumn), QStringLiteral("25 / 100 (25 %)"));
        QCOMPARE(text(0, JobsTableModel::TimeColumn), QStringLiteral("30 s, 1 min 30 s left"));
        QCOMPARE(text(1, JobsTableModel::ProgressColumn), QString());
        QCOMPARE(text(1, JobsTableModel::TimeColumn), QString());
        QCOMPARE(model.data(model.index(1, 0), JobsTableModel::kJobIdRole).toInt(), 2);

        training.state = JobState::Succeeded;
        training.message = QStringLiteral("best epoch 3");
        model.update(training); // the same row, updated
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(text(0, JobsTableModel::TimeColumn), QStringLiteral("30 s"));
        QCOMPARE(model.data(model.index(0, JobsTableModel::MessageColumn), Qt::ToolTipRole).toString(), training.message);
        model.removeFinished();
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.job(0).id, 2);
        QCOMPARE(formatDuration(3725), QStringLiteral("1 h 02 min"));
        QCOMPARE(formatDuration(-1), QStringLiteral("–"));
    }

    void weightsMatrixIsTheStudysTable() {
        QTemporaryDir folder;
        for (const char* name : {"cpchild_dino.pth", "cpchild_scratch.pth", "kvasir_sup.safetensors", "kvasir_extra.pth", "notes.txt"}) {
            QFile file(folder.filePath(QLatin1String(name)));
            QVERIFY(file.open(QIODevice::WriteOnly));
        }
        WeightsMatrixModel model;
        model.setWeights(scanWeightsFolder(folder.path()));
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.columnCount(), 5); // the study's four, then the others
        QCOMPARE(model.headerData(0, Qt::Vertical).toString(), QStringLiteral("cpchild"));
        const auto inits = intermap::eval::study::inits();
        for (int c = 0; c < 4; ++c)
            QCOMPARE(model.headerData(c, Qt::Horizontal).toString(), QString::fromStdString(intermap::eval::study::initTitle(inits[c])));
        QCOMPARE(model.headerData(4, Qt::Horizontal).toString(), QStringLiteral("extra"));
        const QModelIndex scratch = model.index(0, 0), sup = model.index(0, 1);
        QCOMPARE(scratch.data().toString(), QStringLiteral("✓"));
        QCOMPARE(sup.data().toString(), QStringLiteral("—"));
        QCOMPARE(sup.data(Qt::ToolTipRole).toString(), QStringLiteral("missing: cpchild_sup.pth"));
        QVERIFY(sup.data(WeightsMatrixModel::kPathRole).toString().isEmpty());
        const QString path = scratch.data(WeightsMatrixModel::kPathRole).toString();
        QVERIFY(path.endsWith(QStringLiteral("cpchild_scratch.pth")));
        QCOMPARE(model.indexOf(path), scratch);
        QVERIFY(!model.indexOf(QStringLiteral("/elsewhere.pth")).isValid());

        // Every layout evaluate reads: a Hugging Face folder and a Lightning .ckpt fill their cells;
        // a plain folder does not; of two layouts of one cell, evaluate's choice (.pth first).
        QVERIFY(QDir(folder.path()).mkpath(QStringLiteral("busi_sup")));
        QVERIFY(QDir(folder.path()).mkpath(QStringLiteral("busi_dino")));
        for (const char* name : {"busi_sup/config.json", "busi_mae.ckpt", "kvasir_sup.pth"}) {
            QFile file(folder.filePath(QLatin1String(name)));
            QVERIFY(file.open(QIODevice::WriteOnly));
        }
        const WeightsFolder layouts = scanWeightsFolder(folder.path());
        QVERIFY(layouts.checkpoints.value(QStringLiteral("busi_sup")).endsWith(QStringLiteral("/busi_sup")));
        QVERIFY(layouts.checkpoints.value(QStringLiteral("busi_mae")).endsWith(QStringLiteral("busi_mae.ckpt")));
        QVERIFY(!layouts.checkpoints.contains(QStringLiteral("busi_dino")));
        QVERIFY(layouts.checkpoints.value(QStringLiteral("kvasir_sup")).endsWith(QStringLiteral("kvasir_sup.pth")));
    }

    void imageFilterAcceptsWhatThePickersSay() {
        ImageEntry polyp{QStringLiteral("/d/polyp/a.png"), QStringLiteral("polyp/a.png"), QStringLiteral("polyp"), 1,
                         QStringLiteral("/m/a.png"), -1};
        ImageEntry normal{QStringLiteral("/d/normal/b.png"), QStringLiteral("normal/b.png"), QStringLiteral("normal"), 0, QString(), 1};
        ImageFilter filter;
        QVERIFY(filter.isEmpty() && filter.accepts(polyp) && filter.accepts(normal));
        filter.classLabel = QStringLiteral("polyp");
        QVERIFY(filter.accepts(polyp) && !filter.accepts(normal));
        filter = {};
        filter.withMaskOnly = true;
        QVERIFY(filter.accepts(polyp) && !filter.accepts(normal));
        filter = {};
        filter.prediction = ImageFilter::Prediction::Wrong;
        QVERIFY(!filter.accepts(polyp) && filter.accepts(normal));
        filter.prediction = ImageFilter::Prediction::NotPredicted;
        QVERIFY(filter.accepts(polyp) && !filter.accepts(normal));
        normal.predictedClass = 0;
        filter.prediction = ImageFilter::Prediction::Correct;
        QVERIFY(!filter.accepts(polyp) && filter.accepts(normal));
        QCOMPARE(ImageFilter::predictionTitles().size(), 4);
    }

    void imageListShowsWhatTheFilterAccepts() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto writeImage = [&](const QString& relative) {
            QVERIFY(QDir(dir.path()).mkpath(QFileInfo(relative).path()));
            QImage image(8, 6, QImage::Format_RGB32);
            image.fill(Qt::gray);
            QVERIFY(image.save(dir.filePath(relative)));
        };
        writeImage(QStringLiteral("images/polyp/b.png"));
        writeImage(QStringLiteral("images/polyp/a.PNG"));
        writeImage(QStringLiteral("images/normal/c.jpg"));
        writeImage(QStringLiteral("masks/a.png"));
        QFile notAnImage(dir.filePath(QStringLiteral("images/polyp/notes.txt")));
        QVERIFY(notAnImage.open(QIODevice::WriteOnly));
        notAnImage.close();

        QStringList classes;
        ImageListModel images;
        auto entries = listImageFolder(dir.filePath(QStringLiteral("images")), &classes);
        images.setEntries(entries, classes);
        QCOMPARE(images.classNames(), (QStringList{QStringLiteral("normal"), QStringLiteral("polyp")}));
        QCOMPARE(images.rowCount(), 3); // sorted by relative path, the .txt left out
        QCOMPARE(images.entries()[0].relativePath, QStringLiteral("normal/c.jpg"));
        QCOMPARE(images.entries()[1].relativePath, QStringLiteral("polyp/a.PNG"));
        QCOMPARE(images.entries()[1].classIndex, 1);
        QCOMPARE(images.setMaskFolder(dir.filePath(QStringLiteral("masks"))), 1);
        auto text = [&](int row) { return images.data(images.index(row)).toString(); };
        QCOMPARE(text(1), QStringLiteral("a.PNG\npolyp · mask"));
        QVERIFY(images.data(images.index(1), Qt::ToolTipRole).toString().endsWith(QStringLiteral("masks/a.png")));
        const auto placeholder = images.data(images.index(0), Qt::DecorationRole).value<QImage>();
        QCOMPARE(placeholder.size(), QSize(ImageListModel::kThumbnailSize, ImageListModel::kThumbnailSize));
        QImage thumbnail(4, 3, QImage::Format_RGB32);
        images.setThumbnail(0, thumbnail);
        QCOMPARE(images.data(images.index(0), Qt::DecorationRole).value<QImage>().size(), QSize(4, 3));

        ImageFilterProxy shown;
        shown.setSourceModel(&images);
        QCOMPARE(shown.rowCount(), 3);
        ImageFilter polypsWithMask;
        polypsWithMask.classLabel = QStringLiteral("polyp");
        polypsWithMask.withMaskOnly = true;
        shown.setFilter(polypsWithMask);
        QCOMPARE(shown.rowCount(), 1);
        QCOMPARE(shown.index(0, 0).data(ImageListModel::kEntryIndexRole).toInt(), 1);

        // A prediction updates the row's text ("✗": polyp predicted as normal) but does not filter
        // the list again until the filter is set again: the image being explained stays listed.
        ImageFilter notPredicted;
        notPredicted.prediction = ImageFilter::Prediction::NotPredicted;
        shown.setFilter(notPredicted);
        QCOMPARE(shown.rowCount(), 3);
        images.setPrediction(images.entries()[1].path, 0);
        QCOMPARE(text(1), QStringLiteral("a.PNG\npolyp · ✗ pred. normal · mask"));
        QCOMPARE(shown.rowCount(), 3);
        shown.setFilter(notPredicted);
        QCOMPARE(shown.rowCount(), 2);
        images.clearPredictions();
        shown.setFilter(notPredicted);
        QCOMPARE(shown.rowCount(), 3);
    }

    void namesInNaturalOrder_data() {
        QTest::addColumn<QString>("first");
        QTest::addColumn<QString>("second");
        QTest::newRow("numbers by value") << "img_2.png" << "img_10.png";
        QTest::newRow("CP-CHILD's names") << "1 (2).jpg" << "1 (10).jpg";
        QTest::newRow("several numbers") << "scan_3_slice_9.png" << "scan_3_slice_10.png";
        QTest::newRow("letters without case") << "Img_3.png" << "img_20.png";
        QTest::newRow("capital after small letter") << "a.png" << "B.png";
        QTest::newRow("a folder's own entries first") << "a/img_9.png" << "a b/img_1.png";
        QTest::newRow("class folders") << "non-polyp/z.png" << "polyp/a.png";
        QTest::newRow("longer than 64 bits") << "x_123456789012345678901234.png" << "x_123456789012345678901235.png";
        // Equal but for leading zeros or case: code points decide, so the order is total.
        QTest::newRow("tie: leading zero") << "img_02.png" << "img_2.png";
        QTest::newRow("tie: case") << "IMG_2.png" << "img_2.png";
    }
    void namesInNaturalOrder() {
        QFETCH(QString, first);
        QFETCH(QString, second);
        QVERIFY(naturalPathLess(first, second));
        QVERIFY(!naturalPathLess(second, first));
        QVERIFY(!naturalPathLess(first, first));
    }

    // A folder of 10^5 images lists whole, in natural order; thumbnails are asked for only for the
    // rows a view draws (once each) and at most kThumbnailCacheSize are held.
    void aHundredThousandImages() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        constexpr int kImages = 100000;
        QElapsedTimer timer;
        timer.start();
        for (int i = kImages - 1; i >= 0; --i) { // empty files: listing reads no image
            QFile file(dir.filePath(QStringLiteral("img_%1.png").arg(i)));
            QVERIFY(file.open(QIODevice::WriteOnly));
        }
        const qint64 createMs = timer.restart();
        QStringList classes;
        QVector<ImageEntry> entries = listImageFolder(dir.path(), &classes);
        qInfo("10^5 empty files: created in %lld ms, listed and sorted in %lld ms", createMs, timer.elapsed());
        QCOMPARE(entries.size(), kImages);
        QVERIFY(classes.isEmpty());
        for (int i = 0; i < kImages; ++i)
            if (entries[i].relativePath != QStringLiteral("img_%1.png").arg(i))
                QFAIL(qPrintable(QStringLiteral("row %1 is %2").arg(i).arg(entries[i].relativePath)));

        ImageListModel images;
        images.setEntries(std::move(entries), classes);
        QCOMPARE(images.rowCount(), kImages);
        QCOMPARE(images.data(images.index(kImages - 1)).toString(), QStringLiteral("img_99999.png\n"));
        QSignalSpy wanted(&images, &ImageListModel::thumbnailWanted);
        for (int pass = 0; pass < 2; ++pass) // drawn twice, asked once
            for (int row = 500; row < 520; ++row)
                images.data(images.index(row), Qt::DecorationRole);
        QCOMPARE(wanted.size(), 20);
        QCOMPARE(wanted.first().first().toInt(), 500);
        QCOMPARE(images.thumbnailCount(), 0);

        const QImage thumbnail(ImageListModel::kThumbnailSize, ImageListModel::kThumbnailSize, QImage::Format_RGB32);
        for (int row = 500; row < 520; ++row) // the rows asked for arrive
            images.setThumbnail(row, thumbnail);
        wanted.clear();
        images.data(images.index(510), Qt::DecorationRole);
        QCOMPARE(wanted.size(), 0); // decoded: shown, not asked again
        for (int row = 1000; row < 1000 + ImageListModel::kThumbnailCacheSize; ++row) // scrolled far on
            images.setThumbnail(row, thumbnail);
        QCOMPARE(images.thumbnailCount(), ImageListModel::kThumbnailCacheSize);
        // The oldest (500-519) were dropped: drawn again, they are asked for again; the newest are kept.
        images.data(images.index(510), Qt::DecorationRole);
        QCOMPARE(wanted.size(), 1);
        QCOMPARE(wanted.last().first().toInt(), 510);
        images.data(images.index(1000 + ImageListModel::kThumbnailCacheSize - 1), Qt::DecorationRole);
        QCOMPARE(wanted.size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestItemModels)
#include "test_item_models.moc"
