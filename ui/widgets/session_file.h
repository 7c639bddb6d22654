#pragma once
// A session file (.intermap, JSON: "format": "intermap-session", version 1): what the Compare page
// shows (data, masks, model, image, the dock's settings and display) and the training and
// evaluation panels' parts, which their form models write and read. Files written before the
// target had a word (an integer, -1 = predicted) or the Chefer precision a name
// ("chefer_float64") still load. No widgets: tested on its own.
#include "widgets/comparison_controller.h"
#include "widgets/map_panel.h"

#include <QJsonObject>
#include <QString>

namespace intermap::ui {

struct ComparisonSession {
    QString images;     // folders and files; empty = none
    QString masks;
    QString checkpoint;
    QString weights;
    QString image;      // relative path of the image shown
    ComparisonSettings settings;
    PanelDisplay display;
};

struct Session {
    int page = 0; // MainWindow::Page
    ComparisonSession compare;
    QJsonObject train;    // TrainingForm::toJson()
    QJsonObject evaluate; // the evaluation panel's saveState()
};

QJsonObject comparisonToJson(const ComparisonSession& compare);
ComparisonSession comparisonFromJson(const QJsonObject& json);

// Each returns false with `error` naming the file and what is wrong.
bool saveSessionFile(const QString& path, const Session& session, QString* error);
bool loadSessionFile(const QString& path, Session* session, QString* error);

} // namespace intermap::ui
