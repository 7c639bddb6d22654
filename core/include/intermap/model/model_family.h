#pragma once
// The ViT layouts researchers' checkpoints come in, mapped onto intermap's one ViT (timm's key
// names, vit.h). Detection is by keys (and a Hugging Face folder's config.json); each family has
// one mapping, its layer-norm epsilon, and its notes. A checkpoint of any other architecture is
// refused with a message naming what was recognised and what is missing, never mis-mapped.
//
//   family        recognised by                                           eps
//   timm          patch_embed.proj.weight (+ dist_token, reg_token;       1e-6
//                 Meta's DINOv2 hub: register_tokens, mask_token)
//   Hugging Face  [vit.|deit.|dinov2.|dinov2_with_registers.]           config.json layer_norm_eps
//                 embeddings.patch_embeddings.projection.weight         (1e-12; DINOv2 1e-6)
//   torchvision   conv_proj.weight + class_token                          1e-6
//   MONAI         patch_embedding.patch_embeddings.weight                 1e-5
// PyTorch Lightning's .ckpt (state_dict with a 'model.'/'net.' prefix) wraps any of them.
#include "intermap/model/model_metadata.h"
#include "intermap/model/state_dict.h"

#include <optional>
#include <string>
#include <vector>

namespace intermap::model {

enum class ModelFamily { Timm, HuggingFace, Torchvision, Monai };
const char* familyName(ModelFamily family); // "timm", "Hugging Face", "torchvision", "MONAI"

// What renaming a checkpoint into timm's layout found out.
struct FamilyMapping {
    ModelFamily family = ModelFamily::Timm;
    std::string layout;                   // e.g. "timm", "PyTorch Lightning (state_dict, prefix 'model.') of timm"
    double layerNormEps = 1e-6;
    std::vector<std::string> ignoredKeys; // present in the file, not part of the classifier (said why in notes)
    std::vector<std::string> notes;       // e.g. MONAI's Tanh head
};

// Renames `dict`'s entries into timm's key names (splitting nothing, concatenating Hugging Face's
// query/key/value into qkv, zero position rows for the prefix tokens a family adds no position
// to — MONAI's CLS, registers, no_embed_class models —, zero qkv biases where a family leaves them
// out). Throws CheckpointError naming the file when it is not a ViT of a
// known family.
// Tensors listed in dict.unreadKeys (left unread by keysTheModelDoesNotUse) count as present.
FamilyMapping mapToTimmLayout(StateDict& dict, const ModelMetadata& metadata);

// Of a checkpoint's tensor names (as read, before mapping), those its family saves but the
// classifier never uses — MONAI's cross-attention, a Hugging Face pooler or mask token, Meta
// DINOv2's mask token —, so the loader need not read their bytes (a loadStateDict chooser).
// None when the names are of no family intermap reads (the mapping then refuses the file).
std::vector<std::string> keysTheModelDoesNotUse(const std::vector<std::string>& names);

} // namespace intermap::model
