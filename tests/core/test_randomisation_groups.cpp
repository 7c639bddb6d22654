// The layer groups the sanity checks re-initialise (model/initialisation.h): every parameter in
// exactly one group, only the group's parameters redrawn, by the trainer's rule, reproducibly
// from the seed, on a model with every optional part (distillation head, registers, LayerScale).
#include "intermap/model/initialisation.h"
#include "intermap/model/vit.h"
#include "intermap/util/errors.h"

#include <QtTest/QtTest>

#include <torch/torch.h>

#include <map>
#include <set>

using namespace intermap;

namespace {

model::VitConfig smallConfig() {
    model::VitConfig config;
    config.imageSize = 32;
    config.patchSize = 16;
    config.embedDim = 64;
    config.depth = 2;
    config.numHeads = 2;
    config.mlpHiddenDim = 128;
    config.numClasses = 3;
    config.distillationToken = true;
    config.distillationHead = true;
    config.registerTokens = 2;
    config.layerScale = true;
    return config;
}

// A model whose every value is 0.5, so that a redrawn parameter cannot go unnoticed.
model::VisionTransformer filledModel() {
    model::VisionTransformer vit(smallConfig());
    torch::NoGradGuard noGrad;
    for (auto& parameter : vit->parameters())
        parameter.fill_(0.5);
    return vit;
}

std::map<std::string, torch::Tensor> snapshot(model::VisionTransformer& vit) {
    std::map<std::string, torch::Tensor> values;
    for (const auto& parameter : vit->named_parameters())
        values[parameter.key()] = parameter.value().detach().clone();
    return values;
}

} // namespace

class TestRandomisationGroups : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void groupsCoverEveryParameterOnce() {
        const auto groups = model::randomisationGroups(smallConfig());
        QCOMPARE(groups, (std::vector<std::string>{"head", "block1", "block0", "embedding"}));
        model::VisionTransformer vit(smallConfig());
        std::map<std::string, int> perGroup;
        for (const auto& parameter : vit->named_parameters()) {
            const std::string group = model::randomisationGroupOf(parameter.key());
            QVERIFY2(std::find(groups.begin(), groups.end(), group) != groups.end(), parameter.key().c_str());
            ++perGroup[group];
        }
        for (const auto& group : groups)
            QVERIFY2(perGroup[group] > 0, group.c_str());
        QCOMPARE(model::randomisationGroupOf("blocks.1.ls2.gamma"), std::string("block1"));
        QCOMPARE(model::randomisationGroupOf("reg_token"), std::string("embedding"));
        QCOMPARE(model::randomisationGroupOf("head_dist.weight"), std::string("head"));
        QCOMPARE(model::randomisationGroupOf("norm.bias"), std::string("head"));
    }

    void onlyTheGroupIsRedrawnByTheTrainersRule_data() {
        QTest::addColumn<QString>("group");
        for (const auto& group : model::randomisationGroups(smallConfig()))
            QTest::newRow(group.c_str()) << QString::fromStdString(group);
    }
    void onlyTheGroupIsRedrawnByTheTrainersRule() {
        QFETCH(QString, group);
        model::VisionTransformer vit = filledModel();
        const auto before = snapshot(vit);
        model::reinitialiseGroup(vit, group.toStdString(), 7);
        const double patchBound = 1.0 / std::sqrt(3.0 * 16 * 16);
        for (const auto& parameter : vit->named_parameters()) {
            const std::string& name = parameter.key();
            const torch::Tensor value = parameter.value();
            if (model::randomisationGroupOf(name) != group.toStdString()) {
                QVERIFY2(torch::equal(value, before.at(name)), name.c_str());
                continue;
            }
            const bool isNorm = name.find("norm") != std::string::npos;
            const bool isBias = name.size() > 4 && name.compare(name.size() - 4, 4, "bias") == 0;
            if (name.rfind("patch_embed", 0) == 0) {
                QVERIFY2(value.abs().max().item<double>() <= patchBound, name.c_str());
                QVERIFY2(value.std().item<double>() > patchBound / 4, name.c_str()); // U(-b, b) has std b/sqrt(3)
            } else if (isNorm) {
                QVERIFY2(torch::equal(value, isBias ? torch::zeros_like(value) : torch::ones_like(value)), name.c_str());
            } else if (isBias) {
                QVERIFY2(torch::equal(value, torch::zeros_like(value)), name.c_str());
            } else {
                QVERIFY2(value.abs().max().item<double>() <= 0.04 + 1e-7, name.c_str());
                if (value.numel() >= 1000) {
                    const double deviation = value.std().item<double>();
                    QVERIFY2(deviation > 0.015 && deviation < 0.02, qPrintable(QStringLiteral("%1: std %2").arg(name.c_str()).arg(deviation)));
                }
            }
        }
    }

    void reproducibleFromTheSeed() {
        model::VisionTransformer a = filledModel(), b = filledModel(), c = filledModel();
        model::reinitialiseGroup(a, "block0", 3);
        model::reinitialiseGroup(b, "head", 3); // another group first does not change block0's draw
        model::reinitialiseGroup(b, "block0", 3);
        model::reinitialiseGroup(c, "block0", 4);
        const auto qkvA = a->named_parameters()["blocks.0.attn.qkv.weight"];
        QVERIFY(torch::equal(qkvA, b->named_parameters()["blocks.0.attn.qkv.weight"]));
        QVERIFY(!torch::equal(qkvA, c->named_parameters()["blocks.0.attn.qkv.weight"]));
        QVERIFY_THROWS_EXCEPTION(UsageError, model::reinitialiseGroup(a, "block2", 3));
    }

    // The sanity check re-initialises copies of the loaded model (model::copyVit) instead of
    // reading the checkpoint per stage: a copy computes what the original does, owns its
    // parameters (re-initialising it leaves the original alone) and, like a loaded model, is in
    // eval mode without weight gradients.
    void copiesAreDeepAndEqual() {
        model::LoadedVit original;
        original.config = smallConfig();
        original.model = model::VisionTransformer(original.config);
        model::reinitialiseGroup(original.model, "block1", 9); // values that differ from a fresh model's
        original.model->eval();
        for (auto& parameter : original.model->parameters())
            parameter.set_requires_grad(false);
        original.classNames = {"a", "b", "c"};
        const auto before = snapshot(original.model);

        model::LoadedVit copy = model::copyVit(original);
        QCOMPARE(copy.classNames, original.classNames);
        QVERIFY(!copy.model->is_training());
        const auto input = torch::linspace(-1, 1, 3 * 32 * 32).view({1, 3, 32, 32});
        torch::NoGradGuard noGrad;
        QVERIFY(torch::equal(copy.model->forward(input).logits, original.model->forward(input).logits));
        for (const auto& parameter : copy.model->named_parameters()) {
            QVERIFY(!parameter.value().requires_grad());
            QVERIFY(torch::equal(parameter.value(), before.at(parameter.key())));
        }
        model::reinitialiseGroup(copy.model, "embedding", 1);
        model::reinitialiseGroup(copy.model, "block1", 1);
        QVERIFY(!torch::equal(copy.model->named_parameters()["blocks.1.attn.qkv.weight"], before.at("blocks.1.attn.qkv.weight")));
        for (const auto& parameter : original.model->named_parameters())
            QVERIFY2(torch::equal(parameter.value(), before.at(parameter.key())), parameter.key().c_str());
    }
};

QTEST_GUILESS_MAIN(TestRandomisationGroups)
#include "test_randomisation_groups.moc"
