#pragma once
// The colours every chart of intermap uses, the panel's QCustomPlot charts (ui/charts) and the
// report's QPainter charts (report_charts) alike, so that an initialisation has one colour
// wherever a researcher sees it. QtGui only.
#include <QColor>

#include <iterator>

namespace intermap::render {

// Matplotlib's tab10: familiar to the researchers who read these charts next to their notebooks.
// Series index `series` cycles through it; negative indices wrap.
inline QColor seriesColour(int series) {
    static const QColor kTab10[] = {QColor(31, 119, 180), QColor(255, 127, 14), QColor(44, 160, 44),
                                    QColor(214, 39, 40),  QColor(148, 103, 189), QColor(140, 86, 75),
                                    QColor(227, 119, 194), QColor(127, 127, 127), QColor(188, 189, 34),
                                    QColor(23, 190, 207)};
    constexpr int size = static_cast<int>(std::size(kTab10));
    return kTab10[((series % size) + size) % size];
}

// Baselines: dark to light greys (each chart kind adds its own dash).
inline QColor referenceColour(int index) {
    static const QColor kGreys[] = {QColor(70, 70, 70), QColor(130, 130, 130), QColor(100, 100, 100),
                                    QColor(160, 160, 160)};
    constexpr int size = static_cast<int>(std::size(kGreys));
    return kGreys[((index % size) + size) % size];
}

inline QColor gridColour() {
    return {225, 225, 225};
}

} // namespace intermap::render
