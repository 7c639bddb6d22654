#include "widgets/evaluation_results_view.h"

#include "charts/evaluation_charts.h"
#include "model/evaluation_chart_data.h"
#include "model/evaluation_results_model.h"
#include "model/vocabulary.h"

#include "intermap/eval/evaluation.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace intermap::ui {
EvaluationResultsView::EvaluationResultsView(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* pickers = new QHBoxLayout;
    m_shownDataset = new QComboBox(this);
    m_shownMetric = new QComboBox(this);
    pickers->addWidget(new QLabel(tr("Data set"), this));
    pickers->addWidget(m_shownDataset, 1);
    pickers->addWidget(new QLabel(tr("Measure"), this));
    pickers->addWidget(m_shownMetric, 2);
    layout->addLayout(pickers);
    m_model = new EvaluationResultsModel(this);
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("evaluationTable"));
    m_table->setModel(m_model);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setMaximumHeight(200);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    layout->addWidget(m_table);
    auto* lower = new QSplitter(Qt::Horizontal, this);
    m_chartTabs = new QTabWidget(lower);
    m_bars = new charts::GroupedBarChart(m_chartTabs);
    m_curves = new charts::CurveChart(m_chartTabs);
    m_chartTabs->addTab(m_bars, tr("Methods x inits"));
    m_chartTabs->addTab(m_curves, tr("IoU vs k"));
    auto* extremesBox = new QWidget(lower);
    auto* extremesLayout = new QVBoxLayout(extremesBox);
    extremesLayout->setContentsMargins(0, 0, 0, 0);
    m_extremesTitle = new QLabel(tr("Click a cell or a bar: its best and worst images"), extremesBox);
    m_extremesTitle->setWordWrap(true);
    m_extremes = new QListWidget(extremesBox);
    m_extremes->setObjectName(QStringLiteral("evaluationExtremes"));
    m_extremes->setToolTip(tr("Double-click to open the image with this model and method in the comparison view"));
    extremesLayout->addWidget(m_extremesTitle);
    extremesLayout->addWidget(m_extremes, 1);
    lower->addWidget(m_chartTabs);
    lower->addWidget(extremesBox);
    lower->setStretchFactor(0, 3);
    lower->setStretchFactor(1, 1);
    layout->addWidget(lower, 1);

    connect(m_shownDataset, &QComboBox::currentIndexChanged, this, &EvaluationResultsView::refresh);
    connect(m_shownMetric, &QComboBox::currentIndexChanged, this, &EvaluationResultsView::refresh);
    connect(m_table, &QTableView::clicked, this, [this](const QModelIndex& index) { selectCell(index.row(), index.column()); });
    connect(m_bars, &charts::GroupedBarChart::barClicked, this, &EvaluationResultsView::selectCell);
    connect(m_extremes, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) { openExtreme(m_extremes->row(item)); });
}

void EvaluationResultsView::setResults(const eval::EvaluationResults* results, const eval::PerImageExtremes* extremes) {
    m_results = results;
    m_cellExtremes = extremes;
    m_selectedRow = m_selectedColumn = -1;
    const QString previousDataset = shownDataset();
    const QString previousMetric = shownMetric();
    {
        const QSignalBlocker datasetBlocker(m_shownDataset);
        const QSignalBlocker metricBlocker(m_shownMetric);
        m_shownDataset->clear();
        for (const auto& dataset : results->settings.datasets)
            m_shownDataset->addItem(QString::fromStdString(dataset.name));
        m_shownMetric->clear();
        for (const QString& column : toQStringList(results->columns))
            m_shownMetric->addItem(metricTitle(column), column);
        m_shownDataset->setCurrentIndex(std::max(0, m_shownDataset->findText(previousDataset)));
        m_shownMetric->setCurrentIndex(std::max(0, m_shownMetric->findData(previousMetric)));
    }
    refresh();
}

QString EvaluationResultsView::shownDataset() const {
    return m_shownDataset->currentText();
}

QString EvaluationResultsView::shownMetric() const {
    return m_shownMetric->currentData().toString();
}

void EvaluationResultsView::showDataset(const QString& name) {
    m_shownDataset->setCurrentIndex(std::max(0, m_shownDataset->findText(name)));
}

void EvaluationResultsView::showMetric(const QString& column) {
    m_shownMetric->setCurrentIndex(std::max(0, m_shownMetric->findData(column)));
}

QWidget* EvaluationResultsView::shownChart() const {
    return m_chartTabs->currentWidget();
}

void EvaluationResultsView::refresh() {
    if (!m_results || m_shownDataset->currentIndex() < 0 || m_shownMetric->currentIndex() < 0)
        return;
    const std::string dataset = shownDataset().toStdString();
    const std::string column = shownMetric().toStdString();
    m_model->setResults(*m_results, dataset, column);
    // A baseline has one value: spread across the row.
    m_table->clearSpans();
    for (int row = m_model->methodRowCount(); row < m_model->rowCount(); ++row)
        if (m_model->columnCount() > 1)
            m_table->setSpan(row, 0, 1, m_model->columnCount());
    m_bars->setData(barChartData(*m_results, dataset, column));
    m_curves->setData(curveChartData(*m_results, dataset));
    refreshExtremes();
}

void EvaluationResultsView::selectCell(int methodRow, int initColumn) {
    if (!m_results || methodRow < 0 || initColumn < 0 || methodRow >= static_cast<int>(m_results->settings.methods.size()) ||
        initColumn >= static_cast<int>(m_results->settings.inits.size()))
        return; // a baseline row or outside the grid: no images of its own
    m_selectedRow = methodRow;
    m_selectedColumn = initColumn;
    m_table->setCurrentIndex(m_model->index(methodRow, initColumn));
    refreshExtremes();
}

void EvaluationResultsView::refreshExtremes() {
    m_extremes->clear();
    if (!m_results || m_selectedRow < 0) {
        m_extremesTitle->setText(tr("Click a cell or a bar: its best and worst images"));
        return;
    }
    const std::string column = shownMetric().toStdString();
    const std::string& method = m_results->settings.methods[static_cast<std::size_t>(m_selectedRow)];
    const std::string& init = m_results->settings.inits[static_cast<std::size_t>(m_selectedColumn)];
    if (std::find(m_results->columns.begin(), m_results->columns.end(), column) == m_results->columns.end())
        return;
    const eval::CellExtremes extremes = m_cellExtremes->cell(shownDataset().toStdString(), init, method, column);
    const QVector<RankedImage> ranked = rankedImages(extremes);
    m_extremesTitle->setText(tr("<b>%1 / %2</b>, %3: best and worst of %n image(s)", nullptr, static_cast<int>(extremes.scored))
                                 .arg(QString::fromStdString(method), QString::fromStdString(init),
                                      metricTitle(QString::fromStdString(column))));
    for (const RankedImage& entry : ranked) {
        auto* item = new QListWidgetItem(tr("%1  %2  (%3)").arg(entry.best ? tr("best") : tr("worst"), entry.image,
                                                                 QString::number(entry.value, 'f', 3)),
                                         m_extremes);
        item->setData(Qt::UserRole, entry.image);
    }
}

void EvaluationResultsView::openExtreme(int row) {
    if (!m_results || row < 0 || row >= m_extremes->count() || m_selectedRow < 0)
        return;
    const auto& settings = m_results->settings;
    const std::string dataset = shownDataset().toStdString();
    const auto datasetIt = std::find_if(settings.datasets.begin(), settings.datasets.end(),
                                        [&](const eval::DatasetSpec& d) { return d.name == dataset; });
    if (datasetIt == settings.datasets.end())
        return;
    const std::string& init = settings.inits[static_cast<std::size_t>(m_selectedColumn)];
    Q_EMIT openInComparison(QString::fromStdString(datasetIt->imagesDir), QString::fromStdString(datasetIt->masks),
                            QString::fromStdString(eval::checkpointPath(settings, datasetIt->name, init)),
                            QString::fromStdString(settings.methods[static_cast<std::size_t>(m_selectedRow)]),
                            m_extremes->item(row)->data(Qt::UserRole).toString());
}

} // namespace intermap::ui
