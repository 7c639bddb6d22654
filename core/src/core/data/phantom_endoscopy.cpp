// The phantom's endoscopy style (see phantom.h for what it draws).
#include "phantom_synthesis.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <vector>

namespace intermap::data::phantom {
namespace {

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

} // namespace

void paintEndoscopy(PhantomImage& out, std::uint64_t seed, std::int64_t index, const PhantomOptions& options,
                    Random& grain) {
    const EndoscopyScene scene(seed, index);
    const std::vector<Rgb> background = scene.render();
    std::optional<EndoscopyLesion> lesion;
    cv::Rect box; // the lesion's reach: pixels outside it skip the lesion's maths
    if (out.positive) {
        lesion.emplace(seed, index, options, scene);
        const double reach = lesion->shape().reach() + 2.0;
        const Vec2 c = lesion->shape().centre;
        box = cv::Rect(cv::Point(static_cast<int>(std::floor(c.x - reach)), static_cast<int>(std::floor(c.y - reach))),
                       cv::Point(static_cast<int>(std::floor(c.x + reach)) + 1, static_cast<int>(std::floor(c.y + reach)) + 1))
            & cv::Rect(0, 0, kSize, kSize);
    }
    paintPixels(out, [&](int x, int y, Vec2 centre) {
        PaintedPixel pixel;
        Rgb c = background[static_cast<std::size_t>(y) * kSize + x];
        pixel.insideLesion = lesion && box.contains(cv::Point(x, y))
                          && lesion->paint(c, centre.x, centre.y, scene.lighting(centre.x, centre.y));
        addGrain(c, grain, 0.014, 0.005);
        pixel.rgb = cv::Vec3b(toByte(c.r), toByte(c.g), toByte(c.b));
        return pixel;
    });
}

} // namespace intermap::data::phantom
