// The thread policy: parsing of INTERMAP_THREADS-style settings and applying them.
#include "intermap/compute/threading.h"
#include "intermap/util/errors.h"

#include <ATen/Parallel.h>

#include <QtTest/QtTest>

using namespace intermap;

class TestThreading : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void defaultGivesTheCoresToBlas() {
        const auto policy = compute::defaultThreadPolicy(4);
        QCOMPARE(policy.torchIntraOpThreads, 1);
        QCOMPARE(policy.blasThreads, 4);
    }
    void parsesBothForms() {
        QCOMPARE(compute::parseThreadPolicy("3").blasThreads, 3);
        QCOMPARE(compute::parseThreadPolicy("3").torchIntraOpThreads, 1);
        const auto explicitSplit = compute::parseThreadPolicy("2,1");
        QCOMPARE(explicitSplit.torchIntraOpThreads, 2);
        QCOMPARE(explicitSplit.blasThreads, 1);
    }
    void rejectsNonsense_data() {
        QTest::addColumn<QString>("text");
        for (const char* text : {"", "0", "-1", "two", "2,", ",2", "1,0", "1.5", "2,2,2"})
            QTest::newRow(text) << QString::fromLatin1(text);
    }
    void rejectsNonsense() {
        QFETCH(QString, text);
        QVERIFY_THROWS_EXCEPTION(UsageError, compute::parseThreadPolicy(text.toStdString()));
    }
    void appliesTheTorchSide() {
        compute::ThreadPolicy policy;
        policy.torchIntraOpThreads = 1;
        policy.blasThreads = 1;
        compute::applyThreadPolicy(policy);
        QCOMPARE(at::get_num_threads(), 1);
        QVERIFY(!compute::describeThreads().empty());
    }
};

QTEST_GUILESS_MAIN(TestThreading)
#include "test_threading.moc"
