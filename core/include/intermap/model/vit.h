#pragma once
// Vision Transformer (timm `vit_*_patch16_224` layout; other layouts are mapped onto it by
// model_family.h) with explain taps. LibTorch has no
// module hooks, so the tensors the interpretability methods need (per-block attention
// probabilities, the last block's norm1 output) are returned as ordinary outputs on request.
#include "intermap/model/model_family.h"
#include "intermap/model/state_dict.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <optional>
#include <string>
#include <vector>

namespace intermap::model {

// "[1,3,224,224]": how tensor shapes appear in error messages.
std::string shapeString(c10::IntArrayRef sizes);

struct VitConfig {
    std::int64_t imageSize = 224;
    std::int64_t patchSize = 16;
    std::int64_t embedDim = 768;
    std::int64_t depth = 12;
    std::int64_t numHeads = 12;
    std::int64_t mlpHiddenDim = 3072; // MLP ratio 4
    std::int64_t numClasses = 2;      // 0 = headless (e.g. a DINO backbone)
    double layerNormEps = 1e-6;
    // What the head classifies: the normalised CLS token (the study's), or the mean of the patch
    // tokens normalised by fc_norm (timm global_pool='avg', MAE's fine-tuning recipe).
    // Or (Hugging Face Dinov2ForImageClassification) the normalised CLS token concatenated with the
    // mean of the normalised patch tokens: a head of 2 x width inputs.
    enum class Pooling { ClsToken, MeanOfPatches, ClsAndPatchMean };
    Pooling pooling = Pooling::ClsToken;
    // Prefix tokens before the patches, in this order: CLS, the distillation token (DeiT), the
    // register tokens (DINOv2 with registers). They take part in attention but are not patches:
    // maps cover the patches only. Their position rows are part of pos_embed (zero where the
    // family adds no position to them).
    bool distillationToken = false;
    // DeiT's second head on the distillation token (head_dist): logits are the mean of both heads
    // (timm's and Hugging Face's inference). A distillation token without it feeds no head.
    bool distillationHead = false;
    std::int64_t registerTokens = 0;
    // LayerScale (CaiT, DINOv2): each residual branch's output times a learnt per-channel gamma
    // (timm blocks.N.ls1.gamma / ls2.gamma).
    bool layerScale = false;

    std::int64_t gridSize() const { return imageSize / patchSize; }
    std::int64_t numPatches() const { return gridSize() * gridSize(); }
    std::int64_t prefixTokens() const { return 1 + (distillationToken ? 1 : 0) + registerTokens; }
    std::int64_t numTokens() const { return numPatches() + prefixTokens(); }
    // Inputs of the classification head: the width, or twice it for ClsAndPatchMean.
    std::int64_t headInputs() const { return pooling == Pooling::ClsAndPatchMean ? 2 * embedDim : embedDim; }
    // How many leading tokens of the last block's output the head(s) read: 1 (CLS), 2 with a
    // distillation head (CLS, distillation token); every token (numTokens()) when it pools the
    // patches.
    std::int64_t tokensTheHeadReads() const {
        return pooling == Pooling::ClsToken ? (distillationHead ? 2 : 1) : numTokens();
    }
    std::int64_t headDim() const { return embedDim / numHeads; }
    bool hasHead() const { return numClasses > 0; }
    // e.g. "ViT 768x12x12 (patch 16, 224 px, 2 classes)"
    std::string describe() const;
};

// Reads the architecture from a state dict in the canonical layout (model_family.h): patch size
// from patch_embed.proj.weight, embed dim, depth (number of blocks), MLP width, classes
// (head.weight rows; 0 without a head), prefix tokens (cls_token, dist_token, reg_token), image
// size from pos_embed's rows beyond the prefix, pooling (fc_norm without norm: the mean of the
// patch tokens; a head twice as wide as the model: CLS + patch mean). Heads are not stored in a
// state dict: timm's head_dim 64 (dim/64) unless given.
// Throws CheckpointError (naming the file) when the dict is not a ViT of this layout.
VitConfig inferVitConfig(const StateDict& stateDict, std::optional<std::int64_t> numHeads = std::nullopt);

// Which intermediate tensors forward() should return besides the logits.
struct VitTaps {
    bool attentionProbabilities = false; // per block, [B, heads, N, N] (softmax output)
    bool lastBlockAttention = false;     // the last block's only (VitOutput::lastAttention)
    bool lastBlockNorm1 = false;         // [B, N, C]: Grad-CAM's target layer
    // Every block's input tokens and the last block's output (VitOutput::blockInputs,
    // finalTokens): what a walk down the blocks needs to recompute one block at a time
    // (ForwardPass::walkBlocksDown) instead of holding every block's activations at once.
    bool blockInputs = false;
    // >= 0: build the autograd graph from this block on (earlier blocks run without it, and the
    // tokens entering it become a leaf that requires grad), so a backward touches only the
    // blocks from here up. -1: leave grad mode as the caller set it.
    std::int64_t gradientsFromBlock = -1;
    // The last block computes its output for the tokens the head reads only
    // (VitConfig::tokensTheHeadReads: the CLS token's query, attention row, projection and MLP,
    // with every token's keys and values): ~1/6 of the block's products where the head reads the
    // CLS token. The logits and the last block's norm1 (over every token) are what they would be;
    // the last block's attention is then not available (refused with its taps), and finalTokens
    // holds those tokens only.
    bool lastBlockForTheHeadOnly = false;
};

// For a forward whose caller reads the logits only (training, prediction, faithfulness curves):
// the last block computes the head's tokens only (VitTaps::lastBlockForTheHeadOnly).
inline VitTaps logitsOnly() {
    VitTaps taps;
    taps.lastBlockForTheHeadOnly = true;
    return taps;
}

// The tensors of one block's forward that Chefer's LRP reads (names as in the block:
// x = input; y = x + proj(attn @ v); output = y + fc2(gelu(fc1(norm2(y))))).
// With LayerScale, attentionOut and mlpOut are the scaled branch outputs (the residual sums'
// summands): relevance passes a constant scale unchanged. Every Linear's own output is kept too
// (q, k, v, projected, preActivation, mlpProjected): the LRP's Z of a Linear is taken from it
// (chefer_attribution.cpp). Without LayerScale, projected and mlpProjected are attentionOut and
// mlpOut themselves (no copy).
struct BlockRecord {
    torch::Tensor input;         // [B,N,C]
    torch::Tensor norm1;         // [B,N,C]: qkv input
    torch::Tensor q, k, v;       // [B,heads,N,head_dim]: qkv output
    torch::Tensor attention;     // [B,heads,N,N] softmax probabilities
    torch::Tensor mixed;         // [B,N,C]: (attn @ v) with heads merged, proj input
    torch::Tensor projected;     // [B,N,C]: proj output
    torch::Tensor attentionOut;  // [B,N,C]: proj output, LayerScale applied
    torch::Tensor afterAttention;// [B,N,C]: y
    torch::Tensor norm2;         // [B,N,C]: fc1 input
    torch::Tensor preActivation; // [B,N,H]: fc1 output, GELU input
    torch::Tensor hidden;        // [B,N,H]: GELU output, fc2 input
    torch::Tensor mlpProjected;  // [B,N,C]: fc2 output
    torch::Tensor mlpOut;        // [B,N,C]: fc2 output, LayerScale applied
};

struct VitOutput {
    torch::Tensor logits;                    // [B, classes]; [B, C] CLS features if headless
    std::vector<torch::Tensor> attentions;   // empty unless requested
    torch::Tensor lastAttention;             // [B,heads,N,N], with attentionProbabilities or lastBlockAttention
    torch::Tensor lastBlockNorm1;            // undefined unless requested
    std::vector<torch::Tensor> blockInputs;  // per block [B,N,C], empty unless blockInputs
    torch::Tensor finalTokens;               // [B,N,C] the last block's output, with blockInputs;
                                             // [B,tokensTheHeadReads,C] with lastBlockForTheHeadOnly
    torch::Tensor pooled;                    // [B,C] or [B,2C]: the head's input
    torch::Tensor pooledDistillation;        // [B,C] normalised distillation token (head_dist input); undefined without
};

// The model from the last block's output on: final norm, pooling, head(s).
struct VitHeadOutput {
    torch::Tensor logits;             // as VitOutput::logits
    torch::Tensor pooled;             // as VitOutput::pooled
    torch::Tensor pooledDistillation; // as VitOutput::pooledDistillation
};

class VitAttentionImpl : public torch::nn::Module {
public:
    VitAttentionImpl(std::int64_t dim, std::int64_t numHeads);
    // Returns the block output; fills the attention fields of *record if given.
    torch::Tensor forward(const torch::Tensor& x, BlockRecord* record = nullptr);
    // The output of the first `queries` tokens only, each attending to every token of x; fills
    // the attention fields of *record if given (q, attention, mixed and attentionOut for those
    // tokens; k and v for every token).
    torch::Tensor forwardLeadingQueries(const torch::Tensor& x, std::int64_t queries, BlockRecord* record = nullptr);

    torch::nn::Linear qkv{nullptr};
    torch::nn::Linear proj{nullptr};
    std::int64_t numHeads;
    double scale;

private:
    // What both forwards share after q, k, v ([B,heads,tokens,head_dim]; q for the queries only).
    torch::Tensor attendAndProject(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, BlockRecord* record);
};
TORCH_MODULE(VitAttention);

class VitMlpImpl : public torch::nn::Module {
public:
    VitMlpImpl(std::int64_t dim, std::int64_t hiddenDim);
    torch::Tensor forward(const torch::Tensor& x);

    torch::nn::Linear fc1{nullptr};
    torch::nn::Linear fc2{nullptr};
};
TORCH_MODULE(VitMlp);

// LayerScale: a per-channel factor on a residual branch ("gamma", as timm names it).
class LayerScaleImpl : public torch::nn::Module {
public:
    explicit LayerScaleImpl(std::int64_t dim);
    torch::Tensor gamma;
};
TORCH_MODULE(LayerScale);

class VitBlockImpl : public torch::nn::Module {
public:
    VitBlockImpl(const VitConfig& config);
    // Fills *record (attention fields always; the rest when `full`) if given.
    torch::Tensor forward(const torch::Tensor& x, BlockRecord* record = nullptr, bool full = false);
    // The output [B,tokens,C] of the first `tokens` tokens only (VitTaps::lastBlockForTheHeadOnly);
    // fills every field of *record if given: input, norm1, k and v over every token, the others
    // for those tokens only (a whole block's record when `tokens` is every token).
    torch::Tensor forwardLeadingTokens(const torch::Tensor& x, std::int64_t tokens, BlockRecord* record = nullptr);

    torch::nn::LayerNorm norm1{nullptr};
    VitAttention attn{nullptr};
    torch::nn::LayerNorm norm2{nullptr};
    VitMlp mlp{nullptr};
    LayerScale ls1{nullptr}; // null without LayerScale
    LayerScale ls2{nullptr};

private:
    torch::Tensor scaled(const LayerScale& scale, const torch::Tensor& branch) const;
};
TORCH_MODULE(VitBlock);

class PatchEmbedImpl : public torch::nn::Module {
public:
    PatchEmbedImpl(std::int64_t patchSize, std::int64_t embedDim);
    torch::Tensor forward(const torch::Tensor& x); // [B,3,H,W] -> [B, patches, C]

    torch::nn::Conv2d proj{nullptr};
};
TORCH_MODULE(PatchEmbed);

class VisionTransformerImpl : public torch::nn::Module {
public:
    // Without `weights`: parameters initialised as LibTorch's modules do (training starts there).
    // With `weights` (checked first by requireWeightsFitting): every parameter IS the dict's tensor
    // (no copy), taken as each block is created, so a checkpoint never exists twice in memory.
    explicit VisionTransformerImpl(const VitConfig& config, const StateDict* weights = nullptr);
    // x: [B, 3, imageSize, imageSize], normalised as the model's training was. The model computes in x's dtype:
    // a float64 input runs in double on the (float32) weights, cast one layer at a time.
    VitOutput forward(const torch::Tensor& x, const VitTaps& taps = {});
    // The pieces forward() is made of, for callers that run the blocks themselves:
    // the tokens entering block 0 ([B,N,C]: prefix tokens, patches, positions) ...
    torch::Tensor embed(const torch::Tensor& x);
    // ... and everything after the last block.
    VitHeadOutput headFrom(const torch::Tensor& finalTokens);
    const VitConfig& config() const { return m_config; }

    PatchEmbed patchEmbed{nullptr};            // "patch_embed.proj.*"
    torch::Tensor clsToken;                    // "cls_token" [1,1,C]
    torch::Tensor distToken;                   // "dist_token" [1,1,C], undefined without
    torch::Tensor regToken;                    // "reg_token" [1,R,C], undefined without
    torch::Tensor posEmbed;                    // "pos_embed" [1,N,C]
    torch::nn::ModuleList blocks{nullptr};
    torch::nn::LayerNorm norm{nullptr};
    torch::nn::Linear head{nullptr};           // null when headless
    torch::nn::Linear headDist{nullptr};       // "head_dist", null without a distillation head

private:
    VitConfig m_config;
};
TORCH_MODULE(VisionTransformer);

// The parameters of a model of `config`, in named_parameters() order: timm's name and shape.
std::vector<std::pair<std::string, std::vector<std::int64_t>>> expectedParameters(const VitConfig& config);

// Before a model is built: every expected parameter present in `stateDict` with its shape and
// dtype float32, and no other entry (fc_norm.* stands for norm.* as in loadWeights); otherwise
// CheckpointError naming the key, the expected and the found shape.
void requireWeightsFitting(const VitConfig& config, const StateDict& stateDict);

// Copies a state dict into a model of that config. Every model parameter must be present with
// the same shape and every dict entry must be used; otherwise CheckpointError naming the key,
// the expected and the found shape. fc_norm.* (without norm.*) is loaded into `norm`: the model
// applies it after pooling when its config says MeanOfPatches (and, as the study does for its MAE
// initialisation, to the CLS token when the caller builds a CLS-pooled model).
void loadWeights(VisionTransformer& model, const StateDict& stateDict);

// Everything intermap reads from a checkpoint file or a Hugging Face folder before a model is
// built: the weights in timm's layout, the architecture, the family and the metadata.
struct ModelWeights {
    std::string path;
    StateDict dict;
    VitConfig config;
    FamilyMapping mapping;
    ModelMetadata metadata;
    Normalisation normalisation;       // the checkpoint's own when it has one, else ImageNet's
    std::vector<std::string> warnings; // placeholder globals met in the file, class names dropped, ...
};

// How to read a checkpoint, where the caller has a say.
struct ModelOpenOptions {
    // Overrides the checkpoint's head count (only a Hugging Face config.json has one; elsewhere
    // width/64, timm's head_dim 64).
    std::optional<std::int64_t> numHeads;
    // Input size to run at; default the checkpoint's native size (position grid x patch). Another
    // size (a multiple of the patch) resamples the position embedding (resamplePositionEmbedding).
    std::optional<std::int64_t> imageSize;
};

// Reads a checkpoint of any family (model_family.h): a file (.pth/.pt/.bin/.ckpt/.safetensors)
// or a Hugging Face folder. Throws CheckpointError naming the file and what was wrong, UsageError
// for an image size that is not a positive multiple of the patch size.
ModelWeights readModelWeights(const std::string& path, const ModelOpenOptions& options = {});

// The position embedding [1, prefix + g*g, C] for another square grid, as timm's
// resample_abs_pos_embed: the prefix tokens' rows kept, the grid resized with bicubic
// interpolation, antialiased (when shrinking), align_corners=False.
torch::Tensor resamplePositionEmbedding(const torch::Tensor& posEmbed, std::int64_t prefixTokens, std::int64_t newGrid);

// The model and where it came from, ready for inference (eval mode, float32, CPU).
struct LoadedVit {
    VisionTransformer model{nullptr};
    VitConfig config;
    std::string checkpointPath;
    FamilyMapping family;
    std::vector<std::string> classNames; // from the checkpoint's metadata; empty when it has none
    Normalisation normalisation;
    std::vector<std::string> warnings;   // e.g. placeholder globals met in the file
};

LoadedVit loadVit(const std::string& checkpointPath, const ModelOpenOptions& options = {});
// The same with only a head count (nullopt: the checkpoint's).
inline LoadedVit loadVit(const std::string& checkpointPath, std::optional<std::int64_t> numHeads) {
    return loadVit(checkpointPath, ModelOpenOptions{numHeads, std::nullopt});
}

} // namespace intermap::model
