#include "view/view_state.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace intermap::view {

ViewState ViewState::fitted(const QSizeF& imageSize) {
    ViewState state;
    state.m_centre = QPointF(imageSize.width() / 2.0, imageSize.height() / 2.0);
    return state;
}

double ViewState::fitScale(const QSizeF& imageSize, const QSizeF& viewport) {
    if (imageSize.isEmpty() || viewport.isEmpty())
        return 1.0;
    return std::min(viewport.width() / imageSize.width(), viewport.height() / imageSize.height());
}

QTransform ViewState::imageToWidget(const QSizeF& imageSize, const QSizeF& viewport) const {
    const double s = scale(imageSize, viewport);
    // widget = viewportCentre + (image - centre) * s
    return QTransform(s, 0, 0, s, viewport.width() / 2.0 - m_centre.x() * s, viewport.height() / 2.0 - m_centre.y() * s);
}

QPointF ViewState::toImage(const QPointF& widgetPoint, const QSizeF& imageSize, const QSizeF& viewport) const {
    const double s = scale(imageSize, viewport);
    return QPointF(m_centre.x() + (widgetPoint.x() - viewport.width() / 2.0) / s,
                   m_centre.y() + (widgetPoint.y() - viewport.height() / 2.0) / s);
}

QRectF ViewState::imageRectInWidget(const QSizeF& imageSize, const QSizeF& viewport) const {
    return imageToWidget(imageSize, viewport).mapRect(QRectF(QPointF(0, 0), imageSize));
}

void ViewState::zoomAt(const QPointF& widgetPoint, double factor, const QSizeF& imageSize, const QSizeF& viewport) {
    if (!(factor > 0.0) || imageSize.isEmpty() || viewport.isEmpty())
        return;
    const QPointF anchor = toImage(widgetPoint, imageSize, viewport);
    m_zoom = std::clamp(m_zoom * factor, kMinZoom, kMaxZoom);
    // Choose the centre so that `anchor` maps back onto `widgetPoint` at the new scale.
    const double s = scale(imageSize, viewport);
    m_centre = QPointF(anchor.x() - (widgetPoint.x() - viewport.width() / 2.0) / s,
                       anchor.y() - (widgetPoint.y() - viewport.height() / 2.0) / s);
}

void ViewState::panBy(const QPointF& widgetDelta, const QSizeF& imageSize, const QSizeF& viewport) {
    const double s = scale(imageSize, viewport);
    QPointF centre = m_centre - widgetDelta / s;
    // Keep the centre on the image so the image can never be dragged out of sight.
    centre.setX(std::clamp(centre.x(), 0.0, imageSize.width()));
    centre.setY(std::clamp(centre.y(), 0.0, imageSize.height()));
    m_centre = centre;
}

int bestColumnCount(int panels, const QSizeF& area, double titleBand) {
    if (area.width() <= 0 || area.height() <= titleBand)
        return std::clamp(panels, 1, 4); // not laid out yet: one row, the usual shape of a comparison
    int best = 1;
    double bestSide = -1.0;
    for (int columns = 1; columns <= std::max(1, panels); ++columns) {
        const int rows = (panels + columns - 1) / columns;
        const double side = std::min(area.width() / columns, area.height() / std::max(1, rows) - titleBand);
        if (side > bestSide + 1e-9) {
            bestSide = side;
            best = columns;
        }
    }
    return best;
}

double mapValueAt(const float* map, const QSize& imageSize, const QPointF& imagePoint) {
    const int x = static_cast<int>(std::floor(imagePoint.x()));
    const int y = static_cast<int>(std::floor(imagePoint.y()));
    if (!map || x < 0 || y < 0 || x >= imageSize.width() || y >= imageSize.height())
        return std::numeric_limits<double>::quiet_NaN();
    return map[static_cast<std::size_t>(y) * static_cast<std::size_t>(imageSize.width()) + static_cast<std::size_t>(x)];
}

} // namespace intermap::view
