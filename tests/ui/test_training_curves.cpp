// The training curves chart (QCustomPlot, plain numbers in): series, the best-epoch marker,
// throttled replots, and a rendering that is not blank. Offscreen; the test does not include
// qcustomplot.h (it needs Qt keywords, the tests build with QT_NO_KEYWORDS).
#include "charts/training_curves.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QImage>
#include <QtTest/QtTest>

#include <cmath>

using intermap::charts::EpochPoint;
using intermap::charts::TrainingCurves;

class TestTrainingCurves : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void seriesGrowWithBatchesAndEpochs() {
        TrainingCurves curves;
        curves.resize(900, 600);
        curves.show();
        const int epochs = 4, batches = 25;
        for (int epoch = 1; epoch <= epochs; ++epoch) {
            for (int batch = 1; batch <= batches; ++batch)
                curves.addBatchLoss(epoch, batch, batches, 0.7 / epoch + 0.05 * std::sin(batch));
            EpochPoint point;
            point.epoch = epoch;
            point.trainLoss = 0.7 / epoch;
            point.validationLoss = epoch == 3 ? 0.2 : 0.3 + 0.01 * epoch;
            point.validationAccuracy = 0.6 + 0.08 * epoch;
            point.validationAuc = epoch == 2 ? std::nan("") : 0.7 + 0.06 * epoch; // a missing AUC is skipped
            point.learningRate = 3e-4 * 0.5 * (1 + std::cos(M_PI * (epoch - 1) / epochs));
            curves.addEpoch(point);
        }
        curves.setBestEpoch(3);
        curves.addBatchLoss(5, 1, 0, 0.1);        // no batch count: ignored
        curves.addBatchLoss(5, 1, 10, std::nan("")); // NaN loss: ignored
        QCOMPARE(curves.epochCount(), epochs);
        QCOMPARE(curves.batchPointCount(), epochs * batches);
        QCOMPARE(curves.pointCount(QStringLiteral("train loss")), epochs);
        QCOMPARE(curves.pointCount(QStringLiteral("val loss")), epochs);
        QCOMPARE(curves.pointCount(QStringLiteral("val accuracy")), epochs);
        QCOMPARE(curves.pointCount(QStringLiteral("val AUC")), epochs - 1);
        QCOMPARE(curves.pointCount(QStringLiteral("learning rate")), epochs + 1); // step drawn from epoch 0
        QCOMPARE(curves.pointCount(QStringLiteral("no such series")), -1);
        QCOMPARE(curves.bestEpoch(), 3);

        curves.replotNow();
        QTest::qWait(50);
        const QImage image = curves.grab().toImage();
        const QString out = qEnvironmentVariable("INTERMAP_TEST_OUTPUT_DIR");
        if (!out.isEmpty())
            image.save(out + QStringLiteral("/training_curves.png"));
        // Drawn: the coloured series put many non-grey pixels on the white plot.
        int coloured = 0;
        for (int y = 0; y < image.height(); ++y)
            for (int x = 0; x < image.width(); ++x)
                coloured += QColor(image.pixel(x, y)).hsvSaturation() > 80 ? 1 : 0;
        QVERIFY2(coloured > 2000, qPrintable(QString::number(coloured)));

        curves.clear();
        QCOMPARE(curves.epochCount(), 0);
        QCOMPARE(curves.batchPointCount(), 0);
        QCOMPARE(curves.bestEpoch(), 0);
    }

    void manyBatchUpdatesAreAllKept() {
        // Appends only schedule a replot (at most one per 100 ms); the time is printed, not asserted.
        TrainingCurves curves;
        curves.resize(600, 400);
        curves.show();
        QElapsedTimer timer;
        timer.start();
        for (int i = 0; i < 20000; ++i)
            curves.addBatchLoss(1 + i / 1000, i % 1000 + 1, 1000, 1.0 / (1 + i));
        const qint64 appendMs = timer.elapsed();
        qInfo("20000 batch points appended in %lld ms", appendMs);
        QCOMPARE(curves.batchPointCount(), 20000);
    }
};

int main(int argc, char** argv) {
    QApplication application(argc, argv);
    TestTrainingCurves test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_training_curves.moc"
