// The system report's verdicts on made-up machines (what is a problem, what is information, and
// the fix each problem names), and the probes on this machine.
#include "intermap/system/system_report.h"

#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <algorithm>
#include <functional>

using namespace intermap;
using Severity = system::Finding::Severity;
// A change to a made-up machine, one per data row.
using MachineChange = std::function<void(system::SystemReport&)>;
Q_DECLARE_METATYPE(MachineChange)

namespace {

// A healthy CPU server: OpenBLAS at 60 GFLOP/s, CPU-only LibTorch, no display, writable folders.
system::SystemReport healthyServer() {
    system::SystemReport facts;
    facts.torch.libtorchVersion = "1.13.1";
    facts.torch.driverNote = "no NVIDIA driver: libcuda.so.1 not found";
    facts.blas.kind = compute::BlasLibrary::Kind::OpenBlas;
    facts.blas.name = "OpenBLAS";
    facts.blas.resolvedPath = "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3";
    facts.blas.alternativeName = "libblas.so.3-x86_64-linux-gnu";
    facts.cpuProduct.device = "cpu";
    facts.cpuProduct.ran = true;
    facts.cpuProduct.size = 1024;
    facts.cpuProduct.gflops = 60.0;
    facts.qt.pluginFolder = "/usr/lib/x86_64-linux-gnu/qt6/plugins/platforms";
    facts.qt.plugins = {"minimal", "offscreen", "xcb"};
    facts.folders = {{"settings", "/home/u/.config/intermap", true, {}}, {"cache", "/home/u/.cache/intermap/intermap", true, {}}};
    return facts;
}

std::vector<system::Finding> problems(const std::vector<system::Finding>& findings) {
    std::vector<system::Finding> chosen;
    std::copy_if(findings.begin(), findings.end(), std::back_inserter(chosen),
                 [](const system::Finding& finding) { return finding.severity == Severity::Problem; });
    return chosen;
}

const system::Finding* findingAbout(const std::vector<system::Finding>& findings, const std::string& subject) {
    const auto found = std::find_if(findings.begin(), findings.end(),
                                    [&](const system::Finding& finding) { return finding.subject == subject; });
    return found == findings.end() ? nullptr : &*found;
}

} // namespace

class TestSystemReport : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void noCudaAndNoDisplayAreInformationOnly() {
        const auto findings = system::judgeSystem(healthyServer());
        QVERIFY(problems(findings).empty());
        const auto* cuda = findingAbout(findings, "CUDA");
        QVERIFY(cuda);
        QCOMPARE(cuda->severity, Severity::Information);
        QVERIFY(QString::fromStdString(cuda->text).contains(QStringLiteral("CPU-only")));
        const auto* display = findingAbout(findings, "display");
        QVERIFY(display);
        QCOMPARE(display->severity, Severity::Information);
        QVERIFY(display->fix.empty());
    }

    void driverGpusWithoutACudaLibTorchAreNamedAsInformation() {
        auto facts = healthyServer();
        facts.torch.driverGpus = {{"NVIDIA H100 80GB HBM3", 85899345920ull}};
        const auto findings = system::judgeSystem(facts);
        QVERIFY(problems(findings).empty());
        QVERIFY(QString::fromStdString(findingAbout(findings, "CUDA")->text).contains(QStringLiteral("the driver sees 1 GPU(s)")));
    }

    // Each change to the healthy server makes exactly one problem, which says what and how to fix it.
    void problemsNameTheirFix_data() {
        QTest::addColumn<MachineChange>("change");
        QTest::addColumn<QString>("subject");
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("fix");
        QTest::newRow("slow BLIS") << MachineChange([](system::SystemReport& facts) {
            facts.blas.kind = compute::BlasLibrary::Kind::Other;
            facts.blas.name = "BLIS";
            facts.cpuProduct.gflops = 3.2;
        }) << "BLAS" << "3.2 GFLOP/s" << "libopenblas0-pthread && sudo update-alternatives --config libblas.so.3-x86_64-linux-gnu";
        QTest::newRow("reference BLAS, even at 9 GFLOP/s") << MachineChange([](system::SystemReport& facts) {
            facts.blas.kind = compute::BlasLibrary::Kind::Reference;
            facts.blas.resolvedPath = "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3";
            facts.cpuProduct.gflops = 9.0;
        }) << "BLAS" << "reference BLAS" << "update-alternatives --config libblas.so.3-x86_64-linux-gnu";
        QTest::newRow("slow OpenBLAS") << MachineChange([](system::SystemReport& facts) { facts.cpuProduct.gflops = 5.0; })
                                       << "BLAS" << "5.0 GFLOP/s" << "OPENBLAS_NUM_THREADS";
        QTest::newRow("product fails") << MachineChange([](system::SystemReport& facts) {
            facts.cpuProduct.ran = false;
            facts.cpuProduct.error = "the matrix product is wrong";
        }) << "LibTorch" << "the matrix product is wrong" << "--reinstall";
        QTest::newRow("GPU product fails") << MachineChange([](system::SystemReport& facts) {
            facts.torch.libtorchHasCuda = true;
            facts.torch.cudaAvailable = true;
            facts.torch.cudaDeviceCount = 1;
            facts.gpuProduct.device = "cuda:0";
            facts.gpuProduct.error = "CUDA error: no kernel image is available";
        }) << "CUDA" << "no kernel image" << "nvidia-smi";
        QTest::newRow("unwritable cache") << MachineChange([](system::SystemReport& facts) {
            facts.folders[1].writable = false;
            facts.folders[1].reason = "/home/u/.cache: Permission denied";
        }) << "folders" << "/home/u/.cache/intermap/intermap cannot be written: /home/u/.cache: Permission denied" << "XDG_CACHE_HOME";
        QTest::newRow("no offscreen plugin") << MachineChange([](system::SystemReport& facts) { facts.qt.plugins = {"xcb"}; })
                                             << "Qt" << "offscreen" << "libqt6gui6";
        QTest::newRow("display without xcb") << MachineChange([](system::SystemReport& facts) {
            facts.qt.plugins = {"offscreen"};
            facts.qt.display = ":0";
        }) << "Qt" << "no platform plugin for it" << "libqt6gui6";
    }

    void problemsNameTheirFix() {
        QFETCH(MachineChange, change);
        QFETCH(QString, subject);
        QFETCH(QString, text);
        QFETCH(QString, fix);
        auto facts = healthyServer();
        change(facts);
        const auto found = problems(system::judgeSystem(facts));
        QCOMPARE(found.size(), size_t(1));
        QCOMPARE(QString::fromStdString(found[0].subject), subject);
        QVERIFY2(QString::fromStdString(found[0].text).contains(text), found[0].text.c_str());
        QVERIFY2(QString::fromStdString(found[0].fix).contains(fix), found[0].fix.c_str());
    }

    // OpenBLAS is already there: switching the alternative would change nothing.
    void slowOpenBlasDoesNotSendTheUserToTheAlternatives() {
        auto facts = healthyServer();
        facts.cpuProduct.gflops = 5.0;
        QVERIFY(!QString::fromStdString(problems(system::judgeSystem(facts)).at(0).fix).contains(QStringLiteral("update-alternatives")));
    }

    void aDisplayWithItsPluginIsFine() {
        auto facts = healthyServer();
        facts.qt.display = ":0";
        QVERIFY(problems(system::judgeSystem(facts)).empty());
    }

    void informationComesBeforeProblemsAndTheTextEndsWithTheVerdict() {
        auto facts = healthyServer();
        facts.cpuProduct.gflops = 1.0;
        facts.findings = system::judgeSystem(facts);
        QCOMPARE(facts.findings.front().severity, Severity::Information);
        QCOMPARE(facts.findings.back().severity, Severity::Problem);
        QVERIFY(facts.hasProblem());
        const QString text = QString::fromStdString(system::formatSystemReport(facts));
        QVERIFY(text.contains(QStringLiteral("PROBLEM")));
        QVERIFY(text.contains(QStringLiteral("fix: ")));
        QVERIFY(text.trimmed().endsWith(QStringLiteral("until the problems above are fixed.")));
    }

    void writableFoldersAreCheckedWhereTheyWouldBeCreated() {
        QTemporaryDir folder;
        std::string reason;
        QVERIFY(system::isWritableFolder(folder.path().toStdString(), &reason));
        QVERIFY(system::isWritableFolder(folder.filePath(QStringLiteral("not/yet/made")).toStdString(), &reason));
        QVERIFY(!QFileInfo::exists(folder.filePath(QStringLiteral("not"))));
        QFile file(folder.filePath(QStringLiteral("plain")));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.close();
        QVERIFY(!system::isWritableFolder(folder.filePath(QStringLiteral("plain/below")).toStdString(), &reason));
        QVERIFY(QString::fromStdString(reason).contains(QStringLiteral("is not a folder")));
    }

    // This machine (Debian 12 with libopenblas0-pthread, as packaging/debian-deps.txt installs).
    void thisMachineRunsTheProductOnOpenBlas() {
        const auto blas = compute::probeBlasLibrary();
        QCOMPARE(blas.kind, compute::BlasLibrary::Kind::OpenBlas);
        QVERIFY(!blas.loadedPath.empty());
        const auto product = compute::measureMatrixProductRate(false, 0.05);
        QVERIFY2(product.ran, product.error.c_str());
        QVERIFY(product.size == 512 || product.size == 1024);
        QVERIFY(product.repetitions >= 2);
        QVERIFY(product.gflops > 0);
    }

    void aGpuProductWithoutCudaIsReportedNotThrown() {
        const auto devices = compute::probeTorchDevices();
        if (devices.cudaAvailable)
            QSKIP("this machine has CUDA");
        const auto product = compute::measureMatrixProductRate(true, 0.05);
        QVERIFY(!product.ran);
        QVERIFY(!product.error.empty());
        QVERIFY2(product.error.find('\n') == std::string::npos, "the first line of LibTorch's message only");
    }
};

QTEST_GUILESS_MAIN(TestSystemReport)
#include "test_system_report.moc"
