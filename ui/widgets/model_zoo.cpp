#include "widgets/model_zoo.h"

#include <QDir>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

namespace intermap::ui {

WeightsFolder scanWeightsFolder(const QString& folder) {
    WeightsFolder weights;
    weights.folder = QFileInfo(folder).absoluteFilePath();
    const QStringList studyInits{QStringLiteral("scratch"), QStringLiteral("sup"), QStringLiteral("dino"), QStringLiteral("mae")};
    QStringList otherInits;
    const QFileInfoList files = QDir(folder).entryInfoList({QStringLiteral("*.pth"), QStringLiteral("*.safetensors")},
                                                           QDir::Files, QDir::Name);
    for (const QFileInfo& info : files) {
        const QString stem = info.completeBaseName();
        const auto underscore = stem.lastIndexOf(QLatin1Char('_'));
        if (underscore <= 0 || underscore == stem.size() - 1)
            continue;
        const QString dataset = stem.left(underscore);
        const QString init = stem.mid(underscore + 1);
        if (!weights.datasets.contains(dataset))
            weights.datasets << dataset;
        if (!studyInits.contains(init) && !otherInits.contains(init))
            otherInits << init;
        weights.checkpoints.insert(stem, info.absoluteFilePath());
    }
    weights.datasets.sort();
    otherInits.sort();
    weights.inits = studyInits + otherInits;
    return weights;
}

QString initDisplayName(const QString& init) {
    if (init == QLatin1String("scratch"))
        return QStringLiteral("Random");
    if (init == QLatin1String("sup"))
        return QStringLiteral("Supervised");
    if (init == QLatin1String("dino"))
        return QStringLiteral("DINO");
    if (init == QLatin1String("mae"))
        return QStringLiteral("MAE");
    return init;
}

ModelZoo::ModelZoo(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    m_table = new QTableWidget(this);
    m_table->setObjectName(QStringLiteral("modelMatrix"));
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
    connect(m_table, &QTableWidget::cellClicked, this, [this](int row, int column) {
        if (row < 0 || row >= m_weights.datasets.size() || column < 0 || column >= m_weights.inits.size())
            return;
        m_dataset = m_weights.datasets[row];
        const QString path = m_weights.path(m_dataset, m_weights.inits[column]);
        if (!path.isEmpty())
            Q_EMIT checkpointChosen(path);
    });
}

void ModelZoo::setWeightsFolder(const WeightsFolder& weights) {
    m_weights = weights;
    m_table->setVisible(true);
    m_hint->setVisible(false);
    m_dataset = weights.datasets.value(0);
    m_table->clear();
    m_table->setRowCount(static_cast<int>(weights.datasets.size()));
    m_table->setColumnCount(static_cast<int>(weights.inits.size()));
    QStringList headers;
    for (const QString& init : weights.inits)
        headers << initDisplayName(init);
    m_table->setHorizontalHeaderLabels(headers);
    m_table->setVerticalHeaderLabels(weights.datasets);
    for (int r = 0; r < weights.datasets.size(); ++r)
        for (int c = 0; c < weights.inits.size(); ++c) {
            const QString path = weights.path(weights.datasets[r], weights.inits[c]);
            auto* item = new QTableWidgetItem(path.isEmpty() ? QStringLiteral("—") : QStringLiteral("✓"));
            item->setTextAlignment(Qt::AlignCenter);
            item->setToolTip(path.isEmpty() ? tr("missing: %1_%2.pth").arg(weights.datasets[r], weights.inits[c]) : path);
            if (path.isEmpty())
                item->setForeground(QColor(150, 150, 150));
            m_table->setItem(r, c, item);
        }
}

QStringList ModelZoo::currentDatasetCheckpoints(QStringList* initNames) const {
    QStringList paths;
    for (const QString& init : m_weights.inits) {
        const QString path = m_weights.path(m_dataset, init);
        if (path.isEmpty())
            continue;
        paths << path;
        if (initNames)
            *initNames << initDisplayName(init);
    }
    return paths;
}

void ModelZoo::selectCheckpoint(const QString& path) {
    for (int r = 0; r < m_weights.datasets.size(); ++r)
        for (int c = 0; c < m_weights.inits.size(); ++c)
            if (m_weights.path(m_weights.datasets[r], m_weights.inits[c]) == path) {
                m_dataset = m_weights.datasets[r];
                m_table->setCurrentCell(r, c);
                return;
            }
}

void ModelZoo::setModelSummary(const QString& text) {
    m_summary->setText(text);
}

} // namespace intermap::ui
