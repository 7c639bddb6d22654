#include "widgets/comparison_view.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QVBoxLayout>

#include <cmath>

namespace intermap::ui {

ComparisonView::ComparisonView(QWidget* parent) : QWidget(parent), m_link(new LinkedView(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_grid = new QGridLayout;
    m_grid->setSpacing(6);
    layout->addLayout(m_grid, 1);
    m_readout = new QLabel(this);
    m_readout->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_readout->setToolTip(tr("Map value of every panel at the pixel under the cursor"));
    m_readout->setText(tr("Hover over an image to read every map's value at that pixel."));
    auto* trustLink = new QLabel(tr("<a href=\"trust\">Does this map depend on the model?</a>"), this);
    trustLink->setObjectName(QStringLiteral("trustLink"));
    trustLink->setToolTip(tr("Model-parameter randomisation (Adebayo et al. 2018): re-initialise the model's layers from the top "
                             "and see whether these maps change (Trust page)"));
    connect(trustLink, &QLabel::linkActivated, this, &ComparisonView::trustCheckRequested);
    auto* bottom = new QHBoxLayout;
    bottom->addWidget(m_readout, 1);
    bottom->addWidget(trustLink);
    layout->addLayout(bottom);
}

void ComparisonView::setPanelTitles(const QStringList& titles) {
    bool same = titles.size() == m_panels.size();
    for (int i = 0; same && i < titles.size(); ++i)
        same = m_panels[i]->title() == titles[i];
    if (same)
        return;
    for (MapPanel* panel : m_panels)
        panel->deleteLater();
    m_panels.clear();
    for (int i = 0; i < titles.size(); ++i) {
        auto* panel = new MapPanel(m_link, this);
        panel->setObjectName(QStringLiteral("panel%1").arg(i));
        panel->setTitle(titles[i]);
        panel->setDisplay(m_display);
        connect(panel, &MapPanel::hovered, this, &ComparisonView::showReadout);
        connect(panel, &MapPanel::windowDragStarted, this, &ComparisonView::windowDragStarted);
        connect(panel, &MapPanel::windowDragged, this, &ComparisonView::windowDragged);
        m_panels << panel;
    }
    m_columns = 0;
    relayout();
}

void ComparisonView::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    relayout();
}

void ComparisonView::relayout() {
    const int columns = view::bestColumnCount(static_cast<int>(m_panels.size()), QSizeF(width(), height() - m_readout->height()),
                                              kPanelTitleBand);
    if (columns == m_columns)
        return;
    m_columns = columns;
    for (MapPanel* panel : m_panels)
        m_grid->removeWidget(panel);
    for (int i = 0; i < m_panels.size(); ++i)
        m_grid->addWidget(m_panels[i], i / columns, i % columns);
}

void ComparisonView::setDisplay(const PanelDisplay& display) {
    m_display = display;
    for (MapPanel* panel : m_panels)
        panel->setDisplay(display);
}

void ComparisonView::fitTo(const QSize& imageSize) {
    m_link->setState(view::ViewState::fitted(QSizeF(imageSize)));
}

void ComparisonView::showReadout(const QPointF& imagePoint) {
    QStringList parts;
    const int x = static_cast<int>(std::floor(imagePoint.x()));
    const int y = static_cast<int>(std::floor(imagePoint.y()));
    for (MapPanel* panel : m_panels) {
        if (!panel->hasMap())
            continue;
        const QSize size = panel->composed().size();
        const double value = view::mapValueAt(panel->map().data(), size, imagePoint);
        if (std::isnan(value)) {
            m_readout->setText(tr("Outside the image"));
            return;
        }
        parts << QStringLiteral("%1 %2").arg(panel->title(), QString::number(value, 'f', 3));
    }
    if (x < 0 || y < 0)
        return;
    m_readout->setText(tr("x %1, y %2").arg(x).arg(y) + (parts.isEmpty() ? QString() : QStringLiteral("  ·  ") + parts.join(QStringLiteral("  ·  "))));
}

} // namespace intermap::ui
