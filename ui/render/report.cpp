#include "render/report_layout.h"

#include <QBuffer>
#include <QDateTime>
#include <QSet>

#include <algorithm>
#include <cmath>

// The report's markup: the self-contained HTML file and the HTML subset the PDF is laid out from
// (the one place in the project that writes an HTML document).
namespace intermap::render {

QString detail::titleOf(const ReportDocument& report) {
    return report.title.isEmpty() ? QStringLiteral("intermap evaluation report") : report.title;
}

namespace {

using namespace detail;

QString esc(const QString& text) { return text.toHtmlEscaped(); }

// --- table model (shared by both HTML variants) ------------------------------------------------

struct CellView {
    QString text;  // "0.750" or "n/a"
    QString count; // "n=60" or empty
    bool missing = false;
    bool best = false;
};

struct TableView {
    QStringList columns; // padded to the table's width
    QStringList rows;    // padded to the table's height
    QVector<QVector<CellView>> cells;
    QVector<QPair<QString, QString>> references; // label, formatted value
};

int clampedDecimals(int decimals) { return std::clamp(decimals, 0, 10); }

QString formatValue(double value, int decimals) {
    if (std::isnan(value))
        return QStringLiteral("n/a");
    QString text = QString::number(value, 'f', clampedDecimals(decimals));
    // -0.0004 at 3 decimals is "-0.000": a sign on a displayed zero only confuses.
    if (text.startsWith(QLatin1Char('-')) && std::all_of(text.cbegin() + 1, text.cend(), [](QChar c) {
            return c == QLatin1Char('0') || c == QLatin1Char('.');
        }))
        text.remove(0, 1);
    return text;
}

// The value as displayed, so that "best" and "tie" agree with what the reader sees.
double displayedValue(double value, int decimals) {
    if (!std::isfinite(value))
        return value;
    const double scale = std::pow(10.0, clampedDecimals(decimals));
    const double rounded = std::round(value * scale) / scale;
    return std::isfinite(rounded) ? rounded : value;
}

TableView viewOf(const ReportTable& table) {
    TableView view;
    int columnCount = static_cast<int>(table.columnHeaders.size());
    for (const auto& row : table.values)
        columnCount = std::max(columnCount, static_cast<int>(row.size()));
    const int rowCount = std::max(static_cast<int>(table.rowHeaders.size()), static_cast<int>(table.values.size()));
    view.columns = table.columnHeaders;
    while (view.columns.size() < columnCount)
        view.columns << QString();
    view.rows = table.rowHeaders;
    while (view.rows.size() < rowCount)
        view.rows << QString();

    for (int r = 0; r < rowCount; ++r) {
        QVector<CellView> cells(columnCount);
        QVector<double> shown(columnCount, std::nan(""));
        int present = 0;
        for (int c = 0; c < columnCount; ++c) {
            const bool has = r < table.values.size() && c < table.values[r].size();
            const double value = has ? table.values[r][c] : std::nan("");
            cells[c].text = formatValue(value, table.decimals);
            cells[c].missing = std::isnan(value);
            if (!cells[c].missing) {
                shown[c] = displayedValue(value, table.decimals);
                ++present;
            }
            if (r < table.counts.size() && c < table.counts[r].size() && table.counts[r][c] >= 0)
                cells[c].count = QStringLiteral("n=%1").arg(table.counts[r][c]);
        }
        if (present >= 2) {
            double best = table.higherIsBetter ? -INFINITY : INFINITY;
            for (double v : shown)
                if (!std::isnan(v))
                    best = table.higherIsBetter ? std::max(best, v) : std::min(best, v);
            for (int c = 0; c < columnCount; ++c)
                cells[c].best = !std::isnan(shown[c]) && shown[c] == best;
        }
        view.cells << cells;
    }
    for (const auto& reference : table.referenceRows)
        view.references << qMakePair(reference.first, formatValue(reference.second, table.decimals));
    return view;
}

QString directionNote(const ReportTable& table, const TableView& view) {
    const bool anyBest = std::any_of(view.cells.cbegin(), view.cells.cend(), [](const QVector<CellView>& row) {
        return std::any_of(row.cbegin(), row.cend(), [](const CellView& cell) { return cell.best; });
    });
    QString note = table.higherIsBetter ? QStringLiteral("Higher is better") : QStringLiteral("Lower is better");
    if (anyBest)
        note += QStringLiteral("; the best value of each row is in bold");
    return note + QLatin1Char('.');
}

// --- shared text ---------------------------------------------------------------------------

QDateTime stampOf(const ReportDocument& report) {
    return report.generatedAt.isValid() ? report.generatedAt : QDateTime::currentDateTime();
}

QString readableStamp(const QDateTime& stamp) {
    const int offset = stamp.offsetFromUtc();
    QString zone = QStringLiteral("UTC");
    if (offset != 0) {
        const int minutes = std::abs(offset) / 60;
        zone += QStringLiteral("%1%2:%3")
                    .arg(offset < 0 ? QLatin1Char('-') : QLatin1Char('+'))
                    .arg(minutes / 60, 2, 10, QLatin1Char('0'))
                    .arg(minutes % 60, 2, 10, QLatin1Char('0'));
    }
    return stamp.toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")) + QLatin1Char(' ') + zone;
}

QString isoStamp(const QDateTime& stamp) { return stamp.toOffsetFromUtc(stamp.offsetFromUtc()).toString(Qt::ISODate); }

QString versionsLine(const ReportDocument& report) {
    QStringList parts;
    for (const auto& version : report.versions)
        parts << esc(version.first) + QLatin1Char(' ') + esc(version.second);
    return parts.join(QStringLiteral(" &middot; "));
}

QSizeF logicalSize(const QImage& image) {
    const double ratio = image.devicePixelRatio() > 0 ? image.devicePixelRatio() : 1.0;
    return QSizeF(image.width() / ratio, image.height() / ratio);
}

// An image encoded as `format` ("PNG" for charts, "JPEG" for photographs), in base64.
QString base64Of(const QImage& image, const char* format) {
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    image.save(&buffer, format, qstrcmp(format, "JPEG") == 0 ? 85 : -1);
    return QString::fromLatin1(bytes.toBase64());
}

// A column header of a strip: escaped, its line breaks kept.
QString stripHeader(const QString& text) { return esc(text).replace(QLatin1Char('\n'), QStringLiteral("<br>")); }

// --- the HTML file -------------------------------------------------------------------------

// Screen and print: system sans-serif, tables with hairline rules, figures right-aligned in
// tabular digits, and a print stylesheet that keeps a table with its title.
const char* const kHtmlStyle = R"css(
  :root { color-scheme: light; }
  * { box-sizing: border-box; }
  body { margin: 0; background: #f3f4f6; color: #1f2328;
         font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Liberation Sans", Arial, sans-serif; }
  main { max-width: 1260px; margin: 32px auto; padding: 40px 52px 36px; background: #fff;
         border: 1px solid #e1e4e8; border-radius: 8px; box-shadow: 0 1px 3px rgba(0,0,0,.04); }
  header { border-bottom: 2px solid #1f2328; padding-bottom: 14px; margin-bottom: 8px; }
  h1 { font-size: 28px; line-height: 1.2; margin: 0 0 6px; font-weight: 650; letter-spacing: -0.01em; }
  .subtitle { margin: 0; color: #424a53; font-size: 16px; overflow-wrap: anywhere; }
  .meta { margin: 8px 0 0; color: #656d76; font-size: 13px; }
  h2 { font-size: 20px; font-weight: 620; margin: 36px 0 12px; padding-bottom: 6px; border-bottom: 1px solid #d8dee4; }
  h3 { font-size: 16px; font-weight: 620; margin: 26px 0 2px; }
  .caption { margin: 0 0 2px; color: #424a53; font-size: 14px; }
  .direction { margin: 0 0 10px; color: #656d76; font-size: 12.5px; }
  .table-wrap { overflow-x: auto; }
  table { border-collapse: collapse; }
  table.results { font-size: 14px; min-width: 55%; }
  table.results th, table.results td { border: 1px solid #d0d7de; padding: 6px 14px; }
  table.results thead th { background: #f6f8fa; font-weight: 600; text-align: right; white-space: nowrap; }
  table.results thead th.corner { text-align: left; color: #656d76; font-weight: 500; }
  table.results tbody th { text-align: left; font-weight: 500; white-space: nowrap; }
  table.results td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  table.results td.best { background: #eef6ee; }
  table.results td.best strong { font-weight: 700; }
  table.results td.na { color: #8c959f; }
  table.results .n { color: #8c959f; font-size: 11.5px; margin-left: 4px; }
  table.results tbody.reference tr:first-child th, table.results tbody.reference tr:first-child td { border-top: 2px solid #afb8c1; }
  table.results tbody.reference th, table.results tbody.reference td { background: #fafbfc; color: #57606a; font-style: italic; }
  table.results tbody.reference td.num { text-align: center; }
  figure.chart { margin: 18px 0 30px; }
  figure.chart img { display: block; max-width: 100%; height: auto; border: 1px solid #e1e4e8; border-radius: 4px; }
  figure.chart figcaption { margin-top: 6px; color: #424a53; font-size: 14px; }
  .missing { color: #8c959f; font-style: italic; }
  .introduction { margin: 14px 0 0; color: #424a53; font-size: 14px; }
  .strip-block { margin: 18px 0 30px; }
  table.strip { font-size: 11px; color: #424a53; }
  table.strip th { font-weight: 600; padding: 2px; text-align: center; vertical-align: bottom; }
  table.strip td { padding: 2px; text-align: center; vertical-align: top; }
  table.strip img { display: block; width: 84px; height: 84px; } /* 13 columns (4 inits x 3 methods) fit */
  table.strip td.na { color: #8c959f; vertical-align: middle; }
  section.problems { margin-top: 24px; padding: 10px 18px 12px; background: #fff8e6; border: 1px solid #eed9a4;
                     border-left: 4px solid #d4a72c; border-radius: 4px; }
  section.problems h2 { margin: 0 0 6px; padding: 0; border: 0; font-size: 16px; color: #7d4e00; }
  section.problems ul { margin: 0; padding-left: 20px; font-size: 14px; }
  section.problems li { overflow-wrap: anywhere; }
  table.settings { width: 100%; font-size: 14px; }
  table.settings th, table.settings td { padding: 6px 10px; border-bottom: 1px solid #eaeef2; vertical-align: top; text-align: left; }
  table.settings th { width: 30%; font-weight: 500; color: #424a53; }
  table.settings td { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace;
                      font-size: 13px; overflow-wrap: anywhere; word-break: break-word; }
  footer { margin-top: 36px; padding-top: 10px; border-top: 1px solid #d8dee4; color: #656d76; font-size: 13px; }
  footer .label { font-weight: 600; color: #424a53; margin-right: 6px; }
  @media print {
    body { background: #fff; }
    main { max-width: none; margin: 0; padding: 0; border: 0; box-shadow: none; }
    .table-block, figure.chart { break-inside: avoid; }
    h2, h3 { break-after: avoid; }
  }
)css";

QString htmlTable(const ReportTable& table) {
    const TableView view = viewOf(table);
    QString html;
    html += QStringLiteral("<div class=\"table-block\">\n");
    html += QStringLiteral("<h3>%1</h3>\n").arg(esc(table.title));
    if (!table.caption.isEmpty())
        html += QStringLiteral("<p class=\"caption\">%1</p>\n").arg(esc(table.caption));
    html += QStringLiteral("<p class=\"direction\">%1</p>\n").arg(directionNote(table, view));
    html += QStringLiteral(
        "<div class=\"table-wrap\"><table class=\"results\">\n<thead><tr><th class=\"corner\" scope=\"col\"></th>");
    for (const QString& column : view.columns)
        html += QStringLiteral("<th scope=\"col\">%1</th>").arg(esc(column));
    html += QStringLiteral("</tr></thead>\n<tbody>\n");
    for (int r = 0; r < view.cells.size(); ++r) {
        html += QStringLiteral("<tr><th scope=\"row\">%1</th>").arg(esc(view.rows[r]));
        for (const CellView& cell : view.cells[r]) {
            QString classes = QStringLiteral("num");
            if (cell.best)
                classes += QStringLiteral(" best");
            if (cell.missing)
                classes += QStringLiteral(" na");
            QString content = esc(cell.text);
            if (cell.best)
                content = QStringLiteral("<strong>%1</strong>").arg(content);
            if (!cell.count.isEmpty())
                content += QStringLiteral("<span class=\"n\">(%1)</span>").arg(esc(cell.count));
            html += QStringLiteral("<td class=\"%1\">%2</td>").arg(classes, content);
        }
        html += QStringLiteral("</tr>\n");
    }
    html += QStringLiteral("</tbody>\n");
    if (!view.references.isEmpty()) {
        html += QStringLiteral("<tbody class=\"reference\">\n");
        for (const auto& reference : view.references)
            html += QStringLiteral("<tr><th scope=\"row\">%1</th><td class=\"num\" colspan=\"%2\">%3</td></tr>\n")
                        .arg(esc(reference.first))
                        .arg(std::max(1, static_cast<int>(view.columns.size())))
                        .arg(esc(reference.second));
        html += QStringLiteral("</tbody>\n");
    }
    html += QStringLiteral("</table></div>\n</div>\n");
    return html;
}

QString htmlChart(const ReportChart& chart) {
    QString html = QStringLiteral("<figure class=\"chart\">\n");
    if (chart.image.isNull()) {
        html += QStringLiteral("<p class=\"missing\">(no image)</p>\n");
    } else {
        const QSizeF size = logicalSize(chart.image);
        html += QStringLiteral("<img src=\"data:image/png;base64,%1\" width=\"%2\" height=\"%3\" alt=\"%4\">\n")
                    .arg(base64Of(chart.image, "PNG"))
                    .arg(std::lround(size.width()))
                    .arg(std::lround(size.height()))
                    .arg(esc(chart.title));
    }
    if (!chart.title.isEmpty())
        html += QStringLiteral("<figcaption>%1</figcaption>\n").arg(esc(chart.title));
    return html + QStringLiteral("</figure>\n");
}

QString htmlStrip(const ReportStrip& strip) {
    QString html = QStringLiteral("<div class=\"strip-block\">\n<h3>%1</h3>\n").arg(esc(strip.title));
    if (!strip.caption.isEmpty())
        html += QStringLiteral("<p class=\"caption\">%1</p>\n").arg(esc(strip.caption));
    if (!strip.link.target.isEmpty())
        html += QStringLiteral("<p class=\"caption\"><a href=\"%1\">%2</a></p>\n").arg(esc(strip.link.target), esc(strip.link.text));
    html += QStringLiteral("<div class=\"table-wrap\"><table class=\"strip\">\n<thead><tr>");
    for (const QString& header : strip.columnHeaders)
        html += QStringLiteral("<th scope=\"col\">%1</th>").arg(stripHeader(header));
    html += QStringLiteral("</tr></thead>\n<tbody>\n");
    for (const ReportStrip::Row& row : strip.rows) {
        html += QStringLiteral("<tr>");
        for (int c = 0; c < row.cells.size(); ++c) {
            const QImage& cell = row.cells[c];
            const QString alt = c < strip.columnHeaders.size()
                                    ? row.label + QLatin1Char(' ') + QString(strip.columnHeaders[c]).replace(QLatin1Char('\n'), QLatin1Char(' '))
                                    : row.label;
            if (cell.isNull())
                html += QStringLiteral("<td class=\"na\">n/a");
            else
                html += QStringLiteral("<td><img src=\"data:image/jpeg;base64,%1\" width=\"%2\" height=\"%3\" alt=\"%4\" title=\"%4\">")
                            .arg(base64Of(cell, "JPEG"))
                            .arg(cell.width())
                            .arg(cell.height())
                            .arg(esc(alt));
            if (c == 0)
                html += esc(row.label);
            html += QStringLiteral("</td>");
        }
        html += QStringLiteral("</tr>\n");
    }
    html += QStringLiteral("</tbody>\n</table></div>\n</div>\n");
    return html;
}

// --- the HTML the PDF is laid out from -----------------------------------------------------
// QTextDocument understands a subset of HTML 4 and CSS 2: no box model on blocks, no max-width,
// integer px only. So everything is spelled out inline, in px of 1/96 inch (the page is laid
// out at 96 px per inch, independent of the screen).
//
// Keep-together groups: a section heading with its first item, a table with its title, a chart
// with its caption. The first text of each group is wrapped in a named anchor "keep-N"; after
// layout, a group that would straddle a page break (and fits on one page) starts a new page.


class KeepGroups {
public:
    explicit KeepGroups(const QSet<int>& breaks) : breaks_(breaks) {}

    // <tag style="style">inner</tag> as the start of a new group; as part of the current group
    // when `startsGroup` is false or a section heading has just started one.
    QString block(const QString& tag, const QString& style, const QString& inner, bool startsGroup = true) {
        if (!startsGroup || headed_) {
            headed_ = false;
            return QStringLiteral("<%1 style=\"%2\">%3</%1>\n").arg(tag, style, inner);
        }
        const int group = count_++;
        const QString pageBreak = breaks_.contains(group) ? QStringLiteral("page-break-before:always; ") : QString();
        return QStringLiteral("<%1 style=\"%2%3\"><a name=\"%4%5\">%6</a></%1>\n")
            .arg(tag, pageBreak, style, kKeepAnchor, QString::number(group), inner);
    }
    // A section heading (h2 and a rule) that keeps with the section's first item.
    QString heading(const QString& text) {
        headed_ = false;
        QString html = block(QStringLiteral("h2"),
                             QStringLiteral("font-size:17px; font-weight:600; margin-top:22px; margin-bottom:0; color:%1")
                                 .arg(QLatin1String(kInk)),
                             esc(text));
        html +=
            QStringLiteral("<hr style=\"height:1px; background-color:%1; border:none; margin-top:0; margin-bottom:2px\">\n")
                .arg(QLatin1String(kRule));
        headed_ = true;
        return html;
    }

private:
    QSet<int> breaks_; // groups that start a new page
    int count_ = 0;
    bool headed_ = false;
};

QString pdfTable(const ReportTable& table, KeepGroups& groups) {
    const TableView view = viewOf(table);
    // The first of title, caption and direction note starts the table's group.
    QString html;
    if (!table.title.isEmpty())
        html += groups.block(QStringLiteral("h3"),
                             QStringLiteral("font-size:15px; font-weight:600; margin-top:18px; margin-bottom:2px; color:%1")
                                 .arg(QLatin1String(kInk)),
                             esc(table.title));
    if (!table.caption.isEmpty())
        html += groups.block(QStringLiteral("p"),
                             QStringLiteral("font-size:12px; color:#424a53; margin-top:0; margin-bottom:1px"),
                             esc(table.caption), table.title.isEmpty());
    const bool bare = table.title.isEmpty() && table.caption.isEmpty();
    html += groups.block(QStringLiteral("p"),
                         QStringLiteral("font-size:11px; color:%1; margin-top:%2px; margin-bottom:5px")
                             .arg(QLatin1String(kMuted))
                             .arg(bare ? 14 : 0),
                         directionNote(table, view), bare);
    html += QStringLiteral("<table cellspacing=\"0\" cellpadding=\"4\" border=\"1\" style=\"border-collapse:collapse; "
                           "border-color:%1; border-style:solid; font-size:12px\">\n")
                .arg(QLatin1String(kRule));
    // thead: repeated on the next page when a table is longer than one.
    html += QStringLiteral("<thead><tr><th bgcolor=\"#f3f5f7\" align=\"left\"></th>");
    for (const QString& column : view.columns)
        html +=
            QStringLiteral("<th bgcolor=\"#f3f5f7\" align=\"right\" style=\"padding-left:14px; padding-right:8px\">%1</th>")
                .arg(esc(column));
    html += QStringLiteral("</tr></thead>\n");
    for (int r = 0; r < view.cells.size(); ++r) {
        html += QStringLiteral("<tr><td align=\"left\" style=\"padding-left:6px; padding-right:14px\">%1</td>")
                    .arg(esc(view.rows[r]));
        for (const CellView& cell : view.cells[r]) {
            QString content = esc(cell.text);
            if (cell.best)
                content = QStringLiteral("<b>%1</b>").arg(content);
            else if (cell.missing)
                content = QStringLiteral("<span style=\"color:#8c959f\">%1</span>").arg(content);
            if (!cell.count.isEmpty())
                content += QStringLiteral("<span style=\"font-size:9px; color:#8c959f\"> (%1)</span>").arg(esc(cell.count));
            html += QStringLiteral("<td align=\"right\"%1 style=\"padding-left:14px; padding-right:8px\">%2</td>")
                        .arg(cell.best ? QStringLiteral(" bgcolor=\"#eef6ee\"") : QString(), content);
        }
        html += QStringLiteral("</tr>\n");
    }
    for (const auto& reference : view.references)
        html +=
            QStringLiteral(
                "<tr><td bgcolor=\"#fafbfc\" style=\"padding-left:6px; padding-right:14px; color:#57606a\"><i>%1</i></td>"
                "<td bgcolor=\"#fafbfc\" align=\"center\" colspan=\"%2\" style=\"color:#57606a\"><i>%3</i></td></tr>\n")
                .arg(esc(reference.first))
                .arg(std::max(1, static_cast<int>(view.columns.size())))
                .arg(esc(reference.second));
    html += QStringLiteral("</table>\n");
    return html;
}

// Thumbnails narrowed so that a row fits the text width; the header repeats on every page.
QString pdfStrip(const ReportStrip& strip, int index, double textWidth, KeepGroups& groups) {
    QString html = groups.block(
        QStringLiteral("h3"),
        QStringLiteral("font-size:15px; font-weight:600; margin-top:18px; margin-bottom:2px; color:%1").arg(QLatin1String(kInk)),
        esc(strip.title));
    if (!strip.caption.isEmpty())
        html += QStringLiteral("<p style=\"font-size:12px; color:#424a53; margin-top:0; margin-bottom:5px\">%1</p>\n")
                    .arg(esc(strip.caption));
    if (!strip.link.text.isEmpty()) // a PDF travels without the folder: the file is named, not linked
        html += QStringLiteral("<p style=\"font-size:12px; color:#424a53; margin-top:0; margin-bottom:5px\">%1</p>\n")
                    .arg(esc(strip.link.text));
    int columns = static_cast<int>(strip.columnHeaders.size());
    for (const ReportStrip::Row& row : strip.rows)
        columns = std::max(columns, static_cast<int>(row.cells.size()));
    const int side = std::max(8, std::min(96, static_cast<int>(std::floor(textWidth / std::max(1, columns))) - 4));
    html += QStringLiteral("<table cellspacing=\"0\" cellpadding=\"1\" border=\"0\" style=\"font-size:8px; color:#424a53\">\n"
                           "<thead><tr>");
    for (const QString& header : strip.columnHeaders)
        html += QStringLiteral("<th align=\"center\" valign=\"bottom\">%1</th>").arg(stripHeader(header));
    html += QStringLiteral("</tr></thead>\n");
    for (int r = 0; r < strip.rows.size(); ++r) {
        const ReportStrip::Row& row = strip.rows[r];
        html += QStringLiteral("<tr>");
        for (int c = 0; c < row.cells.size(); ++c) {
            html += row.cells[c].isNull()
                        ? QStringLiteral("<td align=\"center\" valign=\"middle\" style=\"color:#8c959f\">n/a")
                        : QStringLiteral("<td align=\"center\"><img src=\"%1\" width=\"%2\" height=\"%2\">")
                              .arg(stripResource(index, r, c))
                              .arg(side);
            if (c == 0)
                html += QStringLiteral("<br>") + esc(row.label);
            html += QStringLiteral("</td>");
        }
        html += QStringLiteral("</tr>\n");
    }
    return html + QStringLiteral("</table>\n");
}

// One chart at most the text width and at most 60% of the text height (so a chart and its
// caption always fit a page), keeping the aspect ratio; `resource` numbers its image.
QString pdfChart(const ReportChart& chart, int resource, double textWidth, KeepGroups& groups) {
    const double textHeight = textWidth * (297.0 - kMarginTop - kMarginBottom) / (210.0 - 2 * kMarginSide);
    QString figure;
    if (chart.image.isNull()) {
        figure = QStringLiteral("<i>(no image)</i>");
    } else {
        const QSizeF natural = logicalSize(chart.image);
        const double factor = std::min({1.0, textWidth / natural.width(), 0.6 * textHeight / natural.height()});
        figure = QStringLiteral("<img src=\"%1\" width=\"%2\" height=\"%3\">")
                     .arg(chartResource(resource))
                     .arg(std::floor(natural.width() * factor))
                     .arg(std::floor(natural.height() * factor));
    }
    QString html = groups.block(QStringLiteral("p"), QStringLiteral("margin-top:14px; margin-bottom:3px; color:#8c959f"), figure);
    if (!chart.title.isEmpty())
        html += QStringLiteral("<p style=\"font-size:12px; color:#424a53; margin-top:0; margin-bottom:8px\">%1</p>\n").arg(esc(chart.title));
    return html;
}

} // namespace

QString detail::pdfHtml(const ReportDocument& report, double textWidth, const QSet<int>& breaks) {
    const QDateTime stamp = stampOf(report);
    KeepGroups groups(breaks);
    QString html;
    html.reserve(32 * 1024);
    html += QStringLiteral("<html><head><meta charset=\"utf-8\"><title>%1</title></head><body style=\"color:%2\">\n")
                .arg(esc(titleOf(report)), QLatin1String(kInk));
    html += QStringLiteral("<h1 style=\"font-size:24px; font-weight:600; margin-top:0; margin-bottom:3px\">%1</h1>\n")
                .arg(esc(titleOf(report)));
    if (!report.subtitle.isEmpty())
        html += QStringLiteral("<p style=\"font-size:13px; color:#424a53; margin-top:0; margin-bottom:2px\">%1</p>\n")
                    .arg(esc(report.subtitle));
    QString meta = QStringLiteral("Generated %1").arg(esc(readableStamp(stamp)));
    if (!report.versions.isEmpty())
        meta += QStringLiteral(" &middot; ") + versionsLine(report);
    html += QStringLiteral("<p style=\"font-size:11px; color:%2; margin-top:2px; margin-bottom:0\">%1</p>\n")
                .arg(meta, QLatin1String(kMuted));
    html += QStringLiteral("<hr style=\"height:2px; background-color:%1; border:none; margin-top:6px; margin-bottom:0\">\n")
                .arg(QLatin1String(kInk));
    if (!report.introduction.isEmpty())
        html += QStringLiteral("<p style=\"font-size:12px; color:#424a53; margin-top:10px; margin-bottom:0\">%1</p>\n")
                    .arg(esc(report.introduction));

    if (!report.problems.isEmpty()) {
        html += QStringLiteral(
                    "<table width=\"100%\" cellspacing=\"0\" cellpadding=\"8\" border=\"0\" style=\"margin-top:14px\">"
                    "<tr><td bgcolor=\"#fff8e6\" style=\"border-left:3px solid #d4a72c\">"
                    "<p style=\"font-size:13px; font-weight:600; color:#7d4e00; margin-top:0; margin-bottom:3px\">"
                    "Problems (%1)</p>\n"
                    "<ul style=\"font-size:12px; margin-top:0; margin-bottom:0\">\n")
                    .arg(report.problems.size());
        for (const QString& problem : report.problems)
            html += QStringLiteral("<li>%1</li>\n").arg(esc(problem));
        html += QStringLiteral("</ul></td></tr></table>\n");
    }

    if (!report.tables.isEmpty()) {
        html += groups.heading(QStringLiteral("Results"));
        for (const ReportTable& table : report.tables)
            html += pdfTable(table, groups);
    }

    if (!report.charts.isEmpty()) {
        html += groups.heading(QStringLiteral("Charts"));
        for (int i = 0; i < report.charts.size(); ++i)
            html += pdfChart(report.charts[i], i, textWidth, groups);
    }

    int chartNumber = static_cast<int>(report.charts.size()); // resource numbers: allCharts' order
    for (const ReportSection& section : report.sections) {
        html += groups.heading(section.title);
        if (!section.introduction.isEmpty())
            html += QStringLiteral("<p style=\"font-size:12px; color:#424a53; margin-top:6px; margin-bottom:0\">%1</p>\n")
                        .arg(esc(section.introduction));
        for (const ReportTable& table : section.tables)
            html += pdfTable(table, groups);
        for (const ReportChart& chart : section.charts)
            html += pdfChart(chart, chartNumber++, textWidth, groups);
    }

    if (!report.strips.isEmpty()) {
        html += groups.heading(QStringLiteral("Per image"));
        for (int i = 0; i < report.strips.size(); ++i)
            html += pdfStrip(report.strips[i], i, textWidth, groups);
    }

    if (!report.settings.isEmpty()) {
        html += groups.heading(QStringLiteral("Settings"));
        html += QStringLiteral(
            "<table width=\"100%\" cellspacing=\"0\" cellpadding=\"3\" border=\"0\" style=\"margin-top:4px\">\n");
        for (const auto& setting : report.settings)
            html += QStringLiteral("<tr valign=\"middle\"><td width=\"28%\" style=\"font-size:12px; color:#424a53; "
                                   "border-bottom:1px solid #eaeef2\">%1</td>"
                                   "<td style=\"font-family:'DejaVu Sans Mono','Liberation Mono',monospace; font-size:11px; "
                                   "border-bottom:1px solid #eaeef2\">%2</td></tr>\n")
                        .arg(esc(setting.first), esc(setting.second));
        html += QStringLiteral("</table>\n");
    }
    html += QStringLiteral("</body></html>\n");
    return html;
}

QString reportHtml(const ReportDocument& report) {
    const QDateTime stamp = stampOf(report);
    const QString title = titleOf(report);
    QString html;
    html.reserve(64 * 1024);
    html += QStringLiteral("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                           "<meta name=\"generator\" content=\"intermap\">\n");
    html += QStringLiteral("<title>%1</title>\n<style>%2</style>\n</head>\n<body>\n<main>\n")
                .arg(esc(title), QString::fromUtf8(kHtmlStyle));

    html += QStringLiteral("<header>\n<h1>%1</h1>\n").arg(esc(title));
    if (!report.subtitle.isEmpty())
        html += QStringLiteral("<p class=\"subtitle\">%1</p>\n").arg(esc(report.subtitle));
    html += QStringLiteral("<p class=\"meta\">Generated <time datetime=\"%1\">%2</time></p>\n</header>\n")
                .arg(esc(isoStamp(stamp)), esc(readableStamp(stamp)));
    if (!report.introduction.isEmpty())
        html += QStringLiteral("<p class=\"introduction\">%1</p>\n").arg(esc(report.introduction));

    if (!report.problems.isEmpty()) {
        html += QStringLiteral("<section class=\"problems\">\n<h2>Problems (%1)</h2>\n<ul>\n").arg(report.problems.size());
        for (const QString& problem : report.problems)
            html += QStringLiteral("<li>%1</li>\n").arg(esc(problem));
        html += QStringLiteral("</ul>\n</section>\n");
    }

    if (!report.tables.isEmpty()) {
        html += QStringLiteral("<section class=\"results\">\n<h2>Results</h2>\n");
        for (const ReportTable& table : report.tables)
            html += htmlTable(table);
        html += QStringLiteral("</section>\n");
    }

    if (!report.charts.isEmpty()) {
        html += QStringLiteral("<section class=\"charts\">\n<h2>Charts</h2>\n");
        for (const ReportChart& chart : report.charts)
            html += htmlChart(chart);
        html += QStringLiteral("</section>\n");
    }

    for (const ReportSection& section : report.sections) {
        html += QStringLiteral("<section class=\"part\">\n<h2>%1</h2>\n").arg(esc(section.title));
        if (!section.introduction.isEmpty())
            html += QStringLiteral("<p class=\"introduction\">%1</p>\n").arg(esc(section.introduction));
        for (const ReportTable& table : section.tables)
            html += htmlTable(table);
        for (const ReportChart& chart : section.charts)
            html += htmlChart(chart);
        html += QStringLiteral("</section>\n");
    }

    if (!report.strips.isEmpty()) {
        html += QStringLiteral("<section class=\"strips\">\n<h2>Per image</h2>\n");
        for (const ReportStrip& strip : report.strips)
            html += htmlStrip(strip);
        html += QStringLiteral("</section>\n");
    }

    if (!report.settings.isEmpty()) {
        html += QStringLiteral("<section class=\"settings\">\n<h2>Settings</h2>\n<table class=\"settings\">\n<tbody>\n");
        for (const auto& setting : report.settings)
            html += QStringLiteral("<tr><th scope=\"row\">%1</th><td>%2</td></tr>\n")
                        .arg(esc(setting.first), esc(setting.second));
        html += QStringLiteral("</tbody>\n</table>\n</section>\n");
    }

    html += QStringLiteral("<footer>\n");
    if (!report.versions.isEmpty())
        html +=
            QStringLiteral("<p class=\"versions\"><span class=\"label\">Versions</span>%1</p>\n").arg(versionsLine(report));
    html += QStringLiteral("</footer>\n</main>\n</body>\n</html>\n");
    return html;
}

QString reportPdfHtml(const ReportDocument& report, double textWidth) { return detail::pdfHtml(report, textWidth, {}); }

} // namespace intermap::render
