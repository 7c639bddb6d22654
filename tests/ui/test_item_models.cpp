// The GUI's item models and filters without widgets: the jobs table, the weights matrix of the
// model zoo, the image browser's list and filters.
#include "model/image_filter.h"
#include "model/image_list_model.h"
#include "model/jobs_table_model.h"
#include "model/weights_matrix_model.h"

#include "intermap/eval/study.h"

#include <QDir>
#include <QFile>
#include <QImage>
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
};

QTEST_GUILESS_MAIN(TestItemModels)
#include "test_item_models.moc"
