#pragma once
// The methods framework: one Explainer interface, a registry by name, per-call options, and a
// ForwardPass shared by every method asked for the same image and target so they reuse its
// forward (and, for gradient methods, backward) work.
#include "intermap/model/vit.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace intermap::explain {

// How Grad-CAM's eigen-smooth projection gets its sign.
enum class EigenSign {
    AsSvdReturns, // the study's mode: whatever LAPACK's gesdd returns (ambiguous)
    Corrected     // per pass, negate before the ReLU when |min| > |max|
};

// Arithmetic of Chefer's LRP. It divides by near-zero sums, so float32 drifts from the
// method's exact value (float64) on deep models; float64 runs the whole pass in double.
enum class Precision { Float32, Float64 };

// Options of one explain call. Methods read what concerns them and ignore the rest.
struct ExplainOptions {
    // Class whose evidence is mapped; default: the predicted class of the un-augmented input.
    std::optional<std::int64_t> targetClass;
    bool augSmooth = false;   // Grad-CAM: 6 passes (flip x {0.9, 1.0, 1.1})
    bool eigenSmooth = false; // Grad-CAM: first principal component instead of the channel sum
    EigenSign eigenSign = EigenSign::AsSvdReturns;
    Precision cheferPrecision = Precision::Float32;
};

// What a method needs from the shared forward pass; explainImage() merges the needs of every
// method asked for so that one forward (and at most one backward) serves them all.
struct PassNeeds {
    bool attentions = false;        // per-block attention probabilities
    bool lastBlockGradient = false; // last block's norm1 output and d(target logit)/d(it)
    bool relevance = false;         // BlockRecords + d(target logit)/d(attention) for every block

    PassNeeds& operator|=(const PassNeeds& other) {
        attentions |= other.attentions;
        lastBlockGradient |= other.lastBlockGradient;
        relevance |= other.relevance;
        return *this;
    }
};

// The model's forward on one pre-processed image ([1,3,H,W]), computed once and shared by all
// methods; with gradient needs, one backward of the target logit gives every gradient at once.
// Not thread-safe: one ForwardPass belongs to one thread (Torch grad mode is thread-local).
class ForwardPass {
public:
    ForwardPass(model::VisionTransformer model, torch::Tensor input, PassNeeds needs = {});

    model::VisionTransformer model() const { return m_model; } // a shared handle
    const torch::Tensor& input() const { return m_input; }
    const torch::Tensor& logits();                      // [classes]
    std::int64_t predictedClass();
    // The explicit target or, by default, the predicted class; checked against the class count.
    std::int64_t resolveTarget(const std::optional<std::int64_t>& requested);

    const std::vector<torch::Tensor>& attentions();     // per block [heads,N,N]
    // Gradient needs: forward with the graph and one backward for `target` (cached per target).
    const torch::Tensor& lastBlockNorm1(std::int64_t target);         // [N,C]
    const torch::Tensor& lastBlockNorm1Gradient(std::int64_t target); // [N,C]
    const std::vector<model::BlockRecord>& blockRecords(std::int64_t target); // batch dim kept (1)
    const torch::Tensor& pooled(std::int64_t target);                  // [1,C]
    const std::vector<torch::Tensor>& attentionGradients(std::int64_t target); // per block [1,heads,N,N]

private:
    void runForward();
    void runBackward(std::int64_t target);

    model::VisionTransformer m_model;
    torch::Tensor m_input;
    PassNeeds m_needs;
    bool m_forwardDone = false;
    model::VitOutput m_output;
    torch::Tensor m_logits;
    std::vector<torch::Tensor> m_attentions;
    std::int64_t m_gradientTarget = -1;
    torch::Tensor m_lastNorm1;
    torch::Tensor m_lastNorm1Gradient;
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
    // Returns a 224x224 (image size) float32 CPU map, higher = more important.
    virtual torch::Tensor explain(ForwardPass& pass, const ExplainOptions& options) = 0;
};

// Methods by name. A value, not a global: the CLI and the GUI each own one.
class ExplainerRegistry {
public:
    using Factory = std::function<std::unique_ptr<Explainer>()>;

    static ExplainerRegistry withBuiltinMethods();

    void add(const std::string& name, Factory factory);
    bool contains(const std::string& name) const { return m_factories.count(name) > 0; }
    std::vector<std::string> names() const;
    // Throws UsageError listing the known methods when `name` is not one.
    std::unique_ptr<Explainer> create(const std::string& name) const;

private:
    std::map<std::string, Factory> m_factories;
};

struct Explanation {
    std::string method;
    torch::Tensor map;          // [H,W] float32 CPU
    std::int64_t targetClass;   // -1 for class-agnostic methods
};

struct ImageExplanations {
    torch::Tensor logits;        // [classes] float32 CPU
    std::int64_t predictedClass;
    std::int64_t targetClass;
    std::vector<Explanation> maps; // in the order the methods were asked
};

// Runs `methods` on one pre-processed image ([1,3,H,W]) sharing one ForwardPass.
// Refuses a headless model (no classification head) with a message saying one is needed.
ImageExplanations explainImage(const model::LoadedVit& model, const torch::Tensor& input,
                               const std::vector<std::string>& methods, const ExplainOptions& options,
                               const ExplainerRegistry& registry);

// Helpers shared by the methods (the study's recipes).
// (x - min) / (max - min); a constant map becomes all zeros instead of NaN.
torch::Tensor minMaxNormalise(const torch::Tensor& map);
// [grid*grid] patch scores -> [grid*patch, grid*patch] by repeating each value in a patch block (np.kron).
torch::Tensor upsampleNearestPatches(const torch::Tensor& patchScores, std::int64_t grid, std::int64_t patch);
// [grid*grid] patch scores -> bilinear x patch (align_corners=false), as F.interpolate(scale_factor=patch).
torch::Tensor upsampleBilinearPatches(const torch::Tensor& patchScores, std::int64_t grid, std::int64_t patch);

} // namespace intermap::explain
