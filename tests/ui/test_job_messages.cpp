// The desktop application shows failures the way the CLI prints them: a job whose body throws
// LibTorch's c10::Error (its what() carries a C++ backtrace after the message) ends with the
// message alone, an allocation failure says "out of memory", and a message of several lines
// without a backtrace is kept whole. Through the real JobRunner (worker thread, queued signal).
#include "widgets/job_runner.h"

#include <c10/util/Exception.h>

#include <QSignalSpy>
#include <QtTest/QtTest>

#include <new>
#include <stdexcept>

using intermap::ui::JobContext;
using intermap::ui::JobRunner;
using intermap::ui::JobState;

class TestJobMessages : public QObject {
    Q_OBJECT

    // The message the runner reports for a job that runs `body`.
    static QString failureMessageOf(const intermap::ui::JobBody& body) {
        JobRunner runner;
        QSignalSpy finished(&runner, &JobRunner::jobFinished);
        runner.enqueue(QStringLiteral("failing"), body);
        if (!finished.wait(10000) && finished.isEmpty())
            return QStringLiteral("<the job did not finish>");
        if (finished[0][1].value<JobState>() != JobState::Failed)
            return QStringLiteral("<the job did not fail>");
        return finished[0][2].toString();
    }

private Q_SLOTS:
    void libtorchBacktraceIsCut() {
        // A real c10::Error, as LibTorch throws it for a shape mismatch.
        const QString torchMessage = failureMessageOf([](JobContext&) -> QString {
            TORCH_CHECK(false, "checkpoint a.pth: head.weight has shape [1000, 768], model expects [2, 768]");
            return {};
        });
        QCOMPARE(torchMessage, QStringLiteral("checkpoint a.pth: head.weight has shape [1000, 768], model expects [2, 768]"));
        // The same shape of text from any exception (a message that quoted a c10::Error).
        const QString quoted = failureMessageOf([](JobContext&) -> QString {
            throw std::runtime_error("maps/x.npy: cannot compute the map\nException raised from forward at vit.cpp:85 "
                                     "(most recent call first):\nframe #0: c10::Error::Error(...) + 0x8c\nframe #1: ...");
        });
        QCOMPARE(quoted, QStringLiteral("maps/x.npy: cannot compute the map"));
    }

    void allocationFailureSaysOutOfMemory() {
        const QString message = failureMessageOf([](JobContext&) -> QString { throw std::bad_alloc(); });
        QVERIFY2(message.startsWith(QStringLiteral("out of memory")), qPrintable(message));
    }

    void messageOfSeveralLinesIsKept() {
        const QString message = failureMessageOf([](JobContext&) -> QString {
            throw std::runtime_error("run/config.json: these differ:\noptimizer.lr was 0.001, now 0.01");
        });
        QCOMPARE(message, QStringLiteral("run/config.json: these differ:\noptimizer.lr was 0.001, now 0.01"));
    }
};

QTEST_GUILESS_MAIN(TestJobMessages)
#include "test_job_messages.moc"
