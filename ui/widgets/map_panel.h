#pragma once
// One panel of the comparison view: an image with (optionally) a map blended over it and the
// mask's outline, under the zoom/pan shared by every panel (view::ViewState). Renders and
// forwards input only; the maths lives in ui/view and ui/render.
#include "view/trust_badges.h"
#include "view/view_state.h"

#include <QImage>
#include <QString>
#include <QWidget>

#include <optional>
#include <vector>

namespace intermap::ui {

inline constexpr int kPanelTitleBand = 36; // title + caption lines above the image

// The zoom/pan all panels of a comparison share; each panel repaints when it changes.
class LinkedView : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
    const view::ViewState& state() const { return m_state; }
    void setState(const view::ViewState& state);

Q_SIGNALS:
    void changed();

private:
    view::ViewState m_state;
};

struct PanelDisplay {
    QString colourMap = QStringLiteral("jet");
    double opacity = 0.5;     // map weight in the blend
    bool showOutline = true;
};

class MapPanel : public QWidget {
    Q_OBJECT
public:
    MapPanel(LinkedView* link, QWidget* parent = nullptr);

    void setTitle(const QString& title) { m_title = title; update(); }
    QString title() const { return m_title; }
    // A one-line caption under the title (prediction, pointing game, IoU).
    void setCaption(const QString& caption) { m_caption = caption; update(); }
    QString caption() const { return m_caption; }
    // The pre-processed image and, optionally, its map (image width x height values) and mask.
    void setContent(const QImage& image, const std::vector<float>& map, const QImage& mask);
    void clear(); // no image, no map
    // A warning chip at the right of the title (its tooltip explains it), or, when the badge has
    // no text, a quiet note added to the panel's tooltip; an empty badge removes both.
    void setBadge(const view::PanelBadge& badge);
    const view::PanelBadge& badge() const { return m_badge; }
    // Where the chip is drawn (empty when none), in widget coordinates.
    QRect badgeRect() const;
    // Placeholder text while the map is computed or when it failed.
    void setPending(const QString& message);
    void setDisplay(const PanelDisplay& display);

    const QImage& composed() const { return m_composed; } // what is drawn, at image resolution
    const std::vector<float>& map() const { return m_map; }
    bool hasMap() const { return !m_map.empty(); }
    bool isPending() const { return !m_pending.isEmpty(); }
    const QString& pendingMessage() const { return m_pending; }
    // The area the image occupies in widget coordinates (below the title band).
    QRectF imageRect() const;
    QRect viewport() const;

Q_SIGNALS:
    // Image pixel under the cursor (outside the image: a point outside [0,w)x[0,h)).
    void hovered(const QPointF& imagePoint);
    void left();
    // Right button held: window/level, as in every DICOM viewer (the display, not the map).
    void windowDragStarted();
    void windowDragged(QPoint deltaSincePress);

protected:
    bool event(QEvent* event) override; // the chip's own tooltip
    void paintEvent(QPaintEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    void recompose();
    QSizeF imageSize() const { return QSizeF(m_image.size()); }
    QSizeF viewportSize() const { return QSizeF(viewport().size()); }

    LinkedView* m_link;
    QString m_title;
    QString m_caption;
    QString m_pending;
    view::PanelBadge m_badge;
    QImage m_image;
    QImage m_mask;
    std::vector<float> m_map;
    PanelDisplay m_display;
    QImage m_composed;
    QImage m_outline;
    bool m_dragging = false;
    std::optional<QPointF> m_windowDragOrigin;
    QPointF m_lastDrag;
};

} // namespace intermap::ui
