#pragma once
// The zoom and pan shared by the linked panels of the comparison view, and the maths that turns
// it into each panel's image-to-widget transform. Widget-free (QtGui value types only) so that it
// is unit-tested without a display.
//
// The state is kept relative to the image, not to a widget: `zoom` 1 = the image fitted into the
// panel (aspect kept), `centre` = the image point (in image pixels) shown at the panel's centre.
// Panels of slightly different sizes therefore show the same part of the image at the same
// relative magnification, which is what "linked" means to a reader comparing maps.
#include <QPointF>
#include <QRectF>
#include <QSizeF>
#include <QTransform>

namespace intermap::view {

class ViewState {
public:
    static constexpr double kMinZoom = 0.25;
    static constexpr double kMaxZoom = 64.0;

    // Fitted and centred on an image of `imageSize`.
    static ViewState fitted(const QSizeF& imageSize);

    double zoom() const { return m_zoom; }
    QPointF centre() const { return m_centre; }

    // Device-independent pixels of the panel per image pixel.
    static double fitScale(const QSizeF& imageSize, const QSizeF& viewport);
    double scale(const QSizeF& imageSize, const QSizeF& viewport) const { return fitScale(imageSize, viewport) * m_zoom; }

    // image point -> widget point for a panel of `viewport` size.
    QTransform imageToWidget(const QSizeF& imageSize, const QSizeF& viewport) const;
    QPointF toImage(const QPointF& widgetPoint, const QSizeF& imageSize, const QSizeF& viewport) const;
    QRectF imageRectInWidget(const QSizeF& imageSize, const QSizeF& viewport) const;

    // Multiplies the zoom by `factor` (clamped to [kMinZoom, kMaxZoom]) keeping the image point
    // under `widgetPoint` where it is: the behaviour of a mouse wheel in every image viewer.
    void zoomAt(const QPointF& widgetPoint, double factor, const QSizeF& imageSize, const QSizeF& viewport);
    // Moves the image by `widgetDelta` widget pixels (a drag).
    void panBy(const QPointF& widgetDelta, const QSizeF& imageSize, const QSizeF& viewport);

    bool operator==(const ViewState& other) const { return m_zoom == other.m_zoom && m_centre == other.m_centre; }
    bool operator!=(const ViewState& other) const { return !(*this == other); }

private:
    double m_zoom = 1.0;
    QPointF m_centre;
};

// How many columns to lay `panels` square images out in so that each is as large as possible in
// `area` (each panel also needs `titleBand` px above its image). At least 1.
int bestColumnCount(int panels, const QSizeF& area, double titleBand);

// The map value at a widget point, or NaN outside the image: the cursor read-out. Row-major
// `map` of imageSize.width() x imageSize.height() values; nearest pixel (what the panel shows).
double mapValueAt(const float* map, const QSize& imageSize, const QPointF& imagePoint);

} // namespace intermap::view
