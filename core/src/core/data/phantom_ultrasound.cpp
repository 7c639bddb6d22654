// The phantom's ultrasound style (see phantom.h for what it draws).
#include "phantom_synthesis.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <vector>

namespace intermap::data::phantom {
namespace {

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

} // namespace

void paintUltrasound(PhantomImage& out, std::uint64_t seed, std::int64_t index, const PhantomOptions& options,
                     Random& grain) {
    const UltrasoundScene scene(seed, index);
    const std::vector<double> speckle = speckleField(grain);
    std::optional<UltrasoundLesion> lesion;
    if (out.positive)
        lesion.emplace(seed, index, options, scene);
    const Rgb tint = scene.tint();
    paintPixels(out, [&](int x, int y, Vec2 centre) {
        PaintedPixel pixel;
        double echo = scene.echo(centre.x, centre.y);
        double speckleWeight = 0.3;
        pixel.insideLesion = lesion && lesion->paint(echo, speckleWeight, centre.x, centre.y, scene.gain(centre.x, centre.y));
        const double sp = speckle[static_cast<std::size_t>(y) * kSize + x];
        // Log-compressed display: speckle modulates around the echo level.
        const double v = echo * (1.0 - speckleWeight + speckleWeight * sp);
        pixel.rgb = cv::Vec3b(toByte(v * tint.r), toByte(v * tint.g), toByte(v * tint.b));
        return pixel;
    });
}

} // namespace intermap::data::phantom
