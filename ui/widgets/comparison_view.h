#pragma once
// The side-by-side comparison: one MapPanel per column title (the original first), all sharing
// one zoom/pan, a read-out of every panel's map value under the cursor, and the link to the Trust
// page (the randomisation test of the maps shown).
#include "widgets/map_panel.h"

#include <QLabel>
#include <QStringList>
#include <QVector>
#include <QWidget>

class QGridLayout;

namespace intermap::ui {

class ComparisonView : public QWidget {
    Q_OBJECT
public:
    explicit ComparisonView(QWidget* parent = nullptr);

    // Recreates the panels when the titles changed (keeps them otherwise: no flicker).
    void setPanelTitles(const QStringList& titles);
    int panelCount() const { return m_panels.size(); }
    MapPanel* panel(int index) const { return m_panels.value(index); }
    LinkedView* link() const { return m_link; }
    void setDisplay(const PanelDisplay& display);
    // Fits the view to an image of this size (a new image: zoom 1, centred).
    void fitTo(const QSize& imageSize);
    QString readoutText() const { return m_readout->text(); }

Q_SIGNALS:
    void windowDragStarted();               // a right-drag on any panel
    void windowDragged(QPoint deltaSincePress);
    // The "Does this map depend on the model?" link: open the Trust page for what is shown.
    void trustCheckRequested();

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void relayout();
    void showReadout(const QPointF& imagePoint);

    LinkedView* m_link;
    QGridLayout* m_grid;
    QLabel* m_readout;
    QVector<MapPanel*> m_panels;
    int m_columns = 0;
    PanelDisplay m_display;
};

} // namespace intermap::ui
