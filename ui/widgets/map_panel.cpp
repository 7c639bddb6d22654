#include "widgets/map_panel.h"

#include "render/figure.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace intermap::ui {

void LinkedView::setState(const view::ViewState& state) {
    if (state == m_state)
        return;
    m_state = state;
    Q_EMIT changed();
}

namespace {
constexpr int kTitleBand = kPanelTitleBand;
// Amber, the colour of a caution rather than an error: the map is shown, it is only doubtful.
const QColor kBadgeFill(255, 179, 0);
const QColor kBadgeText(40, 28, 0);
constexpr int kBadgePadding = 5;

QString panelHelp() { return MapPanel::tr("Wheel: zoom (all panels)  ·  drag: pan  ·  double-click: fit"); }
} // namespace

MapPanel::MapPanel(LinkedView* link, QWidget* parent) : QWidget(parent), m_link(link) {
    setMouseTracking(true);
    setMinimumSize(120, 120 + kTitleBand);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    setFocusPolicy(Qt::ClickFocus);
    setToolTip(panelHelp());
    connect(m_link, &LinkedView::changed, this, qOverload<>(&QWidget::update));
}

void MapPanel::setContent(const QImage& image, const std::vector<float>& map, const QImage& mask) {
    m_image = image;
    m_map = map;
    m_mask = mask;
    m_pending.clear();
    recompose();
    update();
}

void MapPanel::clear() {
    m_image = QImage();
    m_mask = QImage();
    m_map.clear();
    recompose();
    update();
}

void MapPanel::setBadge(const view::PanelBadge& badge) {
    if (badge == m_badge)
        return;
    m_badge = badge;
    setToolTip(!badge.shown() && !badge.toolTip.isEmpty() ? panelHelp() + QLatin1Char('\n') + badge.toolTip : panelHelp());
    update();
}

QRect MapPanel::badgeRect() const {
    if (!m_badge.shown())
        return {};
    QFont small = font();
    small.setBold(true);
    const int textWidth = QFontMetrics(small).horizontalAdvance(m_badge.text);
    // A few pixels of slack: eliding at exactly the advance can cut the last character.
    const int chipWidth = std::min(textWidth + 2 * kBadgePadding + 4, std::max(0, width() - 8));
    return QRect(width() - 4 - chipWidth, 3, chipWidth, kTitleBand / 2 - 4);
}

bool MapPanel::event(QEvent* event) {
    if (event->type() == QEvent::ToolTip) {
        const auto* help = static_cast<QHelpEvent*>(event);
        if (badgeRect().contains(help->pos())) {
            QToolTip::showText(help->globalPos(), m_badge.toolTip, this, badgeRect());
            return true;
        }
    }
    return QWidget::event(event);
}

void MapPanel::setPending(const QString& message) {
    m_pending = message;
    update();
}

void MapPanel::setDisplay(const PanelDisplay& display) {
    m_display = display;
    recompose();
    update();
}

void MapPanel::recompose() {
    if (m_image.isNull()) {
        m_composed = QImage();
        m_outline = QImage();
        return;
    }
    m_composed = m_map.empty() ? m_image.convertToFormat(QImage::Format_RGB32)
                               : render::overlayMap(m_image, m_map, m_display.colourMap, m_display.opacity);
    m_outline = (m_display.showOutline && !m_mask.isNull())
                    ? render::maskOutline(m_mask, m_image.size(), QColor(255, 255, 255), 1)
                    : QImage();
}

QRect MapPanel::viewport() const {
    return QRect(0, kTitleBand, width(), std::max(1, height() - kTitleBand));
}

QRectF MapPanel::imageRect() const {
    return m_link->state().imageRectInWidget(imageSize(), viewportSize()).translated(0, kTitleBand);
}

void MapPanel::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.fillRect(rect(), palette().window());
    // Title and caption.
    painter.setPen(palette().windowText().color());
    QFont bold = font();
    bold.setBold(true);
    painter.setFont(bold);
    const QFontMetrics metrics(bold);
    const QRect chip = badgeRect();
    const int titleWidth = chip.isEmpty() ? width() - 8 : chip.left() - 10;
    painter.drawText(QRect(4, 2, std::max(0, titleWidth), kTitleBand / 2), Qt::AlignLeft | Qt::AlignVCenter,
                     metrics.elidedText(m_title, Qt::ElideRight, std::max(0, titleWidth)));
    if (!chip.isEmpty()) {
        painter.save();
        painter.setRenderHint(QPainter::Antialiasing);
        painter.setPen(Qt::NoPen);
        painter.setBrush(kBadgeFill);
        painter.drawRoundedRect(chip, chip.height() / 2.0, chip.height() / 2.0);
        painter.setPen(kBadgeText);
        painter.drawText(chip.adjusted(kBadgePadding, 0, -kBadgePadding, 0), Qt::AlignCenter,
                         metrics.elidedText(m_badge.text, Qt::ElideRight, chip.width() - 2 * kBadgePadding));
        painter.restore();
    }
    painter.setFont(font());
    painter.drawText(QRect(4, kTitleBand / 2, width() - 8, kTitleBand / 2 - 2), Qt::AlignLeft | Qt::AlignVCenter,
                     QFontMetrics(font()).elidedText(m_caption, Qt::ElideRight, width() - 8));

    const QRect area = viewport();
    painter.fillRect(area, QColor(24, 24, 24));
    painter.setClipRect(area);
    if (!m_composed.isNull()) {
        const QTransform transform = m_link->state().imageToWidget(imageSize(), viewportSize()) *
                                     QTransform::fromTranslate(0, kTitleBand);
        painter.save();
        painter.setTransform(transform);
        // Magnified: show the map's pixels as they are (a 16x16 patch map stays blocky). Reduced:
        // smooth, so that nothing aliases.
        const bool magnified = m_link->state().scale(imageSize(), viewportSize()) >= 1.0;
        painter.setRenderHint(QPainter::SmoothPixmapTransform, !magnified);
        painter.drawImage(QPointF(0, 0), m_composed);
        if (!m_outline.isNull())
            painter.drawImage(QPointF(0, 0), m_outline);
        painter.restore();
    }
    if (!m_pending.isEmpty()) {
        painter.setPen(QColor(230, 230, 230));
        painter.fillRect(QRect(area.left(), area.bottom() - 28, area.width(), 28), QColor(0, 0, 0, 160));
        painter.drawText(QRect(area.left() + 6, area.bottom() - 28, area.width() - 12, 28), Qt::AlignVCenter | Qt::AlignLeft,
                         m_pending);
    }
}

void MapPanel::wheelEvent(QWheelEvent* event) {
    if (m_image.isNull())
        return;
    const double steps = event->angleDelta().y() / 120.0;
    if (steps == 0.0)
        return;
    view::ViewState state = m_link->state();
    state.zoomAt(event->position() - QPointF(0, kTitleBand), std::pow(1.25, steps), imageSize(), viewportSize());
    m_link->setState(state);
    event->accept();
}

void MapPanel::mousePressEvent(QMouseEvent* event) {
    if (event->button() == Qt::RightButton && !m_image.isNull()) {
        m_windowDragOrigin = event->position();
        Q_EMIT windowDragStarted();
        return;
    }
    if (event->button() == Qt::LeftButton) {
        m_dragging = true;
        m_lastDrag = event->position();
        setCursor(Qt::ClosedHandCursor);
    }
}

void MapPanel::mouseMoveEvent(QMouseEvent* event) {
    if (m_image.isNull())
        return;
    if (m_windowDragOrigin && (event->buttons() & Qt::RightButton)) {
        Q_EMIT windowDragged((event->position() - *m_windowDragOrigin).toPoint());
        return;
    }
    if (m_dragging) {
        view::ViewState state = m_link->state();
        state.panBy(event->position() - m_lastDrag, imageSize(), viewportSize());
        m_lastDrag = event->position();
        m_link->setState(state);
    }
    Q_EMIT hovered(m_link->state().toImage(event->position() - QPointF(0, kTitleBand), imageSize(), viewportSize()));
}

void MapPanel::mouseReleaseEvent(QMouseEvent* event) {
    if (event->button() == Qt::RightButton)
        m_windowDragOrigin.reset();
    if (event->button() == Qt::LeftButton) {
        m_dragging = false;
        unsetCursor();
    }
}

void MapPanel::mouseDoubleClickEvent(QMouseEvent*) {
    if (!m_image.isNull())
        m_link->setState(view::ViewState::fitted(imageSize()));
}

void MapPanel::leaveEvent(QEvent*) {
    Q_EMIT left();
}

} // namespace intermap::ui
