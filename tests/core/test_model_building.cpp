// Building a model from a checkpoint's weights (vit.h): the parameter list a configuration
// implies equals the model's own for every architecture variant; a model built from a state
// dict holds the dict's tensors themselves (no second copy of the weights, no random draw) and
// computes what a copied model computes; two keys viewing one storage still get parameters of
// their own; every missing, misshapen, unexpected or non-floating key is refused, naming it,
// before any module exists. A last block that computes only the tokens the head reads gives the
// logits and the Grad-CAM inputs (its norm1 and their gradient) of the whole block, the leading
// rows of the whole block's record (Chefer's LRP inputs), and, in the walk down the blocks,
// every block's attention gradient that a backward through the whole model gives.
#include "intermap/explain/explainer.h"
#include "intermap/model/vit.h"
#include "intermap/util/errors.h"

#include <QtTest/QtTest>

#include <torch/torch.h>

#include <malloc.h>
#include <string>

using namespace intermap;

namespace {

model::VitConfig smallConfig() {
    model::VitConfig config;
    config.imageSize = 32;
    config.patchSize = 8;
    config.embedDim = 32;
    config.depth = 2;
    config.numHeads = 2;
    config.mlpHiddenDim = 64;
    config.numClasses = 3;
    return config;
}

// Every variant the model has: prefix tokens, heads, pooling, LayerScale.
std::vector<model::VitConfig> variants() {
    std::vector<model::VitConfig> configs{smallConfig()};
    model::VitConfig distilled = smallConfig();
    distilled.distillationToken = distilled.distillationHead = true;
    model::VitConfig registers = smallConfig();
    registers.registerTokens = 4;
    registers.layerScale = true;
    model::VitConfig meanPooled = smallConfig();
    meanPooled.pooling = model::VitConfig::Pooling::MeanOfPatches;
    model::VitConfig clsAndMean = smallConfig();
    clsAndMean.pooling = model::VitConfig::Pooling::ClsAndPatchMean;
    model::VitConfig headless = smallConfig();
    headless.numClasses = 0;
    configs.insert(configs.end(), {distilled, registers, meanPooled, clsAndMean, headless});
    return configs;
}

// A random model in double (so comparisons are tight on any CPU) with non-zero prefix tokens
// and positions and LayerScale factors other than 1 (their values by construction).
model::VisionTransformer randomDoubleModel(const model::VitConfig& config) {
    model::VisionTransformer vit(config);
    vit->eval();
    vit->to(torch::kFloat64);
    torch::NoGradGuard noGrad;
    for (auto* token : {&vit->clsToken, &vit->distToken, &vit->regToken, &vit->posEmbed})
        if (token->defined())
            token->normal_(0.0, 0.5);
    for (auto& parameter : vit->named_parameters())
        if (parameter.key().find("gamma") != std::string::npos)
            parameter.value().uniform_(0.5, 1.5);
    return vit;
}

bool close(const torch::Tensor& a, const torch::Tensor& b) {
    return a.sizes() == b.sizes() && torch::allclose(a, b, 1e-12, 1e-12);
}

// A randomly initialised model's weights as a state dict of tensors of their own.
model::StateDict stateDictOf(const model::VisionTransformer& vit) {
    model::StateDict dict;
    dict.sourcePath = "model.pth";
    for (const auto& parameter : vit->named_parameters())
        dict.entries.emplace_back(parameter.key(), parameter.value().detach().clone());
    return dict;
}

std::string refusal(const model::VitConfig& config, const model::StateDict& dict) {
    try {
        model::VisionTransformer built(config, &dict);
    } catch (const CheckpointError& error) {
        return error.what();
    }
    return "(built without complaint)";
}

// Bytes the C heap has handed out and not had back (glibc), mapped chunks included.
double allocatedBytes() {
    const struct mallinfo2 info = mallinfo2();
    return static_cast<double>(info.uordblks) + static_cast<double>(info.hblkhd);
}

} // namespace

class TestModelBuilding : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::manual_seed(3); }

    void expectedParametersAreTheModelsOwn() {
        for (const model::VitConfig& config : variants()) {
            const model::VisionTransformer vit(config);
            const auto expected = model::expectedParameters(config);
            const auto actual = vit->named_parameters();
            QCOMPARE(expected.size(), actual.size());
            for (std::size_t i = 0; i < expected.size(); ++i) {
                QCOMPARE(QString::fromStdString(expected[i].first), QString::fromStdString(actual[i].key()));
                QVERIFY2(actual[i].value().sizes() == c10::IntArrayRef(expected[i].second), expected[i].first.c_str());
            }
        }
    }

    void aModelBuiltFromWeightsHoldsThemAndComputesTheSame() {
        torch::NoGradGuard noGrad;
        for (const model::VitConfig& config : variants()) {
            model::VisionTransformer original(config);
            original->eval();
            const model::StateDict dict = stateDictOf(original);
            model::VisionTransformer built(config, &dict);
            built->eval();
            const auto parameters = built->named_parameters();
            QCOMPARE(parameters.size(), dict.entries.size());
            for (const auto& parameter : parameters) {
                const torch::Tensor* source = dict.find(parameter.key());
                QVERIFY(source);
                QVERIFY2(parameter.value().data_ptr() == source->data_ptr(), parameter.key().c_str());
            }
            // The placeholder Linear layers report the sizes they hold.
            const auto& fc1 = built->blocks[0]->as<model::VitBlock>()->mlp->fc1;
            QCOMPARE(fc1->options.in_features(), config.embedDim);
            QCOMPARE(fc1->options.out_features(), config.mlpHiddenDim);
            const torch::Tensor x = torch::randn({2, 3, config.imageSize, config.imageSize});
            QVERIFY(torch::equal(built->forward(x).logits, original->forward(x).logits));
        }
    }

    // VitTaps::lastBlockForTheHeadOnly: same logits, same norm1, same d(target logit)/d(norm1)
    // for every variant (in double, so the comparison is tight on any CPU), and the taps it
    // cannot give are refused.
    void theLastBlockForTheHeadOnlyGivesTheSameLogitsAndGradCamInputs() {
        for (const model::VitConfig& config : variants()) {
            auto vit = randomDoubleModel(config);
            const torch::Tensor x = torch::randn({3, 3, config.imageSize, config.imageSize}, torch::kFloat64);
            const auto run = [&](bool headOnly) {
                model::VitTaps taps;
                taps.lastBlockNorm1 = true;
                taps.gradientsFromBlock = config.depth - 1;
                taps.lastBlockForTheHeadOnly = headOnly;
                auto output = vit->forward(x, taps);
                const auto gradient = torch::autograd::grad({output.logits.select(1, 0).sum()}, {output.lastBlockNorm1})[0];
                return std::tuple{output.logits.detach(), output.lastBlockNorm1.detach(), gradient};
            };
            const auto [logits, norm1, gradient] = run(false);
            const auto [headLogits, headNorm1, headGradient] = run(true);
            const std::string name = config.describe() + " pooling " + std::to_string(static_cast<int>(config.pooling));
            QVERIFY2(torch::allclose(headLogits, logits, 1e-12, 1e-12), name.c_str());
            QVERIFY2(torch::equal(headNorm1, norm1), name.c_str());
            QVERIFY2(gradient.abs().max().item<double>() > 0, name.c_str());
            QVERIFY2(torch::allclose(headGradient, gradient, 1e-12, 1e-12), name.c_str());

            model::VitTaps refused;
            refused.lastBlockForTheHeadOnly = true;
            refused.lastBlockAttention = true;
            QVERIFY_THROWS_EXCEPTION(Error, vit->forward(x, refused));
        }
    }

    // forwardLeadingTokens' record (what Chefer's LRP reads of the last block): input, norm1, k
    // and v over every token, every other field the whole block's rows of the leading tokens; the
    // whole block's record when the head reads every token.
    void theHeadOnlyRecordIsTheWholeBlocksLeadingRows() {
        for (const model::VitConfig& config : variants()) {
            auto vit = randomDoubleModel(config);
            const std::string name = config.describe() + " pooling " + std::to_string(static_cast<int>(config.pooling));
            const auto& block = vit->blocks[static_cast<std::size_t>(config.depth - 1)]->as<model::VitBlock>();
            const auto x = torch::randn({2, config.numTokens(), config.embedDim}, torch::kFloat64);
            torch::NoGradGuard noGrad;
            model::BlockRecord whole, lead;
            const auto wholeOutput = block->forward(x, &whole, /*full=*/true);
            const auto tokens = config.tokensTheHeadReads();
            const auto output = block->forwardLeadingTokens(x, tokens, &lead);
            const auto rows = std::min(tokens, config.numTokens());
            QVERIFY2(close(output, wholeOutput.narrow(1, 0, rows)), name.c_str());
            QVERIFY2(torch::equal(lead.input, x) && torch::equal(lead.norm1, whole.norm1), name.c_str());
            QVERIFY2(close(lead.k, whole.k) && close(lead.v, whole.v), name.c_str());
            QVERIFY2(close(lead.q, whole.q.narrow(2, 0, rows)), name.c_str());
            QVERIFY2(close(lead.attention, whole.attention.narrow(2, 0, rows)), name.c_str());
            for (const auto& [leading, wholeField] :
                 {std::pair{lead.mixed, whole.mixed}, {lead.projected, whole.projected}, {lead.attentionOut, whole.attentionOut},
                  {lead.afterAttention, whole.afterAttention}, {lead.norm2, whole.norm2},
                  {lead.preActivation, whole.preActivation}, {lead.hidden, whole.hidden},
                  {lead.mlpProjected, whole.mlpProjected}, {lead.mlpOut, whole.mlpOut}})
                QVERIFY2(close(leading, wholeField.narrow(1, 0, rows)), name.c_str());
        }
    }

    // The walk down the blocks (last block for the head's tokens only) against one backward
    // through the whole model: every block's d(target logit)/d(attention), the last block's for
    // the head's tokens, whose other rows are zero in the whole backward.
    void theWalkDownGivesTheWholeBackwardsAttentionGradients() {
        for (model::VitConfig config : variants()) {
            if (!config.hasHead() || config.pooling != model::VitConfig::Pooling::ClsToken)
                continue; // the attention gradients are asked by Chefer only, which needs a CLS head
            config.depth = 3;
            auto vit = randomDoubleModel(config);
            const std::string name = config.describe();
            const auto x = torch::randn({2, 3, config.imageSize, config.imageSize}, torch::kFloat64);
            const auto targets = torch::tensor({2, 0}, torch::kInt64);
            explain::PassNeeds needs;
            needs.attentionGradients = true;
            explain::ForwardPass pass(vit, x, needs);
            const auto walked = pass.attentionGradients(targets);

            model::VitTaps taps;
            taps.attentionProbabilities = true;
            torch::AutoGradMode gradients(true);
            const auto output = vit->forward(x, taps);
            const auto whole = torch::autograd::grad({output.logits.gather(1, targets.unsqueeze(1)).sum()}, output.attentions);
            QCOMPARE(walked.size(), whole.size());
            const auto rows = config.tokensTheHeadReads();
            for (std::size_t i = 0; i + 1 < whole.size(); ++i)
                QVERIFY2(close(walked[i], whole[i]) && whole[i].abs().max().item<double>() > 0, name.c_str());
            QVERIFY2(close(walked.back(), whole.back().narrow(2, 0, rows)), name.c_str());
            QVERIFY2(whole.back().narrow(2, rows, config.numTokens() - rows).abs().max().item<double>() == 0, name.c_str());
        }
    }

    void keysViewingOneStorageGetParametersOfTheirOwn() {
        const model::VitConfig config = smallConfig();
        model::StateDict dict = stateDictOf(model::VisionTransformer(config));
        const torch::Tensor shared = torch::rand({2, config.embedDim});
        for (auto& [name, tensor] : dict.entries) {
            if (name == "blocks.0.norm1.weight")
                tensor = shared[0];
            if (name == "blocks.0.norm2.weight")
                tensor = shared[1];
        }
        model::VisionTransformer built(config, &dict);
        const auto* block = built->blocks[0]->as<model::VitBlock>();
        QVERIFY(block->norm1->weight.data_ptr() == shared[0].data_ptr());
        QVERIFY(block->norm2->weight.data_ptr() != shared[1].data_ptr());
        QVERIFY(torch::equal(block->norm2->weight, shared[1]));
        // Writing one (as the sanity checks' re-initialisation does) leaves the other alone.
        {
            torch::NoGradGuard noGrad;
            block->norm2->weight.fill_(7.0f);
        }
        QVERIFY(torch::equal(block->norm1->weight, shared[0]));
    }

    void everyMisfitIsRefusedByNameBeforeBuilding() {
        const model::VitConfig config = smallConfig();
        const model::StateDict good = stateDictOf(model::VisionTransformer(config));

        model::StateDict missing = good;
        missing.entries.erase(missing.entries.begin() + 7);
        const std::string missingKey = good.entries[7].first;
        QVERIFY2(refusal(config, missing).find("key '" + missingKey + "' is missing") != std::string::npos,
                 refusal(config, missing).c_str());

        model::StateDict misshapen = good;
        for (auto& [name, tensor] : misshapen.entries)
            if (name == "blocks.1.mlp.fc2.weight")
                tensor = torch::zeros({config.embedDim, config.mlpHiddenDim + 1});
        const std::string shape = refusal(config, misshapen);
        QVERIFY2(shape.find("'blocks.1.mlp.fc2.weight' has shape [32,65], model expects [32,64]") != std::string::npos,
                 shape.c_str());

        model::StateDict extra = good;
        extra.entries.emplace_back("decoder.weight", torch::zeros({4}));
        QVERIFY2(refusal(config, extra).find("unexpected key 'decoder.weight'") != std::string::npos,
                 refusal(config, extra).c_str());

        model::StateDict integers = good;
        for (auto& [name, tensor] : integers.entries)
            if (name == "norm.bias")
                tensor = torch::zeros({config.embedDim}, torch::kInt64);
        QVERIFY2(refusal(config, integers).find("'norm.bias' holds Long values") != std::string::npos,
                 refusal(config, integers).c_str());

        QCOMPARE(QString::fromStdString(refusal(config, good)), QStringLiteral("(built without complaint)"));
    }

    // The checkpoint is not held twice: building a ~100 MB model from its weights allocates far
    // less than their size, while a model built and then loaded (loadWeights, as training does)
    // allocates all of it again: the measure sees the difference.
    void buildingFromWeightsAddsNoCopyOfThem() {
        model::VitConfig config = smallConfig();
        config.embedDim = 512;
        config.numHeads = 8;
        config.mlpHiddenDim = 2048;
        config.depth = 8;
        const model::StateDict dict = stateDictOf(model::VisionTransformer(config));
        double bytes = 0;
        for (const auto& entry : dict.entries)
            bytes += static_cast<double>(entry.second.nbytes());
        QVERIFY(bytes > 90e6);

        double before = allocatedBytes();
        model::VisionTransformer built(config, &dict);
        const double adopted = allocatedBytes() - before;
        before = allocatedBytes();
        model::VisionTransformer copied(config);
        model::loadWeights(copied, dict);
        const double copiedGrowth = allocatedBytes() - before;
        const QString numbers = QStringLiteral("%1 MB of weights; built from them: +%2 MB, built and loaded: +%3 MB")
                                    .arg(bytes / 1e6)
                                    .arg(adopted / 1e6)
                                    .arg(copiedGrowth / 1e6);
        qInfo().noquote() << numbers;
        QVERIFY2(copiedGrowth > 0.9 * bytes, qPrintable(numbers));
        QVERIFY2(adopted < 0.05 * bytes, qPrintable(numbers));
    }
};

QTEST_GUILESS_MAIN(TestModelBuilding)
#include "test_model_building.moc"
