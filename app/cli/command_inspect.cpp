// intermap-cli inspect: what intermap reads from a checkpoint file or a Hugging Face folder —
// family, architecture, tokens, head, classes, normalisation — or why it cannot use it.
#include "commands.h"

#include "cli_support.h"

#include "intermap/model/model_summary.h"
#include "intermap/util/errors.h"
#include "intermap/util/user_message.h"

#include <QCommandLineParser>

#include <nlohmann/json.hpp>

#include <cstdio>

namespace intermap::cli {
namespace {

nlohmann::json toJson(const model::ModelSummary& summary) {
    return {{"path", summary.path},
            {"family", summary.family},
            {"layout", summary.layout},
            {"architecture", summary.architecture},
            {"embed_dim", summary.embedDim},
            {"depth", summary.depth},
            {"heads", summary.numHeads},
            {"heads_source", summary.headsSource},
            {"mlp_hidden_dim", summary.mlpHiddenDim},
            {"patch_size", summary.patchSize},
            {"grid_size", summary.gridSize},
            {"native_image_size", summary.nativeImageSize},
            {"prefix_tokens", summary.prefixTokens},
            {"layer_norm_eps", summary.layerNormEps},
            {"head", summary.head},
            {"classes", summary.numClasses},
            {"class_names", summary.classNames},
            {"normalisation",
             {{"mean", summary.normalisation.mean}, {"std", summary.normalisation.std}, {"source", summary.normalisation.source}}},
            {"parameters", summary.parameters},
            {"ignored_keys", summary.ignoredKeys},
            {"notes", summary.notes},
            {"warnings", summary.warnings}};
}

} // namespace

int runInspect(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Show what intermap reads from a ViT checkpoint: family (timm, Hugging Face, torchvision, MONAI; PyTorch\n"
        "Lightning .ckpt of any of them), architecture, patch size, grid and native input size, prefix tokens, head,\n"
        "classes (with names where the checkpoint has them), input normalisation, parameter count, ignored keys.\n"
        "CHECKPOINT is a file (.pth, .pt, .bin, .ckpt, .safetensors) or a Hugging Face folder (config.json + weights).\n"
        "Exit codes: 0 the model can be used, 1 it cannot (the reason is printed), 2 usage error."));
    parser.addHelpOption();
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Print the summary as JSON."));
    const QCommandLineOption headsOption = cli::headsOption();
    parser.addOptions({jsonOption, headsOption});
    parser.addPositionalArgument(QStringLiteral("CHECKPOINT"), QStringLiteral("Checkpoint file or Hugging Face folder."));

    if (const auto exitNow = parseOrHelp(parser, arguments, "inspect"))
        return *exitNow;
    if (parser.positionalArguments().size() != 1)
        return usageError("inspect", QStringLiteral("expected one CHECKPOINT, got %1 arguments").arg(parser.positionalArguments().size()));
    std::optional<std::int64_t> heads;
    QString headsError;
    if (!parseHeads(parser, headsOption, &heads, &headsError))
        return usageError("inspect", headsError);

    const std::string path = parser.positionalArguments().first().toStdString();
    model::ModelSummary summary;
    try {
        summary = model::inspectModel(path, heads);
    } catch (const Error& failure) {
        std::fprintf(stderr, "intermap-cli inspect: %s\n", util::userMessage(failure).c_str());
        return ExitFailure;
    }
    if (parser.isSet(jsonOption))
        std::printf("%s\n", toJson(summary).dump(2).c_str());
    else
        std::printf("%s", summary.text().c_str());
    return ExitSuccess;
}

} // namespace intermap::cli
