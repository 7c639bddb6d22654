#include "intermap/data/phantom.h"

#include "intermap/util/atomic_file.h"
#include "intermap/util/errors.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <optional>
#include <random>
#include <set>
#include <string_view>
#include <vector>

// Reproducibility rules for everything below (see phantom.h): random numbers only through
// Random; never two Random calls inside one expression (the evaluation order of operands and
// function arguments is unspecified, and floating-point sums depend on it); arithmetic with
// + - * / sqrt floor only.

namespace intermap::data {
namespace {

constexpr int kSize = kPhantomSize;

// --- random numbers -------------------------------------------------------------------------

std::uint64_t splitMix64(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

// Independent streams per purpose, so that a positive and a negative of the same index share the
// background, and the confounder decision does not move the lesion.
enum class Stream : std::uint64_t { Background = 1, Lesion = 2, Confounder = 3, Grain = 4, Labels = 5 };

struct Vec2 {
    double x = 0.0;
    double y = 0.0;
};

class Random {
public:
    Random(std::uint64_t seed, std::int64_t index, Stream stream)
        : m_engine(splitMix64(splitMix64(splitMix64(seed) ^ static_cast<std::uint64_t>(index))
                              ^ static_cast<std::uint64_t>(stream))) {}

    // [0, 1) with 53 random bits: the top bits of one raw 64-bit draw.
    double uniform() { return static_cast<double>(m_engine() >> 11) * 0x1.0p-53; }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    bool chance(double p) { return uniform() < p; }
    // [0, n) for small n (the bias of scaling 53 bits is far below anything visible).
    int below(int n) { return std::min(n - 1, static_cast<int>(uniform() * n)); }
    // Approximately standard normal (Irwin-Hall sum of four uniforms, bounded at +-3.46): enough
    // for texture, and free of libm.
    double normal() {
        double sum = uniform();
        sum += uniform();
        sum += uniform();
        sum += uniform();
        return (sum - 2.0) * 1.7320508075688772;
    }
    // A uniformly distributed unit vector, by rejection in the unit disc (no trigonometry).
    Vec2 direction() {
        for (;;) {
            const double x = uniform(-1.0, 1.0);
            const double y = uniform(-1.0, 1.0);
            const double r2 = x * x + y * y;
            if (r2 > 1e-4 && r2 <= 1.0) {
                const double r = std::sqrt(r2);
                return {x / r, y / r};
            }
        }
    }

private:
    std::mt19937_64 m_engine;
};

// --- small maths ----------------------------------------------------------------------------

double clamp01(double v) { return std::min(1.0, std::max(0.0, v)); }
double mix(double a, double b, double t) { return a + (b - a) * t; }
double smoothstep(double edge0, double edge1, double v) {
    const double t = clamp01((v - edge0) / (edge1 - edge0));
    return t * t * (3.0 - 2.0 * t);
}
std::uint8_t toByte(double v) { return static_cast<std::uint8_t>(std::floor(clamp01(v) * 255.0 + 0.5)); }

struct Rgb {
    double r = 0.0;
    double g = 0.0;
    double b = 0.0;
};

// --- gradient noise -------------------------------------------------------------------------

// 16 unit gradients at 22.5 degree steps, written out so no trigonometry runs.
constexpr double kC1 = 0.9238795325112867; // cos 22.5
constexpr double kC2 = 0.7071067811865476; // cos 45
constexpr double kC3 = 0.3826834323650898; // cos 67.5
constexpr std::array<Vec2, 16> kGradients{{{1, 0}, {kC1, kC3}, {kC2, kC2}, {kC3, kC1}, {0, 1}, {-kC3, kC1},
                                           {-kC2, kC2}, {-kC1, kC3}, {-1, 0}, {-kC1, -kC3}, {-kC2, -kC2},
                                           {-kC3, -kC1}, {0, -1}, {kC3, -kC1}, {kC2, -kC2}, {kC1, -kC3}}};

// One octave of Perlin-style gradient noise on a square lattice of `cell` px, randomly offset so
// lattice lines of different layers do not align. Values lie in about [-1, 1]. Coordinates may
// reach kMargin px outside the image (warps, derivatives).
class NoiseLayer {
public:
    static constexpr double kMargin = 48.0;

    NoiseLayer(Random& rng, double cell) : m_cell(cell) {
        m_offsetX = rng.uniform() * cell;
        m_offsetY = rng.uniform() * cell;
        m_nodes = static_cast<int>((kSize + 2.0 * kMargin) / cell) + 3;
        m_gradient.resize(static_cast<std::size_t>(m_nodes) * m_nodes);
        for (auto& g : m_gradient)
            g = static_cast<std::uint8_t>(rng.below(16));
    }

    double at(double x, double y) const {
        const double gx = (x + kMargin + m_offsetX) / m_cell;
        const double gy = (y + kMargin + m_offsetY) / m_cell;
        const int ix = std::clamp(static_cast<int>(std::floor(gx)), 0, m_nodes - 2);
        const int iy = std::clamp(static_cast<int>(std::floor(gy)), 0, m_nodes - 2);
        const double fx = gx - ix;
        const double fy = gy - iy;
        const double n00 = dot(ix, iy, fx, fy);
        const double n10 = dot(ix + 1, iy, fx - 1.0, fy);
        const double n01 = dot(ix, iy + 1, fx, fy - 1.0);
        const double n11 = dot(ix + 1, iy + 1, fx - 1.0, fy - 1.0);
        const double u = fade(fx);
        const double v = fade(fy);
        // 2-D Perlin noise peaks at sqrt(1/2); scale to about [-1, 1].
        return 1.4142135623730951 * mix(mix(n00, n10, u), mix(n01, n11, u), v);
    }

private:
    static double fade(double t) { return t * t * t * (t * (t * 6.0 - 15.0) + 10.0); }
    double dot(int ix, int iy, double dx, double dy) const {
        const Vec2& g = kGradients[m_gradient[static_cast<std::size_t>(iy) * m_nodes + ix]];
        return g.x * dx + g.y * dy;
    }

    double m_cell;
    double m_offsetX = 0.0;
    double m_offsetY = 0.0;
    int m_nodes = 0;
    std::vector<std::uint8_t> m_gradient;
};

// Octaves of NoiseLayer, each half the cell and half the amplitude of the last, normalised to
// about [-1, 1].
class FractalNoise {
public:
    FractalNoise(Random& rng, double cell, int octaves) {
        double amplitude = 1.0;
        for (int o = 0; o < octaves; ++o) {
            m_layers.emplace_back(rng, cell);
            m_amplitudes.push_back(amplitude);
            m_total += amplitude;
            cell *= 0.5;
            amplitude *= 0.5;
        }
    }
    double at(double x, double y) const {
        double sum = 0.0;
        for (std::size_t i = 0; i < m_layers.size(); ++i)
            sum += m_amplitudes[i] * m_layers[i].at(x, y);
        return sum / m_total;
    }

private:
    std::vector<NoiseLayer> m_layers;
    std::vector<double> m_amplitudes;
    double m_total = 0.0;
};

// --- the lesion's shape ---------------------------------------------------------------------

// An ellipse (semi-axes R and aspect*R, rotated) whose radius is perturbed by harmonics 2..5:
// r(t) = R (1 + sum_k A_k cos(k t + phi_k)), with cos(k t) evaluated as powers of the unit
// complex number of the pixel's direction (no trigonometry).
struct LesionShape {
    Vec2 centre;
    double radius = 0.0;
    double aspect = 1.0;
    Vec2 axis{1.0, 0.0};
    std::array<double, 4> amplitude{};
    std::array<Vec2, 4> phase{};

    // Largest extent from the centre, for bounding boxes.
    double reach() const {
        double sum = 1.0;
        for (double a : amplitude)
            sum += a;
        return radius * sum;
    }

    // Where the pixel centre (x, y) lies: s < 1 inside the boundary, s = 1 on it. `boundaryPx` is
    // the boundary's distance from the centre in that direction (px), for the anti-aliasing band.
    struct Place {
        double s = 0.0;
        double boundaryPx = 0.0;
        Vec2 direction{1.0, 0.0}; // image-frame unit direction from the centre
    };
    Place locate(double x, double y) const {
        const double dx = x - centre.x;
        const double dy = y - centre.y;
        const double u = dx * axis.x + dy * axis.y;
        const double v = (-dx * axis.y + dy * axis.x) / aspect;
        const double rho = std::sqrt(u * u + v * v);
        Place place;
        if (rho < 1e-9) {
            place.s = 0.0;
            place.boundaryPx = radius;
            return place;
        }
        const double c = u / rho;
        const double s = v / rho;
        double ck = c;
        double sk = s;
        double factor = 1.0;
        for (int k = 2; k <= 5; ++k) {
            const double nextC = ck * c - sk * s;
            const double nextS = sk * c + ck * s;
            ck = nextC;
            sk = nextS;
            factor += amplitude[k - 2] * (ck * phase[k - 2].x - sk * phase[k - 2].y);
        }
        const double boundary = radius * factor; // in the ellipse frame
        place.s = rho / boundary;
        const double d = std::sqrt(dx * dx + dy * dy);
        // The ellipse frame stretches the minor axis by 1/aspect; the pixel distance to the
        // boundary along this ray is d/s.
        place.boundaryPx = d / place.s;
        place.direction = {dx / d, dy / d};
        return place;
    }
};

LesionShape drawShape(Random& rng, const PhantomOptions& options) {
    LesionShape shape;
    shape.radius = rng.uniform(options.lesionRadiusMin, options.lesionRadiusMax);
    shape.aspect = rng.uniform(0.68, 1.0);
    shape.axis = rng.direction();
    constexpr std::array<double, 4> kMaxAmplitude{0.12, 0.08, 0.05, 0.035};
    for (std::size_t k = 0; k < 4; ++k) {
        shape.amplitude[k] = rng.uniform(0.0, kMaxAmplitude[k]);
        shape.phase[k] = rng.direction();
    }
    return shape;
}

// A centre that keeps the lesion mostly inside (the centre stays 0.6 R from every border:
// >= ~86 % of a disc inside at an edge, ~73 % in a corner), avoiding `avoid` (the dark lumen)
// when it can.
Vec2 drawCentre(Random& rng, double radius, Vec2 avoid, double avoidRadius) {
    const double margin = 0.6 * radius;
    Vec2 centre;
    for (int attempt = 0; attempt < 40; ++attempt) {
        centre.x = rng.uniform(margin, kSize - margin);
        centre.y = rng.uniform(margin, kSize - margin);
        const double dx = centre.x - avoid.x;
        const double dy = centre.y - avoid.y;
        if (avoidRadius <= 0.0 || dx * dx + dy * dy >= (avoidRadius + radius) * (avoidRadius + radius))
            break;
    }
    return centre;
}

// --- endoscopy ------------------------------------------------------------------------------

// A smooth field sampled every 4 px (from 8 px outside the image) and interpolated bilinearly:
// for the low-frequency fields, whose finest octave spans 27 px or more, this is as good as
// evaluating the noise at every pixel and several times cheaper.
class CoarseField {
public:
    static constexpr double kStep = 4.0;
    static constexpr double kOrigin = -8.0;
    static constexpr int kNodes = static_cast<int>((kSize - 2.0 * kOrigin) / kStep) + 1;

    template <class Function>
    explicit CoarseField(Function&& function) : m_values(static_cast<std::size_t>(kNodes) * kNodes) {
        for (int j = 0; j < kNodes; ++j)
            for (int i = 0; i < kNodes; ++i)
                m_values[static_cast<std::size_t>(j) * kNodes + i] = function(kOrigin + i * kStep, kOrigin + j * kStep);
    }

    double at(double x, double y) const {
        const double gx = (x - kOrigin) / kStep;
        const double gy = (y - kOrigin) / kStep;
        const int ix = std::clamp(static_cast<int>(std::floor(gx)), 0, kNodes - 2);
        const int iy = std::clamp(static_cast<int>(std::floor(gy)), 0, kNodes - 2);
        const double fx = gx - ix;
        const double fy = gy - iy;
        const std::size_t i00 = static_cast<std::size_t>(iy) * kNodes + ix;
        const double top = mix(m_values[i00], m_values[i00 + 1], fx);
        const double bottom = mix(m_values[i00 + kNodes], m_values[i00 + kNodes + 1], fx);
        return mix(top, bottom, fy);
    }

private:
    std::vector<double> m_values;
};

struct Glint {
    Vec2 at;
    double radius = 0.0;
    Vec2 axis{1.0, 0.0};
    double aspect = 1.0;
};

class EndoscopyScene {
public:
    EndoscopyScene(std::uint64_t seed, std::int64_t index)
        : m_rng(seed, index, Stream::Background), m_tone(m_rng, 110.0, 3), m_redness(m_rng, 70.0, 2),
          m_relief(m_rng, 64.0, 4), m_folds(m_rng, 150.0, 2), m_warpX(m_rng, 60.0, 2), m_warpY(m_rng, 60.0, 2),
          m_vessels(m_rng, 44.0, 2), m_capillaries(m_rng, 16.0, 1), m_lumenEdge(m_rng, 45.0, 1) {
        m_base.r = m_rng.uniform(0.74, 0.92);
        m_base.g = m_base.r * m_rng.uniform(0.42, 0.60);
        m_base.b = m_base.g * m_rng.uniform(0.74, 1.02);
        m_reliefStrength = m_rng.uniform(1.0, 3.0);
        m_foldStrength = m_rng.uniform(0.0, 2.5);
        m_vesselStrength = m_rng.uniform(0.0, 0.75);
        m_vesselWidth = m_rng.uniform(0.04, 0.09);
        m_capillaryStrength = m_rng.uniform(0.0, 0.2);
        m_exposure = m_rng.uniform(0.92, 1.08);
        m_vignetteCentre = {m_rng.uniform(92.0, 132.0), m_rng.uniform(92.0, 132.0)};
        m_vignette = m_rng.uniform(0.25, 0.55);
        m_hasLumen = m_rng.chance(0.55);
        m_lumen = {m_rng.uniform(20.0, 204.0), m_rng.uniform(20.0, 204.0)};
        m_lumenRadius = m_rng.uniform(12.0, 30.0);
        m_lighting.emplace([this](double x, double y) { return lightingAt(x, y); });
        const int glints = m_rng.below(4);
        for (int i = 0; i < glints; ++i) {
            Glint glint;
            for (int attempt = 0; attempt < 20; ++attempt) {
                glint.at.x = m_rng.uniform(8.0, kSize - 8.0);
                glint.at.y = m_rng.uniform(8.0, kSize - 8.0);
                if (lighting(glint.at.x, glint.at.y) > 0.75)
                    break;
            }
            glint.radius = m_rng.uniform(1.0, 3.2);
            glint.axis = m_rng.direction();
            glint.aspect = m_rng.uniform(0.35, 1.0);
            m_glints.push_back(glint);
        }
    }

    Vec2 lumenCentre() const { return m_lumen; }
    // Where a lesion should not sit: the lumen and most of its penumbra.
    double lumenRadius() const { return m_hasLumen ? m_lumenRadius * 2.5 : 0.0; }
    Rgb base() const { return m_base; }
    double lighting(double x, double y) const { return m_lighting->at(x, y); }

    // The background, row-major at pixel centres.
    std::vector<Rgb> render() const {
        const CoarseField tone([this](double x, double y) { return m_tone.at(x, y); });
        const CoarseField redness([this](double x, double y) { return m_redness.at(x, y); });
        const CoarseField warpX([this](double x, double y) { return m_warpX.at(x, y); });
        const CoarseField warpY([this](double x, double y) { return m_warpY.at(x, y); });
        const CoarseField along([this](double x, double y) { return m_tone.at(y, x); });
        const CoarseField folds([this](double x, double y) {
            const double n = m_folds.at(x, y) / 0.4;
            const double fold = std::max(0.0, 1.0 - n * n);
            return m_foldStrength * fold * fold;
        });
        // Height field (mucosal relief, and folds: rounded ridges where a noise crosses zero)
        // with a 1 px border, at pixel centres.
        constexpr int kPadded = kSize + 2;
        std::vector<double> height(static_cast<std::size_t>(kPadded) * kPadded);
        for (int j = 0; j < kPadded; ++j)
            for (int i = 0; i < kPadded; ++i) {
                const double x = i - 1 + 0.5;
                const double y = j - 1 + 0.5;
                height[static_cast<std::size_t>(j) * kPadded + i] = m_reliefStrength * m_relief.at(x, y) + folds.at(x, y);
            }
        std::vector<Rgb> out(static_cast<std::size_t>(kSize) * kSize);
        for (int y = 0; y < kSize; ++y)
            for (int x = 0; x < kSize; ++x) {
                const double px = x + 0.5;
                const double py = y + 0.5;
                // Relief shading: the height field's slope towards a light above-left.
                const std::size_t h = static_cast<std::size_t>(y + 1) * kPadded + (x + 1);
                const double slope = 1.5 * (height[h - kPadded - 1] - height[h + kPadded + 1]);
                // Clamped: steep spots would otherwise burn out to white or black.
                const double relief = std::clamp(1.0 + slope, 0.55, 1.3);
                // Vessels: where a domain-warped noise crosses zero (ridged noise), fading in and
                // out along their length.
                const double wx = px + 14.0 * warpX.at(px, py);
                const double wy = py + 14.0 * warpY.at(px, py);
                const double vessel = std::max(0.0, 1.0 - std::abs(m_vessels.at(wx, wy)) / m_vesselWidth);
                const double capillary = std::max(0.0, 1.0 - std::abs(m_capillaries.at(wx, wy)) / 0.07);
                const double fade = clamp01(0.6 + along.at(px, py));
                const double dark = fade * (m_vesselStrength * vessel * vessel + m_capillaryStrength * capillary * capillary);
                const double red = 1.0 + 0.10 * redness.at(px, py);
                const double light = lighting(px, py) * (1.0 + 0.10 * tone.at(px, py)) * relief;
                Rgb c;
                c.r = m_base.r * light * (1.0 - 0.30 * dark);
                c.g = m_base.g * light * red * (1.0 - 0.60 * dark);
                c.b = m_base.b * light * red * (1.0 - 0.45 * dark);
                for (const Glint& glint : m_glints)
                    addGlint(c, px, py, glint);
                out[static_cast<std::size_t>(y) * kSize + x] = c;
            }
        return out;
    }

private:
    // Scene illumination: the endoscope's light falls off towards the borders and into the
    // lumen, the distant dark hole of the bowel.
    double lightingAt(double x, double y) const {
        const double vx = (x - m_vignetteCentre.x) / 160.0;
        const double vy = (y - m_vignetteCentre.y) / 160.0;
        double light = 1.0 - m_vignette * (vx * vx + vy * vy);
        if (m_hasLumen) {
            const double dx = x - m_lumen.x;
            const double dy = y - m_lumen.y;
            const double d = std::sqrt(dx * dx + dy * dy) * (1.0 + 0.2 * m_lumenEdge.at(x, y));
            light *= 0.10 + 0.90 * smoothstep(0.5 * m_lumenRadius, 4.0 * m_lumenRadius, d);
        }
        return light * m_exposure;
    }

    // A specular reflection: a saturated elliptical core with a soft halo out to 2.5 radii.
    static void addGlint(Rgb& c, double x, double y, const Glint& glint) {
        const double dx = x - glint.at.x;
        const double dy = y - glint.at.y;
        const double u = (dx * glint.axis.x + dy * glint.axis.y) / (2.5 * glint.radius);
        const double v = (-dx * glint.axis.y + dy * glint.axis.x) / (2.5 * glint.radius * glint.aspect);
        const double r2 = u * u + v * v;
        if (r2 >= 1.0)
            return;
        const double w = std::min(1.0, (1.0 - r2) * (1.0 - r2) * 2.2);
        c.r = mix(c.r, 1.0, w);
        c.g = mix(c.g, 1.0, w);
        c.b = mix(c.b, 0.98, w);
    }

    Random m_rng;
    FractalNoise m_tone, m_redness, m_relief, m_folds, m_warpX, m_warpY, m_vessels, m_capillaries, m_lumenEdge;
    Rgb m_base;
    double m_reliefStrength = 0.0;
    double m_foldStrength = 0.0;
    double m_vesselStrength = 0.0;
    double m_vesselWidth = 0.0;
    double m_capillaryStrength = 0.0;
    double m_exposure = 1.0;
    Vec2 m_vignetteCentre;
    double m_vignette = 0.0;
    bool m_hasLumen = false;
    Vec2 m_lumen;
    double m_lumenRadius = 0.0;
    std::optional<CoarseField> m_lighting;
    std::vector<Glint> m_glints;
};

// A polyp-like dome: pale yellowish-white or dusky purple, mottled, without the vessels, lit
// from the endoscope so its far rim falls into shadow, often with a glint.
class EndoscopyLesion {
public:
    EndoscopyLesion(std::uint64_t seed, std::int64_t index, const PhantomOptions& options, const EndoscopyScene& scene)
        : m_rng(seed, index, Stream::Lesion), m_shape(drawShape(m_rng, options)), m_mottle(m_rng, 7.0, 2), m_patches(m_rng, 30.0, 2) {
        m_shape.centre = drawCentre(m_rng, m_shape.radius, scene.lumenCentre(), scene.lumenRadius());
        m_contrast = m_rng.uniform(0.65, 1.0);
        // The mucosa's colour pulled towards a pale target between creamy yellow and greyish white,
        // off the mucosa's red-orange-pink hues (a fixed target keeps the colour margin whatever
        // the mucosa's palette): a small ViT trained from scratch for a few epochs needs a cue it
        // can pick up patch by patch. (Measured: with half the lesions dusky purple instead, a
        // 192x4x3 ViT after 5 epochs on 800 images missed nearly all purple ones, which sit
        // close to shadowed mucosa, and reached 0.80 test accuracy.)
        const double whiteness = m_rng.uniform();
        Rgb target{0.97, mix(0.86, 0.90, whiteness), mix(0.58, 0.80, whiteness)};
        target.r += m_rng.uniform(-0.03, 0.03);
        target.g += m_rng.uniform(-0.03, 0.03);
        target.b += m_rng.uniform(-0.03, 0.03);
        const Rgb base = scene.base();
        const double pull = 0.5 + 0.4 * m_contrast;
        m_colour = {mix(base.r, target.r, pull), mix(base.g, target.g, pull), mix(base.b, target.b, pull)};
        const Vec2 lightDirection = m_rng.direction();
        const double tilt = m_rng.uniform(0.35, 0.6);
        m_light = {lightDirection.x * tilt, lightDirection.y * tilt};
        m_lightZ = std::sqrt(1.0 - tilt * tilt);
        m_domeShading = m_rng.uniform(0.35, 0.6);
        m_hasGlint = m_rng.chance(0.5);
    }

    const LesionShape& shape() const { return m_shape; }

    // Blends the lesion over `c` at pixel centre (x, y); returns whether the centre is inside.
    bool paint(Rgb& c, double x, double y, double sceneLight) const {
        const LesionShape::Place place = m_shape.locate(x, y);
        // Blend weight: 0.5 on the boundary, ramping over one pixel.
        const double alpha = clamp01(0.5 + (1.0 - place.s) * place.boundaryPx);
        if (alpha <= 0.0)
            return false;
        const double s = std::min(place.s, 1.0);
        // Normal of a dome over the shape (a sphere in normalised coordinates).
        const double nx = s * place.direction.x;
        const double ny = s * place.direction.y;
        const double nz = std::sqrt(std::max(0.0, 1.0 - s * s));
        const double lambert = nx * m_light.x + ny * m_light.y + nz * m_lightZ;
        const double shade = 1.0 + m_domeShading * (lambert - m_lightZ) / m_lightZ * 0.8;
        const double rim = 1.0 - 0.15 * m_contrast * smoothstep(0.82, 1.0, s);
        // Mottled surface: fine granules in brightness, coarser patches in hue.
        const double mottle = 1.0 + 0.13 * m_mottle.at(x, y);
        const double patch = 0.10 * m_patches.at(x, y);
        const double light = std::max(sceneLight, 0.55) * shade * rim * mottle;
        Rgb lesion{m_colour.r * light, m_colour.g * light * (1.0 + patch), m_colour.b * light * (1.0 + 0.5 * patch)};
        if (m_hasGlint) {
            // Blinn-Phong highlight, half vector between the light and the viewer (0, 0, 1).
            const double hx = m_light.x;
            const double hy = m_light.y;
            const double hz = m_lightZ + 1.0;
            const double hn = std::sqrt(hx * hx + hy * hy + hz * hz);
            double spec = clamp01((nx * hx + ny * hy + nz * hz) / hn);
            spec *= spec; // ^2
            spec *= spec; // ^4
            spec *= spec; // ^8
            spec *= spec; // ^16
            spec *= spec; // ^32
            spec *= spec; // ^64
            const double w = std::min(1.0, 1.6 * spec);
            lesion = {mix(lesion.r, 1.0, w), mix(lesion.g, 1.0, w), mix(lesion.b, 0.97, w)};
        }
        c = {mix(c.r, lesion.r, alpha), mix(c.g, lesion.g, alpha), mix(c.b, lesion.b, alpha)};
        return place.s < 1.0;
    }

private:
    Random m_rng;
    LesionShape m_shape;
    FractalNoise m_mottle, m_patches;
    double m_contrast = 0.0;
    Rgb m_colour;
    Vec2 m_light;
    double m_lightZ = 1.0;
    double m_domeShading = 0.0;
    bool m_hasGlint = false;
};

// --- ultrasound -----------------------------------------------------------------------------

// Fully developed speckle: the magnitude of a smoothed complex Gaussian field (Rayleigh
// distributed), normalised to mean 1. Binomial kernels set the grain: [1 4 6 4 1]/16 applied
// twice laterally and once axially, ~3 x 2 px, wider across than along the beam as on a scanner.
std::vector<double> speckleField(Random& rng) {
    const std::size_t n = static_cast<std::size_t>(kSize) * kSize;
    std::vector<double> re(n), im(n);
    for (std::size_t i = 0; i < n; ++i) {
        re[i] = rng.normal();
        im[i] = rng.normal();
    }
    constexpr std::array<double, 5> k{1.0 / 16, 4.0 / 16, 6.0 / 16, 4.0 / 16, 1.0 / 16};
    auto blur = [&k](std::vector<double>& f, bool lateral) {
        std::vector<double> tmp(f.size());
        for (int y = 0; y < kSize; ++y)
            for (int x = 0; x < kSize; ++x) {
                double sum = 0.0;
                for (int t = -2; t <= 2; ++t) {
                    const int xx = lateral ? std::clamp(x + t, 0, kSize - 1) : x;
                    const int yy = lateral ? y : std::clamp(y + t, 0, kSize - 1);
                    sum += k[static_cast<std::size_t>(t + 2)] * f[static_cast<std::size_t>(yy) * kSize + xx];
                }
                tmp[static_cast<std::size_t>(y) * kSize + x] = sum;
            }
        f.swap(tmp);
    };
    for (std::vector<double>* f : {&re, &im}) {
        blur(*f, true);
        blur(*f, true);
        blur(*f, false);
    }
    // Each component's variance after blurring is the product of the kernels' squared sums:
    // [1 4 6 4 1]*[1 4 6 4 1] laterally (12870/65536) and [1 4 6 4 1] axially (70/256). Rayleigh
    // mean = sigma sqrt(pi/2).
    const double sigma = std::sqrt((12870.0 / 65536.0) * (70.0 / 256.0));
    const double mean = sigma * 1.2533141373155003;
    std::vector<double> out(n);
    for (std::size_t i = 0; i < n; ++i)
        out[i] = std::sqrt(re[i] * re[i] + im[i] * im[i]) / mean;
    return out;
}

class UltrasoundScene {
public:
    UltrasoundScene(std::uint64_t seed, std::int64_t index)
        : m_rng(seed, index, Stream::Background), m_layers(m_rng, 26.0, 3), m_blobs(m_rng, 60.0, 2),
          m_interfaces(m_rng, 40.0, 1) {
        m_level = m_rng.uniform(0.32, 0.50);
        m_attenuation = m_rng.uniform(0.1, 0.3);
        m_stretch = m_rng.uniform(4.0, 8.0);
        m_interfaceStrength = m_rng.uniform(0.2, 0.8);
        const double warm = m_rng.uniform(0.0, 1.0) < 0.3 ? m_rng.uniform(0.02, 0.07) : 0.0;
        m_tint = {1.0 + warm, 1.0, 1.0 - 1.5 * warm};
    }

    double level() const { return m_level; }
    Rgb tint() const { return m_tint; }

    // Echogenicity before speckle: layered tissue with a few bright interfaces (fascia) and
    // larger blobs, times the scanner's gain. Tissue stays above half its level, so a lesion
    // (below 0.3 of the level, under the same gain) is darker than any tissue around it.
    double echo(double x, double y) const {
        const double layers = m_layers.at(x * (1.0 / m_stretch) + 0.3 * y, y);
        const double blobs = m_blobs.at(x, y);
        const double ridge = std::max(0.0, 1.0 - std::abs(m_interfaces.at(x * (1.0 / m_stretch), y)) / 0.12);
        const double interfaces = m_interfaceStrength * ridge * ridge;
        return m_level * (1.0 + 0.35 * layers + 0.15 * blobs + interfaces) * gain(x, y);
    }

    // Depth attenuation, a brighter near field under the probe, slightly darker lateral borders.
    double gain(double x, double y) const {
        const double depth = y / kSize;
        const double nearField = 1.0 + 0.35 * (1.0 - smoothstep(0.0, 0.12, depth));
        const double side = (x - 111.5) / 111.5;
        const double lateral = 1.0 - 0.15 * side * side * side * side;
        return (1.1 - m_attenuation * depth) * nearField * lateral;
    }

private:
    Random m_rng;
    FractalNoise m_layers, m_blobs, m_interfaces;
    double m_level = 0.0;
    double m_interfaceStrength = 0.0;
    double m_attenuation = 0.0;
    double m_stretch = 3.0;
    Rgb m_tint;
};

// A mass with a smoother, darker (hypoechoic, as most) or brighter (hyperechoic) interior and a
// thin bright capsule just inside its boundary.
class UltrasoundLesion {
public:
    UltrasoundLesion(std::uint64_t seed, std::int64_t index, const PhantomOptions& options, const UltrasoundScene& scene)
        : m_rng(seed, index, Stream::Lesion), m_shape(drawShape(m_rng, options)), m_internal(m_rng, 14.0, 2) {
        m_shape.centre = drawCentre(m_rng, m_shape.radius, {}, 0.0);
        m_contrast = m_rng.uniform(0.8, 1.0);
        const bool hypo = m_rng.chance(0.8);
        m_level = scene.level() * (hypo ? 1.0 - 0.9 * m_contrast : 1.0 + 1.2 * m_contrast);
        m_capsule = m_rng.uniform(0.2, 0.6) * m_contrast;
    }

    const LesionShape& shape() const { return m_shape; }

    // Blends the lesion's echogenicity (under the scanner's `gain` at this pixel) over `echo`
    // (before speckle); `speckleWeight` gets the lesion's speckle amplitude blended the same way.
    bool paint(double& echo, double& speckleWeight, double x, double y, double gain) const {
        const LesionShape::Place place = m_shape.locate(x, y);
        const double alpha = clamp01(0.5 + (1.0 - place.s) * place.boundaryPx);
        if (alpha <= 0.0)
            return false;
        const double s = std::min(place.s, 1.0);
        // Capsule: a bump of width ~0.08 R peaking just inside the boundary.
        const double capsule = smoothstep(0.84, 0.94, s) * (1.0 - smoothstep(0.94, 1.0, s) * 0.6);
        const double inside = (m_level * (1.0 + 0.12 * m_internal.at(x, y)) + m_capsule * 0.5 * capsule) * gain;
        echo = mix(echo, inside, alpha);
        speckleWeight = mix(speckleWeight, 0.15, alpha);
        return place.s < 1.0;
    }

private:
    Random m_rng;
    LesionShape m_shape;
    FractalNoise m_internal;
    double m_contrast = 0.0;
    double m_level = 0.0;
    double m_capsule = 0.0;
};

// --- confounder -----------------------------------------------------------------------------

// A bright ruler-like mark (a bar with ticks), 28 x 9 px, in one of the four corners.
struct MarkPlacement {
    int x0 = 0;
    int y0 = 0;
    static constexpr int kWidth = 28;
    static constexpr int kHeight = 9;
    // Whether pixel (x, y) of the image belongs to the mark.
    bool covers(int x, int y) const {
        const int lx = x - x0;
        const int ly = y - y0;
        if (lx < 0 || ly < 0 || lx >= kWidth || ly >= kHeight)
            return false;
        if (ly >= kHeight - 3)
            return true; // the bar
        const int tick = lx % 9;
        const bool major = (lx / 9) % 3 == 0;
        return tick < 2 && (major || ly >= 3); // ticks every 9 px, every third one taller
    }
};

MarkPlacement placeMark(Random& rng, const cv::Mat& mask) {
    const int inset = 6 + rng.below(7);
    const int start = rng.below(4);
    MarkPlacement chosen;
    for (int i = 0; i < 4; ++i) {
        const int corner = (start + i) % 4;
        MarkPlacement mark;
        mark.x0 = (corner % 2 == 0) ? inset : kSize - inset - MarkPlacement::kWidth;
        mark.y0 = (corner / 2 == 0) ? inset : kSize - inset - MarkPlacement::kHeight;
        if (i == 0)
            chosen = mark;
        // The first corner whose mark keeps 2 px clear of the lesion; else the first tried.
        const cv::Rect box(mark.x0 - 2, mark.y0 - 2, MarkPlacement::kWidth + 4, MarkPlacement::kHeight + 4);
        if (cv::countNonZero(mask(box & cv::Rect(0, 0, kSize, kSize))) == 0) {
            chosen = mark;
            break;
        }
    }
    return chosen;
}

void validate(const PhantomOptions& options) {
    if (!(options.lesionRadiusMin >= 4.0 && options.lesionRadiusMax <= 112.0
          && options.lesionRadiusMin <= options.lesionRadiusMax))
        throw UsageError("phantom: lesion radius range must satisfy 4 <= min <= max <= 112, got ["
                         + std::to_string(options.lesionRadiusMin) + ", " + std::to_string(options.lesionRadiusMax) + "]");
    auto probability = [](double p, const char* name) {
        if (!(p >= 0.0 && p <= 1.0))
            throw UsageError(std::string("phantom: ") + name + " must lie in [0, 1], got " + std::to_string(p));
    };
    probability(options.confounderInPositives, "confounderInPositives");
    probability(options.confounderInNegatives, "confounderInNegatives");
    probability(options.positiveFraction, "positiveFraction");
}

void addGrain(Rgb& c, Random& grain, double luminance, double chroma) {
    const double l = luminance * grain.normal();
    const double cr = chroma * grain.normal();
    c.r += l + cr;
    c.g += l;
    c.b += l - cr;
}

} // namespace

std::string phantomStyleName(PhantomStyle style) {
    return style == PhantomStyle::Ultrasound ? "ultrasound" : "endoscopy";
}

PhantomStyle parsePhantomStyle(const std::string& name) {
    if (name == "endoscopy")
        return PhantomStyle::Endoscopy;
    if (name == "ultrasound")
        return PhantomStyle::Ultrasound;
    throw UsageError("phantom style: expected \"endoscopy\" or \"ultrasound\", got \"" + name + "\"");
}

PhantomImage generatePhantom(std::uint64_t seed, std::int64_t index, bool positive, const PhantomOptions& options) {
    validate(options);
    PhantomImage out;
    out.positive = positive;
    out.rgb.create(kSize, kSize, CV_8UC3);
    out.mask = cv::Mat::zeros(kSize, kSize, CV_8UC1);
    Random grain(seed, index, Stream::Grain);

    if (options.style == PhantomStyle::Endoscopy) {
        const EndoscopyScene scene(seed, index);
        const std::vector<Rgb> background = scene.render();
        std::optional<EndoscopyLesion> lesion;
        cv::Rect box;
        if (positive) {
            lesion.emplace(seed, index, options, scene);
            const double reach = lesion->shape().reach() + 2.0;
            const Vec2 c = lesion->shape().centre;
            box = cv::Rect(cv::Point(static_cast<int>(std::floor(c.x - reach)), static_cast<int>(std::floor(c.y - reach))),
                           cv::Point(static_cast<int>(std::floor(c.x + reach)) + 1, static_cast<int>(std::floor(c.y + reach)) + 1))
                & cv::Rect(0, 0, kSize, kSize);
        }
        for (int y = 0; y < kSize; ++y) {
            auto* row = out.rgb.ptr<cv::Vec3b>(y);
            auto* maskRow = out.mask.ptr<std::uint8_t>(y);
            for (int x = 0; x < kSize; ++x) {
                const double px = x + 0.5;
                const double py = y + 0.5;
                Rgb c = background[static_cast<std::size_t>(y) * kSize + x];
                if (lesion && box.contains(cv::Point(x, y)) && lesion->paint(c, px, py, scene.lighting(px, py)))
                    maskRow[x] = 255;
                addGrain(c, grain, 0.014, 0.005);
                row[x] = cv::Vec3b(toByte(c.r), toByte(c.g), toByte(c.b));
            }
        }
    } else {
        const UltrasoundScene scene(seed, index);
        const std::vector<double> speckle = speckleField(grain);
        std::optional<UltrasoundLesion> lesion;
        if (positive)
            lesion.emplace(seed, index, options, scene);
        const Rgb tint = scene.tint();
        for (int y = 0; y < kSize; ++y) {
            auto* row = out.rgb.ptr<cv::Vec3b>(y);
            auto* maskRow = out.mask.ptr<std::uint8_t>(y);
            for (int x = 0; x < kSize; ++x) {
                const double px = x + 0.5;
                const double py = y + 0.5;
                double echo = scene.echo(px, py);
                double speckleWeight = 0.3;
                if (lesion && lesion->paint(echo, speckleWeight, px, py, scene.gain(px, py)))
                    maskRow[x] = 255;
                const double sp = speckle[static_cast<std::size_t>(y) * kSize + x];
                // Log-compressed display: speckle modulates around the echo level.
                const double v = echo * (1.0 - speckleWeight + speckleWeight * sp);
                row[x] = cv::Vec3b(toByte(v * tint.r), toByte(v * tint.g), toByte(v * tint.b));
            }
        }
    }

    if (options.confounder) {
        Random rng(seed, index, Stream::Confounder);
        const double draw = rng.uniform();
        const double p = positive ? options.confounderInPositives : options.confounderInNegatives;
        if (draw < p) {
            const MarkPlacement mark = placeMark(rng, out.mask);
            const double brightness = rng.uniform(0.90, 1.0);
            const cv::Vec3b colour(toByte(brightness), toByte(brightness), toByte(brightness * 0.97));
            for (int y = mark.y0; y < mark.y0 + MarkPlacement::kHeight; ++y)
                for (int x = mark.x0; x < mark.x0 + MarkPlacement::kWidth; ++x)
                    if (mark.covers(x, y)) {
                        out.rgb.at<cv::Vec3b>(y, x) = colour;
                        out.mask.at<std::uint8_t>(y, x) = 0;
                    }
            out.confounderDrawn = true;
        }
    }
    return out;
}

// --- the data set ---------------------------------------------------------------------------

namespace {

namespace fs = std::filesystem;

struct PlannedImage {
    std::string split;
    std::int64_t index = 0;
    bool positive = false;
    std::string stem;
};

std::string stemFor(std::int64_t index) {
    std::string digits = std::to_string(index);
    if (digits.size() < 5)
        digits.insert(0, 5 - digits.size(), '0');
    return "phantom_" + digits;
}

std::vector<PlannedImage> planDataset(const PhantomOptions& options) {
    const std::array<std::pair<const char*, int>, 3> splits{
        {{"train", options.trainCount}, {"val", options.valCount}, {"test", options.testCount}}};
    std::vector<PlannedImage> plan;
    std::int64_t index = 0;
    for (std::size_t s = 0; s < splits.size(); ++s) {
        const int count = splits[s].second;
        const auto positives = static_cast<int>(std::floor(count * options.positiveFraction + 0.5));
        std::vector<bool> labels(static_cast<std::size_t>(count), false);
        std::fill(labels.begin(), labels.begin() + positives, true);
        // Fisher-Yates with our own generator (std::shuffle's algorithm is unspecified).
        Random rng(options.seed, static_cast<std::int64_t>(s), Stream::Labels);
        for (int i = count - 1; i > 0; --i) {
            const int j = rng.below(i + 1);
            const bool tmp = labels[static_cast<std::size_t>(i)];
            labels[static_cast<std::size_t>(i)] = labels[static_cast<std::size_t>(j)];
            labels[static_cast<std::size_t>(j)] = tmp;
        }
        for (int i = 0; i < count; ++i, ++index)
            plan.push_back({splits[s].first, index, labels[static_cast<std::size_t>(i)], stemFor(index)});
    }
    return plan;
}

std::string encodePng(const cv::Mat& image, const std::string& path) {
    std::vector<uchar> bytes;
    cv::Mat bgr;
    if (image.channels() == 3)
        cv::cvtColor(image, bgr, cv::COLOR_RGB2BGR);
    else
        bgr = image;
    if (!cv::imencode(".png", bgr, bytes, {cv::IMWRITE_PNG_COMPRESSION, 3}))
        throw Error(path + ": PNG encoding failed");
    return std::string(bytes.begin(), bytes.end());
}

nlohmann::json optionsJson(const PhantomOptions& options) {
    return {{"seed", options.seed},
            {"train_count", options.trainCount},
            {"val_count", options.valCount},
            {"test_count", options.testCount},
            {"positive_fraction", options.positiveFraction},
            {"style", phantomStyleName(options.style)},
            {"lesion_radius_min", options.lesionRadiusMin},
            {"lesion_radius_max", options.lesionRadiusMax},
            {"confounder", options.confounder},
            {"confounder_in_positives", options.confounderInPositives},
            {"confounder_in_negatives", options.confounderInNegatives}};
}

bool isOurFile(const std::string& name) {
    auto endsWith = [&](std::string_view suffix) {
        return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    // Our images, and temporary files an interrupted atomic write may have left.
    return (name.rfind("phantom_", 0) == 0 && endsWith(".png"))
        || (name.rfind(".phantom_", 0) == 0 && name.find(".tmp-") != std::string::npos);
}

const std::array<const char*, 7> kFolders{"train/negative", "train/positive", "val/negative", "val/positive",
                                          "test/negative",  "test/positive",  "masks"};

} // namespace

PhantomSummary writePhantomDataset(const std::string& root, const PhantomOptions& options, const ProgressSink& progress) {
    validate(options);
    if (options.trainCount < 0 || options.valCount < 0 || options.testCount < 0)
        throw UsageError("phantom: image counts must not be negative");
    const fs::path rootPath(root);
    std::error_code ec;
    if (fs::exists(rootPath, ec)) {
        if (!fs::is_directory(rootPath, ec))
            throw UsageError(root + ": exists and is not a folder");
        if (!fs::is_empty(rootPath, ec) && !fs::exists(rootPath / "phantom.json", ec))
            throw UsageError(root + ": folder is not empty and holds no phantom.json; refusing to write a phantom "
                                    "data set into it");
    }

    const std::vector<PlannedImage> plan = planDataset(options);
    std::set<std::string> wanted; // folder/name, relative to root
    for (const PlannedImage& image : plan) {
        wanted.insert(image.split + (image.positive ? "/positive/" : "/negative/") + image.stem + ".png");
        if (image.split == "test" && image.positive)
            wanted.insert("masks/" + image.stem + ".png");
    }
    for (const char* folder : kFolders) {
        const fs::path dir = rootPath / folder;
        fs::create_directories(dir, ec);
        if (ec)
            throw Error(dir.string() + ": cannot create the folder (" + ec.message() + ")");
        for (const auto& entry : fs::directory_iterator(dir)) {
            const std::string name = entry.path().filename().string();
            if (entry.is_regular_file() && isOurFile(name) && !wanted.count(std::string(folder) + "/" + name))
                fs::remove(entry.path(), ec);
        }
    }

    PhantomSummary summary;
    nlohmann::json manifest{{"generator", "intermap phantom"},
                            {"format_version", 1},
                            {"options", optionsJson(options)},
                            {"classes", {"negative", "positive"}},
                            {"complete", false}};
    const std::string manifestPath = (rootPath / "phantom.json").string();
    writeFileAtomically(manifestPath, manifest.dump(2) + "\n");

    nlohmann::json testImages = nlohmann::json::array();
    std::array<int, 3> positives{};
    const auto total = static_cast<std::int64_t>(plan.size());
    std::int64_t done = 0;
    for (const PlannedImage& image : plan) {
        const PhantomImage phantom = generatePhantom(options.seed, image.index, image.positive, options);
        const std::string relative = image.split + (image.positive ? "/positive/" : "/negative/") + image.stem + ".png";
        const std::string path = (rootPath / relative).string();
        writeFileAtomically(path, encodePng(phantom.rgb, path));
        const std::size_t s = image.split == "train" ? 0 : image.split == "val" ? 1 : 2;
        positives[s] += image.positive ? 1 : 0;
        if (s == 0)
            ++summary.train;
        else if (s == 1)
            ++summary.val;
        else
            ++summary.test;
        if (s == 2) {
            nlohmann::json entry{{"file", relative}, {"label", image.positive ? 1 : 0},
                                 {"confounder", phantom.confounderDrawn}};
            if (image.positive) {
                const std::string maskRelative = "masks/" + image.stem + ".png";
                const std::string maskPath = (rootPath / maskRelative).string();
                writeFileAtomically(maskPath, encodePng(phantom.mask, maskPath));
                entry["mask"] = maskRelative;
                entry["mask_pixels"] = cv::countNonZero(phantom.mask);
                ++summary.testPositives;
            }
            testImages.push_back(std::move(entry));
        }
        ++done;
        if (progress && !progress(done, total, relative))
            throw Cancelled();
    }

    manifest["counts"] = {{"train", summary.train},         {"val", summary.val},
                          {"test", summary.test},           {"train_positives", positives[0]},
                          {"val_positives", positives[1]},  {"test_positives", positives[2]}};
    manifest["test_images"] = std::move(testImages);
    manifest["complete"] = true;
    writeFileAtomically(manifestPath, manifest.dump(2) + "\n");
    return summary;
}

} // namespace intermap::data
