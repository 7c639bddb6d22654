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

// Options of one explain call. Methods read what concerns them and ignore the rest.
struct ExplainOptions {
    // Class whose evidence is mapped; default: the predicted class of the un-augmented input.
    std::optional<std::int64_t> targetClass;
    bool augSmooth = false;   // Grad-CAM: 6 passes (flip x {0.9, 1.0, 1.1})
    bool eigenSmooth = false; // Grad-CAM: first principal component instead of the channel sum
};

// The model's forward on one pre-processed image, computed once and shared by all methods.
// Not thread-safe: one ForwardPass belongs to one thread (Torch grad mode is thread-local).
class ForwardPass {
public:
    ForwardPass(model::VisionTransformer model, torch::Tensor input);

    const model::VisionTransformer& model() const { return m_model; }
    const torch::Tensor& input() const { return m_input; }        // [1,3,H,W]
    const torch::Tensor& logits();                                // [classes]
    const std::vector<torch::Tensor>& attentions();               // per block [heads,N,N]
    std::int64_t predictedClass();
    // The explicit target or, by default, the predicted class; checked against the class count.
    std::int64_t resolveTarget(const std::optional<std::int64_t>& requested);

private:
    void runInference();

    model::VisionTransformer m_model;
    torch::Tensor m_input;
    torch::Tensor m_logits;
    std::vector<torch::Tensor> m_attentions;
};

class Explainer {
public:
    virtual ~Explainer() = default;
    virtual std::string name() const = 0;
    virtual std::string description() const = 0;
    // Attention and rollout do not depend on the target class.
    virtual bool isClassSpecific() const = 0;
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
