#include "widgets/model_zoo.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>

namespace intermap::ui {

ModelZoo::ModelZoo(QWidget* parent) : QWidget(parent), m_model(new WeightsMatrixModel(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("modelMatrix"));
    m_table->setModel(m_model);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_table->setToolTip(tr("Models in the weights folder: click an available (✓) cell to use it"));
    m_hint = new QLabel(tr("File ▸ Open weights folder shows the data set × initialisation matrix of a folder of "
                           "<dataset>_<init>.pth files; File ▸ Open checkpoint opens any other model."), this);
    m_hint->setWordWrap(true);
    m_table->setVisible(false);
    layout->addWidget(m_hint);
    m_summary = new QLabel(tr("No model"), this);
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_table, 1);
    layout->addWidget(m_summary);
    connect(m_table, &QTableView::clicked, this, [this](const QModelIndex& index) {
        if (!index.isValid())
            return;
        m_dataset = weights().datasets.value(index.row());
        const QString path = index.data(WeightsMatrixModel::kPathRole).toString();
        if (!path.isEmpty())
            Q_EMIT checkpointChosen(path);
    });
}

void ModelZoo::setWeightsFolder(const WeightsFolder& weights) {
    m_model->setWeights(weights);
    m_table->setVisible(true);
    m_hint->setVisible(false);
    m_dataset = weights.datasets.value(0);
}

QStringList ModelZoo::currentDatasetCheckpoints(QStringList* initNames) const {
    QStringList paths;
    for (const QString& init : weights().inits) {
        const QString path = weights().path(m_dataset, init);
        if (path.isEmpty())
            continue;
        paths << path;
        if (initNames)
            *initNames << initTitle(init);
    }
    return paths;
}

void ModelZoo::selectCheckpoint(const QString& path) {
    const QModelIndex index = m_model->indexOf(path);
    if (!index.isValid())
        return;
    m_dataset = weights().datasets.value(index.row());
    m_table->setCurrentIndex(index);
}

void ModelZoo::setModelSummary(const QString& text) {
    m_summary->setText(text);
}

} // namespace intermap::ui
