#pragma once
// The methods framework: one Explainer interface, a registry by name, per-call options, and a
// ForwardPass shared by every method asked for the same image and target so they reuse its
// forward (and, for gradient methods, backward) work.
#include "intermap/explain/eigen_sign.h"
#include "intermap/explain/explain_options.h"
#include "intermap/model/vit.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace intermap::explain {

// What a method needs from the shared forward pass; explainImage() merges the needs of every
// method asked for so that one forward (and at most one backward) serves them all.
struct PassNeeds {
    bool attentions = false;        // every block's attention probabilities
    bool lastBlockAttention = false; // the last block's attention probabilities
    bool lastBlockGradient = false; // last block's norm1 output and d(target logit)/d(it)
    bool attentionGradients = false; // d(target logit)/d(attention) for every block
    bool relevance = false;         // full BlockRecords (Chefer's LRP inputs) in the walk down the blocks

    bool gradientsFromFirstBlock() const { return attentionGradients || relevance; }

    PassNeeds& operator|=(const PassNeeds& other) {
        attentions |= other.attentions;
        lastBlockAttention |= other.lastBlockAttention;
        lastBlockGradient |= other.lastBlockGradient;
        attentionGradients |= other.attentionGradients;
        relevance |= other.relevance;
        return *this;
    }
};

// The model's forward on a batch of pre-processed images ([B,3,H,W]), computed once and shared
// by all methods. With gradient needs the forward runs without a graph and keeps each block's
// input; the gradients of the targets' logits (summed: the images are independent) then come
// from a walk down the blocks that recomputes one block at a time with its graph and backs
// through it (gradient checkpointing per block). So only one block's activations exist at a
// time — not every block's, ~11.5 MB per block and image for ViT-B — for one more forward.
// Not thread-safe: one ForwardPass belongs to one thread (Torch grad mode is thread-local).
class ForwardPass {
public:
    ForwardPass(model::VisionTransformer model, torch::Tensor input, PassNeeds needs = {});

    model::VisionTransformer model() const { return m_model; } // a shared handle
    const torch::Tensor& input() const { return m_input; }
    std::int64_t batchSize() const { return m_input.size(0); }
    const torch::Tensor& logits();             // [B,classes]
    torch::Tensor predictedClasses();          // [B] int64
    // The explicit target for every image or, by default, each image's predicted class;
    // checked against the class count. [B] int64.
    torch::Tensor resolveTargets(const std::optional<std::int64_t>& requested);

    const std::vector<torch::Tensor>& attentions(); // per block [B,heads,N,N]; needs.attentions
    const torch::Tensor& lastBlockAttention();       // [B,heads,N,N]; needs.attentions or lastBlockAttention
    const torch::Tensor& pooled();                  // [B,C]: the head's input
    const torch::Tensor& pooledDistillation();      // [B,C]; undefined without head_dist
    // Gradient needs, for `targets` ([B] int64; the last targets' results are cached). Grad-CAM's
    // target layer (the last block's norm1) and its gradient come from the last block recomputed
    // from its input for the tokens the head reads (VitTaps::lastBlockForTheHeadOnly):
    const torch::Tensor& lastBlockNorm1(const torch::Tensor& targets);         // [B,N,C]
    const torch::Tensor& lastBlockNorm1Gradient(const torch::Tensor& targets); // [B,N,C]
    // Per block [B,heads,N,N]; the last block's [B,heads,tokens the head reads,N] (the other rows
    // are zero: walkBlocksDown).
    const std::vector<torch::Tensor>& attentionGradients(const torch::Tensor& targets);

    // One step of the walk down: block `index` recomputed from its input, its record (every
    // field when the pass needs relevance, else the attention fields) and d(target logits)/d(its
    // attention probabilities). Valid during the call only.
    using BlockVisitor =
        std::function<void(std::int64_t index, const model::BlockRecord& record, const torch::Tensor& attentionGradient)>;
    // Walks from the last block down to block `lowest`, calling `visit` for each. The head reads
    // only the last block's leading token(s) (VitConfig::tokensTheHeadReads), so only their rows
    // of its attention, and every row below it, carry a gradient or a relevance: the walk
    // recomputes the last block for those tokens alone (forwardLeadingTokens; its record's fields
    // after norm1 but k and v, and its attention gradient, hold those tokens only).
    void walkBlocksDown(const torch::Tensor& targets, const BlockVisitor& visit, std::int64_t lowest = 0);

private:
    void runForward();
    bool plannedWithGradients() const { return m_needs.lastBlockGradient || m_needs.gradientsFromFirstBlock(); }

    model::VisionTransformer m_model;
    torch::Tensor m_input;
    PassNeeds m_needs;
    bool m_forwardDone = false;
    model::VitOutput m_output;
    torch::Tensor m_lastNorm1Targets; // the targets m_lastNorm1Gradient is for
    torch::Tensor m_lastNorm1;
    torch::Tensor m_lastNorm1Gradient;
    torch::Tensor m_attentionGradientTargets;
    std::vector<torch::Tensor> m_attentionGradients;
};

class Explainer {
public:
    virtual ~Explainer() = default;
    virtual std::string name() const = 0;
    virtual std::string description() const = 0;
    // Attention and rollout do not depend on the target class.
    virtual bool isClassSpecific() const = 0;
    // What the method reads from the shared pass (for the given options).
    virtual PassNeeds needs(const ExplainOptions& options) const = 0;
    // Why this method cannot explain a model with this head, or nullopt when it can. Attention,
    // rollout and Chefer read the CLS token's row, so they need a head the CLS token feeds.
    virtual std::optional<std::string> refusal(const model::VitConfig& config) const;
    // Maps of every image of the pass for its target ([B] int64): [B,H,W] float32, higher =
    // more important.
    virtual torch::Tensor explain(ForwardPass& pass, const ExplainOptions& options, const torch::Tensor& targets) = 0;
    // Per image of the last explain() call, Grad-CAM's eigen-smooth sign report in the study's
    // sign mode (eigen_sign.h); empty for every other method and mode.
    virtual std::vector<EigenSignCheck> eigenSignChecks() const { return {}; }
};

// Methods by name. A value, not a global: the CLI and the GUI each own one.
class ExplainerRegistry {
public:
    using Factory = std::function<std::unique_ptr<Explainer>()>;

    static ExplainerRegistry withBuiltinMethods();

    void add(const std::string& name, Factory factory);
    bool contains(const std::string& name) const { return m_factories.count(name) > 0; }
    std::vector<std::string> names() const;
    // The method's one-line description (for --help, tooltips, reports); UsageError if unknown.
    std::string description(const std::string& name) const;
    // Throws UsageError listing the known methods when `name` is not one.
    std::unique_ptr<Explainer> create(const std::string& name) const;

private:
    std::map<std::string, Factory> m_factories;
};

struct Explanation {
    std::string method;
    torch::Tensor map;          // [H,W] float32 CPU
    std::int64_t targetClass;   // -1 for class-agnostic methods
    // Grad-CAM with eigen-smooth in the study's sign: what the corrected rule would change.
    std::optional<EigenSignCheck> eigenSign;
};

struct ImageExplanations {
    torch::Tensor logits;        // [classes] float32 CPU
    std::int64_t predictedClass;
    std::int64_t targetClass;
    std::vector<Explanation> maps; // in the order the methods were asked
};

// Runs `methods` on a batch of pre-processed images ([B,3,H,W]) sharing one ForwardPass; one
// result per image. Every map equals the one the image gets alone (up to float rounding).
// Refuses a headless model (no classification head) with a message saying one is needed.
// `targetClasses`, when given, is each image's target (B values, each a class of the model: a
// UsageError otherwise) in place of options.targetClass, e.g. the classes another model fixed.
std::vector<ImageExplanations> explainBatch(const model::LoadedVit& model, const torch::Tensor& inputs,
                                            const std::vector<std::string>& methods, const ExplainOptions& options,
                                            const ExplainerRegistry& registry, const std::vector<std::int64_t>& targetClasses = {});

// The same for one image ([1,3,H,W]).
ImageExplanations explainImage(const model::LoadedVit& model, const torch::Tensor& input,
                               const std::vector<std::string>& methods, const ExplainOptions& options,
                               const ExplainerRegistry& registry);

// Helpers shared by the methods (the study's recipes).
// (x - min) / (max - min) over the whole tensor; a constant map becomes all zeros, not NaN.
torch::Tensor minMaxNormalise(const torch::Tensor& map);
// The same for each image of a [B,H,W] batch on its own.
torch::Tensor minMaxNormalisePerImage(const torch::Tensor& maps);
// [B, grid*grid] patch scores -> [B, grid*patch, grid*patch], each value repeated over its patch (np.kron).
torch::Tensor upsampleNearestPatches(const torch::Tensor& patchScores, std::int64_t grid, std::int64_t patch);
// [B, grid*grid] patch scores -> bilinear x patch (align_corners=false), as F.interpolate(scale_factor=patch).
torch::Tensor upsampleBilinearPatches(const torch::Tensor& patchScores, std::int64_t grid, std::int64_t patch);

} // namespace intermap::explain
