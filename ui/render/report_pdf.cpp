#include "render/report_layout.h"

#include <QAbstractTextDocumentLayout>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QFont>
#include <QFontMetricsF>
#include <QGuiApplication>
#include <QPageLayout>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QSaveFile>
#include <QTextBlock>
#include <QTextDocument>
#include <QUrl>

#include <algorithm>
#include <cmath>
#include <memory>

// Writing the report: the HTML file as it is, the PDF laid out by QTextDocument on A4 pages.
namespace intermap::render {
namespace {

using namespace detail;

QFont reportFont(double pixelSize) {
    QFont font;
    font.setFamilies({QStringLiteral("Liberation Sans"), QStringLiteral("Arial"), QStringLiteral("Helvetica"),
                      QStringLiteral("DejaVu Sans")});
    font.setStyleHint(QFont::SansSerif);
    font.setPixelSize(std::max(1, static_cast<int>(std::lround(pixelSize))));
    return font;
}

// The keep-together group that `block` starts, or -1.
int keepGroupOf(const QTextBlock& block) {
    for (auto it = block.begin(); !it.atEnd(); ++it)
        for (const QString& name : it.fragment().charFormat().anchorNames())
            if (name.startsWith(kKeepAnchor))
                return name.mid(kKeepAnchor.size()).toInt();
    return -1;
}

// The first group that straddles a page break, fits on one page and does not already start
// one; -1 when there is none.
int firstStraddlingGroup(const QTextDocument& document, const QSet<int>& breaks) {
    QVector<QPair<int, QTextBlock>> starts;
    for (QTextBlock block = document.begin(); block.isValid(); block = block.next())
        if (const int group = keepGroupOf(block); group >= 0)
            starts.append({group, block});
    const double pageHeight = document.pageSize().height();
    QAbstractTextDocumentLayout* layout = document.documentLayout();
    for (int i = 0; i < starts.size(); ++i) {
        if (breaks.contains(starts[i].first))
            continue;
        const double top = layout->blockBoundingRect(starts[i].second).top();
        double bottom = top;
        const QTextBlock end = i + 1 < starts.size() ? starts[i + 1].second : QTextBlock();
        for (QTextBlock block = starts[i].second; block.isValid() && block != end; block = block.next())
            bottom = std::max(bottom, layout->blockBoundingRect(block).bottom());
        bottom += 6; // a table's last cell padding and border lie below its last block
        if (std::floor(top / pageHeight) != std::floor(bottom / pageHeight) && bottom - top < 0.9 * pageHeight)
            return starts[i].first;
    }
    return -1;
}

// The report laid out on pages of `page` (CSS px), page breaks before `breaks`.
std::unique_ptr<QTextDocument> layOut(const ReportDocument& report, const QSizeF& page, const QSet<int>& breaks) {
    auto document = std::make_unique<QTextDocument>();
    document->setUseDesignMetrics(true); // glyph advances as in the PDF, not hinted to the screen
    document->setDocumentMargin(0);
    document->setDefaultFont(reportFont(13));
    const QVector<const ReportChart*> charts = allCharts(report);
    for (int i = 0; i < charts.size(); ++i)
        if (!charts[i]->image.isNull())
            document->addResource(QTextDocument::ImageResource, QUrl(chartResource(i)), QVariant(charts[i]->image));
    for (int s = 0; s < report.strips.size(); ++s)
        for (int r = 0; r < report.strips[s].rows.size(); ++r)
            for (int c = 0; c < report.strips[s].rows[r].cells.size(); ++c)
                if (const QImage& cell = report.strips[s].rows[r].cells[c]; !cell.isNull())
                    document->addResource(QTextDocument::ImageResource, QUrl(stripResource(s, r, c)), QVariant(cell));
    document->setHtml(pdfHtml(report, page.width(), breaks));
    document->setPageSize(page);
    return document;
}

// Lays the report out on A4 pages of 96 px per inch and paints them page by page onto `device`
// (scaled to the writer's resolution), with a footer on each. False with `why` on failure.
bool writePdf(const ReportDocument& report, QIODevice* device, QString* why) {
    if (!qobject_cast<QGuiApplication*>(QCoreApplication::instance())) {
        *why = QStringLiteral("a PDF needs a QGuiApplication (fonts are measured)");
        return false;
    }
    QPdfWriter writer(device);
    writer.setResolution(300);
    writer.setTitle(titleOf(report));
    writer.setCreator(QStringLiteral("intermap"));
    const QPageLayout layout(QPageSize(QPageSize::A4), QPageLayout::Portrait,
                             QMarginsF(kMarginSide, kMarginTop, kMarginSide, kMarginBottom), QPageLayout::Millimeter);
    if (!writer.setPageLayout(layout)) {
        *why = QStringLiteral("the PDF writer refused the A4 page layout");
        return false;
    }
    const QRectF text = layout.paintRect(QPageLayout::Millimeter); // mm, relative to the page
    const QSizeF pageCss(text.width() / kMmPerInch * kCssPerInch, text.height() / kMmPerInch * kCssPerInch);

    // Keep-together: lay out, move the first group that straddles a page break to a new page,
    // lay out afresh (a fresh layout, not QTextDocument's incremental relayout, which leaves
    // stale block positions behind a changed page break), until no group straddles one. At
    // most one round per group.
    QSet<int> breaks;
    std::unique_ptr<QTextDocument> document = layOut(report, pageCss, breaks);
    for (int group; (group = firstStraddlingGroup(*document, breaks)) >= 0;) {
        breaks.insert(group);
        document = layOut(report, pageCss, breaks);
    }
    const int pageCount = document->pageCount();

    QPainter painter;
    if (!painter.begin(&writer)) {
        *why = QStringLiteral("the PDF writer could not start painting");
        return false;
    }
    // Charts are line art: Flate, not the JPEG that QPdfEngine otherwise uses for opaque images.
    painter.setRenderHint(QPainter::LosslessImageRendering);
    const double scale = writer.resolution() / kCssPerInch; // device units per CSS px
    const QFont footerFont = reportFont(9.5);
    const QFontMetricsF footerMetrics(footerFont);
    const QString footerTitle = titleOf(report);
    for (int page = 0; page < pageCount; ++page) {
        if (page > 0 && !writer.newPage()) {
            *why = QStringLiteral("the PDF writer could not start page %1").arg(page + 1);
            return false;
        }
        painter.save();
        painter.scale(scale, scale);
        const QRectF clip(0, page * pageCss.height(), pageCss.width(), pageCss.height());
        painter.translate(0, -clip.top());
        document->drawContents(&painter, clip);
        painter.restore();

        // Footer: a hairline, the title on the left and "page i of n" on the right.
        painter.save();
        painter.scale(scale, scale);
        const double top = pageCss.height() + kFooterGap / kMmPerInch * kCssPerInch;
        painter.setPen(QPen(QColor(kRule), 0.75));
        painter.drawLine(QPointF(0, top), QPointF(pageCss.width(), top));
        painter.setFont(footerFont);
        painter.setPen(QColor(kMuted));
        const QRectF line(0, top + 3, pageCss.width(), footerMetrics.height() + 2);
        const QString pageText = QStringLiteral("page %1 of %2").arg(page + 1).arg(pageCount);
        const QString left = footerMetrics.elidedText(footerTitle, Qt::ElideRight,
                                                      pageCss.width() - footerMetrics.horizontalAdvance(pageText) - 24);
        painter.drawText(line, Qt::AlignLeft | Qt::AlignTop, left);
        painter.drawText(line, Qt::AlignRight | Qt::AlignTop, pageText);
        painter.restore();
    }
    if (!painter.end()) {
        *why = QStringLiteral("the PDF writer failed to finish the file");
        return false;
    }
    return true;
}

} // namespace

bool saveReport(const ReportDocument& report, const QString& path, QString* error) {
    auto fail = [&](const QString& why) {
        if (error)
            *error = QStringLiteral("cannot write report \"%1\": %2").arg(QDir::toNativeSeparators(path), why);
        return false;
    };
    const QString suffix = QFileInfo(path).suffix().toLower();
    const bool html = suffix == QLatin1String("html") || suffix == QLatin1String("htm");
    const bool pdf = suffix == QLatin1String("pdf");
    if (!html && !pdf)
        return fail(suffix.isEmpty() ? QStringLiteral("no file suffix (expected .html, .htm or .pdf)")
                                     : QStringLiteral("unknown suffix \".%1\" (expected .html, .htm or .pdf)").arg(suffix));
    const QFileInfo folder(QFileInfo(path).absolutePath());
    if (!folder.isDir())
        return fail(QStringLiteral("folder \"%1\" does not exist").arg(QDir::toNativeSeparators(folder.filePath())));

    // Through a temporary file in the same folder, renamed into place only when complete.
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(file.errorString());
    if (html) {
        const QByteArray bytes = reportHtml(report).toUtf8();
        if (file.write(bytes) != bytes.size()) {
            const QString why = file.errorString();
            file.cancelWriting();
            return fail(why);
        }
    } else {
        QString why;
        if (!writePdf(report, &file, &why)) {
            file.cancelWriting();
            return fail(why);
        }
    }
    if (!file.commit())
        return fail(file.errorString());
    return true;
}

} // namespace intermap::render
