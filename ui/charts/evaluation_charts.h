#pragma once
// The evaluation's charts in one include: grouped bars (methods x inits per data set, baselines
// as reference lines), curves (IoU vs k) and saveChart() (PNG, SVG, PDF). Plain data in; no
// public header includes qcustomplot.h (it needs Qt keywords, the UI and the tests build with
// QT_NO_KEYWORDS).
#include "charts/chart_export.h"
#include "charts/curve_chart.h"
#include "charts/grouped_bar_chart.h"
