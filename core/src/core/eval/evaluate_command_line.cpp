#include "intermap/eval/evaluate_command_line.h"

#include "intermap/eval/metrics.h"
#include "intermap/explain/gradcam_smoothing.h"
#include "intermap/util/csv.h"
#include "intermap/util/errors.h"

namespace intermap::eval {
namespace {

// --inits/--methods/--top-k/--mean/--std take comma-separated lists.
template <typename Items, typename Text>
std::string joined(const Items& items, Text text) {
    std::string list;
    for (const auto& item : items)
        list += (list.empty() ? "" : ",") + text(item);
    return list;
}

std::string triple(const std::array<double, 3>& values) {
    return joined(values, [](double value) { return csv::number(value); });
}

// --dataset NAME=IMAGES,MASKS,RECIPE splits at commas: a comma inside a part cannot be carried.
const std::string& commaFree(const std::string& part, const DatasetSpec& dataset, const char* what) {
    if (part.find(',') != std::string::npos)
        throw UsageError("data set '" + dataset.name + "': its " + what + " '" + part +
                         "' contains a comma, which evaluate's --dataset NAME=IMAGES,MASKS cannot carry; rename or link it");
    return part;
}

} // namespace

std::vector<std::string> evaluateCommandLine(const EvaluationSettings& settings) {
    if (settings.datasets.empty() || settings.inits.empty() || settings.methods.empty() || settings.topK.empty())
        throw UsageError("an evaluation needs at least one data set, init, method and k value");
    if (settings.faithfulnessSteps != EvaluationSettings().faithfulnessSteps)
        throw UsageError("the number of deletion/insertion steps has no evaluate option; it must stay " +
                         std::to_string(EvaluationSettings().faithfulnessSteps));
    const explain::ExplainOptions& explain = settings.explainOptions;
    std::vector<std::string> arguments{"--weights", settings.weightsDir};
    for (const DatasetSpec& dataset : settings.datasets)
        arguments.insert(arguments.end(), {"--dataset", commaFree(dataset.name, dataset, "name") + "=" +
                                                            commaFree(dataset.imagesDir, dataset, "images folder") + "," +
                                                            commaFree(dataset.masks, dataset, "masks") + "," +
                                                            std::string(image::toString(dataset.recipe))});
    arguments.insert(arguments.end(),
                     {"--inits", joined(settings.inits, [](const std::string& init) { return init; }),
                      "--methods", joined(settings.methods, [](const std::string& method) { return method; }),
                      "--target-class", explain::targetName(explain.targetClass),
                      "--gradcam-smoothing", explain::gradCamSmoothingName(explain),
                      "--eigen-sign", explain::eigenSignName(explain.eigenSign),
                      "--precision", explain::precisionName(explain.cheferPrecision),
                      "--top-k", joined(settings.topK, [](double k) { return topKLabel(k); }),
                      "--mask-threshold", std::to_string(settings.maskThreshold),
                      "--image-size", std::to_string(settings.imageSize),
                      "--frame", std::to_string(settings.imageReading.frame),
                      "--window", image::formatWindowChoice(settings.imageReading.window),
                      "--seed", std::to_string(settings.randomBaselineSeed),
                      "--device", settings.device,
                      "--keep-maps", util::wordName(settings.keepMaps, kMapStorageWords)});
    if (settings.heads)
        arguments.insert(arguments.end(), {"--heads", std::to_string(*settings.heads)});
    if (settings.normalisation)
        arguments.insert(arguments.end(),
                         {"--mean", triple(settings.normalisation->mean), "--std", triple(settings.normalisation->std)});
    if (settings.faithfulness)
        arguments.push_back("--faithfulness");
    if (settings.road)
        arguments.push_back("--road");
    if (settings.sanity)
        arguments.insert(arguments.end(), {"--sanity", "--sanity-images", std::to_string(settings.sanityImages)});
    return arguments;
}

} // namespace intermap::eval
