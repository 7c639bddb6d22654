#pragma once
// The phantom's drawing toolkit (private to core/src/data): seeded random streams, gradient
// noise, the lesion's shape, and the painters of the two styles (phantom_endoscopy.cpp,
// phantom_ultrasound.cpp) that generatePhantom (phantom.cpp) and the data-set writer
// (phantom_dataset.cpp) call. What the images hold and why they are deterministic: phantom.h.
//
// Reproducibility rules for everything drawn here: random numbers only through Random; never
// two Random calls inside one expression (the evaluation order of operands and function
// arguments is unspecified, and floating-point sums depend on it); arithmetic with + - * / sqrt
// floor only.
#include "intermap/data/phantom.h"
#include "intermap/util/seeded_random.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace intermap::data::phantom {

constexpr int kSize = kPhantomSize;

// --- random numbers -------------------------------------------------------------------------

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
        : m_engine(util::splitMix64(util::mixSeed(seed, static_cast<std::uint64_t>(index))
                                    ^ static_cast<std::uint64_t>(stream))) {}

    double uniform() { return util::uniformUnit(m_engine); }
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

inline double clamp01(double v) { return std::min(1.0, std::max(0.0, v)); }
inline double mix(double a, double b, double t) { return a + (b - a) * t; }
inline double smoothstep(double edge0, double edge1, double v) {
    const double t = clamp01((v - edge0) / (edge1 - edge0));
    return t * t * (3.0 - 2.0 * t);
}
inline std::uint8_t toByte(double v) { return static_cast<std::uint8_t>(std::floor(clamp01(v) * 255.0 + 0.5)); }

struct Rgb {
    double r = 0.0;
    double g = 0.0;
    double b = 0.0;
};

// --- gradient noise -------------------------------------------------------------------------

// 16 unit gradients at 22.5 degree steps, written out so no trigonometry runs.
inline constexpr double kC1 = 0.9238795325112867; // cos 22.5
inline constexpr double kC2 = 0.7071067811865476; // cos 45
inline constexpr double kC3 = 0.3826834323650898; // cos 67.5
inline constexpr std::array<Vec2, 16> kGradients{{{1, 0}, {kC1, kC3}, {kC2, kC2}, {kC3, kC1}, {0, 1}, {-kC3, kC1},
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

// The lesion's size, aspect and boundary harmonics (the centre is drawn by drawCentre).
LesionShape drawShape(Random& rng, const PhantomOptions& options);

// A centre that keeps the lesion mostly inside (the centre stays 0.6 R from every border:
// >= ~86 % of a disc inside at an edge, ~73 % in a corner), avoiding `avoid` (the dark lumen)
// when it can.
Vec2 drawCentre(Random& rng, double radius, Vec2 avoid, double avoidRadius);

// Sensor grain: Gaussian luminance and red-blue chroma noise added to `c`.
void addGrain(Rgb& c, Random& grain, double luminance, double chroma);

// Throws UsageError for options out of range (see generatePhantom).
void validateOptions(const PhantomOptions& options);

// What a style's painter returns for one pixel.
struct PaintedPixel {
    cv::Vec3b rgb;
    bool insideLesion = false;
};

// Fills `out` (rgb and mask, already allocated) row by row: paint(x, y, centre) gives pixel (x, y)
// whose centre is `centre`; the mask is 255 where it says the pixel is inside the lesion. The
// order is fixed (rows top to bottom), so painters may draw from a random stream per pixel.
template <typename PaintPixel>
void paintPixels(PhantomImage& out, PaintPixel&& paint) {
    for (int y = 0; y < kSize; ++y) {
        auto* row = out.rgb.ptr<cv::Vec3b>(y);
        auto* maskRow = out.mask.ptr<std::uint8_t>(y);
        for (int x = 0; x < kSize; ++x) {
            const PaintedPixel pixel = paint(x, y, Vec2{x + 0.5, y + 0.5});
            row[x] = pixel.rgb;
            if (pixel.insideLesion)
                maskRow[x] = 255;
        }
    }
}

// The two styles: background, and the lesion when out.positive, into `out`'s rgb and mask.
// `grain` is the image's grain stream (its draws follow the pixel order).
void paintEndoscopy(PhantomImage& out, std::uint64_t seed, std::int64_t index, const PhantomOptions& options,
                    Random& grain);
void paintUltrasound(PhantomImage& out, std::uint64_t seed, std::int64_t index, const PhantomOptions& options,
                     Random& grain);

} // namespace intermap::data::phantom
